#!/usr/bin/env bats
# The tools with --device cuda (make test-cuda, on a machine with an NVIDIA
# GPU; each test is skipped where none can be used): the same training
# on the GPU and the CPU reaches the same accuracy within noise; the same
# seed on the GPU gives the same model bytes, with the steps replayed as
# CUDA graphs or run op by op; imb-eval runs a model on
# either device with the same result; imb-sghmc's ensemble on the GPU
# tracks the CPU's and resumes bit for bit; imb-laplace fits the same
# posterior on either device.
load helpers

setup_file() {
	export FILE_TMP="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	if ! imb-train --help >/dev/null 2>&1; then
		return 0
	fi
	# Fashion-MNIST shirts against T-shirts (classes 6 and 0), 10:1; or
	# that split made elsewhere (IMB_CUDA_SPLIT: a GPU machine without the
	# data set)
	if [ -s "${IMB_CUDA_SPLIT:-}" ]; then
		cp "$IMB_CUDA_SPLIT" "$FILE_TMP/split"
	elif [ -d "$FMNIST" ]; then
		imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.1 --n-train 2200 \
			--n-test 1000 --seed 3 > "$FILE_TMP/split"
	fi
}

need_gpu() {
	[ -s "$FILE_TMP/split" ] || skip "no Fashion-MNIST split"
	if ! imb-train --model linear --device cuda --epochs 1 < "$FILE_TMP/split" >/dev/null 2>"$FILE_TMP/gpu-err"; then
		skip "no usable GPU: $(tail -n 1 "$FILE_TMP/gpu-err")"
	fi
}

@test "cuda: resnet8 reaches the CPU's accuracy within noise" {
	need_gpu
	for d in cpu cuda; do
		imb-train --model resnet8 --epochs 4 --batch-size 64 --seed 1 --device $d \
			< "$FILE_TMP/split" > "$TMP/$d.stream"
		imb-eval --format tsv --device $d < "$TMP/$d.stream" | tsvcol balanced_accuracy > "$TMP/$d.acc"
	done
	cpu=$(cat "$TMP/cpu.acc"); gpu=$(cat "$TMP/cuda.acc")
	echo "balanced accuracy: cpu $cpu, cuda $gpu" >&3
	run $PY -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if abs(a - b) < 0.04 and b > 0.7 else 1)" "$cpu" "$gpu"
	assert_success
}

@test "cuda: the same seed gives the same model bytes" {
	need_gpu
	for k in 1 2; do
		imb-train --model resnet8 --epochs 1 --batch-size 64 --seed 5 --device cuda \
			< "$FILE_TMP/split" > "$TMP/run$k"
	done
	[ "$(weights "$TMP/run1")" = "$(weights "$TMP/run2")" ]
}

# graphs TOOL ARGS...: TOOL on the split with its steps replayed as CUDA
# graphs (the backend's account in $TMP/err) and run op by op, into
# $TMP/graphs and $TMP/eager
graphs() {
	IMB_CUDA_GRAPHS=v "$@" --device cuda < "$FILE_TMP/split" > "$TMP/graphs" 2> "$TMP/err"
	IMB_CUDA_GRAPHS=0 "$@" --device cuda < "$FILE_TMP/split" > "$TMP/eager"
	grep 'graph\|departs' "$TMP/err" | sed "s/^/$1: /" >&3 || true
}

@test "cuda: steps replayed as CUDA graphs give the bytes of steps run op by op (imb-train, imb-sam, imb-sghmc, imb-simclr)" {
	need_gpu
	# 2,200 rows at batch 64: 34 full batches and one of 24, each
	# recorded by its own graph, the short one by the third epoch
	graphs imb-train -q --model resnet8 --epochs 4 --batch-size 64 --seed 5
	grep -q 'a step of 64 rows recorded as a CUDA graph' "$TMP/err"
	grep -q 'a step of 24 rows recorded as a CUDA graph' "$TMP/err"
	run grep -c 'departs' "$TMP/err"
	[ "$output" = 0 ]
	[ "$(weights "$TMP/graphs")" = "$(weights "$TMP/eager")" ]
	# SAM's ascent, the minority's radius larger: no wait for the host
	graphs imb-sam -q --model resnet8 --epochs 2 --batch-size 64 --seed 5 --rho 0.05 \
		--rho-minority 0.2
	grep -q 'a step of 64 rows recorded as a CUDA graph' "$TMP/err"
	[ "$(weights "$TMP/graphs")" = "$(weights "$TMP/eager")" ]
	# SGHMC: the lr and the noise's step staged; a new record at each
	# change of phase
	graphs imb-sghmc -q --model resnet8 --epochs 4 --cycles 2 --explore 0.5 \
		--samples-per-cycle 1 --lr 0.1 --seed 2
	grep -q 'recorded as a CUDA graph' "$TMP/err"
	[ "$(ens_digest "$TMP/graphs")" = "$(ens_digest "$TMP/eager")" ]
	# SimCLR's LARS: each segment's trust ratio stays on the GPU
	graphs imb-simclr -q --model resnet8 --epochs 1 --batch-size 128 --seed 1
	grep -q 'a step of 128 rows recorded as a CUDA graph' "$TMP/err"
	[ "$(weights "$TMP/graphs")" = "$(weights "$TMP/eager")" ]
}

