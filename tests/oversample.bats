#!/usr/bin/env bats
# imb-oversample: random over/undersampling and SMOTE on train frames.
load helpers

MK="$ROOT/tests/mkframe.py"

SHOW='
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    a = f.get("attrs", {})
    print(f["kind"], f.get("name", ""), a.get("n", "-"), a.get("counts", "-"))
'
show() { $PY -c "$SHOW"; }

# imblearn as the oracle: ORACLE IN OUT METHOD RATIO K prints
#   counts <ours> imblearn <theirs>   per-class counts after re-sampling
#   kept <True|False>                 the source rows are kept (random, smote:
#                                     as a prefix; under: a subsequence)
#   segment <m>/<n>                   smote: new rows on a segment from a sample
#                                     to one of its k nearest same-class
#                                     neighbours (sklearn NearestNeighbors);
#                                     random: new rows equal to a same-class row
ORACLE='
import sys, msgpack, numpy as np
from collections import Counter
from sklearn.neighbors import NearestNeighbors
import imblearn.over_sampling as io, imblearn.under_sampling as iu
src_p, out_p, method, ratio, k = sys.argv[1:6]
ratio, k = float(ratio), int(k)
def train(p):
    for f in msgpack.Unpacker(open(p, "rb"), raw=False):
        if f["kind"] == "dataset" and f["name"] == "train":
            x, y = f["tensors"]["x"], f["tensors"]["y"]
            dt = {"f32": np.float32, "u8": np.uint8}[x["dtype"]]
            global u8
            u8 = x["dtype"] == "u8"
            return (np.frombuffer(x["data"], dt).reshape(x["shape"]).astype(np.float64),
                    np.frombuffer(y["data"], np.int32))
x, y = train(src_p)
ox, oy = train(out_p)
K = int(max(y.max(), oy.max())) + 1
binary = len(set(y)) == 2
strat = ratio if binary else "auto"
if method == "smote":
    s = io.SMOTE(sampling_strategy=strat, k_neighbors=k, random_state=0)
elif method == "random":
    s = io.RandomOverSampler(sampling_strategy=strat, random_state=0)
else:
    s = iu.RandomUnderSampler(sampling_strategy=strat, random_state=0)
rx, ry = s.fit_resample(x, y)
cnt = lambda v: [int(Counter(v.tolist())[c]) for c in range(K)]
print("counts", cnt(oy), "imblearn", cnt(ry))
n = len(y)
if method == "under":
    j = 0
    for r in ox:
        while j < n and not np.array_equal(x[j], r):
            j += 1
        j += 1
    print("kept", j <= n)
    sys.exit(0)
print("kept", bool(np.array_equal(ox[:n], x) and np.array_equal(oy[:n], y)))
good = 0
for c in set(oy[n:].tolist()):
    xc = x[y == c]
    new = ox[n:][oy[n:] == c]
    if method == "random":
        good += sum(bool((np.abs(xc - z).max(axis=1) == 0).any()) for z in new)
        continue
    nn = NearestNeighbors(n_neighbors=k + 1).fit(xc).kneighbors(xc, return_distance=False)[:, 1:]
    a = np.repeat(xc, k, axis=0)
    b = xc[nn.reshape(-1)]
    ab = b - a
    tol = 0.5 + 1e-6 if u8 else 1e-4
    for z in new:
        # some u in [0, 1] puts every coordinate within tol of a + u (b - a)
        with np.errstate(divide="ignore", invalid="ignore"):
            u1 = (z - tol - a) / ab
            u2 = (z + tol - a) / ab
        flat = ab == 0
        near = np.abs(z - a) <= tol
        lo = np.where(flat, -np.inf, np.minimum(u1, u2)).max(1)
        hi = np.where(flat, np.inf, np.maximum(u1, u2)).min(1)
        ok = (np.maximum(lo, 0) <= np.minimum(hi, 1)) & (near | ~flat).all(1)
        good += bool(ok.any())
print("segment %d/%d" % (good, len(oy) - n))
'
oracle() { $PY -c "$ORACLE" "$@"; }

@test "smote balances the train frame like imblearn and every new point is on a kNN segment" {
	$PY "$MK" dataset train 170 4 2 --seed 1 > "$TMP/a.imb"
	# make it imbalanced: 75 majority, 10 minority
	imb-split --train-ratio 0.13 --n-test 10 --n-train 85 --seed 1 "$TMP/a.imb" > "$TMP/s.imb"
	run show < "$TMP/s.imb"
	assert_line --index 0 "dataset train 85 [75, 10]"
	imb-oversample --method smote --k 3 --seed 2 < "$TMP/s.imb" > "$TMP/o.imb"
	run oracle "$TMP/s.imb" "$TMP/o.imb" smote 1 3
	assert_output "counts [75, 75] imblearn [75, 75]
kept True
segment 65/65"
	# the check can fail: against the first neighbour only, many are off
	run oracle "$TMP/s.imb" "$TMP/o.imb" smote 1 1
	refute_output --partial "segment 65/65"
}

