#!/usr/bin/env bats
# Bad inputs and faults (docs/reliability.md holds the table): every case
# must give a clear message, exit 1 (or die by the signal asked for), leave
# no partial -o file, and stay within bounded memory (run under
# prlimit --as, so an attempt to allocate without limit fails as an error
# instead of an out-of-memory kill). Under ASan or valgrind the address
# space limit is left off (their shadow memory needs it).
bats_require_minimum_version 1.5.0
load helpers

load reliability

# FILE NAME: a dataset frame NAME whose tensor x declares 4 GiB - 16 bytes
# of data, followed by only 1000
huge_frame() {
	$PY - "$1" "$2" <<'EOF'
import msgpack, struct, sys
n = 0xFFFFFFF0
h = msgpack.packb({"imb": 1, "kind": "dataset", "name": sys.argv[2], "attrs": {},
                   "tensors": {"x": {"dtype": "u8", "shape": [n], "data": b""}}}, use_bin_type=True)
i = h.rindex(b"\xc4\x00")
open(sys.argv[1], "wb").write(h[:i] + b"\xc6" + struct.pack(">I", n) + b"\0" * 1000)
EOF
}

# ---- the stream ----

@test "truncated frame: every tool exits 1 naming the frame, -o leaves nothing" {
	good > "$TMP/g.imb"
	head -c 150 "$TMP/g.imb" > "$TMP/t.imb"
	for t in imb-cat imb-split imb-oversample imb-train imb-eval; do
		bad $t -o "$TMP/out.imb" "$TMP/t.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"frame 1"*truncated* ]]
		no_output "$TMP/out.imb"
	done
}

@test "not a stream (wrong magic): random bytes and text are exit 1 with a hint" {
	head -c 300 /dev/urandom > "$TMP/r.bin"
	printf '\x93\x01\x02\x03' >> "$TMP/r.bin"
	bad imb-split -o "$TMP/out.imb" "$TMP/r.bin"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"frame 1"* ]]
	no_output "$TMP/out.imb"
	# (not "echo ... | bad": run would set status and stderr in the pipe's
	# subshell, and the checks below would read imb-split's)
	echo "label,a,b" > "$TMP/t.csv"
	bad imb-train -o "$TMP/out.imb" < "$TMP/t.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == imb-train:*"imb stream"* ]]
	no_output "$TMP/out.imb"
}

@test "wrong format version: exit 1 naming the version, -o leaves nothing" {
	raw '{"imb":7,"tensors":{}}' > "$TMP/v.imb"
	for t in imb-cat imb-oversample imb-train; do
		bad $t -o "$TMP/out.imb" "$TMP/v.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"version 7"* ]]
		no_output "$TMP/out.imb"
	done
}

@test "unknown kind only: tools that need a dataset or a model say so, imb-cat forwards it" {
	raw '{"kind":"weird","tensors":{"x":{"dtype":"f32","shape":[2,1],"values":[1,2]}}}' > "$TMP/k.imb"
	bad imb-train -o "$TMP/out.imb" "$TMP/k.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"no dataset frame named 'train'"* ]]
	bad imb-split -o "$TMP/out.imb" "$TMP/k.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"no dataset frame"* ]]
	bad imb-oversample -o "$TMP/out.imb" "$TMP/k.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"no dataset frame"* ]]
	bad imb-eval -o "$TMP/out.imb" "$TMP/k.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"no model frame"* ]]
	no_output "$TMP/out.imb"
	# a frame of a kind nobody knows is still a valid frame: forwarded as is
	run imb-cat "$TMP/k.imb"
	[ "$status" -eq 0 ]
	cmp <(imb-cat "$TMP/k.imb") "$TMP/k.imb"
}

@test "an empty stream: tools that need a dataset exit 1, imb-cat gives an empty stream" {
	: > "$TMP/e.imb"
	bad imb-train -o "$TMP/out.imb" "$TMP/e.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"0 frames read"* ]]
	no_output "$TMP/out.imb"
	run imb-cat "$TMP/e.imb"
	[ "$status" -eq 0 ] && [ -z "$output" ]
}

@test "dtype mismatch: y as f32 is exit 1 naming tensor y" {
	raw '{"attrs":{"classes":["a","b"]},"tensors":{"x":{"dtype":"f32","shape":[2,1],"values":[1,2]},"y":{"dtype":"f32","shape":[2],"values":[0,1]}}}' > "$TMP/d.imb"
	for t in imb-train imb-split imb-oversample; do
		bad $t -o "$TMP/out.imb" "$TMP/d.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"frame 1 (dataset 'train')"*"'y'"* ]]
		no_output "$TMP/out.imb"
	done
}

