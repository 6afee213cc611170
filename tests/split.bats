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
	! same "$TMP/o1.imb" "$TMP/o3.imb" || false
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

# the stratified modes: per-class counts of each output set and whether the
# sets use each source row exactly once.
# usage: strat.py SOURCE OUTPUT... prints one line per output frame,
#   name counts, then rows=ok when the output frames' rows (x and class
#   name), taken together, are the source's rows, each once; else the
#   numbers missing and extra
STRAT='
import sys, msgpack, collections
def frames(p):
    with open(p, "rb") as fh:
        return [f for f in msgpack.Unpacker(fh, raw=False) if f["kind"] == "dataset"]
def rows(f):
    x, y = f["tensors"]["x"], f["tensors"]["y"]
    n = x["shape"][0]; r = len(x["data"]) // n
    names = f["attrs"]["classes"]
    return [(x["data"][i * r:(i + 1) * r], names[int.from_bytes(y["data"][4 * i:4 * i + 4], "little", signed=True)])
            for i in range(n)]
src = collections.Counter(r for f in frames(sys.argv[1]) for r in rows(f))
got = collections.Counter()
for p in sys.argv[2:]:
    for f in frames(p):
        print(f["name"], f["attrs"]["counts"])
        got.update(rows(f))
print("rows=ok" if got == src else "rows: %d missing, %d extra" % (sum((src - got).values()), sum((got - src).values())))
'
strat() { $PY -c "$STRAT" "$@"; }

# a table of five classes of 503, 211, 97, 29 and 7 rows, through imb-import csv
five() {
	$PY -c '
import random
rng = random.Random(3)
rows = [(rng.gauss(k, 1), rng.gauss(-k, 1), "k%d" % k) for k, c in enumerate([503, 211, 97, 29, 7]) for _ in range(c)]
rng.shuffle(rows)
print("a,b,label")
for r in rows:
    print("%.6f,%.6f,%s" % r)' > "$TMP/five.csv"
	imb-import csv "$TMP/five.csv" --label label > "$TMP/five.imb"
}

@test "stratified: every row used once, each class's share kept to a row, scikit-learn's test counts" {
	five
	imb-import toy blobs --n 1000 --ratio 0.2 > "$TMP/b.imb"
	for src in b five; do
		for f in 0.2 0.3 0.25 37; do
			imb-split --stratified --test-size $f --seed 3 "$TMP/$src.imb" > "$TMP/o.imb"
			run strat "$TMP/$src.imb" "$TMP/o.imb"
			assert_line --index 2 "rows=ok"
			# within one row of the exact share; the counts scikit-learn's
			# train_test_split(stratify=y) gives on the same labels
			run $PY -c '
import sys, math, msgpack, numpy as np
from sklearn.model_selection import train_test_split
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
tr, te = fs[0]["attrs"]["counts"], fs[1]["attrs"]["counts"]
c = np.array(tr) + np.array(te); n = c.sum(); f = sys.argv[2]
f = int(f) if f.isdigit() else float(f)
nt = f if isinstance(f, int) else math.ceil(f * n)
assert sum(te) == nt, (te, nt)
assert all(abs(te[k] - c[k] * nt / n) < 1 for k in range(len(c))), te
y = np.repeat(np.arange(len(c)), c)
_, yt = train_test_split(y, test_size=f, stratify=y, random_state=0)
sk = np.bincount(yt, minlength=len(c)).tolist()
print("same" if sk == te else "sklearn %s, imb-split %s" % (sk, te))' "$TMP/o.imb" $f
			assert_success
			assert_output "same"
		done
	done
	run bash -c "imb-split --stratified --test-size 0.2 --seed 3 $TMP/five.imb | imb-info -"
	assert_output --partial "split: stratified=true test_size=0.2 seed=3 n_train=677 n_test=170 pool=shared"
	# the default test size is a quarter, as scikit-learn's
	imb-split --stratified --seed 3 "$TMP/five.imb" > "$TMP/d.imb"
	imb-split --test-size 0.25 --seed 3 "$TMP/five.imb" > "$TMP/q.imb"
	same "$TMP/d.imb" "$TMP/q.imb"
	run strat "$TMP/five.imb" "$TMP/d.imb"
	assert_line --index 1 "test [126, 53, 24, 7, 2]"
}

