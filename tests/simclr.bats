#!/usr/bin/env bats
# imb-simclr: SimCLR pre-training in the shared loop, its encoder frame,
# fine-tuning it with imb-train --init (end to end or a linear probe),
# determinism, and bad input as a clear error with the right exit code
# and no output file.
load helpers

setup_file() {
	export FILE_TMP="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.2 --n-train 200 \
		--n-test 100 --seed 3 > "$FILE_TMP/fm.imb"
	imb-simclr -q --model resnet8 --epochs 2 --batch-size 64 --seed 1 < "$FILE_TMP/fm.imb" \
		> "$FILE_TMP/enc.imb"
}

@test "the documented pipeline runs: pre-training, a linear probe, metrics on the test set" {
	run bash -c "imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 --n-train 2000 --n-test 1000 --seed 2 | imb-simclr --model resnet8 --epochs 5 --batch-size 256 --seed 1 | imb-train --init --freeze backbone --epochs 5 --seed 1 | imb-eval --format tsv"
	assert_success
	b=$(echo "$output" | grep -v '^imb-' | tsvcol balanced_accuracy)
	n=$(echo "$output" | grep -v '^imb-' | tsvcol n)
	echo "balanced accuracy $b on $n test images" >&3
	[ "$n" = 1000 ]
	awk -v b="$b" 'BEGIN { exit !(b >= 0.5 && b <= 1) }'
	# the probe ranks the classes: a head on dead features gives 0.5
	a=$(echo "$output" | grep -v '^imb-' | tsvcol auroc)
	awk -v a="$a" 'BEGIN { exit !(a > 0.55) }'
}

