#!/usr/bin/env bats
# imb-export: dataset, predictions and metrics frames as CSV, TSV, NPY,
# NPZ and LIBSVM, each read back by Python (numpy, csv, scikit-learn) and
# checked against the stream as the reader of docs/stream-format.md reads
# it; that reader itself checked against imb-info; bad input writes
# nothing.
load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export FILE_TMP="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	# the reader, as the document gives it
	awk '/<!-- imb-read.py: begin -->/ { f = 1; next } /<!-- imb-read.py: end -->/ { f = 0 } f' \
		"$ROOT/docs/stream-format.md" | sed '1d;$d' > "$FILE_TMP/imb_read.py"
	imb-import toy moons --n 400 --ratio 0.2 --noise 0.3 --seed 1 \
		| imb-split --train-ratio 0.2 --test-ratio 1 --seed 1 > "$FILE_TMP/toy.imb"
	imb-train -q --model xgboost --rounds 10 < "$FILE_TMP/toy.imb" | imb-predict > "$FILE_TMP/pred.imb"
	imb-eval -r 1,0.2 < "$FILE_TMP/pred.imb" > "$FILE_TMP/metrics.imb"
	imb-train -q -t 1 --model mlp:8 --epochs 1 --seed 1 < "$FILE_TMP/toy.imb" > "$FILE_TMP/nn.imb"
	imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.1 --n-train 220 --n-test 100 \
		--seed 1 > "$FILE_TMP/fm.imb"
	# names that need quoting or escaping, an id column, f64 and NaN
	$PY "$ROOT/tests/mkframe.py" raw '{"kind": "dataset", "name": "odd", "attrs": {"classes": ["a,b", "say \"hi\""], "features": ["w,1", "q\"2", "t\t3"]}, "tensors": {"x": {"dtype": "f64", "shape": [3, 3], "values": [0.1, 0, -1e-300, 1.5, NaN, 2, 0, 0, 0]}, "y": {"dtype": "i32", "shape": [3], "values": [1, 0, 1]}, "id": {"dtype": "i64", "shape": [3], "values": [9007199254740993, -4, 7]}}}' > "$FILE_TMP/odd.imb"
}

# py CODE ARGS...: Python with the document's reader importable as
# imb_read, numpy as np, and frames(FILE): [(kind, name, attrs, arrays)]
py() {
	local code="$1"
	shift
	$PY -c "
import sys, csv, io, math
sys.path.insert(0, '$FILE_TMP')
import numpy as np
from imb_read import read_frames
def frames(path):
    return list(read_frames(open(path, 'rb')))
def first(path, kind, name=None):
    return [f for f in frames(path) if f[0] == kind and (name is None or f[1] == name)][0]
$code" "$@"
}