@test "shape mismatch: x rows differ from y labels, or x missing, is exit 1 naming both" {
	raw '{"attrs":{"classes":["a","b"]},"tensors":{"x":{"dtype":"f32","shape":[3,1],"values":[1,2,3]},"y":{"dtype":"i32","shape":[2],"values":[0,1]}}}' > "$TMP/s.imb"
	for t in imb-train imb-split imb-oversample; do
		bad $t -o "$TMP/out.imb" "$TMP/s.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"'x' has 3 rows but 'y' has 2"* ]]
		no_output "$TMP/out.imb"
	done
	raw '{"attrs":{"classes":["a","b"]},"tensors":{"y":{"dtype":"i32","shape":[2],"values":[0,1]}}}' > "$TMP/nox.imb"
	bad imb-oversample "$TMP/nox.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"missing tensor 'x'"* ]]
}

@test "data length mismatch and too many dimensions are exit 1 naming the tensor" {
	raw '{"tensors":{"x":{"dtype":"f32","shape":[2,2],"values":[1,2,3]}}}' > "$TMP/l.imb"
	bad imb-cat -o "$TMP/out.imb" "$TMP/l.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"tensor 'x': data holds 12 bytes"*"need 16"* ]]
	no_output "$TMP/out.imb"
	raw '{"tensors":{"x":{"dtype":"u8","shape":[1,1,1,1,1,1,1,1,1],"values":[1]}}}' > "$TMP/dim.imb"
	bad imb-cat "$TMP/dim.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"9 dimensions, at most 8"* ]]
}

@test "shape whose element count overflows 64 bits is exit 1, not a crash" {
	raw '{"tensors":{"x":{"dtype":"f32","shape":[4294967296,4294967296],"hexdata":"00"}}}' > "$TMP/o.imb"
	bad imb-train -o "$TMP/out.imb" "$TMP/o.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"tensor 'x'"*overflows* ]]
	no_output "$TMP/out.imb"
}

@test "a 4 GiB tensor declared in a short stream: exit 1 within 2 GiB, from a file and from a pipe" {
	huge_frame "$TMP/h.imb" train
	bad imb-cat -o "$TMP/out.imb" "$TMP/h.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"declares 4294967280 bytes but only 1000 remain"* ]]
	no_output "$TMP/out.imb"
	# from a pipe the size is unknown: the tensor buffer is asked for, and
	# either the allocation fails (out of memory: exit 1) or the stream
	# ends early (truncated: exit 1); never a kill
	run --separate-stderr bash -c "cat '$TMP/h.imb' | $LIM imb-info"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"out of memory"* || "$stderr" == *truncated* ]]
}

@test "out of memory while writing: the tool names itself, exit 1, no partial -o file" {
	[ -n "$LIM" ] || skip "no address-space limit under ASan or valgrind"
	good > "$TMP/g.imb"
	huge_frame "$TMP/h.imb" test
	# the first frame is written (a temp output exists), then the second
	# declares 4 GiB from a pipe and its bytes keep coming: the buffer
	# grows with them until the 2 GiB limit refuses it
	head -c $(( $(stat -c %s "$TMP/h.imb") - 1000 )) "$TMP/h.imb" > "$TMP/hh.imb"
	run --separate-stderr bash -c "{ cat '$TMP/g.imb' '$TMP/hh.imb'; head -c 4294967280 /dev/zero; } | $LIM imb-cat -o '$TMP/out.imb'"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"imb-cat: out of memory"* ]]
	no_output "$TMP/out.imb"
}

# ---- values ----

# a 2-class f32 dataset spec (JSON for mkframe.py raw) with x[1][0] = $1
# (NaN, Infinity or -Infinity)
nanjson() {
	$PY -c '
import json, sys
v = [float(i) for i in range(40)]
v[2] = float(sys.argv[1])
print(json.dumps({"attrs": {"classes": ["a", "b"]},
                  "tensors": {"x": {"dtype": "f32", "shape": [20, 2], "values": v},
                              "y": {"dtype": "i32", "shape": [20], "values": [i % 2 for i in range(20)]}}}))' "$1"
}