@test "the stream: the train frame, the encoder frame (backbone only), the log, the rest in order" {
	run $PY -c '
import sys, msgpack
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
print([(f["kind"], f["name"]) for f in fs])
m = fs[1]["attrs"]
print(m["model"], m["arch"], m["n_classes"], m["encoder"]["method"], m["encoder"]["head"],
      m["encoder"]["outputs"], m["params"]["objective"], m["params"]["optimizer"], m["params"]["augment"],
      "loss" in m["params"])
print(len(fs[1]["tensors"]["params"]["data"]) // 4)
print([e["loss"] > 0 for e in fs[2]["attrs"]["epochs"]])
' "$FILE_TMP/enc.imb"
	assert_success
	assert_line --index 0 "[('dataset', 'train'), ('model', 'model'), ('log', 'train'), ('dataset', 'test')]"
	assert_line --index 1 "resnet8 resnet8 0 simclr mlp:256 128 nt-xent lars simclr False"
	# resnet8's backbone on 1x28x28: resnet8 with two classes has 77234
	# parameters, its last layer 2 x 65
	assert_line --index 2 "77104"
	assert_line --index 3 "[True, True]"
	run imb-info "$FILE_TMP/enc.imb"
	assert_output --partial "an encoder (no classifier"
	assert_output --partial "encoder: method=simclr features=64 head=mlp:256 outputs=128"
}

@test "imb-eval refuses an encoder and says how to fine-tune it" {
	run imb-eval --format tsv "$FILE_TMP/enc.imb"
	assert_failure 1
	assert_output --partial "an encoder"
	assert_output --partial "imb-train --init"
}

@test "--init --freeze backbone trains the new head only: the backbone's bytes are the encoder's" {
	imb-train -q --init --freeze backbone --epochs 2 --seed 1 < "$FILE_TMP/enc.imb" > "$TMP/probe.imb"
	imb-train -q --init --epochs 2 --seed 1 < "$FILE_TMP/enc.imb" > "$TMP/ft.imb"
	run $PY -c '
import sys, msgpack
def model(p):
    for f in msgpack.Unpacker(open(p, "rb"), raw=False):
        if f["kind"] == "model":
            return f
enc, probe, ft = (model(p) for p in sys.argv[1:4])
e, p, t = (m["tensors"]["params"]["data"] for m in (enc, probe, ft))
print(len(e), len(p) - len(e), p[:len(e)] == e, t[:len(e)] != e,
      probe["attrs"]["arch"], probe["attrs"]["n_classes"], probe["attrs"]["params"]["freeze"],
      probe["tensors"]["bufs"]["data"] == enc["tensors"]["bufs"]["data"])
' "$FILE_TMP/enc.imb" "$TMP/probe.imb" "$TMP/ft.imb"
	assert_success
	assert_output "308416 520 True True resnet8 2 backbone True"
}

@test "the same seed gives the same encoder bytes; another seed another" {
	imb-simclr -q --model resnet8 --epochs 2 --batch-size 64 --seed 1 < "$FILE_TMP/fm.imb" > "$TMP/a.imb"
	imb-simclr -q --model resnet8 --epochs 2 --batch-size 64 --seed 2 < "$FILE_TMP/fm.imb" > "$TMP/b.imb"
	[ "$(weights "$TMP/a.imb")" = "$(weights "$FILE_TMP/enc.imb")" ]
	[ "$(weights "$TMP/b.imb")" != "$(weights "$FILE_TMP/enc.imb")" ]
}

@test "--optimizer sgd --nesterov, --proj-hidden and --proj-dim reach the model and its params" {
	run bash -c "imb-simclr -q --model mlp:32 --optimizer sgd --nesterov --proj-hidden 0 --proj-dim 16 --temperature 0.2 --epochs 1 --batch-size 32 --seed 1 < '$FILE_TMP/fm.imb' | imb-info"
	assert_success
	assert_output --partial "head=linear outputs=16"
	assert_output --partial "arch=mlp:32 "
	assert_output --partial "optimizer=sgd momentum=0.9 nesterov=1"
	assert_output --partial "temperature=0.2"
	run bash -c "imb-simclr -q --model mlp:32 --proj-hidden 48 --epochs 1 --batch-size 32 --seed 1 < '$FILE_TMP/fm.imb' | imb-info"
	assert_output --partial "head=mlp:48 outputs=128"
}

@test "--optimizer lars and --nesterov reach the update: other models than plain sgd's; --trust changes lars's" {
	for o in "sgd" "sgd --nesterov" "lars" "lars --trust 0.01"; do
		imb-simclr -q --model mlp:16 --epochs 2 --batch-size 32 --lr 0.5 --weight-decay 1e-4 \
			--seed 1 --optimizer $o < "$FILE_TMP/fm.imb" > "$TMP/${o// /_}.imb"
	done
	[ "$(weights "$TMP/sgd.imb")" != "$(weights "$TMP/lars.imb")" ]
	[ "$(weights "$TMP/sgd.imb")" != "$(weights "$TMP/sgd_--nesterov.imb")" ]
	[ "$(weights "$TMP/lars.imb")" != "$(weights "$TMP/lars_--trust_0.01.imb")" ]
	run imb-info "$TMP/lars_--trust_0.01.imb"
	assert_output --partial "optimizer=lars momentum=0.9 nesterov=0 trust=0.01"
}

# bad: ARGS EXIT TEXT: imb-simclr ARGS on the small split fails with EXIT,
# says TEXT, and leaves no output file
bad() {
	run imb-simclr $1 -o "$TMP/out.imb" "$FILE_TMP/fm.imb"
	assert_failure "$2"
	assert_output --partial "$3"
	[ ! -e "$TMP/out.imb" ]
}

@test "bad flags: temperature 0 or below, a batch of 1, supervised flags, a head, no model" {
	bad "--model resnet8 --temperature 0" 2 "--temperature 0: must be > 0"
	bad "--model resnet8 --temperature -1" 2 "must be > 0"
	bad "--model resnet8 --batch-size 1" 2 "--batch-size"
	bad "--model resnet8 --loss focal" 2 "--loss: imb-simclr reads no labels"
	bad "--model resnet8 --sampler balanced" 2 "--sampler: imb-simclr reads no labels"
	bad "--model resnet8 --val-frame test" 2 "--val-frame"
	bad "--model resnet8+mlp:64" 2 "give a backbone alone"
	bad "--model linear" 2 "give a backbone alone"
	bad "--model xgboost" 2 "pre-trains networks"
	bad "--epochs 1" 2 "no network"
	bad "--model resnet8 --optimizer adamw" 2 "lars"
	bad "--model resnet8 --optimizer sgd --trust 0.01" 2 "--trust applies to --optimizer lars"
}

@test "bad data: feature vectors, no train frame" {
	imb-import toy moons --n 200 --seed 1 | imb-split --train-ratio 0.5 --seed 1 > "$TMP/moons.imb"
	run imb-simclr --model mlp:8 --epochs 1 -o "$TMP/out.imb" "$TMP/moons.imb"
	assert_failure 1
	assert_output --partial "holds feature vectors, not images"
	[ ! -e "$TMP/out.imb" ]
	run bash -c "imb-cat --kind dataset --name test '$FILE_TMP/fm.imb' | imb-simclr --model resnet8 -o '$TMP/out.imb'"
	assert_failure 1
	assert_output --partial "no dataset frame named 'train'"
	[ ! -e "$TMP/out.imb" ]
}

@test "pre-training raises the k-NN accuracy of the random encoder (CIFAR-10, 12 epochs) by 0.05 or more" {
	need_data cifar10-jpeg
	(imb-import images "$IMB_DATA/cifar10-jpeg/train" --name train
	 imb-import images "$IMB_DATA/cifar10-jpeg/test" --name test) \
		| imb-split --train-ratio 1 --n-train 2000 --n-test 1000 --seed 1 > "$TMP/c10.imb"
	imb-simclr -q --model resnet8 --epochs 12 --batch-size 256 --seed 1 --knn-k 20 \
		--monitor-frame test < "$TMP/c10.imb" > "$TMP/ssl.imb"
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "log":
        a = f["attrs"]
        print("%.4f %.4f %d" % (a["before"]["knn_acc"], a["epochs"][-1]["knn_acc"],
                                len(a["epochs"][-1]["knn_per_class_acc"])))
' "$TMP/ssl.imb"
	assert_success
	echo "k-NN accuracy (k 20) on 1,000 test images: random encoder, after 12 epochs: $output" >&3
	read -r before after k <<< "$output"
	[ "$k" = 10 ]
	# seed 1 on this machine: 0.274 -> 0.357
	awk -v b="$before" -v a="$after" 'BEGIN { exit !(a - b >= 0.05) }'
}

@test "--monitor-frame: the log's before and per-epoch fields; bad frames and flags" {
	imb-simclr -q --model mlp:8 --monitor-frame test --epochs 2 --batch-size 32 --seed 1 \
		< "$FILE_TMP/fm.imb" > "$TMP/m.imb"
	run $PY -c '
import sys, msgpack
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
print([(f["kind"], f["name"]) for f in fs])
a = fs[2]["attrs"]
print(sorted(k for k in a["before"] if k.startswith("knn")), len(a["epochs"]),
      [e["knn_per_class_n"] for e in a["epochs"]], 0 <= a["epochs"][-1]["knn_acc"] <= 1)
' "$TMP/m.imb"
	assert_success
	assert_line --index 0 "[('dataset', 'train'), ('model', 'model'), ('log', 'train'), ('dataset', 'test')]"
	assert_line --index 1 "['knn_acc', 'knn_per_class_acc', 'knn_per_class_n'] 2 [[50.0, 50.0], [50.0, 50.0]] True"
	run imb-simclr --model resnet8 --monitor-frame nope --epochs 1 -o "$TMP/out.imb" "$FILE_TMP/fm.imb"
	assert_failure 1
	assert_output --partial "--monitor-frame: no dataset frame named 'nope'"
	[ ! -e "$TMP/out.imb" ]
	bad "--model resnet8 --monitor-frame train" 2 "the train frame itself"
	bad "--model resnet8 --knn-k 5" 2 "give --monitor-frame"
	# a monitor of another shape: 8x8 images against 28x28
	$PY "$ROOT/tests/mkframe.py" dataset test 20 64 2 --dtype u8 > "$TMP/odd.imb"
	imb-cat --kind dataset --name test --invert "$FILE_TMP/fm.imb" | cat - "$TMP/odd.imb" > "$TMP/odd-in.imb"
	run imb-simclr --model mlp:8 --monitor-frame test --epochs 1 -o "$TMP/out.imb" "$TMP/odd-in.imb"
	assert_failure 1
	assert_output --partial "k-NN monitor"
	[ ! -e "$TMP/out.imb" ]
}

@test "--checkpoint, --stop-after and --resume continue bit for bit; a resumed run keeps NT-Xent's settings" {
	imb-simclr -q --model resnet8 --epochs 3 --batch-size 64 --temperature 0.3 --seed 1 \
		--checkpoint "$TMP/ck.imb" --stop-after 2 < "$FILE_TMP/fm.imb" > /dev/null
	imb-simclr -q --resume "$TMP/ck.imb" < "$FILE_TMP/fm.imb" > "$TMP/resumed.imb"
	imb-simclr -q --model resnet8 --epochs 3 --batch-size 64 --temperature 0.3 --seed 1 \
		< "$FILE_TMP/fm.imb" > "$TMP/straight.imb"
	[ "$(weights "$TMP/resumed.imb")" = "$(weights "$TMP/straight.imb")" ]
	run imb-simclr --resume "$TMP/ck.imb" --temperature 0.5 -o "$TMP/out.imb" "$FILE_TMP/fm.imb"
	assert_failure 2
	assert_output --partial "the checkpoint was made with --temperature 0.3"
	[ ! -e "$TMP/out.imb" ]
}

@test "--monitor-every N: the monitor after every N epochs and after the last" {
	imb-simclr -q --model mlp:8 --monitor-frame test --monitor-every 2 --epochs 5 --batch-size 32 \
		--seed 1 < "$FILE_TMP/fm.imb" > "$TMP/m.imb"
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "log":
        print([e["epoch"] for e in f["attrs"]["epochs"] if "knn_acc" in e])
' "$TMP/m.imb"
	assert_success
	assert_output "[2, 4, 5]"
	bad "--model resnet8 --monitor-every 2" 2 "give --monitor-frame"
}
