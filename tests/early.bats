#!/usr/bin/env bats
# Early stopping (--early-stopping N --val-frame NAME): XGBoost against
# python3-xgboost's early_stopping_rounds, networks against the same run
# stopped by hand at the best epoch; the best round/epoch is kept and
# recorded in attrs.early_stopping.
load helpers

MK="$ROOT/tests/mkframe.py"

# train and val frames of K classes (gaussian blobs, overlapping)
mkdata() {
	$PY "$MK" dataset train 400 10 "$1" --seed 1
	$PY "$MK" dataset val 200 10 "$1" --seed 2
	$PY "$MK" dataset test 100 10 "$1" --seed 3
}

# attrs.early_stopping of the model frame, as "key=value ..." (sorted)
early() {
	$PY -c '
import sys, msgpack
m = next(f for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False) if f["kind"] == "model")
e = m["attrs"]["early_stopping"]
print(" ".join("%s=%s" % (k, e[k]) for k in sorted(e) if k != "best_score"))' "$1"
}

@test "xgboost: the best round and the kept trees are python3-xgboost's early_stopping_rounds'" {
	for k in 2 3; do
		mkdata $k > "$TMP/in"
		imb-train -q --rounds 300 --param eta=0.3 --seed 2 --threads 2 --val-frame val \
			--early-stopping 4 < "$TMP/in" > "$TMP/m"
		# python: best iteration + 1, rounds trained, max prediction difference
		run $PY "$ROOT/tests/xgb_early_ref.py" "$TMP/in" "$TMP/m" val
		assert_success
		read -r best trained diff <<< "$output"
		echo "K=$k python: best round $best, trained $trained, diff $diff"
		[ "$diff" = 0 ]
		[ "$trained" -lt 300 ]          # it did stop early
		run early "$TMP/m"
		assert_output "best_round=$best metric=logloss patience=4 stopped=1 stopped_at=$trained"
		# the model holds the best round's trees only
		run $PY -c '
import sys, msgpack, xgboost as xgb
m = next(f for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False) if f["kind"] == "model")
b = xgb.Booster(); b.load_model(bytearray(m["tensors"]["bytes"]["data"]))
print(b.num_boosted_rounds(), m["attrs"]["params"]["early_stopping"], m["attrs"]["params"]["early_metric"])' "$TMP/m"
		assert_output "$best 4 logloss"
	done
}

@test "xgboost --early-metric balanced_accuracy: the best round's score is imb-eval's, no later round better" {
	mkdata 3 > "$TMP/in"
	imb-train -q --rounds 300 --param eta=0.3 --param max_depth=3 --seed 2 --threads 2 \
		--val-frame val --early-stopping 5 --early-metric balanced_accuracy < "$TMP/in" > "$TMP/m"
	run $PY -c '
import sys, msgpack
m = next(f for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False) if f["kind"] == "model")
e = m["attrs"]["early_stopping"]
print(e["best_round"], e["stopped_at"], e["patience"], "%.6f" % e["best_score"])' "$TMP/m"
	assert_success
	read -r best stop n score <<< "$output"
	[ "$stop" -eq $((best + n)) ]
	# the kept model's balanced accuracy on val is the recorded best score
	ev=$(imb-eval --on val --format tsv < "$TMP/m" | tsvcol balanced_accuracy)
	$PY -c 'import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) < 1e-6 else 1)' "$ev" "$score"
	# no round after the best (python-xgboost's trees, one iteration range each) beats it
	run $PY -c '
import sys, msgpack, numpy as np, xgboost as xgb
fs = {f["name"]: f for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False)}
arr = lambda t, dt: np.frombuffer(t["data"], dtype=dt).reshape(t["shape"])
p = dict(next(f for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False) if f["kind"] == "model")["attrs"]["params"])
for k in ("num_boost_round", "class_weight", "early_stopping", "early_metric"): p.pop(k)
p.pop("class_weights", None)
dt = xgb.DMatrix(arr(fs["train"]["tensors"]["x"], "<f4"), label=arr(fs["train"]["tensors"]["y"], "<i4"))
Xv, yv = arr(fs["val"]["tensors"]["x"], "<f4"), arr(fs["val"]["tensors"]["y"], "<i4")
dv = xgb.DMatrix(Xv, label=yv)
b = xgb.train(p, dt, num_boost_round=int(sys.argv[3]), evals=[(dv, "val")], verbose_eval=False)
def bal(r):
    pr = b.predict(dv, iteration_range=(0, r)).argmax(1)
    return np.mean([np.mean(pr[yv == k] == k) for k in np.unique(yv)])