@test "NaN features: xgboost takes them as missing; SVMs refuse naming row and column" {
	$MK raw "$(nanjson NaN)" > "$TMP/nan.imb"
	run imb-train -q "$TMP/nan.imb"
	[ "$status" -eq 0 ]
	for m in svm linear-svm; do
		bad imb-train -q -m $m -o "$TMP/out.imb" "$TMP/nan.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"frame 1 (dataset 'train'): tensor x: row 1 column 0 is NaN"* ]]
		no_output "$TMP/out.imb"
	done
}

@test "Inf features: every model refuses them naming row and column, without a library trace" {
	$MK raw "$(nanjson Infinity)" > "$TMP/inf.imb"
	for m in xgboost svm linear-svm; do
		bad imb-train -q -m $m -o "$TMP/out.imb" "$TMP/inf.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"row 1 column 0 is infinite"* ]]
		[[ "$stderr" != *"Stack trace"* ]]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		no_output "$TMP/out.imb"
	done
}

@test "a damaged LIBLINEAR or LIBSVM model: one message naming the tensor, no library chatter" {
	good > "$TMP/g.imb"
	# edit the model text where our checks pass it on to the library's
	# loader: an unknown header keyword (LIBLINEAR), an unknown kernel
	# (LIBSVM); both loaders complain on stderr themselves
	for m in linear-svm:nr_class:nr_klass svm:rbf:xyz; do
		IFS=: read -r model from to <<< "$m"
		imb-train -q -m "$model" -o "$TMP/m.imb" "$TMP/g.imb"
		$PY - "$TMP/m.imb" "$from" "$to" <<'EOF'
import msgpack, sys
path, a, b = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
frames = list(msgpack.Unpacker(open(path, "rb"), raw=False, strict_map_key=False))
for f in frames:
    if f["kind"] == "model":
        t = f["tensors"]["bytes"]
        assert a in t["data"], (a, t["data"][:200])
        t["data"] = t["data"].replace(a, b, 1)
        t["shape"] = [len(t["data"])]
open(path, "wb").write(b"".join(msgpack.packb(f, use_bin_type=True) for f in frames))
EOF
		bad imb-eval "$TMP/m.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"tensor 'bytes'"* ]]
		[[ "$stderr" != *"ERROR: fscanf"* && "$stderr" != *"unknown text"* ]]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	done
}

@test "NaN/Inf features: SMOTE refuses them; random over- and undersampling copy rows as they are" {
	$MK raw "$(nanjson NaN)" > "$TMP/nan.imb"
	$MK raw "$(nanjson -Infinity)" > "$TMP/inf.imb"
	for f in nan inf; do
		bad imb-oversample --method smote -o "$TMP/out.imb" "$TMP/$f.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"frame 1 (dataset 'train'): tensor x: row 1 column 0 is"*"SMOTE needs finite"* ]]
		no_output "$TMP/out.imb"
	done
	run imb-oversample --method random "$TMP/nan.imb"
	[ "$status" -eq 0 ]
	run imb-split --seed 1 "$TMP/nan.imb"
	[ "$status" -eq 0 ]
}

@test "labels out of range (too large or negative) are exit 1 naming row and label" {
	for v in 5 -1; do
		$MK raw '{"attrs":{"classes":["a","b"]},"tensors":{"x":{"dtype":"f32","shape":[4,1],"values":[1,2,3,4]},"y":{"dtype":"i32","shape":[4],"values":[0,1,'$v',0]}}}' > "$TMP/y.imb"
		for t in imb-train imb-split imb-oversample; do
			bad $t -o "$TMP/out.imb" "$TMP/y.imb"
			[ "$status" -eq 1 ]
			[[ "$stderr" == *"tensor 'y': label $v at row 2 is outside [0, 2)"* ]]
			no_output "$TMP/out.imb"
		done
	done
	# imb-info reports the problem instead of failing: it is the diagnosis tool
	run imb-info "$TMP/y.imb"
	[ "$status" -eq 0 ] && [[ "$output" == *"invalid dataset"* ]]
}

emptyclass() {
	$MK raw '{"name":"'"${1:-train}"'","attrs":{"classes":["a","b","c"]},"tensors":{"x":{"dtype":"f32","shape":[6,1],"values":[1,2,3,4,5,6]},"y":{"dtype":"i32","shape":[6],"values":[0,1,1,0,0,1]}}}'
}

