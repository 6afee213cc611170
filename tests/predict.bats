#!/usr/bin/env bats
# imb-predict: every row's predicted class and class probabilities, for
# every model kind, as TSV, CSV or predictions frames; thresholds set by
# hand or chosen on a validation frame; bad input is a clear error.
load helpers

setup_file() {
	export FILE_TMP="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import toy moons --n 1200 --ratio 0.2 --noise 0.3 --seed 1 \
		| imb-split --train-ratio 0.2 --test-ratio 1 --n-val 200 --seed 1 > "$FILE_TMP/split.imb"
	imb-train -q -t 1 --model mlp:16 --epochs 10 --seed 1 < "$FILE_TMP/split.imb" > "$FILE_TMP/nn.imb"
	imb-train -q --model xgboost --rounds 20 < "$FILE_TMP/split.imb" > "$FILE_TMP/xgb.imb"
}

# rows_check TSV STREAM: the log loss of imb-predict's rows (TSV) of the
# test frame against its labels in STREAM, and whether every row's pred
# is its most probable class: "LOGLOSS True"
rows_check() {
	$PY -c '
import sys, math, struct, msgpack
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
y = None
for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False, max_buffer_size=1 << 31):
    if f["kind"] == "dataset" and f["name"] == "test":
        t = f["tensors"]["y"]; y = struct.unpack("<%di" % t["shape"][0], t["data"])
assert len(rows) == len(y), (len(rows), len(y))
ll = -sum(math.log(max(min(float(r[1 + k]), 1 - 2.2e-16), 2.2e-16)) for r, k in zip(rows, y)) / len(y)
pred_ok = all(r[0] == ("minority" if float(r[2]) > float(r[1]) else "majority") for r in rows)
print("%.6g" % ll, pred_ok)' "$1" "$2"
}

@test "one row per sample, the class names as columns; probabilities give imb-eval's metrics" {
	for m in nn xgb; do
		run imb-predict --frame test --format tsv "$FILE_TMP/$m.imb"
		assert_success
		[ "$(echo "$output" | head -1)" = "$(printf 'pred\tp_majority\tp_minority')" ]
		echo "$output" > "$TMP/$m.tsv"
		# the log loss of these rows is imb-eval's
		nll=$(imb-eval --format tsv "$FILE_TMP/$m.imb" | tsvcol nll)
		run rows_check "$TMP/$m.tsv" "$FILE_TMP/$m.imb"
		assert_success
		echo "$m: log loss of the rows $output, imb-eval's $nll" >&3
		[ "$output" = "$nll True" ]
	done
}

@test "every dataset frame by default, with a set column; CSV; predictions frames after the stream" {
	run imb-predict --format csv "$FILE_TMP/nn.imb"
	assert_success
	[ "$(echo "$output" | head -1)" = "set,pred,p_majority,p_minority" ]
	[ "$(echo "$output" | cut -d, -f1 | tail -n +2 | sort -u | tr '\n' ' ')" = "test val " ]
	run bash -c "imb-predict '$FILE_TMP/nn.imb' | imb-info"
	assert_success
	assert_output --partial "predictions 'val'"
	assert_output --partial "predictions 'test'"
	assert_output --partial "model 'model'"
	# an 'id' tensor is carried over as the first column
	$PY "$ROOT/tests/mkframe.py" raw '{"kind": "dataset", "name": "new", "attrs": {}, "tensors": {"x": {"dtype": "f32", "shape": [2, 2], "values": [0.5, 0.5, 1.5, -0.5]}, "id": {"dtype": "i64", "shape": [2], "values": [1001, 1002]}}}' > "$TMP/new.imb"
	run bash -c "cat '$FILE_TMP/nn.imb' '$TMP/new.imb' | imb-predict --frame new --format tsv"
	assert_success
	[ "$(echo "$output" | head -1 | cut -f1-2)" = "$(printf 'id\tpred')" ]
	[ "$(echo "$output" | tail -n +2 | cut -f1 | tr '\n' ' ')" = "1001 1002 " ]
}