@test "stratified with a val set: the three sets use every row once, same seed same bytes" {
	five
	imb-split --stratified --test-size 0.2 --val-size 0.1 --seed 5 "$TMP/five.imb" > "$TMP/o.imb"
	run strat "$TMP/five.imb" "$TMP/o.imb"
	# val: ceil(0.1 * 677) = 68 rows of train's 677, split as
	# train_test_split(stratify=y) splits train's labels
	assert_output "train [362, 152, 69, 21, 5]
val [40, 17, 8, 2, 1]
test [101, 42, 20, 6, 1]
rows=ok"
	imb-split --stratified --test-size 0.2 --n-val 0.1 --seed 5 "$TMP/five.imb" > "$TMP/o2.imb"
	same "$TMP/o.imb" "$TMP/o2.imb"
	imb-split --stratified --test-size 0.2 --val-size 0.1 --seed 6 "$TMP/five.imb" > "$TMP/o3.imb"
	! same "$TMP/o.imb" "$TMP/o3.imb" || false
	run strat "$TMP/five.imb" "$TMP/o3.imb"
	assert_line --index 3 "rows=ok"
}

@test "folds: the K test folds partition the rows, StratifiedKFold's class counts, same seed same bytes" {
	five
	for i in 1 2 3 4 5; do
		imb-split --folds 5 --fold $i --seed 2 "$TMP/five.imb" > "$TMP/f$i.imb"
		run strat "$TMP/five.imb" "$TMP/f$i.imb"
		assert_line --index 2 "rows=ok"
		$PY -c '
import sys, msgpack
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
assert [f["name"] for f in fs] == ["train", "test"]
sys.stdout.buffer.write(msgpack.packb(fs[1], use_bin_type=True))' "$TMP/f$i.imb" > "$TMP/t$i.imb"
	done
	# the test folds together: every row once
	run strat "$TMP/five.imb" "$TMP"/t[1-5].imb
	assert_output "test [101, 42, 20, 5, 2]
test [101, 42, 19, 6, 2]
test [101, 42, 19, 6, 1]
test [100, 43, 19, 6, 1]
test [100, 42, 20, 6, 1]
rows=ok"
	# scikit-learn's StratifiedKFold(5) on the same labels
	run $PY -c '
import numpy as np
from sklearn.model_selection import StratifiedKFold
y = np.repeat(np.arange(5), [503, 211, 97, 29, 7])
for _, t in StratifiedKFold(5).split(np.zeros(len(y)), y):
    print("test", np.bincount(y[t], minlength=5).tolist())'
	assert_output "test [101, 42, 20, 5, 2]
test [101, 42, 19, 6, 2]
test [101, 42, 19, 6, 1]
test [100, 43, 19, 6, 1]
test [100, 42, 20, 6, 1]"
	run bash -c "imb-info $TMP/f4.imb | grep -m1 split:"
	assert_output "  split: stratified=true folds=5 fold=4 seed=2 n_train=678 n_test=169 pool=shared"
	imb-split --folds 5 --fold 4 --seed 2 < "$TMP/five.imb" > "$TMP/g4.imb"
	same "$TMP/f4.imb" "$TMP/g4.imb"
	imb-split --folds 5 --fold 4 --seed 2 "$TMP/five.imb" | cmp - "$TMP/f4.imb"
	imb-split --folds 5 --fold 4 --seed 3 "$TMP/five.imb" > "$TMP/h4.imb"
	! same "$TMP/f4.imb" "$TMP/h4.imb" || false
}