@test "smote to a ratio, u8 images round to the segment" {
	$PY "$MK" dataset train 300 16 2 --dtype u8 --seed 3 > "$TMP/a.imb"
	imb-split --train-ratio 0.1 --n-train 110 --n-test 20 --seed 1 "$TMP/a.imb" > "$TMP/s.imb"
	imb-oversample --ratio 0.5 --seed 1 "$TMP/s.imb" > "$TMP/o.imb"
	run oracle "$TMP/s.imb" "$TMP/o.imb" smote 0.5 5
	assert_output "counts [100, 50] imblearn [100, 50]
kept True
segment 40/40"
}

@test "random oversampling and undersampling match imblearn's counts" {
	$PY "$MK" dataset train 400 3 2 --seed 4 > "$TMP/a.imb"
	imb-split --train-ratio 0.2 --n-train 120 --n-test 20 --seed 1 "$TMP/a.imb" > "$TMP/s.imb"
	imb-oversample --method random --ratio 0.5 < "$TMP/s.imb" > "$TMP/o.imb"
	run oracle "$TMP/s.imb" "$TMP/o.imb" random 0.5 0
	assert_output "counts [100, 50] imblearn [100, 50]
kept True
segment 30/30"
	imb-oversample --method under --ratio 0.4 < "$TMP/s.imb" > "$TMP/o.imb"
	run oracle "$TMP/s.imb" "$TMP/o.imb" under 0.4 0
	assert_output "counts [50, 20] imblearn [50, 20]
kept True"
}

@test "many classes: every class raised to the largest (or cut to the smallest), as imblearn's auto" {
	$PY "$MK" dataset train 600 3 4 --seed 5 > "$TMP/a.imb"
	imb-split --train-ratio 0.1 --n-train 160 --n-test 20 --seed 1 "$TMP/a.imb" > "$TMP/s.imb"
	run show < "$TMP/s.imb"
	assert_line --index 0 "dataset train 160 [90, 42, 19, 9]"
	imb-oversample --method smote < "$TMP/s.imb" > "$TMP/o.imb"
	run oracle "$TMP/s.imb" "$TMP/o.imb" smote 1 5
	assert_output "counts [90, 90, 90, 90] imblearn [90, 90, 90, 90]
kept True
segment 200/200"
	imb-oversample --method under < "$TMP/s.imb" > "$TMP/o.imb"
	run oracle "$TMP/s.imb" "$TMP/o.imb" under 1 5
	assert_output "counts [9, 9, 9, 9] imblearn [9, 9, 9, 9]
kept True"
}

@test "only the train frame changes; others pass unchanged and in order" {
	$PY "$MK" raw '{"kind":"log","name":"a"}' > "$TMP/s.imb"
	$PY "$MK" dataset train 100 2 2 --seed 1 | imb-split --train-ratio 0.25 --n-train 50 --n-test 10 >> "$TMP/s.imb"
	$PY "$MK" raw '{"kind":"log","name":"c"}' >> "$TMP/s.imb"
	imb-oversample --method random < "$TMP/s.imb" > "$TMP/o.imb"
	run show < "$TMP/o.imb"
	assert_output "log a - -
dataset train 80 [40, 40]
dataset test 10 [5, 5]
log c - -"
	# the test frame's bytes are untouched
	run $PY -c '
import sys, msgpack
a = [msgpack.packb(f) for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False)]
b = [msgpack.packb(f) for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False)]
print(a[0] == b[0], a[1] == b[1], a[2] == b[2], a[3] == b[3])' "$TMP/s.imb" "$TMP/o.imb"
	assert_output "True False True True"
}

@test "--frame picks another frame; attrs record the settings" {
	( $PY "$MK" dataset train 30 2 2; $PY "$MK" dataset val 36 2 3 ) > "$TMP/s.imb"
	imb-oversample --frame val --method smote --k 2 --seed 7 - < "$TMP/s.imb" > "$TMP/o.imb"
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    a = f["attrs"]
    print(f["name"], a["counts"], a.get("oversample"), [h["tool"] for h in a.get("history", [])])' "$TMP/o.imb"
	assert_line --index 0 "train [15, 15] None []"
	assert_line --index 1 "val [12, 12, 12] {'method': 'smote', 'ratio': 1.0, 'k': 2, 'seed': 7, 'counts_before': [12, 12, 12]} ['imb-oversample']"
}

