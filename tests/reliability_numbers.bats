#!/usr/bin/env bats
# Numbers at the edges and text outputs (docs/reliability.md, rows 64-70).

bats_require_minimum_version 1.5.0
load helpers
load reliability

# 2000 numeric rows, then the value $1 in column a
numeric_csv() {
	$PY -c "
import sys
print('a,b,y')
for i in range(2000):
    print(f'{i * 0.001},{i % 7},{i % 2}')
print('$1,0.5,1')" > "$2"
}

@test "CSV: a number out of a float's range is exit 1 naming line and column, never one-hot categories" {
	for v in 1e400 -1e400 1e39; do
		numeric_csv "$v" "$TMP/o.csv"
		bad imb-import csv "$TMP/o.csv" --label y -o "$TMP/o.imb"
		[ "$status" -eq 1 ]
		[ "$stderr" = "imb-import: $TMP/o.csv: line 2002: column 0 (a): $v is out of range for a float (at most 3.40282e+38 in magnitude)" ]
		no_output "$TMP/o.imb"
	done
	# in the first data row of a file without a header too
	printf '1e400,0\n1,1\n' > "$TMP/h.csv"
	bad imb-import csv "$TMP/h.csv" --label 1 --no-header
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"h.csv: line 1: column 0 (col0): 1e400 is out of range for a float"* ]]
	# a column of text keeps 1e400 as one of its categories
	printf 'a,y\nred,0\n1e400,1\n' > "$TMP/c.csv"
	run imb-import csv "$TMP/c.csv" --label y
	assert_success
}

@test "CSV: inf, -inf, Infinity are non-finite numbers and nan is missing: the column stays numeric" {
	for v in inf -inf Infinity -Infinity +inf INF nan NaN; do
		numeric_csv "$v" "$TMP/o.csv"
		imb-import csv "$TMP/o.csv" --label y -o "$TMP/o.imb"
		run $PY -c "
import msgpack, numpy as np
f = msgpack.unpackb(open('$TMP/o.imb', 'rb').read(), raw=False)
x = np.frombuffer(f['tensors']['x']['data'], '<f4').reshape(f['tensors']['x']['shape'])
print(x.shape, f['attrs']['categorical'], x[-1, 0] == float('$v'.lower().replace('infinity', 'inf')) or (np.isnan(x[-1, 0]) and 'nan' in '$v'.lower()))"
		assert_success
		assert_output "(2001, 2) {} True"
	done
}

@test "CSV: a number that underflows is read as strtod rounds it (0 or a subnormal), the column stays numeric" {
	numeric_csv 1e-400 "$TMP/u.csv"
	imb-import csv "$TMP/u.csv" --label y > "$TMP/u.imb"
	run $PY -c "
import msgpack, struct
f = msgpack.unpackb(open('$TMP/u.imb', 'rb').read(), raw=False)
x = f['tensors']['x']
print(x['shape'], f['attrs']['categorical'], struct.unpack('<2f', x['data'][-8:]))" 
	assert_success
	assert_output "[2001, 2] {} (0.0, 0.5)"
}

@test "CSV: a NUL byte in a field is exit 1 naming line and column" {
	printf 'a,y\n1,0\n2\0x,1\n' > "$TMP/z.csv"
	bad imb-import csv "$TMP/z.csv" --label y -o "$TMP/z.imb"
	[ "$status" -eq 1 ]
	[ "$stderr" = "imb-import: $TMP/z.csv: line 3: column 0: a NUL byte at offset 1 of the field" ]
	no_output "$TMP/z.imb"
}

@test "ratios of 1e-300: no float-to-integer overflow; a class rounded to zero samples is refused" {
	good > "$TMP/g.imb"
	# undersampling to 1e-300 cuts nothing (the target is past every count)
	run bash -c "imb-oversample --method under --ratio 1e-300 < $TMP/g.imb | imb-info"
	assert_success
	assert_output --partial "classes: 2, samples: 40,"
	bad imb-split --fixed minority --n-minority 5 --train-ratio 1e-300 -o "$TMP/s.imb" < "$TMP/g.imb"
	[ "$status" -eq 1 ]
	[ "$stderr" = "imb-split: fixed minority: 5 minority samples at train ratio 1e-300 ask for a majority of 5e+300 samples, more than any dataset holds" ]
	no_output "$TMP/s.imb"
	bad imb-split --train-ratio 1e-300 -o "$TMP/s.imb" < "$TMP/g.imb"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"the train set would hold no samples of class 1 (c1)"*"ask for a larger set or a larger ratio" ]]
	no_output "$TMP/s.imb"
}