@test "folds through XGBoost: imb-eval --aggregate over a key without fold averages the K folds" {
	imb-import toy blobs --n 600 --ratio 0.2 > "$TMP/b.imb"
	for i in 1 2 3; do
		imb-split --folds 3 --fold $i --seed 1 "$TMP/b.imb" | imb-train --model xgboost | imb-eval --metrics-only > "$TMP/m$i.imb"
	done
	cat "$TMP"/m[123].imb | imb-eval --aggregate model,folds > "$TMP/agg.tsv"
	[ "$(tsvcol n < "$TMP/agg.tsv")" = 3 ]
	[ "$(tsvcol folds < "$TMP/agg.tsv")" = 3 ]
	cat "$TMP"/m[123].imb | imb-eval --aggregate fold > "$TMP/fold.tsv"
	[ "$(tsvcol fold < "$TMP/fold.tsv" | tr '\n' ' ')" = "1 2 3 " ]
	[ "$(tsvcol n < "$TMP/fold.tsv" | tr '\n' ' ')" = "1 1 1 " ]
	# the mean is the mean of the three folds' accuracies
	a=$(for i in 1 2 3; do imb-eval --aggregate fold "$TMP/m$i.imb" | tsvcol accuracy_mean; done)
	m=$(cat "$TMP"/m[123].imb | imb-eval --aggregate folds | tsvcol accuracy_mean)
	run $PY -c 'import sys; a = [float(v) for v in sys.argv[1].split()]; print(abs(sum(a) / 3 - float(sys.argv[2])) < 1e-5, len(set(a)) > 1)' "$a" "$m"
	assert_output "True True"
}

@test "a train and a test frame: --stratified keeps them, --folds makes fold I the val set" {
	$PY "$MK" dataset train 300 3 3 --seed 1 > "$TMP/tr.imb"
	$PY "$MK" dataset test 90 3 3 --seed 2 > "$TMP/te.imb"
	cat "$TMP/tr.imb" "$TMP/te.imb" > "$TMP/s.imb"
	imb-split --stratified --classes c2,c0 "$TMP/s.imb" > "$TMP/o.imb"
	run show < "$TMP/o.imb"
	assert_output "dataset train 200 [100, 100]
dataset test 60 [30, 30]"
	run rows "$TMP/o.imb" "$TMP/tr.imb" "$TMP/te.imb"
	assert_output "dup=0
from_train=0 label_train=0
from_test=0 label_test=0"
	imb-split --stratified --val-size 50 --seed 1 "$TMP/s.imb" > "$TMP/v.imb"
	run strat "$TMP/tr.imb" "$TMP/v.imb"
	assert_line --index 0 "train [84, 83, 83]"
	assert_line --index 1 "val [16, 17, 17]"
	run imb-split --stratified --test-size 0.2 "$TMP/s.imb"
	assert_failure 1
	assert_output --partial "already holds a test set"
	imb-split --folds 4 --fold 3 --seed 1 "$TMP/s.imb" > "$TMP/k.imb"
	run show < "$TMP/k.imb"
	assert_output "dataset train 225 [75, 75, 75]
dataset val 75 [25, 25, 25]
dataset test 90 [30, 30, 30]"
	# train and val: the train frame's rows; test: the test frame's
	run strat "$TMP/s.imb" "$TMP/k.imb"
	assert_line --index 3 "rows=ok"
	run rows "$TMP/k.imb" "$TMP/tr.imb" "$TMP/te.imb"
	assert_output "dup=0
from_train=0 label_train=0
from_val=0 label_val=0
from_test=0 label_test=0"
}