@test "the reader of docs/stream-format.md reads every frame as imb-info lists it" {
	for s in toy nn pred metrics fm odd; do
		# imb-info's frames and tensors: 'KIND NAME TENSOR DTYPE SHAPE' lines
		imb-info "$FILE_TMP/$s.imb" | awk '
			/^frame [0-9]+: / { kind = $3; name = $4; gsub("\x27", "", name); next }
			/^  [a-z_]+ +(u8|i32|i64|f32|f64) +\(/ { sh = $3; gsub("[()]", "", sh); print kind, name, $1, $2, sh }
			/^frame/ { }' > "$TMP/info.txt"
		py '
np_name = {"uint8": "u8", "int32": "i32", "int64": "i64", "float32": "f32", "float64": "f64"}
for kind, name, attrs, a in frames(sys.argv[1]):
    for k, v in a.items():
        print(kind, name, k, np_name[str(v.dtype)], ",".join(map(str, v.shape)))' \
			"$FILE_TMP/$s.imb" > "$TMP/reader.txt"
		[ -s "$TMP/info.txt" ]
		diff "$TMP/info.txt" "$TMP/reader.txt"
	done
	# a model's tensors: the bytes of the stream (helpers.bash's weights)
	py '
import hashlib
kind, name, attrs, a = first(sys.argv[1], "model")
for k in sorted(a):
    print(k, hashlib.sha256(a[k].tobytes()).hexdigest())' "$FILE_TMP/nn.imb" > "$TMP/reader-w.txt"
	weights "$FILE_TMP/nn.imb" > "$TMP/w.txt"
	grep -q '^params ' "$TMP/w.txt"
	diff "$TMP/w.txt" "$TMP/reader-w.txt"
	# as a program, on stdin too: one line per frame
	run bash -c "$PY '$FILE_TMP/imb_read.py' < '$FILE_TMP/pred.imb'"
	assert_success
	[ "${#lines[@]}" -eq "$(imb-info "$FILE_TMP/pred.imb" | grep -c '^frame ')" ]
	assert_line --regexp '^predictions test probs float32 \([0-9]+, 2\) pred int32 \([0-9]+,\)$'
	# a bad version is refused
	$PY "$ROOT/tests/mkframe.py" raw '{"imb": 2, "kind": "dataset"}' > "$TMP/v2.imb"
	run $PY "$FILE_TMP/imb_read.py" "$TMP/v2.imb"
	assert_failure
	assert_output --partial "not an imb version 1 frame"
}

@test "npy: numpy.save's bytes exactly, values the stream's, for every frame kind" {
	imb-export --frame train --format npy -o "$TMP/fm" "$FILE_TMP/fm.imb"
	imb-export --frame test --kind dataset --format npy -o "$TMP/toy" "$FILE_TMP/toy.imb"
	imb-export --format npy -o "$TMP/odd" "$FILE_TMP/odd.imb"
	imb-export --format npy -o "$TMP/pred" "$FILE_TMP/pred.imb"
	imb-export --index 5 --format npy -o "$TMP/met" "$FILE_TMP/metrics.imb"
	ls "$TMP" > "$TMP/ls.txt"
	py '
d = sys.argv[1]
def same(prefix, arrays):
    for k, v in arrays.items():
        p = "%s/%s.%s.npy" % (d, prefix, k)
        b = io.BytesIO(); np.save(b, v)
        assert open(p, "rb").read() == b.getvalue(), p
        got = np.load(p)
        assert got.dtype == v.dtype and got.shape == v.shape and np.array_equal(got, v, equal_nan=v.dtype.kind == "f"), p
same("fm", first(sys.argv[2] + "/fm.imb", "dataset", "train")[3])
same("toy", first(sys.argv[2] + "/toy.imb", "dataset", "test")[3])
same("odd", first(sys.argv[2] + "/odd.imb", "dataset")[3])
same("pred", first(sys.argv[2] + "/pred.imb", "predictions")[3])
assert np.load(d + "/fm.x.npy").shape == (220, 1, 28, 28) and np.load(d + "/fm.x.npy").dtype == np.uint8
assert np.load(d + "/odd.id.npy")[0] == 9007199254740993
# metrics: the confusion matrix and per-class fields of the second metrics frame (target ratio 0.2)
m = [f for f in frames(sys.argv[2] + "/metrics.imb") if f[0] == "metrics"][1][2]
assert m["config"]["target_ratio"] == 0.2
assert np.array_equal(np.load(d + "/met.confusion.npy"), np.array(m["confusion"], dtype=float))
for k in ("support", "recall", "precision", "f1"):
    want = np.array([c[k] if c[k] is not None else np.nan for c in m["per_class"]], dtype=float)
    assert np.array_equal(np.load(d + "/met.%s.npy" % k), want, equal_nan=True), k
' "$TMP" "$FILE_TMP"
	# one array a file, nothing else
	for a in fm.x fm.y toy.x toy.y odd.x odd.y odd.id pred.probs pred.pred met.confusion met.support met.recall met.precision met.f1; do
		grep -qx "$a.npy" "$TMP/ls.txt"
	done
	[ "$(grep -c '\.npy$' "$TMP/ls.txt")" -eq 14 ]
	# --tensor: one array to stdout or a file, the same bytes
	imb-export --frame train --format npy --tensor y "$FILE_TMP/fm.imb" > "$TMP/y1.npy"
	imb-export --frame train --format npy --tensor y -o "$TMP/y2.npy" "$FILE_TMP/fm.imb"
	cmp "$TMP/y1.npy" "$TMP/fm.y.npy"
	cmp "$TMP/y2.npy" "$TMP/fm.y.npy"
}

@test "npz: one zip numpy.load and zipfile read, the arrays of npy" {
	imb-export --frame test --kind dataset --format npz -o "$TMP/toy.npz" "$FILE_TMP/pred.imb"
	imb-export --frame test --kind dataset --format npz "$FILE_TMP/pred.imb" > "$TMP/stdout.npz"
	cmp "$TMP/toy.npz" "$TMP/stdout.npz"
	imb-export --format npz -o "$TMP/odd.npz" "$FILE_TMP/odd.imb"
	imb-export --format npz -o "$TMP/pred.npz" "$FILE_TMP/pred.imb"
	imb-export --index 4 --format npz -o "$TMP/met.npz" "$FILE_TMP/metrics.imb"
	imb-export --index 4 --format npy -o "$TMP/met" "$FILE_TMP/metrics.imb"
	py '
import zipfile
d = sys.argv[1]
for z, src, kind, name in (("toy", "pred", "dataset", "test"), ("odd", "odd", "dataset", None),
                           ("pred", "pred", "predictions", "test")):
    zf = zipfile.ZipFile("%s/%s.npz" % (d, z))
    assert zf.testzip() is None
    a = first(sys.argv[2] + "/%s.imb" % src, kind, name)[3]
    assert sorted(zf.namelist()) == sorted(k + ".npy" for k in a)
    got = np.load("%s/%s.npz" % (d, z))
    for k, v in a.items():
        assert got[k].dtype == v.dtype and np.array_equal(got[k], v, equal_nan=v.dtype.kind == "f"), k
got = np.load(d + "/met.npz")
assert sorted(got.files) == ["confusion", "f1", "precision", "recall", "support"]
for k in got.files:
    assert np.array_equal(got[k], np.load(d + "/met.%s.npy" % k), equal_nan=True), k
' "$TMP" "$FILE_TMP"
}

@test "csv and tsv of a dataset: feature names, class names, id first; values read back exactly" {
	imb-export --frame test "$FILE_TMP/toy.imb" > "$TMP/toy.csv"
	imb-export --format tsv "$FILE_TMP/odd.imb" > "$TMP/odd.tsv"
	imb-export --format csv "$FILE_TMP/odd.imb" > "$TMP/odd.csv"
	imb-export --frame test --format tsv "$FILE_TMP/fm.imb" > "$TMP/fm.tsv"
	py '
d = sys.argv[1]
def tsv_cell(s):   # the project escape undone
    return s.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")
kind, name, attrs, a = first(sys.argv[2] + "/toy.imb", "dataset", "test")
rows = list(csv.reader(open(d + "/toy.csv", newline="")))
assert rows[0] == attrs["features"] + ["label"], rows[0]
x = np.array([[np.float32(float(c)) for c in r[:-1]] for r in rows[1:]], dtype=np.float32)
assert np.array_equal(x, a["x"])
assert [r[-1] for r in rows[1:]] == [attrs["classes"][k] for k in a["y"]]
kind, name, attrs, a = first(sys.argv[2] + "/odd.imb", "dataset")
for path, rd in ((d + "/odd.csv", lambda f: csv.reader(f)),
                 (d + "/odd.tsv", lambda f: ([tsv_cell(c) for c in l.rstrip("\n").split("\t")] for l in f))):
    rows = list(rd(open(path, newline="")))
    assert rows[0] == ["id"] + attrs["features"] + ["label"], rows[0]
    assert [int(r[0]) for r in rows[1:]] == list(a["id"])
    x = np.array([[float(c) for c in r[1:-1]] for r in rows[1:]])
    assert np.array_equal(x, a["x"], equal_nan=True) and np.isnan(x[1, 1])
    assert [r[-1] for r in rows[1:]] == [attrs["classes"][k] for k in a["y"]]
kind, name, attrs, a = first(sys.argv[2] + "/fm.imb", "dataset", "test")
rows = [l.rstrip("\n").split("\t") for l in open(d + "/fm.tsv")]
assert rows[0][:3] == ["x_0_0_0", "x_0_0_1", "x_0_0_2"] and rows[0][28] == "x_0_1_0"
assert rows[0][-2:] == ["x_0_27_27", "label"] and len(rows[0]) == 785
assert np.array_equal(np.array([[int(c) for c in r[:-1]] for r in rows[1:]], dtype=np.uint8),
                      a["x"].reshape(100, 784))
assert [r[-1] for r in rows[1:]] == [attrs["classes"][k] for k in a["y"]]
' "$TMP" "$FILE_TMP"
	# CSV quoting as RFC 4180 says, TSV the project escape
	[ "$(head -1 "$TMP/odd.csv")" = 'id,"w,1","q""2",t	3,label' ]
	[ "$(head -1 "$TMP/odd.tsv")" = "$(printf 'id\tw,1\tq"2\tt\\t3\tlabel')" ]
	# several frames: one table, a set column
	run imb-export --format csv "$FILE_TMP/toy.imb"
	assert_success
	[ "${lines[0]}" = "set,x1,x2,label" ]
	echo "$output" > "$TMP/both.csv"
	py '
rows = list(csv.reader(open(sys.argv[1], newline="")))[1:]
want = [(name, list(attrs["features"]), a["x"], a["y"], attrs["classes"])
        for kind, name, attrs, a in frames(sys.argv[2])]
assert [r[0] for r in rows] == [w[0] for w in want for _ in w[3]]
assert np.array_equal(np.array([[float(c) for c in r[1:3]] for r in rows], dtype=np.float32),
                      np.concatenate([w[2] for w in want]))
' "$TMP/both.csv" "$FILE_TMP/toy.imb"
}

@test "csv and tsv of predictions: imb-predict's own table; metrics: imb-eval's columns, config, exact numbers" {
	imb-export --format csv "$FILE_TMP/pred.imb" > "$TMP/p.csv"
	imb-train -q --model xgboost --rounds 10 < "$FILE_TMP/toy.imb" | imb-predict --format csv > "$TMP/want.csv"
	cmp "$TMP/p.csv" "$TMP/want.csv"
	imb-export --kind predictions --format tsv -o "$TMP/p.tsv" "$FILE_TMP/pred.imb"
	py '
kind, name, attrs, a = first(sys.argv[2] + "/pred.imb", "predictions")
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1] + "/p.tsv")]
assert rows[0] == ["pred"] + ["p_" + c for c in attrs["classes"]]
assert np.array_equal(np.array([[float(c) for c in r[1:]] for r in rows[1:]], dtype=np.float32), a["probs"])
assert [r[0] for r in rows[1:]] == [attrs["classes"][k] for k in a["pred"]]
' "$TMP" "$FILE_TMP"
	# metrics: imb-eval's TSV columns first, then the config
	imb-export --format tsv "$FILE_TMP/metrics.imb" > "$TMP/m.tsv"
	imb-export "$FILE_TMP/metrics.imb" > "$TMP/m.csv"
	want=$(imb-eval -r 1,0.2 --format tsv "$FILE_TMP/pred.imb" | head -1)
	[ "$(head -1 "$TMP/m.tsv" | cut -f 1-$(echo "$want" | awk -F '\t' '{ print NF }'))" = "$want" ]
	py '
