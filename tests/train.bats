#!/usr/bin/env bats
# imb-train: tabular models (XGBoost, LIBLINEAR, LIBSVM) on the train frame;
# the model frame replaces it and every other frame passes through in order.
load helpers

MK="$ROOT/tests/mkframe.py"

# one line per frame: kind name [model n_features n_classes]
SHOW='
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    a = f.get("attrs", {})
    extra = ""
    if f["kind"] == "model":
        extra = " %s %d %d" % (a["model"], a["n_features"], a["n_classes"])
    print(f["kind"] + " " + f.get("name", "") + extra)
'
show() { $PY -c "$SHOW"; }

# attrs of the model frame as JSON (bytes dropped)
ATTRS='
import sys, json, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f["kind"] == "model":
        print(json.dumps(f["attrs"], sort_keys=True))
'
attrs() { $PY -c "$ATTRS"; }

# 2 classes: train 300x6, test 100x6; 3 classes likewise
mk2() { $PY "$MK" dataset train 300 6 2 --seed 1; $PY "$MK" dataset test 100 6 2 --seed 2; }
mk3() { $PY "$MK" dataset train 300 6 3 --seed 1; $PY "$MK" dataset test 100 6 3 --seed 2; }

@test "xgboost: a model frame replaces train, test passes through (pipe)" {
	mk2 > "$TMP/in"
	run bash -c "cat '$TMP/in' | imb-train --rounds 10 | $PY -c '$SHOW'"
	assert_success
	assert_output "model model xgboost 6 2
dataset test"
}

@test "'-' and a file argument read the same stream, giving the same bytes" {
	mk2 > "$TMP/in"
	imb-train -q --rounds 5 - < "$TMP/in" > "$TMP/a"
	imb-train -q --rounds 5 "$TMP/in" > "$TMP/b"
	# equal but for attrs.history, whose argv names the file
	$PY -c '
import sys, msgpack
def load(p):
    fs = list(msgpack.Unpacker(open(p, "rb"), raw=False))
    for f in fs:
        f["attrs"].pop("history", None)
    return fs
a, b = load(sys.argv[1]), load(sys.argv[2])
sys.exit(0 if a == b and len(a) == 2 and a[0]["kind"] == "model" else 1)' "$TMP/a" "$TMP/b"
}

@test "each model kind on 2 and 3 classes; the log line says what ran" {
	mk2 > "$TMP/in2"
	mk3 > "$TMP/in3"
	for m in xgboost linear-svm svm; do
		for k in 2 3; do
			run bash -c "IMB_PROGRESS= imb-train --model $m --rounds 5 < '$TMP/in$k' 2>'$TMP/log' | $PY -c '$SHOW'"
			assert_success
			assert_line --index 0 "model model $m 6 $k"
			assert_line --index 1 "dataset test"
			grep -q "^imb-train: $m: " "$TMP/log"
		done
	done
	IMB_PROGRESS= imb-train --rounds 3 < "$TMP/in2" 2>&1 >/dev/null | grep -q "3 rounds (3 trees), tree_method hist"
}

@test "other frames pass through unchanged and in order; --keep-train" {
	{ $PY "$MK" dataset val 20 6 2 --seed 3; mk2
	  $PY "$MK" raw '{"kind": "log", "name": "note", "attrs": {"x": 1}}'; } > "$TMP/in"
	run bash -c "imb-train -q --model linear-svm < '$TMP/in' | $PY -c '$SHOW'"
	assert_success
	assert_output "dataset val
model model linear-svm 6 2
dataset test
log note"
	run bash -c "imb-train -q --model linear-svm --keep-train < '$TMP/in' | $PY -c '$SHOW'"
	assert_output "dataset val
dataset train
model model linear-svm 6 2
dataset test
log note"
	# forwarded frames are byte-identical to the input's
	imb-train -q --model linear-svm --keep-train < "$TMP/in" > "$TMP/out"
	$PY -c '
import sys, msgpack
def raw(p):
    u = msgpack.Unpacker(open(p, "rb"), raw=False)
    out = []
    while True:
        start = u.tell()
        try: f = next(u)
        except StopIteration: break
        out.append((f["kind"], open(p, "rb").read()[start:u.tell()]))
    return out
a = [b for k, b in raw(sys.argv[1])]
b = [b for k, b in raw(sys.argv[2]) if k != "model"]
sys.exit(0 if a == b else 1)' "$TMP/in" "$TMP/out"
}

