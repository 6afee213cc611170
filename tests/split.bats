#!/usr/bin/env bats
# imb-split: controlled-imbalance train/test/val sets from dataset frames.
load helpers

MK="$ROOT/tests/mkframe.py"

# one line per frame: kind name n counts
SHOW='
import sys, msgpack, struct
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    a = f.get("attrs", {})
    print(f["kind"], f.get("name", ""), a.get("n", "-"), a.get("counts", "-"))
'
show() { $PY -c "$SHOW"; }

# rows as tuples of x values: checks on which samples went where.
# usage: rows.py SPLIT_OUTPUT SOURCE... prints
#   dup=<rows used twice across the output sets>
#   from_<name>=<rows of output set name not found in the source frame of
#   the same pool (train/val: source train or the only frame, test: source
#   test or the only frame)> and label=<rows whose class does not map back>
ROWS='
import sys, msgpack, struct
def frames(p):
    with open(p, "rb") as fh:
        return [f for f in msgpack.Unpacker(fh, raw=False) if f["kind"] == "dataset"]
def rows(f):
    x, y = f["tensors"]["x"], f["tensors"]["y"]
    n, d = x["shape"][0], x["shape"][1]
    v = struct.unpack("<%df" % (n * d), x["data"])
    yy = struct.unpack("<%di" % n, y["data"])
    return [(tuple(v[i * d:(i + 1) * d]), yy[i]) for i in range(n)]
out = frames(sys.argv[1])
src = {}
for p in sys.argv[2:]:
    for f in frames(p):
        src[f["name"]] = f
if len(src) == 1:
    only = list(src.values())[0]
    src = {"train": only, "test": only}
seen, dup = set(), 0
for f in out:
    for r, _ in rows(f):
        dup += r in seen
        seen.add(r)
print("dup=%d" % dup)
for f in out:
    pool = "test" if f["name"] == "test" else "train"
    s = dict(rows(src[pool]))
    cls = f["attrs"]["split"]["classes"]
    miss = sum(1 for r, _ in rows(f) if r not in s)
    bad = sum(1 for r, y in rows(f) if r in s and s[r] != cls[y])
    print("from_%s=%d label_%s=%d" % (f["name"], miss, f["name"], bad))
'
rows() { $PY -c "$ROWS" "$@"; }

# two streams equal but for attrs.history (whose argv names the files)
SAME='
import sys, msgpack
def load(p):
    fs = list(msgpack.Unpacker(open(p, "rb"), raw=False))
    for f in fs:
        f.get("attrs", {}).pop("history", None)
    return fs
sys.exit(0 if load(sys.argv[1]) == load(sys.argv[2]) else 1)
'
same() { $PY -c "$SAME" "$1" "$2"; }

@test "one frame: train and balanced test, disjoint, relabelled, from a pipe" {
	$PY "$MK" dataset train 400 3 4 --seed 1 > "$TMP/a.imb"
	run bash -c "cat $TMP/a.imb | imb-split --classes 2,0 --train-ratio 0.25 --n-train 100 --n-test 40 --seed 1 | tee $TMP/o.imb | $PY -c '$SHOW'"
	assert_success
	assert_line --index 0 "dataset train 100 [80, 20]"
	assert_line --index 1 "dataset test 40 [20, 20]"
	run rows "$TMP/o.imb" "$TMP/a.imb"
	assert_output "dup=0
from_train=0 label_train=0
from_test=0 label_test=0"
}

@test "'-' and a file argument read the same; same seed, same bytes; other seed differs" {
	$PY "$MK" dataset train 200 3 2 > "$TMP/a.imb"
	imb-split --train-ratio 0.5 --seed 4 - < "$TMP/a.imb" > "$TMP/o1.imb"
	imb-split --train-ratio 0.5 --seed 4 "$TMP/a.imb" > "$TMP/o2.imb"
	same "$TMP/o1.imb" "$TMP/o2.imb"
	cat "$TMP/a.imb" | imb-split --train-ratio 0.5 --seed 4 - > "$TMP/o4.imb"
	cmp "$TMP/o4.imb" "$TMP/o1.imb"
	imb-split --train-ratio 0.5 --seed 5 "$TMP/a.imb" > "$TMP/o3.imb"
	! same "$TMP/o1.imb" "$TMP/o3.imb"
}

