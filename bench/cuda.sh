#!/bin/sh
# make bench-cuda: the neural engine's CUDA backend against PyTorch eager
# on one GPU. Training throughput (forward, cross-entropy, backward,
# SGD momentum 0.9, weight decay 5e-4; random data and labels made on
# the device once) of the CIFAR resnet18 and resnet34 (3x32x32, 10
# classes; tests/torch_nets.py builds PyTorch's) at batch 128 and 512,
# in fp32 and bf16: each cell runs ours (bench/nn_bench.c, `train ...
# cuda PREC`) then PyTorch's (bench/cuda_ref.py: cudnn.benchmark,
# channels_last, autocast for bf16, TF32 flags left at PyTorch's
# defaults and reported). Each side: 5 warm-up steps, then REPS (5)
# blocks of steps sized to about a second, each timed between two waits
# for the GPU; the median block over its steps. MFU: images/s times the
# training FLOPs of one image (3 x 2 x the conv and linear multiply-adds,
# counted by cuda_ref.py) over the H200 SXM datasheet's dense peak for the
# arithmetic the cell runs: FP32 67, TF32 495, BF16 989 TFLOP/s. Then the
# sweep figure: SWEEP (8) resnet8 trainings of ours (batch 128, K=2, 200
# steps) at once on the GPU against the same one after another, in
# images/s of wall clock (process start and CUDA set-up included, alike
# on both sides). Writes bench/out/cuda.tsv (the cells) and
# bench/out/cuda_sweep.tsv; prints a markdown table. About 3-4 minutes on
# an H200. Without a GPU it says so and exits 0.
# bench/nn_bench.c is built here against $BUILD/libimb.a (make all, on a
# machine with nvcc so that the CUDA backend is in it), or NN_BENCH names
# a prebuilt one. Settings:
# NN_BASE names another nn_bench (an earlier build of ours): each cell then
# times it too, first, in the same run, as "before" columns.
# PY (python3 with CUDA PyTorch), PRECISIONS ("fp32 bf16"; tf32 too if
# wanted), MODELS, BATCHES, REPS, SWEEP, THREADS (host threads of ours, 2).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PY=${PY:-python3}
T=${THREADS:-2}
REPS=${REPS:-5}
PRECISIONS=${PRECISIONS:-fp32 tf32 bf16}
MODELS=${MODELS:-resnet18 resnet34}
BATCHES=${BATCHES:-128 512}
SWEEP=${SWEEP:-8}
LIMIT=120                       # seconds any one process may take
out=bench/out; mkdir -p $out
: > $out/cuda.err

gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1) || gpu=
if [ -z "$gpu" ] && [ ! -e /dev/nvidia0 ]; then
	echo "bench-cuda: no CUDA GPU here, skipped"
	exit 0
fi
# NN_BENCH: a prebuilt nn_bench (scripts/cuda-pack.sh's, on a machine
# that cannot build)
if [ -n "${NN_BENCH:-}" ]; then
	bench=$NN_BENCH
else
	[ -f "$BUILD/libimb.a" ] || { echo "bench-cuda: $BUILD/libimb.a missing (make all)"; exit 1; }
	bench=$BUILD/nn_bench
	${CC:-cc} -O2 -D_GNU_SOURCE -Ilib -o $bench bench/nn_bench.c "$BUILD/libimb.a" \
		$(make -s --no-print-directory ldlibs)
fi
# a GPU our build can use: one tiny step
if ! $bench train resnet8 3 32 32 10 8 1 1 cuda fp32 1 > /dev/null 2> $out/cuda_probe.err; then
	if [ -z "$gpu" ]; then
		echo "bench-cuda: no CUDA GPU here, skipped"
		exit 0
	fi
	echo "bench-cuda: $gpu present, but: $(cat $out/cuda_probe.err)"
	exit 1
fi

med() { sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }'; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
run() { timeout $LIMIT "$@" 2>> $out/cuda.err || echo "(failed: $*)" >> $out/cuda.err; }
now() { date +%s.%N; }
# the datasheet's dense peak, TFLOP/s, for the arithmetic of a precision
peak() { case $1 in fp32) echo 67 ;; tf32) echo 495 ;; bf16) echo 989 ;; esac; }
# images/s, FLOPs per image, TFLOP/s -> MFU in per cent, or -
mfu() { echo "$1 $2 $3" | awk '$1 + 0 > 0 && $2 + 0 > 0 { printf "%.1f", 100 * $1 * $2 / ($3 * 1e12); exit } { printf "-" }'; }
pct() { [ "$1" = - ] && echo - || echo "$1%"; }

torch=1
if ! run $PY bench/cuda_ref.py info > $out/cuda_torch_info || [ ! -s $out/cuda_torch_info ]; then
	torch=0
fi
[ -n "$gpu" ] || gpu=$(field device < $out/cuda_torch_info | tr _ ' ')
echo "bench-cuda: ${gpu:-a GPU}; ours: CUDA backend, $T host threads"
if [ $torch = 1 ]; then
	i=$(cat $out/cuda_torch_info)
	echo "PyTorch $(echo "$i" | field torch) (CUDA $(echo "$i" | field cuda), cuDNN $(echo "$i" | field cudnn)), eager," \
		"cudnn.benchmark=True, channels_last, cudnn.allow_tf32=$(echo "$i" | field cudnn_tf32)," \
		"cuda.matmul.allow_tf32=$(echo "$i" | field matmul_tf32) (PyTorch's defaults), bf16 by torch.autocast"
else
	echo "PyTorch: not usable with CUDA here ($(tail -n 1 $out/cuda.err)); its columns are -"
