#!/usr/bin/env bats
# imb-eval --curves: ROC, precision-recall and reliability points, checked
# against scikit-learn (roc_curve, precision_recall_curve,
# calibration_curve) on the probabilities imb-predict gives for the same
# rows; the areas under them are imb-eval's auroc and auprc, the bins give
# its ece.
load helpers

MK="$ROOT/tests/mkframe.py"

setup_file() {
	export IMB_PROGRESS=0
	local D="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import toy moons --n 600 --ratio 0.25 --noise 0.3 --seed 4 \
		| imb-split --train-ratio 0.25 --test-ratio 1 --n-test 200 --seed 3 > "$D/split.imb"
	# xgboost's probabilities tie often (leaves shared by many rows); the
	# network's seldom do
	imb-train -q --model xgboost --rounds 4 --threads 1 < "$D/split.imb" > "$D/xgb.imb"
	imb-train -q -t 1 --model mlp:16 --epochs 5 --seed 2 < "$D/split.imb" > "$D/mlp.imb"
	# three classes: one-vs-rest curves
	{ $PY "$MK" dataset train 300 4 3 --seed 1; $PY "$MK" dataset test 150 4 3 --seed 2; } \
		| imb-train -q --model xgboost --rounds 3 --threads 1 > "$D/k3.imb"
}

# $1 curves TSV, $2 imb-predict TSV (one set), $3 imb-eval JSON, $4 the
# positive class (two classes) or "all": every curve against sklearn
ORACLE='
import json, sys
import numpy as np
from sklearn.metrics import roc_curve, precision_recall_curve
from sklearn.calibration import calibration_curve
cur, pred, ev, pos = sys.argv[1:5]
rows = [l.rstrip("\n").split("\t") for l in open(cur)]
h, rows = rows[0], rows[1:]
assert h == ["set", "model", "model_index", "curve", "class", "x", "y", "threshold", "n"], h
P = [l.rstrip("\n").split("\t") for l in open(pred)]
ph, P = P[0], P[1:]
names = [c[2:] for c in ph if c.startswith("p_")]
probs = np.array([[np.float32(r[ph.index("p_" + c)]) for c in names] for r in P],
                 dtype=np.float32).reshape(len(P), len(names))
(m,) = json.load(open(ev))
y = np.array([names.index(c) for c in m["y"]]) if "y" in m else None
def pts(curve, cls):
    r = [x for x in rows if x[3] == curve and x[4] == cls]
    return (np.array([float(x[5]) for x in r]), np.array([float(x[6]) for x in r]),
            np.array([float(x[7]) for x in r]), np.array([int(x[8]) for x in r]))
classes = names if pos == "all" else [names[int(pos)]]
for c in classes:
    k = names.index(c)
    s, t = probs[:, k].astype(np.float64), (y == k).astype(int)
    fpr, tpr, thr = roc_curve(t, s, drop_intermediate=False)
    x, yy, th, n = pts("roc", c)
    assert len(x) == len(fpr), (c, len(x), len(fpr))
    assert np.abs(x - fpr).max() < 1e-12 and np.abs(yy - tpr).max() < 1e-12, c
    # sklearn 1.2 puts max + 1 where imb puts inf as the first threshold
    assert np.isinf(th[0]) and np.array_equal(th[1:], thr[1:]), c
    assert n[-1] == len(s) and n[0] == 0
    auc = np.trapz(yy, x)
    pr, rc, pthr = precision_recall_curve(t, s)
    pr, rc, pthr = pr[::-1], rc[::-1], pthr[::-1]
    x, yy, th, n = pts("pr", c)
    assert len(x) == len(rc), (c, len(x), len(rc))
    assert np.abs(x - rc).max() < 1e-12 and np.abs(yy - pr).max() < 1e-12, c
    assert np.isinf(th[0]) and np.array_equal(th[1:], pthr), c
    ap = float(np.sum(np.diff(x) * yy[1:]))
    if pos != "all":
        assert abs(auc - m["metrics"]["auroc"]) < 1e-12, (auc, m["metrics"]["auroc"])
        assert abs(ap - m["metrics"]["auprc"]) < 1e-12, (ap, m["metrics"]["auprc"])
        print("auc from the points %.12f, imb-eval %.12f; ap %.12f, %.12f" %
              (auc, m["metrics"]["auroc"], ap, m["metrics"]["auprc"]))
conf = probs.max(1).astype(np.float64)
correct = (probs.argmax(1) == y).astype(int)
ptrue, ppred = calibration_curve(correct, conf, n_bins=15, pos_label=1)
x, yy, th, n = pts("reliability", "NA")
assert len(x) == len(ptrue), (len(x), len(ptrue))
assert np.abs(x - ppred).max() < 1e-6 and np.abs(yy - ptrue).max() < 1e-12
assert n.sum() == len(conf)
ece = float(np.sum(n * np.abs(yy - x)) / n.sum())
assert abs(ece - m["metrics"]["ece"]) < 1e-7, (ece, m["metrics"]["ece"])
print("ok")
'

