#!/usr/bin/env bats
# imb-train --model ARCH: networks on the train frame; the model frame
# replaces it, a log frame follows, every other frame passes through; and
# imb-eval on network models.
load helpers

MK="$ROOT/tests/mkframe.py"

# one line per frame: kind name [model arch n_features n_classes]
SHOW='
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    a = f.get("attrs", {})
    extra = ""
    if f["kind"] == "model":
        extra = " %s %s %d %d" % (a["model"], a.get("arch"), a["n_features"], a["n_classes"])
    print(f["kind"] + " " + f.get("name", "") + extra)
'

# compare the tensors of the model frames of two streams: "same" or "differ"
SAME_MODEL='
import sys, msgpack
def model(p):
    for f in msgpack.Unpacker(open(p, "rb"), raw=False):
        if f["kind"] == "model":
            return f
a, b = model(sys.argv[1]), model(sys.argv[2])
ta = {k: v["data"] for k, v in a["tensors"].items()}
tb = {k: v["data"] for k, v in b["tensors"].items()}
print("same" if ta == tb and len(ta) > 0 else "differ")
'
same_model() { $PY -c "$SAME_MODEL" "$1" "$2"; }

setup_file() {
	export FILE_TMP="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	# imbalanced moons (10:1) to train on, a balanced test set
	{ imb-import toy moons --seed 1; imb-import toy moons --name test --ratio 1 --n 1000 --seed 2; } \
		> "$FILE_TMP/moons.imb"
	imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 --n-train 2000 \
		--n-test 1000 --seed 2 > "$FILE_TMP/fm.imb"
	# a small image split for the ResNet tests
	imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.2 --n-train 200 \
		--n-test 100 --seed 3 > "$FILE_TMP/fm-small.imb"
}

@test "mlp: the model frame replaces train, the log follows, test passes through (pipe)" {
	run bash -c "cat '$FILE_TMP/moons.imb' | imb-train -q --model mlp:8 --epochs 2 | $PY -c '$SHOW'"
	assert_success
	assert_output "model model mlp:8 mlp:8 2 2
log train
dataset test"
}

@test "'-' and a file argument give the same model bytes" {
	imb-train -q --model mlp:8 --epochs 2 - < "$FILE_TMP/moons.imb" > "$TMP/a"
	imb-train -q --model mlp:8 --epochs 2 "$FILE_TMP/moons.imb" > "$TMP/b"
	run same_model "$TMP/a" "$TMP/b"
	assert_output same
}

@test "mlp:64,64 learns imbalanced moons: balanced accuracy >= 0.95 and above a linear model's by 0.03" {
	run bash -c "imb-train -q --model mlp:64,64 --epochs 30 --lr 0.1 --seed 1 < '$FILE_TMP/moons.imb' \
		| imb-eval --format tsv"
	assert_success
	nn=$(echo "$output" | tsvcol balanced_accuracy)
	# the oracle: scikit-learn's logistic regression on the same frames
	lin=$($PY -c '
import sys, msgpack, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
fs = {f["name"]: f for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False)}
def xy(f):
    t = f["tensors"]
    x = np.frombuffer(t["x"]["data"], "<f4").reshape(t["x"]["shape"])
    return x, np.frombuffer(t["y"]["data"], "<i4")
x, y = xy(fs["train"]); xt, yt = xy(fs["test"])
print(balanced_accuracy_score(yt, LogisticRegression().fit(x, y).predict(xt)))' "$FILE_TMP/moons.imb")
	echo "mlp $nn, logistic regression $lin"
	awk -v a="$nn" -v b="$lin" 'BEGIN { exit !(a >= 0.95 && a >= b + 0.03) }'
}

@test "the documented resnet8 command runs: resnet8, 3 epochs, then imb-eval" {
	run bash -c "imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 --n-train 2000 --n-test 1000 --seed 2 | imb-train --model resnet8 --epochs 3 --batch-size 128 --lr 0.05 --seed 1 | imb-eval --format tsv 2>'$TMP/err'"
	assert_success
	assert_line --index 0 --partial "balanced_accuracy"
	[ "$(echo "$output" | tsvcol model)" = resnet8 ]
	[ "$(echo "$output" | tsvcol n)" = 1000 ]
	ba=$(echo "$output" | tsvcol balanced_accuracy)
	awk -v a="$ba" 'BEGIN { exit !(a >= 0.5 && a <= 1) }'
}