fi
echo

base=${NN_BASE:-}
printf 'model\tbatch\tprecision\tours_img_s\ttorch_img_s\tratio\tflops_per_image\tpeak_ours_tflops\tpeak_torch_tflops\tmfu_ours_pct\tmfu_torch_pct\tbefore_img_s\tratio_before\n' > $out/cuda.tsv
if [ -n "$base" ]; then
	echo "| model | batch | precision | before img/s | ratio before | ours img/s | PyTorch img/s | ratio | MFU ours | MFU PyTorch |"
	echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
else
	echo "| model | batch | precision | ours img/s | PyTorch img/s | ratio | MFU ours | MFU PyTorch |"
	echo "|---|---:|---|---:|---:|---:|---:|---:|"
fi
for m in $MODELS; do
	f=$(run $PY bench/cuda_ref.py --device cpu flops $m | field per_image)
	for n in $BATCHES; do
		for p in $PRECISIONS; do
			a0=-
			[ -n "$base" ] && a0=$(run $base train $m 3 32 32 10 $n 0 $T cuda $p $REPS | field images_per_s)
			a=$(run $bench train $m 3 32 32 10 $n 0 $T cuda $p $REPS | field images_per_s)
			b=; line=
			[ $torch = 1 ] && line=$(run $PY bench/cuda_ref.py train $m $n $p --reps $REPS)
			b=$(echo "$line" | field images_per_s)
			pa=$(peak $p); pb=$pa
			# PyTorch's fp32 convolutions run in TF32 where cuDNN may
			[ $p = fp32 ] && [ "$(echo "$line" | field cudnn_tf32)" = 1 ] && pb=$(peak tf32)
			ratio() { echo "${1:-0} ${2:-0}" | awk '$1 > 0 && $2 > 0 { printf "%.2f", $1 / $2; exit } { printf "-" }'; }
			r=$(ratio "$a" "$b"); r0=$(ratio "$a0" "$b")
			ma=$(mfu "${a:-0}" "${f:-0}" $pa); mb=$(mfu "${b:-0}" "${f:-0}" $pb)
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $m $n $p "${a:--}" "${b:--}" \
				$r "${f:--}" $pa $pb $ma $mb "${a0:--}" $r0 >> $out/cuda.tsv
			if [ -n "$base" ]; then
				echo "| $m | $n | $p | ${a0:--} | $r0 | ${a:--} | ${b:--} | $r | $(pct $ma) ($pa) | $(pct $mb) ($pb) |"
			else
				echo "| $m | $n | $p | ${a:--} | ${b:--} | $r | $(pct $ma) ($pa) | $(pct $mb) ($pb) |"
			fi
		done
	done
done
echo
echo "MFU: images/s x training FLOPs per image (3 x 2 x conv+linear MACs at 32x32:" \
	"$(awk -F'\t' 'NR > 1 && !s[$1]++ { printf "%s%s %.2f G", n++ ? ", " : "", $1, $7 / 1e9 }' $out/cuda.tsv))" \
	"over the H200 SXM dense peak in parentheses, TFLOP/s (FP32 67, TF32 495, BF16 989)."
echo "Ours: the engine's precision setting (fp32: FP32 peak). PyTorch fp32 with cudnn.allow_tf32=1: TF32 peak."
echo

[ "$SWEEP" -gt 0 ] || exit 0
# the sweep: SWEEP resnet8 trainings (5 warm-up steps + 5 blocks of 39)
SW_N=128
sw() { run $bench train resnet8 3 32 32 2 $SW_N 39 1 cuda fp32 5; }
: > $out/cuda_sweep_seq
t0=$(now)
i=0
while [ $i -lt "$SWEEP" ]; do sw >> $out/cuda_sweep_seq; i=$((i + 1)); done
t1=$(now)
i=0
while [ $i -lt "$SWEEP" ]; do sw > $out/cuda_sweep_par.$i & i=$((i + 1)); done
wait
t2=$(now)
cat $out/cuda_sweep_par.* > $out/cuda_sweep_par; rm -f $out/cuda_sweep_par.*
# images of the runs that finished over the wall clock
rate() { field steps_run < "$1" | awk -v t="$2" -v n=$SW_N '{ s += $1 } END { printf "%.0f", s * n / t }'; }
seq=$(rate $out/cuda_sweep_seq "$(echo "$t1 $t0" | awk '{ print $1 - $2 }')")
par=$(rate $out/cuda_sweep_par "$(echo "$t2 $t1" | awk '{ print $1 - $2 }')")
ok_seq=$(grep -c images_per_s $out/cuda_sweep_seq || true)
ok_par=$(grep -c images_per_s $out/cuda_sweep_par || true)
one=$(field images_per_s < $out/cuda_sweep_seq | med)
printf 'runs\tmode\tfinished\timg_s_wall\n%s\tsequential\t%s\t%s\n%s\tconcurrent\t%s\t%s\n' \
	$SWEEP $ok_seq $seq $SWEEP $ok_par $par > $out/cuda_sweep.tsv
echo "Sweep: $SWEEP resnet8 trainings of ours (batch $SW_N, K=2, 200 steps each), images/s of wall clock:"
echo "  at once $par ($ok_par finished), one after another $seq ($ok_seq finished):" \
	"$(echo "$par $seq" | awk '$2 > 0 { printf "%.2fx", $1 / $2; exit } { printf "-" }');" \
	"one alone, timed inside the process: ${one:--} img/s"
[ -s $out/cuda.err ] && echo "(errors: $out/cuda.err)"
exit 0
