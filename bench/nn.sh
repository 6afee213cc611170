#!/bin/sh
# The neural engine against PyTorch (Debian python3-torch) on the same
# shapes and thread count: training throughput (forward, cross-entropy,
# backward, SGD-momentum step; batch 128, float32) of an MLP 2-64-64-2,
# resnet8, resnet20 (3x32x32) and resnet18 (fewer steps), then OpenBLAS
# sgemm peak against the GFLOP/s of resnet20's convolutions, and the
# peak RSS of resnet18 training. The two sides run in turn, ROUNDS
# times (default 3); each run reports the median of its steps, the table
# the median of the runs (the machine may be shared: read the ratios).
# bench/nn_bench.c is built here against $BUILD/libimb.a (make all).
# NN_BASE adds an older build as a third side (before/after figures for
# engine work), run in the same alternation: either the root of an older
# checkout built with make (its own bench/nn_bench.c, lib/ headers and
# build/libimb.a are used, so the library's API may have changed since),
# or a path to an older libimb.a whose API is today's.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PY=/usr/bin/python3
T=${THREADS:-$(nproc)}
ROUNDS=${ROUNDS:-3}
N=${BATCH:-128}
out=bench/out; mkdir -p $out
if ! $PY -c 'import torch' 2>/dev/null; then
	echo "nn: no python3-torch, skipped"
	exit 0
fi
[ -f "$BUILD/libimb.a" ] || { echo "nn: $BUILD/libimb.a missing (make all)"; exit 1; }
bench=$BUILD/nn_bench
LIBS=$(make -s --no-print-directory ldlibs)
${CC:-cc} -O2 -D_GNU_SOURCE -Ilib -o $bench bench/nn_bench.c "$BUILD/libimb.a" $LIBS

base=
if [ -n "${NN_BASE:-}" ]; then
	base=$BUILD/nn_bench_base
	if [ -d "$NN_BASE" ]; then
		[ -f "$NN_BASE/build/libimb.a" ] || { echo "nn: $NN_BASE/build/libimb.a missing (make -C $NN_BASE all)"; exit 1; }
		${CC:-cc} -O2 -D_GNU_SOURCE -I"$NN_BASE/lib" -o $base "$NN_BASE/bench/nn_bench.c" \
			"$NN_BASE/build/libimb.a" $LIBS
	else
		${CC:-cc} -O2 -D_GNU_SOURCE -Ilib -o $base bench/nn_bench.c "$NN_BASE" $LIBS
	fi
fi

med() { sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }'; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

echo "nn: training throughput, batch $N, float32, $T threads, median of $ROUNDS alternating runs ($(nproc) cores)"
printf '  %-16s %12s %12s %8s' model "imb /s" "torch /s" ratio
[ -n "$base" ] && printf ' %12s %8s' "base /s" "imb/base"
echo
# name arch C H W K steps
while read -r name arch c h w k steps; do
	: > $out/nn_imb; : > $out/nn_torch; : > $out/nn_base
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		[ -n "$base" ] && $base train "$arch" $c $h $w $k $N $steps $T >> $out/nn_base
		$bench train "$arch" $c $h $w $k $N $steps $T >> $out/nn_imb
		$PY bench/nn_ref.py train "$arch" $c $h $w $k $N $steps $T >> $out/nn_torch
		r=$((r + 1))
	done
	a=$(field images_per_s < $out/nn_imb | med)
	b=$(field images_per_s < $out/nn_torch | med)
	printf '  %-16s %12s %12s %7.2fx' "$name" "$a" "$b" "$(echo "$a $b" | awk '{ print $1 / $2 }')"
	if [ -n "$base" ]; then
		c0=$(field images_per_s < $out/nn_base | med)
		printf ' %12s %7.2fx' "$c0" "$(echo "$a $c0" | awk '{ print $1 / $2 }')"
	fi
	echo
	if [ "$arch" = resnet18 ]; then
		ra=$(field maxrss_kb < $out/nn_imb | med)
		rb=$(field maxrss_kb < $out/nn_torch | med)
		[ -n "$base" ] && rc=$(field maxrss_kb < $out/nn_base | med)
	fi
done <<LIST
mlp-2-64-64-2 mlp:64,64 2 1 1 2 1000
resnet8 resnet8 3 32 32 10 8
resnet20 resnet20 3 32 32 10 5
resnet18 resnet18 3 32 32 10 2
LIST
: > $out/nn_gemm; : > $out/nn_tgemm; : > $out/nn_conv; : > $out/nn_bconv
r=0
while [ $r -lt "$ROUNDS" ]; do
	[ -n "$base" ] && $base conv $N $T >> $out/nn_bconv
	$bench sgemm 2048 $T >> $out/nn_gemm
	$PY bench/nn_ref.py sgemm 2048 $T >> $out/nn_tgemm
	$bench conv $N $T >> $out/nn_conv
	r=$((r + 1))
done
g=$(field gflops < $out/nn_gemm | med)
tg=$(field gflops < $out/nn_tgemm | med)
cg=$(field gflops < $out/nn_conv | med)
echo "  sgemm 2048^3: imb (OpenBLAS) $g GFLOP/s, torch.mm $tg GFLOP/s"
echo "  resnet20 convolutions, fwd + bwd, batch $N: $cg GFLOP/s ($(echo "$cg $g" | awk '{ printf "%.0f", 100 * $1 / $2 }')% of sgemm; direct-convolution FLOPs, so Winograd can pass 100%)"
[ -n "$base" ] && echo "  (base: $(field gflops < $out/nn_bconv | med) GFLOP/s)"
echo "  resnet18 training peak RSS: imb $(echo $ra | awk '{ printf "%.2f", $1 / 1048576 }') GB, torch $(echo $rb | awk '{ printf "%.2f", $1 / 1048576 }') GB$([ -n "$base" ] && echo ", base $(echo $rc | awk '{ printf "%.2f", $1 / 1048576 }') GB")"
