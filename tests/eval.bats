#!/usr/bin/env bats
# imb-eval: metrics frames, TSV/JSON, target-ratio re-weighting, aggregation.
# The metric formulas themselves are checked against scikit-learn in
# tests/unit/test_metrics.c; here the tool's plumbing and its numbers'
# consistency are.
load helpers

MK="$ROOT/tests/mkframe.py"

# a small, separable, imbalanced binary problem through the real pipeline:
# $BATS_FILE_TMPDIR/model.imb = model frame then the test frame
setup_file() {
	export IMB_PROGRESS=0
	local D="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import toy blobs --n 800 --ratio 0.25 --seed 4 \
		| imb-split --train-ratio 0.25 --test-ratio 1 --n-test 200 --seed 3 > "$D/split.imb"
	imb-train --model xgboost --rounds 20 --threads 1 -q < "$D/split.imb" > "$D/model.imb"
}

# kinds and names of the frames of a stream, one "kind:name" per line
KINDS='
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    print("%s:%s" % (f["kind"], f.get("name", "")))
'

@test "tsv: header, one row for the test set, accuracy above chance on separable data" {
	run bash -c "imb-eval --format tsv < $BATS_FILE_TMPDIR/model.imb"
	assert_success
	header="set	model	n	accuracy	balanced_accuracy	macro_f1	gmean	minority_error	majority_error	auroc	auprc	nll	brier	ece"
	assert_line --index 0 --partial "$header	recall_"
	[ "${#lines[@]}" -eq 2 ]
	run $PY -c '
import sys
rows = [l.split("\t") for l in sys.stdin.read().splitlines()]
h, r = rows
v = dict(zip(h, r))
assert v["set"] == "test" and v["model"] == "xgboost" and v["n"] == "200", v
for k in h[3:]:
    x = float(v[k])
    assert 0 <= x <= {"nll": float("inf"), "brier": 2}.get(k, 1), (k, x)
assert float(v["accuracy"]) > 0.8 and float(v["auroc"]) > 0.8, v
rec = [float(v[k]) for k in h if k.startswith("recall_")]
assert len(rec) == 2
# a balanced test set: accuracy is the mean recall
assert abs(float(v["accuracy"]) - sum(rec) / 2) < 1e-5, v
assert abs(float(v["balanced_accuracy"]) - sum(rec) / 2) < 1e-5, v
assert abs(float(v["majority_error"]) - (1 - rec[0])) < 1e-5, v
assert abs(float(v["minority_error"]) - (1 - rec[1])) < 1e-5, v
print("ok")' <<< "$output"
	assert_output ok
}