s = [bal(r) for r in range(1, int(sys.argv[3]) + 1)]
best = int(sys.argv[4])
print(all(v <= s[best - 1] for v in s[best:]), all(v < s[best - 1] for v in s[:best - 1]))' "$TMP/in" "$TMP/m" "$stop" "$best"
	assert_output "True True"
}

@test "a network stops when val loss has not improved for N epochs and keeps the best epoch's weights" {
	mkdata 2 > "$TMP/in"
	ARGS="--model mlp:32 --epochs 40 --lr 0.01 --batch-size 32 --seed 1 --threads 2 --val-frame val"
	# log lines on stderr (IMB_PROGRESS=0 would silence them too)
	env -u IMB_PROGRESS imb-train $ARGS --early-stopping 3 < "$TMP/in" > "$TMP/m" 2> "$TMP/err"
	run $PY -c '
import sys, msgpack, math
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
m = next(f for f in fs if f["kind"] == "model")
log = next(f for f in fs if f["kind"] == "log")
e = m["attrs"]["early_stopping"]
vl = [ep["val_loss"] for ep in log["attrs"]["epochs"]]
b = e["best_epoch"]
ok = (len(vl) == e["stopped_at"] == b + 3 and vl[b - 1] == e["best_score"] == min(vl)
      and vl.index(min(vl)) == b - 1 and log["attrs"]["early_stopping"] == e)
print(b, e["stopped_at"], ok)' "$TMP/m"
	assert_success
	read -r best stop ok <<< "$output"
	[ "$ok" = True ]
	[ "$stop" -lt 40 ] && [ "$best" -gt 1 ]
	grep -q "early stop: best epoch $best" "$TMP/err"
	# the weights: those of the same run stopped by hand after the best epoch
	imb-train $ARGS --stop-after "$best" < "$TMP/in" > "$TMP/hand" 2>/dev/null
	weights "$TMP/m" > "$TMP/w1"
	weights "$TMP/hand" > "$TMP/w2"
	[ -s "$TMP/w1" ]
	diff "$TMP/w1" "$TMP/w2"
}

@test "a network with --early-metric balanced_accuracy: the best epoch has the highest, first" {
	mkdata 3 > "$TMP/in"
	imb-train --model mlp:32 --epochs 40 --lr 0.01 --batch-size 32 --seed 1 --threads 2 \
		--val-frame val --early-stopping 3 --early-metric balanced_accuracy < "$TMP/in" > "$TMP/m" 2>/dev/null
	run $PY -c '
import sys, msgpack
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
m = next(f for f in fs if f["kind"] == "model")
eps = next(f for f in fs if f["kind"] == "log")["attrs"]["epochs"]
e = m["attrs"]["early_stopping"]
ba = [sum(ep["val_per_class_acc"]) / len(ep["val_per_class_acc"]) for ep in eps]
b = e["best_epoch"]
print(e["metric"], abs(ba[b - 1] - e["best_score"]) < 1e-12, ba.index(max(ba)) == b - 1,
      e["stopped_at"] in (b + 3, 40), m["attrs"]["params"]["early_metric"])' "$TMP/m"
	assert_output "balanced_accuracy True True True balanced_accuracy"
}

@test "--early-stopping without --val-frame, or for an SVM, or a bad metric: usage errors" {
	mkdata 2 > "$TMP/in"
	run imb-train --early-stopping 3 < "$TMP/in"
	assert_failure 2
	assert_output --partial "needs --val-frame"
	run imb-train --model mlp:8 --early-stopping 3 < "$TMP/in"
	assert_failure 2
	assert_output --partial "needs --val-frame"
	run imb-train --model linear-svm --val-frame val --early-stopping 3 < "$TMP/in"
	assert_failure 2
	assert_output --partial "not to --model linear-svm"
	run imb-train --val-frame val --early-stopping 3 --early-metric auc < "$TMP/in"
	assert_failure 2
	assert_output --partial "unknown value 'auc'"
	run imb-train --val-frame nope --early-stopping 3 < "$TMP/in"
	assert_failure 1
	assert_output --partial "no dataset frame named 'nope'"
}

@test "xgboost --early-stopping: the validation frame passes through, the model takes train's place" {
	mkdata 2 > "$TMP/in"
	run bash -c "imb-train -q --val-frame val --early-stopping 3 < '$TMP/in' | imb-info - | grep '^frame'"
	assert_output "frame 1: model 'model'
frame 2: dataset 'val'
frame 3: dataset 'test'"
}