@test "cuda: imb-eval gives the CPU's metrics for one model" {
	need_gpu
	imb-train --model mlp:64 --epochs 2 --seed 1 < "$FILE_TMP/split" > "$TMP/m"
	a=$(imb-eval --format tsv --device cpu < "$TMP/m" | tsvcol accuracy)
	b=$(imb-eval --format tsv --device cuda < "$TMP/m" | tsvcol accuracy)
	[ "$a" = "$b" ]
}

@test "cuda: bf16 and tf32 train to an accuracy near fp32's" {
	need_gpu
	for p in fp32 tf32 bf16; do
		imb-train --model resnet8 --epochs 3 --batch-size 64 --seed 1 --device cuda --precision $p \
			< "$FILE_TMP/split" | imb-eval --format tsv | tsvcol balanced_accuracy > "$TMP/$p"
	done
	echo "balanced accuracy: fp32 $(cat $TMP/fp32), tf32 $(cat $TMP/tf32), bf16 $(cat $TMP/bf16)" >&3
	# each above chance (0.5: a broken precision predicts one class), and
	# within 0.05 of each other
	run $PY -c "import sys; v = [float(open(p).read()) for p in sys.argv[1:]]; sys.exit(0 if min(v) > 0.58 and max(v) - min(v) < 0.05 else 1)" \
		"$TMP/fp32" "$TMP/tf32" "$TMP/bf16"
	assert_success
}

# the last epoch's NT-Xent loss and k-NN accuracy of an imb-simclr stream
simclr_last() {
	$PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "log":
        e = f["attrs"]["epochs"][-1]
        print("%.6f %.6f %.6f" % (e["loss"], e["knn_acc"], f["attrs"]["before"]["knn_acc"]))
' "$1"
}

@test "cuda: imb-simclr (augmentation, NT-Xent, LARS, the monitor on the GPU) tracks the CPU; the same seed gives the same bytes" {
	need_gpu
	for d in cpu cuda cuda; do
		imb-simclr -q --model resnet8 --epochs 3 --batch-size 128 --seed 1 --device $d \
			--monitor-frame test < "$FILE_TMP/split" > "$TMP/ssl-$d"
		[ -e "$TMP/ssl-$d.1" ] || cp "$TMP/ssl-$d" "$TMP/ssl-$d.1"
	done
	[ "$(weights "$TMP/ssl-cuda")" = "$(weights "$TMP/ssl-cuda.1")" ]
	c=$(simclr_last "$TMP/ssl-cpu"); g=$(simclr_last "$TMP/ssl-cuda")
	echo "loss, k-NN accuracy, k-NN before: cpu $c; cuda $g" >&3
	# the same start (the monitor before training agrees to a vote or
	# two), and losses within 2% of each other after three epochs
	run $PY -c "import sys; c = [float(v) for v in sys.argv[1].split()]; g = [float(v) for v in sys.argv[2].split()]; sys.exit(0 if abs(c[2] - g[2]) <= 0.003 and abs(c[0] - g[0]) < 0.02 * c[0] and abs(c[1] - g[1]) < 0.1 else 1)" "$c" "$g"
	assert_success
	imb-train -q --init --freeze backbone --epochs 2 --seed 1 --device cuda < "$TMP/ssl-cuda" \
		| imb-eval --format tsv --device cuda | tsvcol balanced_accuracy > "$TMP/probe"
	awk '{ exit !($1 >= 0.5 && $1 <= 1) }' "$TMP/probe"
}