@test "--threshold moves predictions; --threshold-for picks the best threshold on the validation frame" {
	a=$(imb-predict --frame test --format tsv --threshold 0.9 "$FILE_TMP/nn.imb" | grep -c '^minority')
	b=$(imb-predict --frame test --format tsv --threshold 0.1 "$FILE_TMP/nn.imb" | grep -c '^minority')
	echo "minority predictions at 0.9: $a, at 0.1: $b" >&3
	[ "$a" -lt "$b" ]
	for m in balanced_accuracy f1 gmean; do
		imb-predict --threshold-for $m --format tsv --frame val "$FILE_TMP/nn.imb" > "$TMP/v.tsv"
		imb-predict --threshold-for $m "$FILE_TMP/nn.imb" | imb-cat --kind predictions --name test \
			> "$TMP/p.imb"
		# brute force over every threshold on the validation rows
		run $PY -c '
import sys, math, msgpack, struct
m = sys.argv[1]
val = [f for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False) if f["kind"] == "dataset" and f["name"] == "val"][0]
y = struct.unpack("<%di" % val["tensors"]["y"]["shape"][0], val["tensors"]["y"]["data"])
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[3])][1:]
s = [float(r[2]) for r in rows]
P = sum(y); N = len(y) - P
def score(t):
    tp = sum(1 for a, b in zip(s, y) if a >= t and b); fp = sum(1 for a, b in zip(s, y) if a >= t and not b)
    tpr, tnr = tp / P, (N - fp) / N
    return {"balanced_accuracy": (tpr + tnr) / 2, "gmean": math.sqrt(tpr * tnr),
            "f1": 2 * tp / (2 * tp + fp + (P - tp)) if tp else 0}[m]
best = max(score(t) for t in set(s))
pf = [f for f in msgpack.Unpacker(open(sys.argv[4], "rb"), raw=False)][0]["attrs"]
print("%.9g %.9g %.9g" % (best, pf["threshold_for"]["value"], score(pf["threshold"])))' \
			$m "$FILE_TMP/split.imb" "$TMP/v.tsv" "$TMP/p.imb"
		assert_success
		echo "$m: brute force, chosen, the chosen threshold's: $output" >&3
		read -r best chosen at <<< "$output"
		[ "$best" = "$chosen" ]
		[ "$best" = "$at" ]
	done
}

@test "a Laplace posterior and an SGHMC ensemble predict like any model" {
	imb-train -q -t 1 --model mlp:16 --epochs 5 --seed 1 --keep-train < "$FILE_TMP/split.imb" \
		| imb-laplace -q > "$TMP/la.imb"
	imb-sghmc -q --model mlp:8 --epochs 4 --cycles 2 --explore 0.5 --samples-per-cycle 1 \
		--split-frames < "$FILE_TMP/split.imb" > "$TMP/sg.imb"
	for m in la sg; do
		run imb-predict --frame test --format tsv "$TMP/$m.imb"
		assert_success
		[ "$(echo "$output" | head -1)" = "$(printf 'pred\tp_majority\tp_minority')" ]
		echo "$output" > "$TMP/$m.tsv"
		nll=$(imb-eval --format tsv "$TMP/$m.imb" | tsvcol nll)
		run rows_check "$TMP/$m.tsv" "$TMP/$m.imb"
		assert_success
		echo "$m: log loss of the rows $output, imb-eval's $nll" >&3
		[ "$output" = "$nll True" ]
	done
}

@test "bad input: no model, no such frame, a threshold for more classes, bad flags; nothing written" {
	run imb-predict --format tsv "$FILE_TMP/split.imb"
	assert_failure 1
	assert_output --partial "no model frame"
	run imb-predict --frame nope --format tsv -o "$TMP/out.tsv" "$FILE_TMP/nn.imb"
	assert_failure 1
	assert_output --partial "no dataset frame named 'nope'"
	[ ! -e "$TMP/out.tsv" ]
	run imb-predict --threshold-for f1 --val-frame nope --format tsv "$FILE_TMP/nn.imb"
	assert_failure 1
	assert_output --partial "no dataset frame named 'nope' in the input to choose the threshold on"
	{ $PY "$ROOT/tests/mkframe.py" dataset train 300 2 3 --seed 1
	  $PY "$ROOT/tests/mkframe.py" dataset test 60 2 3 --seed 2; } \
		| imb-train -q --model xgboost --rounds 5 > "$TMP/three.imb"
	run imb-predict --threshold 0.5 --format tsv "$TMP/three.imb"
	assert_failure 1
	assert_output --partial "a threshold is for two classes"
	run imb-predict --threshold 1.5 "$FILE_TMP/nn.imb"
	assert_failure 2
	run imb-predict --threshold 0.5 --threshold-for f1 "$FILE_TMP/nn.imb"
	assert_failure 2
	run imb-predict --threshold-for accuracy "$FILE_TMP/nn.imb"
	assert_failure 2
	assert_output --partial "balanced_accuracy, f1 or gmean"
	run imb-predict --format json "$FILE_TMP/nn.imb"
	assert_failure 2
	run imb-predict --help
	assert_success
	assert_output --partial "--threshold-for"
}