@test "train and test frames: test samples come from the source test frame" {
	$PY "$MK" dataset train 300 3 3 --seed 1 > "$TMP/tr.imb"
	$PY "$MK" dataset test 90 3 3 --seed 2 > "$TMP/te.imb"
	cat "$TMP/tr.imb" "$TMP/te.imb" | imb-split --classes 1,2 --train-ratio 0.1 --n-val 20 --seed 3 > "$TMP/o.imb"
	run show < "$TMP/o.imb"
	# train: the most class 1 (100 rows) allows after its 18 val rows
	assert_line --index 0 "dataset train 90 [82, 8]"
	assert_line --index 1 "dataset val 20 [18, 2]"
	assert_line --index 2 "dataset test 60 [30, 30]"
	run rows "$TMP/o.imb" "$TMP/tr.imb" "$TMP/te.imb"
	assert_output "dup=0
from_train=0 label_train=0
from_val=0 label_val=0
from_test=0 label_test=0"
}

@test "other frames are forwarded unchanged and in order" {
	$PY "$MK" raw '{"kind":"log","name":"a","attrs":{"k":1}}' > "$TMP/s.imb"
	$PY "$MK" dataset train 60 2 2 >> "$TMP/s.imb"
	$PY "$MK" raw '{"kind":"metrics","name":"b"}' >> "$TMP/s.imb"
	$PY "$MK" dataset test 20 2 2 >> "$TMP/s.imb"
	$PY "$MK" raw '{"kind":"log","name":"c"}' >> "$TMP/s.imb"
	run bash -c "imb-split --seed 1 < $TMP/s.imb | $PY -c '$SHOW'"
	assert_success
	assert_output "log a - -
dataset train 60 [30, 30]
dataset test 20 [10, 10]
metrics b - -
log c - -"
	$PY "$MK" raw '{"kind":"log","name":"a","attrs":{"k":1}}' > "$TMP/a1.imb"
	imb-split --seed 1 < "$TMP/s.imb" | head -c "$(stat -c %s "$TMP/a1.imb")" | cmp - "$TMP/a1.imb"
}

@test "attrs.split, history and class names are recorded" {
	$PY "$MK" dataset train 100 2 3 > "$TMP/a.imb"
	imb-split --classes 2,1 --train-ratio 0.5 --seed 9 "$TMP/a.imb" > "$TMP/o.imb"
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    a = f["attrs"]
    print(f["name"], a["classes"], a["split"]["classes"], a["split"]["train_ratio"], a["split"]["seed"],
          a["history"][-1]["tool"], a["history"][-1]["seed"], a["imbalance_ratio"])' "$TMP/o.imb"
	assert_line --index 0 "train ['c2', 'c1'] [2, 1] 0.5 9 imb-split 9 0.48"
	assert_line --index 1 "test ['c2', 'c1'] [2, 1] 0.5 9 imb-split 9 1.0"
}

@test "step and exp profiles over four classes" {
	$PY "$MK" dataset train 800 2 4 > "$TMP/a.imb"
	run bash -c "imb-split --profile step --train-ratio 0.1 --n-train 220 --n-test 40 $TMP/a.imb | $PY -c '$SHOW'"
	assert_line --index 0 "dataset train 220 [100, 100, 10, 10]"
	run bash -c "imb-split --profile exp --train-ratio 0.01 --n-test 40 $TMP/a.imb | $PY -c '$SHOW'"
	# exp: 1, 0.215, 0.046, 0.01 of the most the 190 remaining rows allow
	assert_line --index 0 "dataset train 239 [190, 40, 8, 1]"
}

@test "fixed minority: majority samples are added, the minority kept" {
	$PY "$MK" dataset train 400 2 2 > "$TMP/a.imb"
	imb-split --fixed minority --n-minority 10 --n-majority 40 --n-test 20 --seed 2 "$TMP/a.imb" > "$TMP/o1.imb"
	imb-split --fixed minority --n-minority 10 --n-majority 120 --n-test 20 --seed 2 "$TMP/a.imb" > "$TMP/o2.imb"
	run show < "$TMP/o1.imb"
	assert_line --index 0 "dataset train 50 [40, 10]"
	run show < "$TMP/o2.imb"
	assert_line --index 0 "dataset train 130 [120, 10]"
	run $PY -c '
import sys, msgpack
def tr(p):
    f = next(msgpack.Unpacker(open(p, "rb"), raw=False))
    x, y = f["tensors"]["x"]["data"], f["tensors"]["y"]["data"]
    n = f["tensors"]["x"]["shape"][0]; r = len(x) // n
    return {(x[i*r:(i+1)*r], y[4*i:4*i+4]) for i in range(n)}
a, b = tr(sys.argv[1]), tr(sys.argv[2])
print(a <= b)' "$TMP/o1.imb" "$TMP/o2.imb"
	assert_output "True"
}

