#!/bin/sh
# The cost of a SAM step against a plain SGD step (forward, cross-entropy,
# backward, SGD-momentum update; batch 128, float32, the same threads),
# both through the training loop's step part (bench/nn_bench.c's step
# mode): plain, SAM (rho 0.05), SAM with a minority radius (class 1 at
# 0.2) and ASAM, on resnet20 (3x32x32, 10 classes) and the MLP 2-64-64-2.
# The kinds run in turn, ROUNDS times (default 3); each run reports the
# median of its STEPS steps, the table the median of the runs and its
# ratio to the plain step (the goal: SAM at most 2.1x plain).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
T=${THREADS:-$(nproc)}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-6}
N=${BATCH:-128}
out=bench/out; mkdir -p $out
[ -f "$BUILD/libimb.a" ] || { echo "sam: $BUILD/libimb.a missing (make all)"; exit 1; }
bench=$BUILD/nn_bench_sam
${CC:-cc} -O2 -D_GNU_SOURCE -Ilib -o $bench bench/nn_bench.c "$BUILD/libimb.a" \
	$(make -s --no-print-directory ldlibs)

med() { sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }'; }

echo "sam: ms per step, batch $N, $T threads, median of $ROUNDS alternating runs ($(nproc) cores)"
printf '  %-12s %-14s %12s %10s\n' model step "ms/step" "x plain"
# name arch C H W K steps
while read -r name arch c h w k steps; do
	for kind in plain sam sam-minority asam; do : > $out/sam_$kind; done
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		for kind in plain sam sam-minority asam; do
			$bench step $kind "$arch" $c $h $w $k $N $steps $T \
				| awk '{ print $5 }' >> $out/sam_$kind
		done
		r=$((r + 1))
	done
	p=$(med < $out/sam_plain)
	for kind in plain sam sam-minority asam; do
		v=$(med < $out/sam_$kind)
		printf '  %-12s %-14s %12s %9.2fx\n' "$name" $kind "$v" \
			"$(awk -v a="$v" -v b="$p" 'BEGIN { print (b > 0 ? a / b : 0) }')"
	done
done <<LIST
resnet20 resnet20 3 32 32 10 $STEPS
mlp mlp:64,64 2 1 1 2 400
LIST