@test "epoch lines on stderr (loss, acc, per class); the log frame holds every epoch" {
	IMB_PROGRESS= imb-train --model mlp:8 --epochs 3 --seed 1 < "$FILE_TMP/moons.imb" 2> "$TMP/err" > "$TMP/out"
	run grep -c '^imb-train: epoch [1-3]/3 loss [0-9.]* acc [0-9.]* per-class [0-9.]*,[0-9.]* lr .* s .* img/s$' "$TMP/err"
	assert_output 3
	run $PY -c '
import sys, msgpack
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
log = [f for f in fs if f["kind"] == "log"][0]
ep = log["attrs"]["epochs"]
assert [e["epoch"] for e in ep] == [1, 2, 3], ep
for e in ep:
    assert len(e["per_class_acc"]) == 2 and len(e["per_class_loss"]) == 2
    assert 0 <= e["acc"] <= 1 and e["loss"] > 0 and e["seconds"] >= 0 and e["lr"] > 0
    # overall accuracy is the count-weighted mean of the per-class ones
    n = e["per_class_n"]
    acc = sum(a * k for a, k in zip(e["per_class_acc"], n)) / sum(n)
    assert abs(acc - e["acc"]) < 1e-9, (acc, e["acc"])
assert ep[2]["loss"] < ep[0]["loss"]
assert log["attrs"]["history"][-1]["tool"] == "imb-train"
print("ok")' "$TMP/out"
	assert_output ok
	# --quiet: nothing on stderr
	IMB_PROGRESS= imb-train -q --model mlp:8 --epochs 1 < "$FILE_TMP/moons.imb" 2> "$TMP/err2" > /dev/null
	[ ! -s "$TMP/err2" ]
}

@test "a small network on imbalanced Fashion-MNIST (0.05) beats the majority baseline's balanced accuracy 0.5 by 0.15" {
	run bash -c "imb-train -q --model mlp:64 --epochs 10 --sampler balanced --lr 0.05 --seed 1 \
		< '$FILE_TMP/fm.imb' | imb-eval --format tsv"
	assert_success
	ba=$(echo "$output" | tsvcol balanced_accuracy)
	minerr=$(echo "$output" | tsvcol minority_error)
	echo "balanced accuracy $ba, minority error $minerr"
	awk -v a="$ba" 'BEGIN { exit !(a >= 0.65) }'
	awk -v e="$minerr" 'BEGIN { exit !(e < 0.5) }'
}

@test "same seed, data and threads: the same model bytes (resnet8); another seed differs" {
	A="--model resnet8 --epochs 1 --batch-size 32 --seed 4 --threads 2 -q"
	imb-train $A < "$FILE_TMP/fm-small.imb" > "$TMP/a"
	imb-train $A < "$FILE_TMP/fm-small.imb" > "$TMP/b"
	run same_model "$TMP/a" "$TMP/b"
	assert_output same
	imb-train $A --seed 5 < "$FILE_TMP/fm-small.imb" > "$TMP/c"
	run same_model "$TMP/a" "$TMP/c"
	assert_output differ
}

@test "--checkpoint + --stop-after, then --resume: the same model bytes as one run" {
	A="--model resnet8 --epochs 3 --batch-size 32 --seed 4 --threads 2 --sampler balanced -q"
	imb-train $A < "$FILE_TMP/fm-small.imb" > "$TMP/full"
	imb-train $A --checkpoint "$TMP/ck" --stop-after 2 < "$FILE_TMP/fm-small.imb" > "$TMP/part"
	run same_model "$TMP/full" "$TMP/part"
	assert_output differ
	# the checkpoint is an imb stream: a model frame, then the checkpoint
	run bash -c "imb-info '$TMP/ck' | grep '^frame'"
	assert_output "frame 1: model 'model'
frame 2: checkpoint 'train'"
	imb-train $A --resume "$TMP/ck" < "$FILE_TMP/fm-small.imb" > "$TMP/resumed"
	run same_model "$TMP/full" "$TMP/resumed"
	assert_output same
	# other settings are refused, naming the setting: a usage error
	run imb-train $A --lr 0.3 --resume "$TMP/ck" -o "$TMP/x" < "$FILE_TMP/fm-small.imb"
	assert_failure 2
	assert_output --partial "--lr 0.3"
	[ ! -e "$TMP/x" ]
}