ms = [f for f in frames(sys.argv[2] + "/metrics.imb") if f[0] == "metrics"]
key = {"nll": "log_loss"}
for path, rows in (("tsv", [l.rstrip("\n").split("\t") for l in open(sys.argv[1] + "/m.tsv")]),
                   ("csv", list(csv.reader(open(sys.argv[1] + "/m.csv", newline=""))))):
    head = rows[0]
    assert len(rows) == 1 + len(ms), path
    for r, (kind, name, attrs, a) in zip(rows[1:], ms):
        cell = dict(zip(head, r))
        assert cell["set"] == name and cell["model"] == attrs["model"] and int(cell["n"]) == attrs["n"]
        for col in ("accuracy", "balanced_accuracy", "macro_f1", "gmean", "auroc", "nll", "brier", "ece"):
            want = attrs["metrics"][key.get(col, col)]
            assert float(cell[col]) == want, (path, col, cell[col], want)
        for k, pc in enumerate(attrs["per_class"]):
            assert float(cell["recall_" + pc["class"]]) == pc["recall"]
        for k, v in attrs["config"].items():
            if isinstance(v, float):
                assert float(cell[k]) == v, (k, cell[k], v)
            else:
                assert cell[k] == str(v), (k, cell[k], v)
        assert "param.eta" in head and "train_ratio" in head