@test "--frame trains on another dataset frame; only the first match is consumed" {
	{ $PY "$MK" dataset val 60 4 2 --seed 3; mk2; $PY "$MK" dataset val 30 4 2 --seed 4; } > "$TMP/in"
	run bash -c "imb-train -q --frame val --model svm < '$TMP/in' | $PY -c '$SHOW'"
	assert_success
	assert_output "model model svm 4 2
dataset train
dataset test
dataset val"
}

@test "model attrs: kind, every parameter with defaults, train provenance, history" {
	$PY "$MK" raw '{"kind":"dataset","name":"train","attrs":{"classes":["neg","pos"],"source":"hand","split":{"seed":4},"history":[{"tool":"imb-split"}]},"tensors":{"x":{"dtype":"f32","shape":[4,1],"values":[0,0.1,1,1.1]},"y":{"dtype":"i32","shape":[4],"values":[0,0,1,1]}}}' > "$TMP/in"
	imb-train -q --rounds 3 --seed 7 --param eta=0.5 < "$TMP/in" | attrs > "$TMP/a"
	run $PY -c '
import json, sys
a = json.load(open(sys.argv[1]))
p = a["params"]
print(a["model"], a["n_features"], a["n_classes"], a["classes"])
print(p["objective"], p["eta"], p["max_depth"], p["subsample"], p["tree_method"], p["seed"], p["num_boost_round"], p["class_weight"])
print(a["train"]["source"], a["train"]["split"])
print([h["tool"] for h in a["history"]], a["history"][-1]["seed"], a["history"][-1]["argv"][-1])' "$TMP/a"
	assert_success
	assert_output "xgboost 1 2 ['neg', 'pos']
binary:logistic 0.5 6 0.5 hist 7 3 none
hand {'seed': 4}
['imb-split', 'imb-train'] 7 eta=0.5"
	imb-train -q --model svm --param kernel=poly --param degree=2 --class-weight balanced < "$TMP/in" | attrs > "$TMP/b"
	run $PY -c '
import json, sys
p = json.load(open(sys.argv[1]))["params"]
print(p["kernel"], p["degree"], p["C"], p["probability"], p["class_weight"], p["class_weights"], p["scale"])' "$TMP/b"
	assert_output "poly 2 1.0 0 balanced [1.0, 1.0] none"
}

@test "same data and seed give the same bytes; another seed another model" {
	mk3 > "$TMP/in"
	for m in xgboost linear-svm svm "svm --param probability=1" "linear-svm --param solver=dual"; do
		imb-train -q --model $m --rounds 8 --seed 3 < "$TMP/in" > "$TMP/a"
		imb-train -q --model $m --rounds 8 --seed 3 < "$TMP/in" > "$TMP/b"
		cmp "$TMP/a" "$TMP/b"
	done
	imb-train -q --rounds 8 --seed 4 < "$TMP/in" | attrs > "$TMP/c"
	imb-train -q --rounds 8 --seed 3 < "$TMP/in" | $PY -c '
import sys, msgpack
f = next(iter(msgpack.Unpacker(sys.stdin.buffer, raw=False)))
sys.stdout.buffer.write(f["tensors"]["bytes"]["data"])' > "$TMP/s3"
	imb-train -q --rounds 8 --seed 4 < "$TMP/in" | $PY -c '
import sys, msgpack
f = next(iter(msgpack.Unpacker(sys.stdin.buffer, raw=False)))
sys.stdout.buffer.write(f["tensors"]["bytes"]["data"])' > "$TMP/s4"
	! cmp -s "$TMP/s3" "$TMP/s4" || false
}

@test "xgboost: the model equals python3-xgboost's xgb.train with the same parameters" {
	mk3 > "$TMP/in"
	imb-train -q --rounds 15 --seed 2 --param max_depth=4 < "$TMP/in" > "$TMP/out"
	run $PY -c '
import sys, msgpack, numpy as np, xgboost as xgb
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
tr = [f for f in fs if f["name"] == "train"][0]
te = [f for f in fs if f["name"] == "test"][0]
arr = lambda t, dt: np.frombuffer(t["data"], dtype=dt).reshape(t["shape"])
m = [f for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False) if f["kind"] == "model"][0]
p = dict(m["attrs"]["params"]); n = p.pop("num_boost_round"); p.pop("class_weight"); p.pop("class_weights", None)
ref = xgb.train(p, xgb.DMatrix(arr(tr["tensors"]["x"], "<f4"), label=arr(tr["tensors"]["y"], "<i4")), num_boost_round=n)
ours = xgb.Booster(); ours.load_model(bytearray(m["tensors"]["bytes"]["data"]))
d = xgb.DMatrix(arr(te["tensors"]["x"], "<f4"))
a, b = ours.predict(d), ref.predict(d)
print(a.shape, "max diff %.3g" % np.abs(a - b).max())
sys.exit(0 if a.shape == (100, 3) and np.abs(a - b).max() < 1e-6 else 1)' "$TMP/in" "$TMP/out"
	echo "$output"
	assert_success
}