@test "an empty class: oversample and split exit 1 naming it; train keeps K classes and never predicts it" {
	emptyclass > "$TMP/e.imb"
	for m in random under smote; do
		bad imb-oversample --method $m -o "$TMP/out.imb" "$TMP/e.imb"
		[ "$status" -eq 1 ] && [[ "$stderr" == *"class 2 (c) has no samples"* ]]
		no_output "$TMP/out.imb"
	done
	bad imb-split -o "$TMP/out.imb" "$TMP/e.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"class"* ]]
	no_output "$TMP/out.imb"
	emptyclass test >> "$TMP/e.imb"
	run imb-train -q -r 5 "$TMP/e.imb"
	[ "$status" -eq 0 ]
	imb-train -q -r 5 "$TMP/e.imb" | imb-eval -f json > "$TMP/m.json"
	$PY -c "import json,sys; m=json.load(open(sys.argv[1])); m=m[0] if isinstance(m,list) else m; s=json.dumps(m); assert 'recall' in s" "$TMP/m.json"
}

@test "duplicate frame names: train takes the first 'train', oversample re-samples each, split refuses" {
	{ good train 1; good train 2; } > "$TMP/dup.imb"
	imb-train -q "$TMP/dup.imb" | imb-info > "$TMP/info.txt"
	grep -q "^frame 1: model 'model'" "$TMP/info.txt"
	grep -q "^frame 2: dataset 'train'" "$TMP/info.txt"
	run imb-oversample --seed 1 "$TMP/dup.imb"
	[ "$status" -eq 0 ]
	[ "$(imb-oversample --seed 1 "$TMP/dup.imb" | imb-info | grep -c 'imb-oversample')" -eq 2 ]
	bad imb-split -o "$TMP/out.imb" "$TMP/dup.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"2 dataset frames"* ]]
	no_output "$TMP/out.imb"
}

# ---- importers ----

@test "CSV: ragged rows, bad quoting, empty file and header only are exit 1 naming file and line" {
	printf 'a,b,c\n1,2,x\n3,4\n' > "$TMP/ragged.csv"
	printf 'a,b,c\n1,"2,x\n3,4,y\n' > "$TMP/quote.csv"
	printf '1,2,x\n3,4"5,y\n' > "$TMP/quote2.csv"
	: > "$TMP/empty.csv"
	printf 'a,b,c\n' > "$TMP/hdr.csv"
	for f in ragged quote quote2 empty hdr; do
		bad imb-import csv "$TMP/$f.csv" --label 2 --header -o "$TMP/out.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == "imb-import: $TMP/$f.csv: "* ]]
		no_output "$TMP/out.imb"
	done
	bad imb-import csv "$TMP/ragged.csv" --label 2
	[[ "$stderr" == *"line 3: 2 fields, expected 3"* ]]
}

@test "CSV: invalid UTF-8 in a value or a header is exit 1 naming line and column" {
	printf 'a,b,label\n1,x\377\376,yes\n2,y,no\n' > "$TMP/u.csv"
	bad imb-import csv "$TMP/u.csv" --label label -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"u.csv: line 2: column 1: invalid UTF-8"* ]]
	no_output "$TMP/out.imb"
	printf 'a,b,lab\303el\n1,2,yes\n' > "$TMP/h.csv"
	bad imb-import csv - --label 2 < "$TMP/h.csv"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"line 1: column 2: invalid UTF-8"* ]]
	# valid multi-byte UTF-8 is fine
	printf 'a,b\n1,\303\251t\303\251\n2,x\n' | imb-import csv - --label 0 > /dev/null
}

@test "images: a folder holding a text file, a truncated PNG or a fake .jpg is exit 1 naming the file" {
	mkdir -p "$TMP/img/a" "$TMP/img/b"
	$PY -c "
from PIL import Image
Image.new('L', (4, 4), 9).save('$TMP/img/a/1.png')
Image.new('L', (4, 4), 200).save('$TMP/img/b/2.png')"
	cp -r "$TMP/img" "$TMP/img2"; cp -r "$TMP/img" "$TMP/img3"
	echo "not an image" > "$TMP/img/a/notes.txt"
	head -c 40 "$TMP/img/b/2.png" > "$TMP/img2/b/cut.png"
	echo "hello" > "$TMP/img3/a/fake.jpg"
	run imb-import images "$TMP/img" 2>/dev/null
	bad imb-import images "$TMP/img" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"notes.txt"* ]]
	bad imb-import images "$TMP/img2" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"cut.png"* ]]
	bad imb-import images "$TMP/img3" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"fake.jpg"* ]]
	no_output "$TMP/out.imb"
	# hidden files are skipped, the rest imports
	echo x > "$TMP/img/a/.DS_Store"; rm "$TMP/img/a/notes.txt"
	run imb-import images "$TMP/img"
	[ "$status" -eq 0 ]
}