' "$TMP" "$FILE_TMP"
}

@test "libsvm: scikit-learn reads it back; one-based by default, zeros left out; labels index or name" {
	imb-export --frame test --kind dataset --format libsvm -o "$TMP/toy.svm" "$FILE_TMP/pred.imb"
	imb-export --format libsvm --zero-based "$FILE_TMP/odd.imb" > "$TMP/odd0.svm"
	imb-export --format libsvm "$FILE_TMP/odd.imb" > "$TMP/odd1.svm"
	imb-export --format libsvm --labels name --frame train "$FILE_TMP/fm.imb" > "$TMP/fm.svm"
	imb-export --kind predictions --format libsvm "$FILE_TMP/pred.imb" > "$TMP/pred.svm"
	py '
from sklearn.datasets import load_svmlight_file
d = sys.argv[1]
kind, name, attrs, a = first(sys.argv[2] + "/pred.imb", "dataset", "test")
X, y = load_svmlight_file(d + "/toy.svm", n_features=2, zero_based=False)
# f32 text reads back to the same f32 (not the same f64)
assert np.array_equal(X.toarray().astype(np.float32), a["x"]) and np.array_equal(y, a["y"])
kind, name, attrs, a = first(sys.argv[2] + "/odd.imb", "dataset")
x = a["x"].copy(); x[1, 1] = 7   # scikit-learn reads no NaN: compare the rest
for f, zb in (("odd0.svm", True), ("odd1.svm", False)):
    txt = open(d + "/" + f).read().replace("nan", "7")
    X, y = load_svmlight_file(io.BytesIO(txt.encode()), n_features=3, zero_based=zb)
    assert np.array_equal(X.toarray(), x) and np.array_equal(y, a["y"]), f
assert open(d + "/odd1.svm").read().splitlines() == ["1 1:0.1 3:-1e-300", "0 1:1.5 2:nan 3:2", "1"]
kind, name, attrs, a = first(sys.argv[2] + "/fm.imb", "dataset", "train")
lines = open(d + "/fm.svm").read().splitlines()
assert [l.split()[0] for l in lines] == [attrs["classes"][k] for k in a["y"]]
X = np.zeros((len(lines), 784))
for i, l in enumerate(lines):
    for t in l.split()[1:]:
        j, v = t.split(":"); X[i, int(j) - 1] = int(v)
    assert all(t.split(":")[1] != "0" for t in l.split()[1:])
assert np.array_equal(X, a["x"].reshape(-1, 784))
kind, name, attrs, a = first(sys.argv[2] + "/pred.imb", "predictions")
X, y = load_svmlight_file(d + "/pred.svm", n_features=2, zero_based=False)
assert np.array_equal(X.toarray().astype(np.float32), a["probs"]) and np.array_equal(y, a["pred"])
' "$TMP" "$FILE_TMP"
}