@test "--resume takes the settings it is not given from the checkpoint; one given that differs is named" {
	A="--model resnet8 --epochs 3 --batch-size 32 --seed 4 --threads 2 --sampler balanced --lr 0.05 -q"
	imb-train $A < "$FILE_TMP/fm-small.imb" > "$TMP/full"
	imb-train $A --checkpoint "$TMP/ck" --stop-after 1 < "$FILE_TMP/fm-small.imb" > /dev/null
	# no flag retyped: model, epochs, batch size, seed, threads, sampler, lr from the checkpoint
	imb-train -q --resume "$TMP/ck" < "$FILE_TMP/fm-small.imb" > "$TMP/resumed"
	run same_model "$TMP/full" "$TMP/resumed"
	assert_output same
	# the same value retyped is fine
	imb-train -q --resume "$TMP/ck" --epochs 3 --sampler balanced < "$FILE_TMP/fm-small.imb" > "$TMP/r2"
	run same_model "$TMP/full" "$TMP/r2"
	assert_output same
	for args in "--epochs 4" "--batch-size 64" "--seed 5" "--sampler plain" "--optimizer adamw" \
		"--model resnet20" "--loss focal" "--augment none"; do
		run imb-train -q --resume "$TMP/ck" $args -o "$TMP/x" < "$FILE_TMP/fm-small.imb"
		echo "$args: $output"
		assert_failure 2
		assert_output --partial "${args%% *}"
		assert_output --partial "checkpoint"
		[ ! -e "$TMP/x" ]
	done
}

@test "--val-frame test: per-class eval-mode accuracy of the test frame in every epoch, equal to imb-eval's at the end" {
	IMB_PROGRESS= imb-train --model mlp:16 --epochs 3 --seed 1 --val-frame test < "$FILE_TMP/moons.imb" \
		2> "$TMP/err" > "$TMP/out"
	run grep -c '^imb-train: epoch [1-3]/3 loss .* val loss [0-9.]* acc [0-9.]* per-class [0-9.]*,[0-9.]* lr ' "$TMP/err"
	assert_output 3
	# the test frame is forwarded unchanged, in its place
	run bash -c "$PY -c '$SHOW' < '$TMP/out'"
	assert_output "model model mlp:16 mlp:16 2 2
log train
dataset test"
	cmp <($PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["name"] == "test": sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))' "$FILE_TMP/moons.imb") \
	    <($PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["name"] == "test": sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))' "$TMP/out")
	imb-eval --format tsv < "$TMP/out" > "$TMP/eval"
	r0=$(tsvcol recall_majority < "$TMP/eval"); r1=$(tsvcol recall_minority < "$TMP/eval")
	run $PY -c '
import sys, msgpack
log = [f for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False) if f["kind"] == "log"][0]
ep = log["attrs"]["epochs"]
assert len(ep) == 3
for e in ep:
    assert len(e["val_per_class_acc"]) == 2 and len(e["val_per_class_loss"]) == 2
    assert e["val_per_class_n"] == [500, 500], e["val_per_class_n"]
    assert 0 <= e["val_acc"] <= 1 and e["val_loss"] > 0
r = ep[-1]["val_per_class_acc"]
print(abs(r[0] - float(sys.argv[2])) < 1e-9 and abs(r[1] - float(sys.argv[3])) < 1e-9)' "$TMP/out" "$r0" "$r1"
	assert_output True
	# the val frame may come before train too; without it: an error naming it
	{ $PY -c '
import sys, msgpack
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
for f in fs[::-1]: sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))' "$FILE_TMP/moons.imb"; } > "$TMP/rev"
	run bash -c "imb-train -q --model mlp:16 --epochs 1 --val-frame test < '$TMP/rev' | $PY -c '$SHOW'"
	assert_success
	assert_output "dataset test