@test "images: a JPEG or PNG header declaring 65535 x 65535 pixels is exit 1 naming it, not a 12 GB allocation" {
	mkdir -p "$TMP/big/a"
	cp "$ROOT/tests/regress/images/jpeg-huge-header.jpg" "$TMP/big/a/"
	bad imb-import images "$TMP/big" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"jpeg-huge-header.jpg: JPEG of"*"over 256 MiB decoded"* ]]
	no_output "$TMP/out.imb"
	# a PNG whose IHDR says 65535 x 65535 (CRCs right), 100 bytes of pixel data
	$PY -c "
import struct, zlib
ihdr = struct.pack('>IIBBBBB', 65535, 65535, 8, 2, 0, 0, 0)
c = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
open('$TMP/big/a/huge.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + c(b'IHDR', ihdr) + c(b'IDAT', zlib.compress(bytes(100))) + c(b'IEND', b''))"
	rm "$TMP/big/a/jpeg-huge-header.jpg"
	bad imb-import images "$TMP/big" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"huge.png: PNG of 65535 x 65535 pixels x 3 channels"* ]]
	no_output "$TMP/out.imb"
}

@test "images: a truncated tar is exit 1 naming it" {
	mkdir -p "$TMP/t/a"
	$PY -c "
from PIL import Image
for i in range(3): Image.new('RGB', (8, 8), (i, 2, 3)).save('$TMP/t/a/%d.png' % i)"
	tar -C "$TMP/t" -cf "$TMP/x.tar" a
	head -c 1500 "$TMP/x.tar" > "$TMP/cut.tar"
	bad imb-import images "$TMP/cut.tar" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"cut.tar"* ]]
	no_output "$TMP/out.imb"
}

@test "IDX: a header declaring 2^31 images of a short file is exit 1 within 2 GiB" {
	$PY -c "
import struct
open('$TMP/i.idx','wb').write(struct.pack('>IIII',0x803,0x7fffffff,28,28)+bytes(100))
open('$TMP/l.idx','wb').write(struct.pack('>II',0x801,0x7fffffff)+bytes(10))"
	bad imb-import idx --images "$TMP/i.idx" --labels "$TMP/l.idx" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"i.idx"* ]]
	no_output "$TMP/out.imb"
}

@test "CIFAR-10: a truncated batch and a label above 9 are exit 1 naming the file" {
	mkdir -p "$TMP/c"
	$PY -c "
import sys
rec = bytes([3]) + bytes(3072)
for n in ['data_batch_%d.bin' % i for i in range(1, 6)] + ['test_batch.bin']:
    open('$TMP/c/' + n, 'wb').write(rec * 2)
open('$TMP/c/data_batch_3.bin', 'wb').write(rec + rec[:500])
open('$TMP/c/test_batch.bin', 'wb').write(bytes([12]) + bytes(3072))"
	bad imb-import cifar10 --dir "$TMP/c" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"data_batch_3.bin"*truncated* ]]
	no_output "$TMP/out.imb"
	bad imb-import cifar10 --dir "$TMP/c" --only test -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"test_batch.bin: record 1: label 12"* ]]
	no_output "$TMP/out.imb"
}

@test "LIBSVM: a bad token and a huge feature index are exit 1 naming the file, no OOM" {
	printf '1 1:1 2000000000:1\n0 1:2\n' > "$TMP/huge.svm"
	bad imb-import libsvm "$TMP/huge.svm" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"huge.svm"*"tensor limit"* ]]
	no_output "$TMP/out.imb"
	printf '1 1:1 x:2\n' > "$TMP/tok.svm"
	bad imb-import libsvm "$TMP/tok.svm" -o "$TMP/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"tok.svm"*"line 1"* ]]
	no_output "$TMP/out.imb"
}

@test "a missing input file is exit 1 naming it; -o into a missing directory is exit 1" {
	bad imb-cat "$TMP/nothere.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"nothere.imb: No such file"* ]]
	bad imb-import toy moons -o "$TMP/no/dir/out.imb"
	[ "$status" -eq 1 ] && [[ "$stderr" == *"no/dir/out.imb"* ]]
}

# ---- outputs and signals ----