@test "libsvm of images: scikit-learn's dump_svmlight_file bytes, one- and zero-based" {
	imb-export --frame train --format libsvm "$FILE_TMP/fm.imb" > "$TMP/one.svm"
	imb-export --frame train --format libsvm --zero-based "$FILE_TMP/fm.imb" > "$TMP/zero.svm"
	py '
from sklearn.datasets import dump_svmlight_file
a = first(sys.argv[2] + "/fm.imb", "dataset", "train")[3]
x = a["x"].reshape(len(a["y"]), -1).astype(np.float64)
for f, zb in (("one.svm", False), ("zero.svm", True)):
    b = io.BytesIO()
    dump_svmlight_file(x, a["y"].astype(np.float64), b, zero_based=zb)
    assert open(sys.argv[1] + "/" + f, "rb").read() == b.getvalue(), f
' "$TMP" "$FILE_TMP"
}

@test "libsvm round trip through imb-import libsvm: x and y come back equal" {
	imb-export --frame train --format libsvm "$FILE_TMP/toy.imb" > "$TMP/train.svm"
	imb-export --frame train --format libsvm "$FILE_TMP/fm.imb" > "$TMP/fm.svm"
	imb-import libsvm "$TMP/train.svm" --n-features 2 > "$TMP/back.imb"
	imb-import libsvm "$TMP/fm.svm" --n-features 784 > "$TMP/fmback.imb"
	py '
for orig, name, back, dtype in ((sys.argv[1] + "/toy.imb", "train", sys.argv[2] + "/back.imb", np.float32),
                                (sys.argv[1] + "/fm.imb", "train", sys.argv[2] + "/fmback.imb", np.uint8)):
    a = first(orig, "dataset", name)[3]
    b = first(back, "dataset")[3]
    assert np.array_equal(b["x"].astype(dtype), a["x"].reshape(len(a["y"]), -1)), orig
    assert np.array_equal(b["x"], a["x"].reshape(len(a["y"]), -1).astype(np.float32)), orig
    assert np.array_equal(b["y"], a["y"]), orig
' "$FILE_TMP" "$TMP"
}