@test "same seed, same bytes; '-' and a file read the same" {
	$PY "$MK" dataset train 100 3 2 | imb-split --train-ratio 0.2 --n-train 50 --n-test 10 > "$TMP/s.imb"
	imb-oversample --seed 3 - < "$TMP/s.imb" > "$TMP/o1.imb"
	cat "$TMP/s.imb" | imb-oversample --seed 3 - > "$TMP/o2.imb"
	cmp "$TMP/o1.imb" "$TMP/o2.imb"
	imb-oversample --seed 3 "$TMP/s.imb" > "$TMP/o3.imb"
	run $PY -c '
import sys, msgpack
def t(p): return [f["tensors"] for f in msgpack.Unpacker(open(p, "rb"), raw=False)]
print(t(sys.argv[1]) == t(sys.argv[2]))' "$TMP/o1.imb" "$TMP/o3.imb"
	assert_output "True"
}

@test "--threads: SMOTE's neighbour search gives the same bytes on 1, 3 and all threads" {
	# a minority class of ~4000 rows: big enough for the search to split
	# its query rows over threads
	imb-import toy blobs --n 12000 --ratio 0.5 --seed 2 > "$TMP/b.imb"
	imb-oversample --seed 1 --threads 1 "$TMP/b.imb" > "$TMP/t1.imb"
	imb-oversample --seed 1 -t 3 "$TMP/b.imb" > "$TMP/t3.imb"
	imb-oversample --seed 1 "$TMP/b.imb" > "$TMP/tall.imb"
	# the same frames but for the command line in attrs.history
	run $PY -c '
import sys, msgpack
def t(p):
    fs = list(msgpack.Unpacker(open(p, "rb"), raw=False))
    for f in fs:
        f["attrs"].pop("history", None)
    return fs
a, b, c = (t(p) for p in sys.argv[1:4])
print(len(a), a == b, a == c)' "$TMP/t1.imb" "$TMP/t3.imb" "$TMP/tall.imb"
	assert_output "1 True True"
	run imb-info "$TMP/t1.imb"
	assert_output --partial "imbalance ratio (rarest/most frequent): 1"
}

@test "bad input is exit 1 naming the frame; -o leaves no file" {
	$PY "$MK" raw '{"kind":"dataset","name":"train","attrs":{"classes":["a","b"]},"tensors":{"x":{"dtype":"f32","shape":[4,1],"values":[1,2,3,4]},"y":{"dtype":"i32","shape":[4],"values":[0,0,0,1]}}}' > "$TMP/one.imb"
	run imb-oversample -o "$TMP/o.imb" "$TMP/one.imb"
	assert_failure 1
	assert_output --partial "frame 1 (dataset 'train'): class 1 (b) has 1 sample"
	[ -z "$(ls -A "$TMP" | grep o.imb)" ]
	run imb-oversample --method random "$TMP/one.imb"
	assert_success
	$PY "$MK" dataset train 40 4 2 | head -c 200 > "$TMP/cut.imb"
	run imb-oversample -o "$TMP/o.imb" "$TMP/cut.imb"
	assert_failure 1
	[ -z "$(ls -A "$TMP" | grep o.imb)" ]
	$PY "$MK" dataset test 10 2 2 > "$TMP/t.imb"
	run imb-oversample "$TMP/t.imb"
	assert_failure 1
	assert_output --partial "no dataset frame named 'train'"
	$PY "$MK" raw '{"tensors":{"x":{"dtype":"f32","shape":[3,1],"values":[1,2,3]},"y":{"dtype":"i32","shape":[2],"values":[0,1]}}}' > "$TMP/ragged.imb"
	run imb-oversample "$TMP/ragged.imb"
	assert_failure 1
	assert_output --partial "frame 1 (dataset 'train')"
}

@test "usage errors exit 2" {
	$PY "$MK" dataset train 10 2 2 > "$TMP/a.imb"
	for a in "--method nope" "--method random --m 3" "--method under --k 3" "--ratio 0" "--ratio 2" "--ratio x" "--k 0" "--seed -1" "--frame=" \
	         "--threads -1" "--threads x" "-t 1000" "--nope"; do
		run imb-oversample $a "$TMP/a.imb"
		[ "$status" -eq 2 ] || { echo "$a: status $status: $output"; false; }
	done
	run imb-oversample "$TMP/a.imb" "$TMP/a.imb"
	assert_failure 2
	run imb-oversample --help
	assert_success
	assert_output --partial "--method"
}