@test "asking for more samples than exist is exit 1 saying how many" {
	$PY "$MK" dataset train 100 2 2 > "$TMP/a.imb"
	run imb-split --classes 0,1 --n-train 200 --seed 1 "$TMP/a.imb"
	assert_failure 1
	assert_output --partial "class 0 (c0) has 50 samples in frame 1 (dataset 'train'), 100 requested"
}

@test "an unknown class is exit 1 naming it" {
	$PY "$MK" dataset train 100 2 2 > "$TMP/a.imb"
	run imb-split --classes 0,6 "$TMP/a.imb"
	assert_failure 1
	assert_output --partial "class 6 does not exist"
	run imb-split --classes -1,0 "$TMP/a.imb"
	assert_failure 1
	assert_output --partial "class -1 does not exist"
}

@test "impossible ratios and bad flags are usage errors (exit 2)" {
	$PY "$MK" dataset train 100 2 2 > "$TMP/a.imb"
	for a in "--train-ratio 0" "--train-ratio 1.5" "--test-ratio -1" "--train-ratio x" \
	         "--profile zigzag" "--fixed some" "--n-train 0" "--fixed minority" \
	         "--n-minority 5" "--val-ratio 0.5" "--classes 1,1" "--bogus" \
	         "--n-minority 10 --n-majority 5" "--fixed minority --n-minority 5 --n-train 10"; do
		run imb-split $a "$TMP/a.imb"
		[ "$status" -eq 2 ] || { echo "$a: status $status: $output"; false; }
	done
	run imb-split --train-ratio 0 "$TMP/a.imb"
	assert_output --partial "--train-ratio"
}

@test "bad input: truncated stream, wrong version, no dataset, two unnamed sets" {
	$PY "$MK" dataset train 100 4 2 | head -c 300 > "$TMP/cut.imb"
	run imb-split "$TMP/cut.imb"
	assert_failure 1
	$PY "$MK" raw '{"imb":2,"kind":"dataset"}' > "$TMP/v2.imb"
	run imb-split "$TMP/v2.imb"
	assert_failure 1
	assert_output --partial "version"
	$PY "$MK" raw '{"kind":"log","name":"a"}' > "$TMP/log.imb"
	run imb-split "$TMP/log.imb"
	assert_failure 1
	assert_output --partial "no dataset frame"
	( $PY "$MK" dataset a 20 2 2; $PY "$MK" dataset b 20 2 2 ) > "$TMP/ab.imb"
	run imb-split "$TMP/ab.imb"
	assert_failure 1
	assert_output --partial "'train'"
	$PY "$MK" raw '{"tensors":{"x":{"dtype":"f32","shape":[2,1],"values":[1,2]},"y":{"dtype":"f32","shape":[2],"values":[0,1]}}}' > "$TMP/yf.imb"
	run imb-split "$TMP/yf.imb"
	assert_failure 1
	assert_output --partial "tensor 'y'"
}

@test "-o is atomic: no file on failure, the whole file on success" {
	$PY "$MK" dataset train 100 2 2 > "$TMP/a.imb"
	run imb-split --n-train 500 -o "$TMP/o.imb" "$TMP/a.imb"
	assert_failure 1
	[ -z "$(ls -A "$TMP" | grep o.imb)" ]
	run imb-split --seed 3 -o "$TMP/o.imb" "$TMP/a.imb"
	assert_success
	imb-split --seed 3 "$TMP/a.imb" > "$TMP/p.imb"
	same "$TMP/p.imb" "$TMP/o.imb"
}

@test "--help and --version" {
	run imb-split --help
	assert_success
	assert_output --partial "--train-ratio"
	run imb-split --version
	assert_success
	assert_output --partial "imb-split"
}

@test "Fashion-MNIST: the paper's split keeps the official test set; too many Shirts says how many exist" {
	[ -e "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "no Fashion-MNIST in $FMNIST"
	# the frames imb-import writes, made without it (bench/smote_ref.py)
	$PY "$ROOT/bench/smote_ref.py" fashion "$FMNIST" > "$TMP/fm.imb"
	run bash -c "imb-split --classes 0,6 --train-ratio 0.05 --n-train 2000 --n-test 1000 --seed 2 < $TMP/fm.imb | $PY -c '$SHOW'"
	assert_success
	assert_output "dataset train 2000 [1905, 95]
dataset test 1000 [500, 500]"
	run imb-split --classes 6,0 --n-train 13000 "$TMP/fm.imb"
	assert_failure 1
	assert_output --partial "class 6 (Shirt) has 6000 samples in frame 1 (dataset 'train'), 6500 requested"
	run imb-split --classes 6,0 --n-test 2400 "$TMP/fm.imb"
	assert_failure 1
	assert_output --partial "class 6 (Shirt) has 1000 samples in frame 2 (dataset 'test'), 1200 requested"
}