@test "/dev/full as stdout: every frame writer and text printer exits 1 with a write error" {
	good > "$TMP/g.imb"
	imb-train -q "$TMP/g.imb" > "$TMP/m.imb"
	good test 3 >> "$TMP/m.imb"
	for cmd in "imb-import toy moons" "imb-cat $TMP/g.imb" "imb-split $TMP/g.imb" \
	           "imb-oversample $TMP/g.imb" "imb-train -q $TMP/g.imb" "imb-eval $TMP/m.imb" \
	           "imb-eval -f tsv $TMP/m.imb" "imb-eval -f json $TMP/m.imb" "imb-info $TMP/g.imb" \
	           "imb-info --json $TMP/g.imb"; do
		run --separate-stderr bash -c "$cmd > /dev/full"
		echo "$cmd: $status $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"write error"* ]]
	done
}

@test "-o /dev/full is a write error (exit 1) and leaves the device in place" {
	run --separate-stderr imb-import toy moons -o /dev/full
	[ "$status" -eq 1 ] && [[ "$stderr" == *"/dev/full: write error"* ]]
	[ -c /dev/full ]
	run imb-import toy moons -o /dev/null
	[ "$status" -eq 0 ] && [ -c /dev/null ]
}

@test "a reader that closes early: SIGPIPE ends the writer quietly, no error spam" {
	run --separate-stderr bash -c 'imb-import fashion-mnist | head -c 100 | wc -c; echo "${PIPESTATUS[*]}"'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" -eq 100 ]
	[ "${lines[1]}" = "141 0 0" ]
	run --separate-stderr bash -c 'imb-import toy moons --n 20000 | imb-oversample | head -c 10 > /dev/null; echo "${PIPESTATUS[*]}"'
	[ -z "$stderr" ]
	# imb-oversample may have written all into the pipe's buffer before
	# head left (exit 0) or met the closed pipe (SIGPIPE): both are quiet
	[[ "$output" =~ ^(0|141)\ (0|141)\ 0$ ]]
}

@test "SIGTERM to imb-cat -o FILE mid-stream: killed by the signal, no file, no temp file" {
	start_fifo imb-cat -o "$TMP/out.imb"
	kill -TERM $PID
	st=0; wait $PID || st=$?
	exec 7>&-
	[ "$st" -eq 143 ]
	no_output "$TMP/out.imb"
}

@test "SIGINT to imb-oversample -o FILE mid-stream: no file, no temp file" {
	start_fifo imb-oversample -o "$TMP/out.imb"
	kill -INT $PID
	st=0; wait $PID || st=$?
	exec 7>&-
	[ "$st" -eq 130 ]
	no_output "$TMP/out.imb"
}

@test "SIGTERM to imb-train (xgboost) -o FILE while it works: no file, no temp file" {
	imb-import toy blobs --n 20000 --seed 3 > "$TMP/big.imb"
	imb-train -q -r 2000 -t 1 -o "$TMP/out.imb" "$TMP/big.imb" & pid=$!
	sleep 1
	kill -TERM $pid
	st=0; wait $pid || st=$?
	[ "$st" -eq 143 ]
	no_output "$TMP/out.imb"
}

# ---- regressions ----

# status must be 0 or 1 (never a signal or a sanitizer's 99); 1 says why
replay_ok() {
	run --separate-stderr $LIM "$@"
	echo "$* -> $status: $stderr"
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	[ "$status" -eq 0 ] || [ -n "$stderr" ]
}

@test "every input in tests/regress replays to exit 0 or 1 with a message, never a crash" {
	shopt -s nullglob
	n=0
	for f in "$ROOT"/tests/regress/csv/*; do replay_ok imb-import csv "$f" --label 0; n=$((n + 1)); done
	for f in "$ROOT"/tests/regress/libsvm/*; do replay_ok imb-import libsvm "$f"; n=$((n + 1)); done
	for f in "$ROOT"/tests/regress/images/*; do # one image in a class folder
		mkdir -p "$TMP/img$n/cls"
		cp "$f" "$TMP/img$n/cls/"
		replay_ok imb-import images "$TMP/img$n"
		n=$((n + 1))
	done
	for f in "$ROOT"/tests/regress/frame/*; do
		for cmd in imb-cat imb-info imb-split "imb-oversample --method random" \
		           "imb-oversample --method smote" "imb-train -q" "imb-train -q -m svm" \
		           "imb-train -q -m linear-svm" imb-eval; do
			replay_ok $cmd "$f"
		done
		n=$((n + 1))
	done
	[ "$n" -ge 7 ]
}