@test "linear-svm: the weights match scikit-learn's LinearSVC (squared hinge, primal)" {
	mk2 > "$TMP/in"
	imb-train -q --model linear-svm --param eps=1e-6 < "$TMP/in" > "$TMP/out"
	run $PY -c '
import sys, msgpack, numpy as np
from sklearn.svm import LinearSVC
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
tr = [f for f in fs if f["name"] == "train"][0]
arr = lambda t, dt: np.frombuffer(t["data"], dtype=dt).reshape(t["shape"])
X, y = arr(tr["tensors"]["x"], "<f4").astype(float), arr(tr["tensors"]["y"], "<i4")
m = [f for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False) if f["kind"] == "model"][0]
txt = m["tensors"]["bytes"]["data"].decode().split("\n")
labels = [int(v) for v in txt[2].split()[1:]]
w = np.array([float(l) for l in txt[txt.index("w") + 1:] if l.strip()])
if labels[0] == 0: w = -w   # LIBLINEAR: positive means its first label, sklearn: class 1
sk = LinearSVC(C=1, loss="squared_hinge", dual=False, tol=1e-8, max_iter=100000).fit(X, y)
ref = np.append(sk.coef_[0], sk.intercept_[0])
diff = np.abs(w - ref).max()
print("max diff %.3g" % diff)
sys.exit(0 if diff < 1e-3 else 1)' "$TMP/in" "$TMP/out"
	echo "$output"
	assert_success
}

@test "svm: gamma scale and the support vectors match scikit-learn's SVC" {
	mk3 > "$TMP/in"
	imb-train -q --model svm < "$TMP/in" > "$TMP/out"
	run $PY -c '
import sys, msgpack, numpy as np
from sklearn.svm import SVC
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
tr = [f for f in fs if f["name"] == "train"][0]
arr = lambda t, dt: np.frombuffer(t["data"], dtype=dt).reshape(t["shape"])
X, y = arr(tr["tensors"]["x"], "<f4").astype(float), arr(tr["tensors"]["y"], "<i4")
m = [f for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False) if f["kind"] == "model"][0]
sk = SVC(C=1, kernel="rbf", gamma="scale").fit(X, y)
g = m["attrs"]["params"]["gamma"]
head = dict(l.split(" ", 1) for l in m["tensors"]["bytes"]["data"].decode().split("SV\n")[0].strip().split("\n"))
print("gamma %.9g vs %.9g, SVs %s vs %d" % (g, sk._gamma, head["total_sv"], sk.support_.size))
sys.exit(0 if abs(g - sk._gamma) < 1e-6 * g and abs(int(head["total_sv"]) - sk.support_.size) <= 2 else 1)' "$TMP/in" "$TMP/out"
	echo "$output"
	assert_success
}

@test "stdout carries only frames, even with --verbose LIBSVM/LIBLINEAR" {
	mk2 > "$TMP/in"
	for m in svm linear-svm; do
		imb-train --verbose --model $m < "$TMP/in" > "$TMP/out" 2> "$TMP/err"
		run $PY -c '
import sys, msgpack
data = open(sys.argv[1], "rb").read()
u = msgpack.Unpacker(raw=False); u.feed(data)
n = sum(1 for f in u)
sys.exit(0 if n == 2 and u.tell() == len(data) else 1)' "$TMP/out"
		assert_success
	done
}

@test "usage errors exit 2 and name the problem" {
	mk2 > "$TMP/in"
	run imb-train --model forest < "$TMP/in"
	assert_failure 2
	assert_output --partial "unknown model 'forest'"
	run imb-train --model linear-svm --param gamma=1 < "$TMP/in"
	assert_failure 2
	assert_output --partial "unknown linear-svm parameter 'gamma'"
	run imb-train --model svm --param kernel=cubic < "$TMP/in"
	assert_failure 2
	assert_output --partial "kernel=cubic"
	run imb-train --param eta < "$TMP/in"
	assert_failure 2
	assert_output --partial "not KEY=VALUE"
	run imb-train --rounds 0 < "$TMP/in"
	assert_failure 2
	run imb-train --param max_depth=banana < "$TMP/in"
	assert_failure 2
	assert_output --partial "max_depth"
	run imb-train --param objective=reg:squarederror < "$TMP/in"
	assert_failure 2
	assert_output --partial "needs class probabilities"
	run imb-train --class-weight 1,2,3 < "$TMP/in"
	assert_failure 2
	assert_output --partial "3 weights given"
	run imb-train --bogus
	assert_failure 2
	run imb-train a b
	assert_failure 2
	run imb-train --help
	assert_success
	assert_output --partial "--class-weight"
}