@test "libsvm round trip, zero-based: imb-import libsvm --zero-based reads it" {
	imb-import libsvm --help | grep -q zero-based || skip "imb-import libsvm has no --zero-based"
	imb-export --frame train --format libsvm --zero-based "$FILE_TMP/toy.imb" > "$TMP/train0.svm"
	grep -q ' 0:' "$TMP/train0.svm"
	imb-import libsvm "$TMP/train0.svm" --zero-based --n-features 2 > "$TMP/back0.imb"
	py '
a = first(sys.argv[1] + "/toy.imb", "dataset", "train")[3]
b = first(sys.argv[2] + "/back0.imb", "dataset")[3]
assert np.array_equal(b["x"], a["x"]) and np.array_equal(b["y"], a["y"])
' "$FILE_TMP" "$TMP"
}

# fails CODE MESSAGE ARGS...: imb-export ARGS exits CODE, names the
# problem on stderr, writes nothing on stdout and no file in $TMP/out
fails() {
	local code="$1" msg="$2"
	shift 2
	mkdir -p "$TMP/out"
	run --separate-stderr imb-export "$@"
	[ "$status" -eq "$code" ] || { echo "status $status, want $code: $stderr"; return 1; }
	[[ "$stderr" == *"$msg"* ]] || { echo "stderr: $stderr; want: $msg"; return 1; }
	[ -z "$output" ] || { echo "stdout: $output"; return 1; }
	[ -z "$(ls -A "$TMP/out")" ] || { ls -A "$TMP/out"; return 1; }
}