@test "json: metrics, per_class, confusion and config agree with each other" {
	run bash -c "imb-eval --format json $BATS_FILE_TMPDIR/model.imb | $PY -c '
import json, math, sys
(o,) = json.load(sys.stdin)
assert o[\"set\"] == \"test\" and o[\"model\"] == \"xgboost\" and o[\"n\"] == 200
m, pc, C = o[\"metrics\"], o[\"per_class\"], o[\"confusion\"]
n = sum(map(sum, C))
assert n == 200 and [r[\"support\"] for r in pc] == [sum(r) for r in C]
assert abs(m[\"accuracy\"] - (C[0][0] + C[1][1]) / n) < 1e-12
rec = [C[k][k] / sum(C[k]) for k in range(2)]
pre = [C[k][k] / (C[0][k] + C[1][k]) for k in range(2)]
f1 = [2 * p * r / (p + r) for p, r in zip(pre, rec)]
for k in range(2):
    assert abs(pc[k][\"recall\"] - rec[k]) < 1e-12 and abs(pc[k][\"precision\"] - pre[k]) < 1e-12
    assert abs(pc[k][\"f1\"] - f1[k]) < 1e-12
assert abs(m[\"macro_f1\"] - sum(f1) / 2) < 1e-12
assert abs(m[\"gmean\"] - math.sqrt(rec[0] * rec[1])) < 1e-12
assert m[\"log_loss\"] > 0 and 0 < m[\"auprc\"] <= 1
assert 0 < m[\"brier\"] <= 2 and 0 < m[\"ece\"] <= 1
c = o[\"config\"]
assert c[\"set\"] == \"test\" and c[\"dataset\"] == \"toy\" and c[\"model\"] == \"xgboost\"
assert c[\"train_ratio\"] == 0.25 and c[\"test_ratio\"] == 1 and c[\"seed\"] == 3, c
assert c[\"oversample\"] == \"none\" and c[\"param.max_depth\"] == 6, c
assert o[\"majority\"] == [0] and o[\"positive\"] == 1 and \"history\" not in o
print(\"ok\")'"
	assert_success
	assert_output ok
}

# nll, brier and ece from the definitions (metrics.h) for the fixture
# network's own predictions (frame 'expected') of its test set: one row
# "R nll brier ece" for each weight R of class 1 (class 0 weighs 1)
CALIB='
import sys, msgpack, numpy as np
from sklearn.metrics import log_loss
fr = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
t = lambda f, k, d: np.frombuffer(f["tensors"][k]["data"], dtype=d).reshape(f["tensors"][k]["shape"])
y = t(next(f for f in fr if f["kind"] == "dataset"), "y", "<i4")
p = t(next(f for f in fr if f["kind"] == "predictions"), "probs", "<f4").astype(np.float64)
conf, correct = p.max(1), p.argmax(1) == y
edge = (np.arange(16) / 15).astype(np.float32).astype(np.float64)
b = np.clip(np.searchsorted(edge, conf, side="left") - 1, 0, 14)
for R in map(float, sys.argv[2:]):
    w = np.where(y == 1, R, 1.0)
    brier = np.average(((p - np.eye(2)[y]) ** 2).sum(1), weights=w)
    ece = sum(abs((w * (correct - conf))[b == k].sum()) for k in range(15)) / w.sum()
    print("%g\t%.9g\t%.9g\t%.9g" % (R, log_loss(y, p, sample_weight=w, labels=[0, 1]), brier, ece))
'

# the TSV rows of $1 then $2 against the rows of $3 (CALIB's)
CALIB_CMP='
import sys
def rows(path):
    h, *rs = [l.split("\t") for l in open(path).read().splitlines()]
    return h, [dict(zip(h, r)) for r in rs]
(h, plain), (hr, ratio) = rows(sys.argv[1]), rows(sys.argv[2])
want = [l.split("\t") for l in open(sys.argv[3]).read().splitlines()]
assert len(want) == len(plain + ratio)
for hh in (h, hr):
    i = hh.index("auprc")
    assert hh[i + 1:i + 4] == ["nll", "brier", "ece"] and hh[i + 4].startswith("recall_"), hh
for v, (R, nll, brier, ece) in zip(plain + ratio, want):
    assert v.get("target_ratio", "1") == R, (v, R)
    for k, x in (("nll", nll), ("brier", brier), ("ece", ece)):
        got, x = float(v[k]), float(x)
        assert abs(got - x) <= 2e-4 * max(1, x), (k, R, got, x)
    assert 0 <= float(v["ece"]) <= 1 and 0 <= float(v["brier"]) <= 2 and float(v["nll"]) >= 0, v
print("ok")
'

@test "nll, brier, ece: TSV columns after auprc, equal to their definitions on real networks" {
	for f in mlp resnet8; do
		fx="$ROOT/tests/fixtures/models/$f.imb"
		imb-eval --format tsv "$fx" > "$TMP/plain.tsv"
		imb-eval --format tsv -r 0.1,1,3 "$fx" > "$TMP/ratio.tsv"
		$PY -c "$CALIB" "$fx" 1 0.1 1 3 > "$TMP/want"
		run $PY -c "$CALIB_CMP" "$TMP/plain.tsv" "$TMP/ratio.tsv" "$TMP/want"
		assert_output ok
	done
	# nll is the frame's log_loss
	run bash -c "imb-eval --format json $ROOT/tests/fixtures/models/resnet8.imb | $PY -c '
import json, sys
(o,) = json.load(sys.stdin)
m = o[\"metrics\"]
print(\"%.6g %s %s\" % (m[\"log_loss\"], m[\"brier\"] > 0, m[\"ece\"] > 0))'"
	assert_output "$(tsvcol nll < "$TMP/plain.tsv") True True"
}

@test "frames: the input passes through in order, metrics frames at the end; --metrics-only" {
	run bash -c "imb-eval < $BATS_FILE_TMPDIR/model.imb | $PY -c '$KINDS'"
	assert_success
	assert_output "model:model
dataset:test
metrics:test"
	run bash -c "imb-eval -m --on all < $BATS_FILE_TMPDIR/model.imb | $PY -c '$KINDS'"
	assert_output "metrics:test"
	# the forwarded frames are byte-identical
	imb-eval < "$BATS_FILE_TMPDIR/model.imb" | imb-cat --kind metrics --invert > "$TMP/fwd.imb"
	cmp "$TMP/fwd.imb" "$BATS_FILE_TMPDIR/model.imb"
}

@test "provenance: the metrics frame carries the model's history plus imb-eval's entry" {
	run bash -c "imb-eval -m $BATS_FILE_TMPDIR/model.imb | $PY -c '
import sys, msgpack
(f,) = msgpack.Unpacker(sys.stdin.buffer, raw=False)
print(\" \".join(h[\"tool\"] for h in f[\"attrs\"][\"history\"]))'"
	assert_success
	assert_output "imb-import imb-split imb-train imb-eval"
}

@test "'-' and a file argument read the same stream; several files are concatenated" {
	imb-eval --format tsv - < "$BATS_FILE_TMPDIR/model.imb" > "$TMP/a.tsv"
	imb-eval --format tsv "$BATS_FILE_TMPDIR/model.imb" > "$TMP/b.tsv"
	cmp "$TMP/a.tsv" "$TMP/b.tsv"
	imb-cat --kind model "$BATS_FILE_TMPDIR/model.imb" > "$TMP/m.imb"
	imb-cat --kind dataset "$BATS_FILE_TMPDIR/model.imb" > "$TMP/d.imb"
	imb-eval --format tsv "$TMP/m.imb" - < "$TMP/d.imb" > "$TMP/c.tsv"
	cmp "$TMP/a.tsv" "$TMP/c.tsv"
}

@test "dataset frames before the model frame are held until it comes" {
	imb-cat --kind model "$BATS_FILE_TMPDIR/model.imb" > "$TMP/m.imb"
	imb-cat --kind dataset "$BATS_FILE_TMPDIR/model.imb" > "$TMP/d.imb"
	imb-eval --format tsv "$TMP/m.imb" "$TMP/d.imb" > "$TMP/after.tsv"
	imb-eval --format tsv "$TMP/d.imb" "$TMP/m.imb" > "$TMP/before.tsv"
	cmp "$TMP/after.tsv" "$TMP/before.tsv"
	# and the train set kept by imb-train (before the model) evaluates with --on
	run bash -c "imb-train --model xgboost --rounds 5 -q --keep-train < $BATS_FILE_TMPDIR/split.imb \
		| imb-eval --on test,train --format tsv | cut -f1"
	assert_success
	assert_output "set
train
test"
}

@test "--target-ratio re-weights classes: recalls stay, accuracy follows the ratio" {
	run bash -c "imb-eval -r 0.1,1 --target-ratio 0.01 --format tsv < $BATS_FILE_TMPDIR/model.imb"
	assert_success
	assert_line --index 0 --partial "set	model	n	target_ratio	accuracy"
	run $PY -c '
import sys
rows = [l.split("\t") for l in sys.stdin.read().splitlines()]
h = rows[0]
vs = [dict(zip(h, r)) for r in rows[1:]]
assert [v["target_ratio"] for v in vs] == ["0.1", "1", "0.01"], vs
for v in vs:
    R = float(v["target_ratio"])
    r0, r1 = float(v["recall_" + h[-2][7:]]), float(v[h[-1]])
    assert v["recall_" + h[-2][7:]] == vs[0]["recall_" + h[-2][7:]]
    assert v[h[-1]] == vs[0][h[-1]]
    # weighted accuracy: majority mass 1/(1+R), minority R/(1+R)
    assert abs(float(v["accuracy"]) - (r0 + R * r1) / (1 + R)) < 2e-5, v
    assert v["balanced_accuracy"] == vs[0]["balanced_accuracy"]
print("ok")' <<< "$output"
	assert_output ok
	run bash -c "imb-eval -m -r 0.5 $BATS_FILE_TMPDIR/model.imb | $PY -c '
import sys, msgpack
(f,) = msgpack.Unpacker(sys.stdin.buffer, raw=False)
a = f[\"attrs\"]
C, w = a[\"confusion\"], a[\"weights\"]
print(a[\"config\"][\"target_ratio\"], round(sum(C[1]) / sum(C[0]), 9), round(sum(map(sum, C)), 6))'"
	assert_output "0.5 0.5 200.0"
}

@test "--target-profile: ten classes re-weighted to imb-split's exp and step class sizes" {
	imb-import fashion-mnist | imb-split --profile exp --train-ratio 0.1 --n-train 1000 --n-test 500 --seed 1 \
		| imb-train --model mlp:16 --epochs 1 --threads 1 -q > "$TMP/ten.imb"
	for p in exp step; do
		imb-eval --format json < "$TMP/ten.imb" > "$TMP/plain.json"
		imb-eval --format json -r 0.1,0.03 --target-profile $p < "$TMP/ten.imb" > "$TMP/$p.json"
		imb-eval -m -r 0.1 --target-profile $p < "$TMP/ten.imb" > "$TMP/$p.imb"
		run $PY -c '
import json, sys, msgpack
plain, = json.load(open(sys.argv[1]))
rs = json.load(open(sys.argv[2]))
prof = sys.argv[3]
rec = [c["recall"] for c in plain["per_class"]]
sup = [c["support"] for c in plain["per_class"]]
K = len(rec)
assert K == 10 and len(set(sup)) == 1, sup
for r, R in zip(rs, (0.1, 0.03)):
    # the class sizes imb-split draws at this ratio and profile
    w = [R ** (k / (K - 1)) for k in range(K)] if prof == "exp" else [1 if k < K // 2 else R for k in range(K)]
    want = sum(wk * rk for wk, rk in zip(w, rec)) / sum(w)
    assert abs(r["metrics"]["accuracy"] - want) < 1e-9, (prof, R, r["metrics"]["accuracy"], want)
    assert abs(r["metrics"]["balanced_accuracy"] - plain["metrics"]["balanced_accuracy"]) < 1e-12
(f,) = msgpack.Unpacker(open(sys.argv[4], "rb"), raw=False)
c = f["attrs"]["config"]
print(c["target_ratio"], c["target_profile"])' "$TMP/plain.json" "$TMP/$p.json" $p "$TMP/$p.imb"
		assert_success
		assert_output "0.1 $p"
	done
	# two classes: the same as the default re-weighting
	imb-eval --format tsv -r 0.05 < "$BATS_FILE_TMPDIR/model.imb" | cut -f1-10 > "$TMP/a.tsv"
	imb-eval --format tsv -r 0.05 --target-profile exp < "$BATS_FILE_TMPDIR/model.imb" | cut -f1-10 > "$TMP/b.tsv"
	cmp "$TMP/a.tsv" "$TMP/b.tsv"
	run imb-eval --target-profile exp < "$TMP/ten.imb"
	assert_failure 2
	assert_output --partial "give --target-ratio"
	run imb-eval -r 0.1 --target-profile linear < "$TMP/ten.imb"
	assert_failure 2
	assert_output --partial "'linear' is not exp or step"
}

@test "--positive 0 scores class 0: AUROC stays the same; a class out of range is exit 1" {
	imb-eval -m "$BATS_FILE_TMPDIR/model.imb" > "$TMP/p1.imb"
	imb-eval -m --positive 0 "$BATS_FILE_TMPDIR/model.imb" > "$TMP/p0.imb"
	run $PY -c '
import msgpack, sys
def m(p):
    (f,) = msgpack.Unpacker(open(p, "rb"), raw=False)
    return f["attrs"]["metrics"], f["attrs"]["positive"]
(a, pa), (b, pb) = m(sys.argv[1]), m(sys.argv[2])
assert (pa, pb) == (1, 0)
assert abs(a["auroc"] - b["auroc"]) < 1e-9, (a, b)
assert a["accuracy"] == b["accuracy"]
print("ok")' "$TMP/p1.imb" "$TMP/p0.imb"
	assert_output ok
	run imb-eval --positive 2 "$BATS_FILE_TMPDIR/model.imb"
	assert_failure 1
	assert_output --partial "positive class 2"
}

@test "a single-class test set: AUROC and AUPRC are NA, errors defined where they can be" {
	$PY "$MK" raw '{"kind":"dataset","name":"test","attrs":{"classes":["majority","minority"]},
	  "tensors":{"x":{"dtype":"f32","shape":[3,2],"values":[0,0,1,1,2,2]},
	             "y":{"dtype":"i32","shape":[3],"values":[0,0,0]}}}' > "$TMP/one.imb"
	imb-cat --kind model "$BATS_FILE_TMPDIR/model.imb" > "$TMP/m.imb"
	run bash -c "imb-eval --format tsv $TMP/m.imb $TMP/one.imb | $PY -c '
import sys
h, r = [l.split(\"\t\") for l in sys.stdin.read().splitlines()]
v = dict(zip(h, r))
print(v[\"auroc\"], v[\"auprc\"], v[\"minority_error\"], v[\"n\"])'"
	assert_success
	assert_output "NA NA NA 3"
}

@test "three classes: AUROC/AUPRC are NA, one recall column per class, step re-weighting" {
	{ $PY "$MK" dataset train 150 4 3 --seed 1; $PY "$MK" dataset test 60 4 3 --seed 2; } \
		| imb-train --model linear-svm -q > "$TMP/m3.imb"
	run bash -c "imb-eval --format tsv -r 0.5 $TMP/m3.imb | $PY -c '
import sys
h, r = [l.split(\"\t\") for l in sys.stdin.read().splitlines()]
v = dict(zip(h, r))
rec = [float(v[\"recall_c%d\" % k]) for k in range(3)]
# class 0 the majority (balanced training data), 1 and 2 weighted 0.5 each
acc = (rec[0] + 0.5 * rec[1] + 0.5 * rec[2]) / 2
assert abs(float(v[\"accuracy\"]) - acc) < 2e-5, (v, acc)
assert abs(float(v[\"minority_error\"]) - (1 - (rec[1] + rec[2]) / 2)) < 2e-5, v
assert 0 < float(v[\"ece\"]) <= 1 and 0 < float(v[\"brier\"]) <= 2 and float(v[\"nll\"]) > 0, v
print(v[\"auroc\"], v[\"auprc\"], v[\"target_ratio\"])'"
	assert_success
	assert_output "NA NA 0.5"
}

@test "no model frame is exit 1 with a message" {
	run bash -c "imb-cat --kind dataset $BATS_FILE_TMPDIR/model.imb | imb-eval"
	assert_failure 1
	assert_output --partial "no model frame"
	run imb-eval < /dev/null
	assert_failure 1
}

@test "a set named by --on that is not there is exit 1 naming it; -o leaves no file" {
	run imb-eval --on val -o "$TMP/out.imb" "$BATS_FILE_TMPDIR/model.imb"
	assert_failure 1
	assert_output --partial "no dataset frame named 'val'"
	[ ! -e "$TMP/out.imb" ]
	[ -z "$(ls -A "$TMP")" ]
	run imb-eval -o "$TMP/ok.imb" "$BATS_FILE_TMPDIR/model.imb"
	assert_success
	[ -s "$TMP/ok.imb" ]
}

@test "features or classes that do not match the model are exit 1 naming frame and field" {
	imb-cat --kind model "$BATS_FILE_TMPDIR/model.imb" > "$TMP/m.imb"
	$PY "$MK" dataset test 10 3 2 > "$TMP/d3.imb"
	run imb-eval -o "$TMP/out.imb" "$TMP/m.imb" "$TMP/d3.imb"
	assert_failure 1
	assert_output --partial "frame 1 (dataset 'test'): tensor 'x': 3 features per sample"
	[ ! -e "$TMP/out.imb" ]
	$PY "$MK" dataset test 10 2 3 > "$TMP/k3.imb"
	run imb-eval "$TMP/m.imb" "$TMP/k3.imb"
	assert_failure 1
	assert_output --partial "(dataset 'test'): attrs.classes: class 'c0' is not a class of the model"
	$PY "$MK" raw '{"kind":"dataset","name":"test",
	  "tensors":{"x":{"dtype":"f32","shape":[2,2],"values":[0,0,1,1]},
	             "y":{"dtype":"i32","shape":[2],"values":[0,2]}}}' > "$TMP/y2.imb"
	run imb-eval "$TMP/m.imb" "$TMP/y2.imb"
	assert_failure 1
	assert_output --partial "tensor 'y': label 2 of sample 1"
	$PY "$MK" raw '{"kind":"model","name":"model","attrs":{"model":"nope"}}' > "$TMP/bad.imb"
	run imb-eval "$TMP/bad.imb"
	assert_failure 1
	assert_output --partial "attrs.model: unknown model kind 'nope'"
}

@test "a truncated stream is exit 1" {
	head -c 2000 "$BATS_FILE_TMPDIR/model.imb" > "$TMP/cut.imb"
	run imb-eval -o "$TMP/out.imb" "$TMP/cut.imb"
	assert_failure 1
	assert_output --partial "truncated"
	[ ! -e "$TMP/out.imb" ]
}

@test "usage errors are exit 2" {
	run imb-eval --format csv
	assert_failure 2
	assert_output --partial "--format: 'csv' is not frames, tsv or json"
	run imb-eval --target-ratio 0
	assert_failure 2
	run imb-eval --target-ratio 0.1,x
	assert_failure 2
	run imb-eval --positive -1
	assert_failure 2
	run imb-eval --aggregate seed --format frames
	assert_failure 2
	run imb-eval --aggregate seed --target-ratio 1
	assert_failure 2
	run imb-eval --on test, < /dev/null
	assert_failure 2
	run imb-eval --format tsv -o x.imb
	assert_failure 2
	run imb-eval --bogus
	assert_failure 2
	run imb-eval --help
	assert_success
	assert_output --partial "--aggregate"
}

# a metrics frame with the given accuracy, auroc (JSON, may be null),
# train ratio, model and seed
mkm() {
	$PY "$MK" raw "{\"kind\":\"metrics\",\"name\":\"test\",\"attrs\":{
	  \"metrics\":{\"accuracy\":$1,\"auroc\":$2},
	  \"per_class\":[{\"class\":\"a\",\"recall\":$1},{\"class\":\"b\",\"recall\":0.5}],
	  \"config\":{\"train_ratio\":$3,\"model\":\"$4\",\"seed\":$5}}}"
}

@test "--aggregate: mean and standard error per group, sorted, NA where undefined" {
	{ mkm 0.9 0.8 0.1 xgb 1; mkm 0.8 null 0.1 xgb 2; mkm 0.75 0.6 0.1 xgb 3
	  mkm 0.5 0.5 0.01 xgb 1; mkm 0.6 0.7 0.01 svm 1; } > "$TMP/m.imb"
	# pooling xgb and svm runs is refused unless said to be intended
	run bash -c "imb-eval --aggregate train_ratio < $TMP/m.imb"
	assert_failure 1
	assert_output --partial "differ in attrs.config keys that are neither grouped by nor replicate keys: model (xgb, svm)"
	run bash -c "imb-eval --aggregate train_ratio --allow-pool model < $TMP/m.imb"
	assert_success
	assert_line --index 0 "train_ratio	n	accuracy_mean	accuracy_se	auroc_mean	auroc_se	recall_a_mean	recall_a_se	recall_b_mean	recall_b_se"
	run $PY -c '
import statistics as st, sys
rows = [l.split("\t") for l in sys.stdin.read().splitlines()]
h = rows[0]
g = {r[0]: dict(zip(h, r)) for r in rows[1:]}
assert [r[0] for r in rows[1:]] == ["0.01", "0.1"], rows
def check(v, xs, m):
    assert abs(float(v[m + "_mean"]) - st.mean(xs)) < 1e-6, (m, v)
    assert abs(float(v[m + "_se"]) - st.stdev(xs) / len(xs) ** 0.5) < 1e-6, (m, v)
check(g["0.1"], [0.9, 0.8, 0.75], "accuracy")
check(g["0.1"], [0.8, 0.6], "auroc")          # the run without auroc is left out
check(g["0.01"], [0.5, 0.6], "accuracy")
check(g["0.1"], [0.9, 0.8, 0.75], "recall_a")
assert g["0.1"]["n"] == "3" and g["0.01"]["n"] == "2"
assert g["0.1"]["recall_b_se"] == "0"
print("ok")' <<< "$output"
	assert_output ok
	run bash -c "imb-eval --aggregate model,train_ratio --format json $TMP/m.imb | $PY -c '
import json, sys
gs = json.load(sys.stdin)
print([(g[\"model\"], g[\"train_ratio\"], g[\"n\"]) for g in gs], gs[0][\"metrics\"][\"accuracy\"][\"se\"])'"
	assert_success
	assert_output "[('svm', 0.01, 1), ('xgb', 0.01, 1), ('xgb', 0.1, 3)] None"
}

@test "--aggregate -o: the table appears whole in FILE, the same as on stdout; nothing on failure" {
	{ mkm 0.9 0.8 0.1 xgb 1; mkm 0.8 0.7 0.1 xgb 2; mkm 0.5 0.5 0.01 xgb 1; } > "$TMP/m.imb"
	mkdir "$TMP/out"
	run imb-eval --aggregate train_ratio -o "$TMP/out/agg.tsv" "$TMP/m.imb"
	assert_success
	assert_output ""
	imb-eval --aggregate train_ratio "$TMP/m.imb" > "$TMP/stdout.tsv"
	cmp "$TMP/out/agg.tsv" "$TMP/stdout.tsv"
	[ "$(wc -l < "$TMP/out/agg.tsv")" = 3 ]
	run imb-eval --aggregate model --allow-pool train_ratio --format json -o "$TMP/out/agg.json" "$TMP/m.imb"
	assert_success
	$PY -c 'import json, sys; g = json.load(open(sys.argv[1])); assert g[0]["n"] == 3, g' "$TMP/out/agg.json"
	# a key no frame has: exit 1, and the file is neither made nor half-made
	run imb-eval --aggregate nokey -o "$TMP/out/bad.tsv" "$TMP/m.imb"
	assert_failure 1
	[ "$(ls -A "$TMP/out" | tr '\n' ' ')" = "agg.json agg.tsv " ]
}

@test "--aggregate: a missing key names the frame and key; no metrics frames is exit 1" {
	{ mkm 0.9 0.8 0.1 xgb 1; $PY "$MK" raw '{"kind":"metrics","name":"test","attrs":{
	  "metrics":{"accuracy":1},"config":{"model":"x"}}}'; } > "$TMP/m.imb"
	run imb-eval --aggregate train_ratio "$TMP/m.imb"
	assert_failure 1
	assert_output --partial "frame 2 (metrics 'test'): attrs.config has no key 'train_ratio'"
	run bash -c "imb-eval --aggregate seed < $BATS_FILE_TMPDIR/model.imb"
	assert_failure 1
	assert_output --partial "no metrics frames"
}

@test "--aggregate over real runs: two seeds, grouped by train ratio" {
	for s in 1 2; do
		imb-import toy blobs --n 400 --ratio 0.25 --seed $s \
			| imb-split --train-ratio 0.25 --seed $s \
			| imb-train --model xgboost --rounds 5 --threads 1 -q | imb-eval -m
	done > "$TMP/runs.imb"
	run bash -c "imb-eval --aggregate train_ratio,set $TMP/runs.imb | cut -f1-3"
	assert_success
	assert_output "train_ratio	set	n
0.25	test	2"
	# brier and ece, like every metric, get a mean and a standard error
	run bash -c "imb-eval --aggregate train_ratio --format tsv $TMP/runs.imb > $TMP/agg.tsv
	  imb-eval --format json --aggregate train_ratio $TMP/runs.imb > $TMP/agg.json
	  imb-cat --kind metrics $TMP/runs.imb | $PY -c '
import json, statistics as st, sys, msgpack
fs = [f for f in msgpack.Unpacker(sys.stdin.buffer, raw=False) if f[\"name\"] == \"test\"]
h, r = [l.split(\"\t\") for l in open(\"$TMP/agg.tsv\").read().splitlines()]
v = dict(zip(h, r))
(g,) = json.load(open(\"$TMP/agg.json\"))
for k in (\"brier\", \"ece\"):
    xs = [f[\"attrs\"][\"metrics\"][k] for f in fs]
    assert len(xs) == 2 and xs[0] != xs[1], xs
    assert abs(float(v[k + \"_mean\"]) - st.mean(xs)) < 1e-6, (k, v)
    assert abs(float(v[k + \"_se\"]) - st.stdev(xs) / 2 ** 0.5) < 1e-6, (k, v)
    assert abs(g[\"metrics\"][k][\"se\"] - st.stdev(xs) / 2 ** 0.5) < 1e-12, (k, g)
print(\"ok\")'"
	assert_success
	assert_output ok
}