@test "Fashion-MNIST: classes by name are the classes by index; a name not there lists the names" {
	[ -e "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "no Fashion-MNIST in $FMNIST"
	imb-import fashion-mnist > "$TMP/fm.imb"
	imb-split --classes 0,6 --stratified --val-size 0.1 --seed 1 "$TMP/fm.imb" > "$TMP/i.imb"
	imb-split --classes T-shirt/top,Shirt --stratified --val-size 0.1 --seed 1 "$TMP/fm.imb" > "$TMP/n.imb"
	imb-split --classes t-shirt/TOP,shirt --stratified --val-size 0.1 --seed 1 "$TMP/fm.imb" > "$TMP/c.imb"
	same "$TMP/i.imb" "$TMP/n.imb"
	same "$TMP/i.imb" "$TMP/c.imb"
	run bash -c "imb-info $TMP/n.imb | grep -E '^  (classes|split)|^      [01] '"
	assert_output "  classes: 2, samples: 10800, imbalance ratio (rarest/most frequent): 1
      0 T-shirt/top      5400
      1 Shirt            5400
  split: stratified=true val_size=0.1 seed=1 n_train=10800 n_test=2000 n_val=1200 pool=separate
  classes: 2, samples: 1200, imbalance ratio (rarest/most frequent): 1
      0 T-shirt/top      600
      1 Shirt            600
  split: stratified=true val_size=0.1 seed=1 n_train=10800 n_test=2000 n_val=1200 pool=separate
  classes: 2, samples: 2000, imbalance ratio (rarest/most frequent): 1
      0 T-shirt/top      1000
      1 Shirt            1000
  split: stratified=true val_size=0.1 seed=1 n_train=10800 n_test=2000 n_val=1200 pool=separate"
	# names in the controlled-ratio mode too
	imb-split --classes Shirt,0 --train-ratio 0.1 --n-train 1100 --n-test 200 --seed 2 "$TMP/fm.imb" > "$TMP/r1.imb"
	imb-split --classes 6,0 --train-ratio 0.1 --n-train 1100 --n-test 200 --seed 2 "$TMP/fm.imb" > "$TMP/r2.imb"
	same "$TMP/r1.imb" "$TMP/r2.imb"
	run imb-split --classes Shirt,Hat --stratified "$TMP/fm.imb"
	assert_failure 1
	assert_output --partial "class 'Hat' is not in frame 1 (dataset 'train'); its classes are: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot"
	run imb-split --classes 6,shirt --stratified "$TMP/fm.imb"
	assert_failure 1
	assert_output --partial "class 6 (Shirt) is listed twice"
}

@test "stratified and fold errors: usage errors exit 2 naming the flags, data errors exit 1, -o leaves no file" {
	five
	check2() {
		run imb-split "$@" -o "$TMP/out.imb" "$TMP/five.imb"
		[ "$status" -eq 2 ] || { echo "$*: status $status: $output"; return 1; }
		[ ! -e "$TMP/out.imb" ] || { echo "$*: left a file"; return 1; }
	}
	check2 --folds 5 --fold 0
	assert_output --partial "--fold"
	check2 --folds 5 --fold 6
	assert_output --partial "--fold 6 is out of range: --folds 5 gives folds 1..5"
	check2 --folds 5
	assert_output --partial "--folds needs --fold"
	check2 --fold 2
	check2 --folds 1 --fold 1
	check2 --stratified --test-size 1.5
	assert_output --partial "--test-size: '1.5' is neither a fraction in (0, 1) nor a row count >= 1"
	check2 --test-size 0
	check2 --stratified --val-size 1.0
	check2 --stratified --train-ratio 0.5
	assert_output --partial "--stratified does not go with --train-ratio"
	check2 --test-size 0.2 --test-ratio 1
	assert_output --partial "--test-size does not go with --test-ratio"
	check2 --folds 3 --fold 1 --fixed minority --n-minority 5 --n-majority 50
	assert_output --partial "--folds does not go with --fixed"
	check2 --folds 3 --fold 1 --test-size 0.2
	assert_output --partial "--test-size does not go with --folds"
	check2 --stratified --n-test 40
	check2 --classes k0,k0
	run imb-split --folds 8 --fold 1 -o "$TMP/out.imb" "$TMP/five.imb"
	assert_failure 1
	assert_output --partial "class 4 (k4) has 7 rows in frame 1 (dataset 'train'), fewer than the 8 folds"
	[ ! -e "$TMP/out.imb" ]
	run imb-split --stratified --test-size 4 "$TMP/five.imb"
	assert_failure 1
	assert_output --partial "cannot hold one of each of the 5 classes"
	run imb-split --classes k0,k9 --stratified "$TMP/five.imb"
	assert_failure 1
	assert_output --partial "class 'k9' is not in frame 1 (dataset 'train'); its classes are: k0, k1, k2, k3, k4"
	$PY "$MK" raw '{"tensors":{"x":{"dtype":"f32","shape":[5,1],"values":[1,2,3,4,5]},"y":{"dtype":"i32","shape":[5],"values":[0,0,0,0,1]}},"attrs":{"classes":["a","b"]}}' > "$TMP/one.imb"
	run imb-split --stratified "$TMP/one.imb"
	assert_failure 1
	assert_output --partial "class 1 (b) has 1 row in frame 1 (dataset 'train'): a stratified split needs 2 or more of each class"
}