@test "bad input: a clear message, exit 1 (data) or 2 (usage), nothing written" {
	fails 1 "no predictions frame in the input" --kind predictions -o "$TMP/out/a.csv" "$FILE_TMP/toy.imb"
	imb-cat --kind model "$FILE_TMP/nn.imb" > "$TMP/model.imb"
	fails 1 "no dataset, predictions or metrics frame in the input" -o "$TMP/out/a.csv" "$TMP/model.imb"
	fails 1 "no dataset, predictions or metrics frame named 'val' in the input (there: frame 1 dataset 'train', frame 2 dataset 'test')" \
		--frame val -o "$TMP/out/a.csv" "$FILE_TMP/toy.imb"
	fails 1 "no dataset frame named 'val' in the input (there: frame 1 'train', frame 2 'test')" \
		--kind dataset --frame val -o "$TMP/out/a.csv" "$FILE_TMP/toy.imb"
	fails 1 "frame 1 of the input is no dataset, predictions or metrics frame (there: frame 2 dataset 'test', frame 3 predictions 'test')" \
		--index 1 -o "$TMP/out/a.csv" "$FILE_TMP/pred.imb"
	fails 2 "--format: 'xlsx'" --format xlsx -o "$TMP/out/a.csv" "$FILE_TMP/toy.imb"
	fails 2 "--kind: 'model'" --kind model -o "$TMP/out/a.csv" "$FILE_TMP/toy.imb"
	fails 2 "-o PREFIX" --format npy "$FILE_TMP/toy.imb"
	fails 2 "--zero-based is for --format libsvm" --zero-based -o "$TMP/out/a.csv" "$FILE_TMP/toy.imb"
	fails 2 "--tensor is for --format npy" --tensor x --format npz -o "$TMP/out/a.npz" "$FILE_TMP/toy.imb"
	# several frames where the format writes one: listed
	fails 1 "2 dataset frames (frame 1 'train', frame 2 'test'): npy writes one; choose it with --frame or --index" \
		--format npy -o "$TMP/out/p" "$FILE_TMP/toy.imb"
	fails 1 "2 metrics frames named 'test' (frame 4 'test', frame 5 'test'): npz writes one; choose it with --index" \
		--frame test --format npz -o "$TMP/out/m.npz" "$FILE_TMP/metrics.imb"
	fails 1 "has no array 'z'" --frame test --format npy --tensor z -o "$TMP/out/z.npy" "$FILE_TMP/toy.imb"
	# libsvm: labels needed; none for metrics; names without spaces
	$PY "$ROOT/tests/mkframe.py" raw '{"kind": "dataset", "name": "new", "tensors": {"x": {"dtype": "f32", "shape": [2, 2], "values": [1, 2, 3, 4]}}}' > "$TMP/nolabels.imb"
	fails 1 "frame 1 (dataset 'new') has no labels (tensor 'y'): libsvm needs one per row" \
		--format libsvm -o "$TMP/out/a.svm" "$TMP/nolabels.imb"
	fails 1 "libsvm writes dataset and predictions frames, not metrics" --format libsvm -o "$TMP/out/a.svm" \
		"$FILE_TMP/metrics.imb"
	fails 1 "class 'say \"hi\"' is empty or holds a space" --format libsvm --labels name -o "$TMP/out/a.svm" \
		"$FILE_TMP/odd.imb"
	# an output directory that does not exist: named; npy's files all or none
	fails 1 "$TMP/out/no/such/a.csv: No such file or directory" -o "$TMP/out/no/such/a.csv" "$FILE_TMP/toy.imb"
	fails 1 "$TMP/out/no/p.x.npy: No such file or directory" --frame test --format npy -o "$TMP/out/no/p" \
		"$FILE_TMP/toy.imb"
	# a truncated stream: exit 1, nothing written
	head -c 300 "$FILE_TMP/toy.imb" > "$TMP/cut.imb"
	fails 1 "cut.imb: frame 1 (dataset 'train'): truncated stream" -o "$TMP/out/a.csv" "$TMP/cut.imb"
	# an unlabelled frame exports without a label column
	run imb-export --format csv "$TMP/nolabels.imb"
	assert_success
	assert_output "$(printf 'x_0,x_1\n1,2\n3,4')"
}

@test "csv of a dataset with text ids (imb-import csv --id): the ids as the file had them, quoted when needed" {
	printf 'name,a,b,y\nann,1,2,x\n"b,ob",3,NA,y\ncy,5,6,x\n' > "$TMP/t.csv"
	imb-import csv "$TMP/t.csv" --label y --id name > "$TMP/t.imb"
	run imb-export --format csv "$TMP/t.imb"
	assert_success
	[ "${lines[0]}" = "id,a,b,label" ]
	[ "${lines[1]}" = "ann,1,2,x" ]
	[ "${lines[2]}" = '"b,ob",3,nan,y' ]
	[ "${lines[3]}" = "cy,5,6,x" ]
	run imb-export --format tsv "$TMP/t.imb"
	assert_success
	[ "${lines[2]}" = "$(printf 'b,ob\t3\tnan\ty')" ]
}