model model mlp:16 mlp:16 2 2
log train"
	run imb-train -q --model mlp:16 --epochs 1 --val-frame nope -o "$TMP/x" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "--val-frame: no dataset frame named 'nope'"
	[ ! -e "$TMP/x" ]
}

@test "--resume from a missing or corrupt file, an unwritable --checkpoint: exit 1, no output file" {
	run imb-train --model mlp:8 --resume "$TMP/nope" -o "$TMP/out" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "$TMP/nope"
	[ ! -e "$TMP/out" ]
	echo "garbage, not msgpack frames" > "$TMP/bad"
	run imb-train --model mlp:8 --resume "$TMP/bad" -o "$TMP/out" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "--resume"
	[ ! -e "$TMP/out" ]
	# a plain model stream is not a checkpoint
	imb-train -q --model mlp:8 --epochs 1 < "$FILE_TMP/moons.imb" > "$TMP/model"
	run imb-train --model mlp:8 --resume "$TMP/model" -o "$TMP/out" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "not a checkpoint"
	[ ! -e "$TMP/out" ]
	# a checkpoint that cannot be written fails before training
	run imb-train --model mlp:8 --checkpoint "$TMP/no/such/dir/ck" -o "$TMP/out" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "cannot write in $TMP/no/such/dir"
	refute_output --partial "epoch 1"
	[ ! -e "$TMP/out" ]
}

@test "--init fine-tunes the model frame found in the stream; --freeze backbone keeps the backbone" {
	imb-train -q --model mlp:8 --epochs 2 --seed 1 < "$FILE_TMP/moons.imb" > "$TMP/m1"
	# the model frame comes after train and test: it is consumed, the order kept
	{ cat "$FILE_TMP/moons.imb"; $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "model":
        sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))' "$TMP/m1"; } > "$TMP/in"
	run bash -c "imb-train -q --init --freeze backbone --epochs 2 --seed 2 < '$TMP/in' > '$TMP/m2' && $PY -c '$SHOW' < '$TMP/m2'"
	assert_success
	assert_output "model model mlp:8 mlp:8 2 2
log train
dataset test"
	# mlp:8 on 2 features: the backbone is the first 2*8+8 = 24 floats
	run $PY -c '