@test "bad input exits 1 naming the frame or field" {
	$PY "$MK" dataset test 50 3 2 > "$TMP/in"
	run imb-train < "$TMP/in"
	assert_failure 1
	assert_output --partial "no dataset frame named 'train'"
	run imb-train < /dev/null
	assert_failure 1
	assert_output --partial "no dataset frame named 'train' in the input (0 frames"
	$PY "$MK" raw '{"kind":"dataset","name":"train","tensors":{"x":{"dtype":"f32","shape":[3,1],"values":[0,1,2]},"y":{"dtype":"i32","shape":[3],"values":[1,1,1]}}}' > "$TMP/one"
	run imb-train --model svm < "$TMP/one"
	assert_failure 1
	assert_output --partial "dataset 'train'"
	assert_output --partial "only one class"
	mk2 | head -c 3000 > "$TMP/trunc"
	run imb-train < "$TMP/trunc"
	assert_failure 1
	$PY "$MK" raw '{"imb":2,"kind":"dataset","name":"train"}' > "$TMP/v2"
	run imb-train < "$TMP/v2"
	assert_failure 1
	assert_output --partial "version"
}

@test "-o writes atomically: the file appears only on success" {
	mk2 > "$TMP/in"
	run imb-train -q -o "$TMP/out" --frame nope < "$TMP/in"
	assert_failure 1
	[ ! -e "$TMP/out" ]
	[ -z "$(ls -A "$TMP" | grep out)" ]
	run imb-train -q -o "$TMP/out" --model svm --param C=-3 < "$TMP/in"
	assert_failure 2
	[ ! -e "$TMP/out" ]
	imb-train -q --rounds 4 -o "$TMP/out" < "$TMP/in"
	run bash -c "$PY -c '$SHOW' < '$TMP/out'"
	assert_output "model model xgboost 6 2
dataset test"
	[ "$(ls -A "$TMP" | grep -c out)" = 1 ]
}

@test "adult through imb-import: xgboost trains on the real table" {
	need_data adult
	command -v imb-import >/dev/null || skip "no imb-import"
	command -v imb-split >/dev/null || skip "no imb-split"
	run bash -c "imb-import adult | imb-split --train-ratio 0.1 --test-ratio 1 --seed 1 | imb-train --rounds 10 | $PY -c '$SHOW'"
	assert_success
	assert_line --index 0 --regexp "^model model xgboost [0-9]+ 2$"
}

# train 300 and test 200 rows of 4 features on very different scales: a
# noise column in the thousands, the informative one in thousandths, a
# constant, and a plain informative one
mkscaled() {
	$PY -c '
import sys, random
sys.path.insert(0, sys.argv[1])
from mkframe import frame, tensor
rng = random.Random(5)
for name, n in (("train", 300), ("test", 200)):
    y = [i % 2 for i in range(n)]
    x = []
    for c in y:
        x += [rng.gauss(0, 1000), rng.gauss(c, 0.8) * 0.001, 5.0, rng.gauss(0.5 * c, 1)]
    sys.stdout.buffer.write(frame("dataset", name, {"classes": ["c0", "c1"], "n": n, "source": "mk"},
                                  {"x": tensor("f32", (n, 4), x), "y": tensor("i32", (n,), y)}))
' "$ROOT/tests"
}

@test "--scale standard|minmax: linear-svm and svm predict as scikit-learn's scaler then LinearSVC/SVC" {
	mkscaled > "$TMP/in"
	for m in linear-svm svm; do
		for s in standard minmax; do
			p=""
			[ "$m" = linear-svm ] && p="--param eps=1e-6"
			imb-train -q --model $m --scale $s $p < "$TMP/in" > "$TMP/m"
			# imb-predict reads the statistics from the model frame: no flag
			imb-predict -q --frame test --format tsv < "$TMP/m" | tsvcol p_c1 > "$TMP/p"
			run $PY -c '
import sys, msgpack, numpy as np
from sklearn.preprocessing import StandardScaler, MinMaxScaler
from sklearn.svm import LinearSVC, SVC
fs = {f["name"]: f for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False)}
arr = lambda t, dt: np.frombuffer(t["data"], dtype=dt).reshape(t["shape"])
X, y = arr(fs["train"]["tensors"]["x"], "<f4").astype(float), arr(fs["train"]["tensors"]["y"], "<i4")
Xt = arr(fs["test"]["tensors"]["x"], "<f4").astype(float)
sc = (StandardScaler() if sys.argv[3] == "standard" else MinMaxScaler()).fit(X)
if sys.argv[2] == "linear-svm":
    sk = LinearSVC(C=1, dual=False, tol=1e-8, max_iter=100000).fit(sc.transform(X), y)