@test "LIBSVM: labels past 2^31 and past a double's precision keep distinct class names" {
	printf '%s\n' '10000000000 1:1' '10000000001 1:2' '1e10 1:3' '-3 1:1' \
		'99999999999999999999 1:1' '100000000000000000000 1:2' '1e20 1:3' '2.5 1:0' \
		'-18446744073709551617 1:1' '-18446744073709551616 1:1' > "$TMP/l.svm"
	run bash -c "imb-import libsvm $TMP/l.svm | $PY -c '
import msgpack, sys, struct
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
print(f[\"attrs\"][\"classes\"], struct.unpack(\"<10i\", f[\"tensors\"][\"y\"][\"data\"]))'"
	assert_success
	assert_output "['-18446744073709551617', '-18446744073709551616', '-3', '2.5', '10000000000', '10000000001', '99999999999999999999', '100000000000000000000'] (4, 5, 4, 2, 6, 7, 7, 3, 0, 1)"
}

# a dataset whose class names hold a tab and a newline, and a model on it
names_model() {
	$PY -c "
import random
random.seed(1)
print('a,b,y')
for i in range(60):
    print(f'{random.random() + i % 2},{random.random()},\"c\tl\nass{i % 2}\"')" > "$TMP/n.csv"
	imb-import csv "$TMP/n.csv" --label y > "$TMP/n.imb"
	imb-train --model xgboost --rounds 5 --threads 1 -q -k < "$TMP/n.imb" > "$TMP/m.imb"
}

@test "TSV and imb-info: a class name with a tab or a newline is escaped, never a new cell or line" {
	names_model
	run imb-eval --format tsv --on train "$TMP/m.imb"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *$'\t'"recall_c\\tl\\nass0"$'\t'"recall_c\\tl\\nass1" ]]
	[ "$(printf '%s\n' "${lines[0]}" | awk -F'\t' '{print NF}')" = "$(printf '%s\n' "${lines[1]}" | awk -F'\t' '{print NF}')" ]
	run imb-info "$TMP/n.imb"
	assert_success
	assert_line --index 5 "      0 c\\tl\\nass0       30"
	assert_line --index 6 "      1 c\\tl\\nass1       30"
	# JSON keeps the names whole
	run bash -c "imb-eval --format json --on train $TMP/m.imb | $PY -c '
import json, sys
print([c[\"class\"] for c in json.load(sys.stdin)[0][\"per_class\"]] == [\"c\\tl\\nass0\", \"c\\tl\\nass1\"])'"
	assert_output "True"
}

@test "a CSV file named with a 0xff byte: the frame is valid msgpack (strict UTF-8), imb-info --json is valid JSON" {
	f="$TMP/$(printf 'bad\xffname.csv')"
	printf 'a,y\n1,0\n2,1\n' > "$f"
	imb-import csv "$f" --label y > "$TMP/p.imb"
	run $PY -c "
import msgpack
f = msgpack.unpackb(open('$TMP/p.imb', 'rb').read(), raw=False)
print(f['attrs']['file'].endswith('bad\\\\xffname.csv'))"
	assert_output "True"
	run bash -c "imb-info --json $TMP/p.imb | $PY -c '
import json, sys
d = json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))
print(d[0][\"attrs\"][\"file\"].endswith(\"bad\\\\xffname.csv\"))'"
	assert_output "True"
	# and a frame made elsewhere with a non-UTF-8 class name: imb-info text and JSON escape it
	$PY -c "
import msgpack, struct, sys
y = struct.pack('<2i', 0, 1)
x = struct.pack('<2f', 0, 1)
f = {'imb': 1, 'kind': 'dataset', 'name': 'train', 'attrs': {'classes': ['aZZ\n', 'b']},
     'tensors': {'x': {'dtype': 'f32', 'shape': [2, 1], 'data': x}, 'y': {'dtype': 'i32', 'shape': [2], 'data': y}}}
sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True).replace(b'aZZ', b'a\xff\xfe'))" > "$TMP/q.imb"
	run imb-info "$TMP/q.imb"
	assert_success
	assert_line --index 4 "      0 a\\xff\\xfe\\n      1"
	run bash -c "imb-info --json $TMP/q.imb | $PY -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode(\"utf-8\")); print(\"ok\")'"
	assert_output "ok"
}

@test "a frame name or any string that is not UTF-8 is written as valid UTF-8 (\\xHH), whatever made it" {
	imb-import toy moons --n 20 --name "$(printf 'tr\377in')" > "$TMP/a"
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    print(f["name"])' "$TMP/a"
	assert_success
	assert_output 'tr\xffin'
	# a frame made elsewhere whose name is not UTF-8, passed through imb-cat
	printf '\x85\xa3imb\x01\xa4kind\xa4note\xa4name\xa3n\xffx\xa5attrs\x80\xa7tensors\x80' > "$TMP/raw"
	imb-cat "$TMP/raw" > "$TMP/b"
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    print(f["name"])' "$TMP/b"
	assert_success
	assert_output 'n\xffx'
}