import sys, msgpack, struct
def params(p):
    for f in msgpack.Unpacker(open(p, "rb"), raw=False):
        if f["kind"] == "model":
            d = f["tensors"]["params"]["data"]
            return struct.unpack("<%df" % (len(d) // 4), d), f["attrs"]["params"]
a, _ = params(sys.argv[1]); b, pb = params(sys.argv[2])
print(a[:24] == b[:24], a[24:] != b[24:], pb["init"], pb["freeze"])' "$TMP/m1" "$TMP/m2"
	assert_output "True True 1 backbone"
	# --init without a network model frame
	run imb-train --init --model mlp:8 -o "$TMP/out" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "no network model frame"
	[ ! -e "$TMP/out" ]
	# --init with another architecture
	run imb-train --init --model mlp:9 -o "$TMP/out" "$TMP/in"
	assert_failure 1
	assert_output --partial "not --model mlp:9"
	[ ! -e "$TMP/out" ]
}

@test "--init keeps the backbone whatever the head: mlp:8+mlp:6 into mlp:8 and linear's place in the grammar" {
	imb-train -q --model mlp:8+mlp:6 --epochs 2 --seed 1 < "$FILE_TMP/moons.imb" > "$TMP/m1"
	{ cat "$FILE_TMP/moons.imb"; imb-cat --kind model "$TMP/m1"; } > "$TMP/in"
	imb-train -q --init --model mlp:8 --epochs 1 --lr 0 --seed 2 < "$TMP/in" > "$TMP/m2"
	# the backbone is the first 2*8+8 = 24 floats; with lr 0 they stay the init's
	run $PY -c '
import sys, msgpack, struct
def model(p):
    for f in msgpack.Unpacker(open(p, "rb"), raw=False):
        if f["kind"] == "model":
            d = f["tensors"]["params"]["data"]
            return struct.unpack("<%df" % (len(d) // 4), d), f["attrs"]
a, aa = model(sys.argv[1]); b, ab = model(sys.argv[2])
print(len(a), len(b), a[:24] == b[:24], ab["arch"], ab["params"]["init"])' "$TMP/m1" "$TMP/m2"
	assert_output "92 42 True mlp:8 1"
	# another backbone is refused, naming both
	run imb-train --init --model mlp:9+mlp:6 -o "$TMP/out" "$TMP/in"
	assert_failure 1
	assert_output --partial "holds mlp:8+mlp:6, not --model mlp:9+mlp:6"
	[ ! -e "$TMP/out" ]
	# linear: softmax regression on feature vectors, 2*2+2 parameters
	run bash -c "imb-train -q --model linear --epochs 3 --seed 1 < '$FILE_TMP/moons.imb' | imb-info"
	assert_success
	assert_output --partial "arch=linear"
}

@test "every loss runs; on 10:1 moons re-weighting, logit adjustment and the balanced sampler beat plain CE" {
	ba() { imb-train -q --model mlp:16,16 --epochs 10 --schedule step --warmup 1 "$@" \
		< "$FILE_TMP/moons.imb" | imb-eval --format tsv | tsvcol balanced_accuracy; }
	ce=$(ba --lr 0.05 --loss ce)
	for loss in weighted-ce focal logit-adjusted ldam; do
		eval "v_${loss//-/_}=\$(ba --lr 0.05 --loss $loss)"
	done
	bal=$(ba --lr 0.01 --optimizer adamw --sampler balanced)
	echo "ce $ce weighted-ce $v_weighted_ce focal $v_focal logit-adjusted $v_logit_adjusted ldam $v_ldam balanced+adamw $bal"
	for v in "$v_weighted_ce" "$v_focal" "$v_logit_adjusted" "$v_ldam" "$bal"; do
		awk -v a="$v" 'BEGIN { exit !(a >= 0.5 && a <= 1) }'
	done
	for v in "$v_weighted_ce" "$v_logit_adjusted" "$bal"; do
		awk -v a="$v" -v c="$ce" 'BEGIN { exit !(a >= c + 0.1) }'
	done
	imb-train -q --model mlp:8 --epochs 2 --loss focal --focal-gamma 1 --schedule none --nesterov < "$FILE_TMP/moons.imb" > "$TMP/m"
	run bash -c "imb-info '$TMP/m' | grep 'params:'"
	assert_output --partial "loss=focal focal_gamma=1"
	assert_output --partial "nesterov=1"
	assert_output --partial "schedule=none"
}

@test "imb-eval on network models; a damaged params tensor is an error naming it" {
	imb-train -q --model mlp:8 --epochs 1 < "$FILE_TMP/moons.imb" > "$TMP/m"
	run imb-eval --format tsv "$TMP/m"
	assert_success
	[ "$(echo "$output" | tsvcol model)" = mlp:8 ]
	$PY -c '
import sys, msgpack
out = sys.stdout.buffer
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "model":
        t = f["tensors"]["params"]
        t["data"] = t["data"][:-4]
        t["shape"] = [t["shape"][0] - 1]
    out.write(msgpack.packb(f, use_bin_type=True))' "$TMP/m" > "$TMP/bad"
	run imb-eval --format tsv "$TMP/bad"
	assert_failure 1
	assert_output --partial "tensor 'params'"
}

@test "bad data: a ResNet on feature vectors, NaN features" {
	run imb-train --model resnet8 -o "$TMP/out" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "dataset 'train'"
	assert_output --partial "feature vectors"
	[ ! -e "$TMP/out" ]
	$PY "$MK" raw '{"kind": "dataset", "name": "train", "attrs": {"classes": ["a", "b"]},
		"tensors": {"x": {"dtype": "f32", "shape": [4, 1], "values": [0, 1, NaN, 2]},
		"y": {"dtype": "i32", "shape": [4], "values": [0, 1, 0, 1]}}}' > "$TMP/nan"
	run imb-train --model mlp:4 -o "$TMP/out" "$TMP/nan"
	assert_failure 1
	assert_output --partial "not a finite number"
	[ ! -e "$TMP/out" ]
}

@test "usage errors exit 2" {
	for args in "--model resnet9" "--model mlp:" "--model resnet8 --epochs 0" \
		"--model resnet8 --batch-size 1" "--model resnet8 --loss hinge" \
		"--model resnet8 --sampler weird" "--model resnet8 --optimizer adam" \
		"--model resnet8 --augment rotate" "--model resnet8 --freeze head" \
		"--model resnet8 --schedule wavy" "--model resnet8 --epochs 2 --warmup 2" \
		"--model resnet8 --checkpoint-every 2" "--model resnet8 --rounds 5" \
		"--model resnet8 --param eta=1" "--model xgboost --epochs 3" "--lr 0.1" \
		"--model resnet8 --epochs 2 --stop-after 3" "--model resnet8 --lr -1" \
		"--model mlp:8 --optimizer adamw --nesterov"; do
		run imb-train $args < "$FILE_TMP/moons.imb"
		echo "$args: $output"
		[ "$status" -eq 2 ]
	done
	run imb-train --model xgboost --epochs 3 < "$FILE_TMP/moons.imb"
	assert_output --partial "--epochs applies to networks"
	run imb-train --help
	assert_success
	assert_output --partial "--checkpoint-every"
	assert_output --partial "--freeze backbone"
}

@test "--device and --precision: bad values and a missing GPU are clear errors, nothing written" {
	run imb-train --model mlp:8 --epochs 1 --device tpu -o "$TMP/m" < "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "device tpu: unknown (use cpu"
	[ ! -e "$TMP/m" ]
	run imb-train --model mlp:8 --epochs 1 --device cuda:x < "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "whole number"
	run imb-train --model mlp:8 --epochs 1 --device cpu:1 < "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "no device numbers"
	run imb-train --model mlp:8 --epochs 1 --precision fp16 < "$FILE_TMP/moons.imb"
	assert_failure 2
	assert_output --partial "known: fp32, tf32, bf16"
	run imb-train --model mlp:8 --epochs 1 --precision bf16 < "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "float32"
	# cuda: a build without the backend, or a machine without a usable GPU
	if ! imb-train --model mlp:8 --epochs 1 --device cuda < "$FILE_TMP/moons.imb" >/dev/null 2>&1; then
		run imb-train --model mlp:8 --epochs 1 --device cuda -o "$TMP/m" < "$FILE_TMP/moons.imb"
		assert_failure 1
		assert_output --regexp "device cuda: (no usable GPU|this build has no CUDA backend)"
		[ ! -e "$TMP/m" ]
		run imb-eval --device cuda < "$FILE_TMP/moons.imb"
		assert_failure 1
		assert_output --regexp "device cuda: (no usable GPU|this build has no CUDA backend)"
	fi
}

@test "imb-eval's config groups by every network setting: loss, sampler, optimiser, early stopping" {
	{ cat "$FILE_TMP/moons.imb"; imb-import toy moons --name val --ratio 1 --n 300 --seed 3; } > "$TMP/in"
	run bash -c "imb-train -q --model mlp:8 --epochs 3 --loss focal --focal-gamma 1.5 --sampler balanced \
		--optimizer adamw --lr 0.01 --weight-decay 0.02 --val-frame val --early-stopping 2 \
		--early-metric balanced_accuracy --seed 1 --threads 2 < '$TMP/in' | imb-eval --format json \
		| $PY -c '
import sys, json
c = json.load(sys.stdin)[0][\"config\"]
ks = [\"loss\", \"focal_gamma\", \"sampler\", \"optimizer\", \"lr\", \"weight_decay\", \"epochs\", \"batch_size\",
      \"schedule\", \"early_stopping\", \"early_metric\", \"seed\"]
print(\" \".join(str(c.get(\"param.\" + k)) for k in ks))'"
	assert_success
	assert_output "focal 1.5 balanced adamw 0.01 0.02 3 128 cosine 2 balanced_accuracy 1"
}