else:
    sk = SVC(C=1, kernel="rbf", gamma="scale").fit(sc.transform(X), y)
ref = 1 / (1 + np.exp(-sk.decision_function(sc.transform(Xt))))
ours = np.loadtxt(sys.argv[4])
d = np.abs(ours - ref).max()
print(sys.argv[2], sys.argv[3], "max diff %.3g" % d, "agree", np.mean((ours >= 0.5) == (ref >= 0.5)))
sys.exit(0 if d < 2e-3 else 1)' "$TMP/in" $m $s "$TMP/p"
			echo "$output"
			assert_success
		done
	done
}

@test "--scale changes the model: without it the noise column's scale rules; the model frame keeps the statistics" {
	mkscaled > "$TMP/in"
	imb-train -q --model svm < "$TMP/in" | imb-eval --format tsv | tsvcol balanced_accuracy > "$TMP/plain"
	imb-train -q --model svm --scale standard < "$TMP/in" > "$TMP/m"
	imb-eval --format tsv < "$TMP/m" | tsvcol balanced_accuracy > "$TMP/scaled"
	echo "plain $(cat "$TMP/plain") scaled $(cat "$TMP/scaled")"
	run $PY -c 'import sys; a, b = float(open(sys.argv[1]).read()), float(open(sys.argv[2]).read()); sys.exit(0 if b > a + 0.1 else 1)' "$TMP/plain" "$TMP/scaled"
	assert_success
	# the statistics: StandardScaler's, the constant column's scale 1
	run $PY -c '
import sys, msgpack, numpy as np
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
tr = next(f for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False) if f["name"] == "train")
m = next(f for f in fs if f["kind"] == "model")
X = np.frombuffer(tr["tensors"]["x"]["data"], "<f4").reshape(-1, 4).astype(float)
c = np.frombuffer(m["tensors"]["scale_center"]["data"], "<f8")
s = np.frombuffer(m["tensors"]["scale_scale"]["data"], "<f8")
sd = X.std(axis=0); sd[sd == 0] = 1
print(m["attrs"]["params"]["scale"], np.allclose(c, X.mean(axis=0)), np.allclose(s, sd), s[2])' "$TMP/m" "$TMP/in"
	assert_output "standard True True 1.0"
	run imb-train -q --model xgboost --scale standard < "$TMP/in"
	assert_failure 2
	assert_output --partial "--scale standard"
	run imb-train -q --model svm --scale log < "$TMP/in"
	assert_failure 2
	assert_output --partial "unknown scaling 'log'"
}

@test "imb-eval's config groups by every tabular setting: class weights, scaling, early stopping" {
	mk2 > "$TMP/in"
	CFG='
import sys, json
c = json.load(sys.stdin)[0]["config"]
print(" ".join("%s=%s" % (k, c.get(k)) for k in sys.argv[1:]))'
	run bash -c "imb-train -q --model linear-svm --class-weight 1,9 --scale minmax < '$TMP/in' | imb-eval --format json | $PY -c '$CFG' param.class_weight param.scale param.solver"
	assert_output "param.class_weight=1,9 param.scale=minmax param.solver=l2r_l2loss_svc"
	run bash -c "imb-train -q --model svm --class-weight balanced < '$TMP/in' | imb-eval --format json | $PY -c '$CFG' param.class_weight param.scale param.kernel"
	assert_output "param.class_weight=balanced param.scale=none param.kernel=rbf"
	$PY "$MK" dataset val 100 6 2 --seed 3 >> "$TMP/in"
	run bash -c "imb-train -q --val-frame val --early-stopping 4 --early-metric balanced_accuracy < '$TMP/in' | imb-eval --format json | $PY -c '$CFG' param.early_stopping param.early_metric param.class_weight"
	assert_output "param.early_stopping=4 param.early_metric=balanced_accuracy param.class_weight=none"
}