# the labels of a stream's test frame, by class name, into imb-eval's JSON
# (the oracle needs them beside the metrics)
with_labels() {
	$PY -c '
import json, sys, msgpack, struct
ev = json.load(open(sys.argv[1]))
for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False):
    if f["kind"] == "dataset" and f["name"] == "test":
        t = f["tensors"]["y"]
        y = struct.unpack("<%di" % t["shape"][0], t["data"])
        ev[0]["y"] = [f["attrs"]["classes"][v] for v in y]
json.dump(ev, open(sys.argv[1], "w"))
' "$1" "$2"
}

check() {
	local in="$1" pos="$2"
	imb-eval --format json --curves "$TMP/c.tsv" "$in" > "$TMP/ev.json"
	with_labels "$TMP/ev.json" "$in"
	imb-predict --frame test --format tsv "$in" > "$TMP/p.tsv"
	run $PY -c "$ORACLE" "$TMP/c.tsv" "$TMP/p.tsv" "$TMP/ev.json" "$pos"
	echo "$output"
	assert_success
	assert_line ok
}

@test "two classes: roc and pr points are sklearn's; their areas are auroc and auprc; bins give ece" {
	for m in xgb mlp; do
		check "$BATS_FILE_TMPDIR/$m.imb" 1
	done
	# ties: xgboost's curves have fewer points than rows
	[ "$(grep -c $'\troc\t' "$TMP/c.tsv")" -gt 10 ]
	imb-eval --format tsv --curves "$TMP/x.tsv" "$BATS_FILE_TMPDIR/xgb.imb" > /dev/null
	[ "$(grep -c $'\troc\t' "$TMP/x.tsv")" -lt 201 ]
}

@test "--positive 0: the curves are of class 0" {
	imb-eval --format tsv --positive 0 --curves "$TMP/c.tsv" "$BATS_FILE_TMPDIR/mlp.imb" > /dev/null
	run awk -F '\t' '$4 == "roc" { print $5 }' "$TMP/c.tsv"
	[ "$(echo "$output" | sort -u)" = majority ]
}

@test "three classes: one-vs-rest roc and pr for each class, sklearn's" {
	check "$BATS_FILE_TMPDIR/k3.imb" all
	run bash -c "awk -F '\t' 'NR > 1 { print \$4, \$5 }' '$TMP/c.tsv' | sort -u"
	assert_output "pr c0
pr c1
pr c2
reliability NA
roc c0
roc c1
roc c2"
}

@test "several models: curves of each, by model_index; --model takes one" {
	cat "$BATS_FILE_TMPDIR/xgb.imb" "$BATS_FILE_TMPDIR/mlp.imb" | imb-cat --kind dataset --name test -v \
		> "$TMP/models.imb"
	imb-cat --kind dataset --name test "$BATS_FILE_TMPDIR/xgb.imb" >> "$TMP/models.imb"
	imb-eval --format tsv --curves "$TMP/c.tsv" "$TMP/models.imb" > "$TMP/m.tsv"
	run bash -c "awk -F '\t' 'NR > 1 { print \$2, \$3 }' '$TMP/c.tsv' | uniq"
	assert_output "xgboost 1
mlp:16 2"
	imb-eval --format tsv --model 2 --curves "$TMP/c2.tsv" "$TMP/models.imb" > /dev/null
	diff <(grep $'\tmlp:16\t' "$TMP/c.tsv") <(tail -n +2 "$TMP/c2.tsv")
}

@test "--curves: usage errors are exit 2; a failed run writes no file" {
	run imb-eval --format tsv --curves - "$BATS_FILE_TMPDIR/xgb.imb"
	assert_failure 2
	run imb-eval --aggregate set --curves "$TMP/c.tsv" "$BATS_FILE_TMPDIR/xgb.imb"
	assert_failure 2
	imb-cat --kind model -v "$BATS_FILE_TMPDIR/xgb.imb" > "$TMP/nomodel.imb"
	run imb-eval --format tsv --curves "$TMP/c.tsv" "$TMP/nomodel.imb"
	assert_failure 1
	[ ! -e "$TMP/c.tsv" ]
	# frames to a file, curves on stdout
	imb-eval -o "$TMP/m.imb" --curves - "$BATS_FILE_TMPDIR/xgb.imb" > "$TMP/c.tsv"
	head -1 "$TMP/c.tsv" | grep -q '^set	model	model_index	curve'
}

@test "the curves TSV draws with imb-plot lines (the ROC of each model)" {
	command -v gnuplot > /dev/null || skip "no gnuplot"
	imb-eval --format tsv --curves "$TMP/c.tsv" "$BATS_FILE_TMPDIR/mlp.imb" > /dev/null
	awk -F '\t' 'NR == 1 || $4 == "roc"' "$TMP/c.tsv" \
		| imb-plot lines -o "$TMP/roc.svg" --x x --y y --group model --xlabel FPR --ylabel TPR
	# the axes' labels and the model's line in its legend
	grep -q '>FPR<' "$TMP/roc.svg"
	grep -q '>TPR<' "$TMP/roc.svg"
	grep -q 'mlp:16' "$TMP/roc.svg"
}