# a stream's ensemble frame: its tensors' digests and attrs.ensemble
ens_digest() {
	$PY -c '
import hashlib, sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "ensemble":
        print(f["attrs"]["ensemble"])
        for k in sorted(f["tensors"]):
            print(k, hashlib.sha256(f["tensors"][k]["data"]).hexdigest())
' "$1"
}

@test "cuda: imb-sghmc (the noise, the members) tracks the CPU; the same seed and a resume give the same bytes; imb-eval averages on the GPU as on the CPU" {
	need_gpu
	A="--model resnet8 --epochs 4 --cycles 2 --explore 0.5 --samples-per-cycle 1 --lr 0.1 --sampler balanced --seed 2 -q"
	for d in cpu cuda; do
		imb-sghmc $A --device $d < "$FILE_TMP/split" > "$TMP/sg-$d"
	done
	imb-sghmc $A --device cuda < "$FILE_TMP/split" > "$TMP/sg-cuda2"
	imb-sghmc $A --device cuda --checkpoint "$TMP/sg-ck" --stop-after 3 < "$FILE_TMP/split" \
		> /dev/null
	imb-sghmc -q --resume "$TMP/sg-ck" --device cuda < "$FILE_TMP/split" > "$TMP/sg-res"
	[ "$(ens_digest "$TMP/sg-cuda")" = "$(ens_digest "$TMP/sg-cuda2")" ]
	[ "$(ens_digest "$TMP/sg-cuda")" = "$(ens_digest "$TMP/sg-res")" ]
	c=$(imb-eval --format tsv --device cpu < "$TMP/sg-cpu" | tsvcol balanced_accuracy)
	g=$(imb-eval --format tsv --device cuda < "$TMP/sg-cuda" | tsvcol balanced_accuracy)
	echo "sghmc balanced accuracy: cpu $c, cuda $g" >&3
	run $PY -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if abs(a - b) < 0.05 and b > 0.6 else 1)" "$c" "$g"
	assert_success
	# one ensemble, either device: the same metrics
	a=$(imb-eval --format tsv --device cpu < "$TMP/sg-cuda" | tsvcol accuracy)
	b=$(imb-eval --format tsv --device cuda < "$TMP/sg-cuda" | tsvcol accuracy)
	[ "$a" = "$b" ]
}

@test "cuda: imb-laplace on the GPU fits the CPU's posterior; the posterior predicts alike on either device" {
	need_gpu
	imb-train -q --model resnet8 --epochs 2 --batch-size 64 --seed 1 --keep-train --device cuda \
		< "$FILE_TMP/split" > "$TMP/la-net"
	for h in kfac full diag; do
		for d in cpu cuda; do
			imb-laplace -q --hessian $h --device $d < "$TMP/la-net" > "$TMP/la-$h-$d"
		done
		p=$($PY -c '
import sys, msgpack
def la(path):
    for f in msgpack.Unpacker(open(path, "rb"), raw=False):
        if f["kind"] == "posterior":
            return f["attrs"]["laplace"]
a, b = la(sys.argv[1]), la(sys.argv[2])
print(a["prior_precision"], b["prior_precision"], a["log_marglik"], b["log_marglik"])' \
			"$TMP/la-$h-cpu" "$TMP/la-$h-cuda")
		c=$(imb-eval --format tsv --device cpu < "$TMP/la-$h-cpu" | tsvcol nll)
		g=$(imb-eval --format tsv --device cuda < "$TMP/la-$h-cpu" | tsvcol nll)
		echo "laplace $h: prior precision and log Z cpu, cuda: $p; test NLL cpu $c, cuda $g" >&3
		run $PY -c "import sys; d0, d1, z0, z1 = map(float, sys.argv[1].split()); c, g = float(sys.argv[2]), float(sys.argv[3]); sys.exit(0 if abs(d0 - d1) < 1e-3 * d0 and abs(z0 - z1) < 1e-4 * abs(z0) and abs(c - g) < 1e-4 else 1)" "$p" "$c" "$g"
		assert_success
	done
	imb-laplace -q --subset all --device cuda < "$TMP/la-net" | imb-eval --format tsv --device cuda \
		| tsvcol nll > "$TMP/la-all"
	awk '{ exit !($1 > 0 && $1 < 2) }' "$TMP/la-all"
}
