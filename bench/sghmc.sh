#!/bin/sh
# The cost of an SGHMC epoch against an SGD epoch of the same network on
# the same data, through the tools: imb-sghmc --cycles 0 --burn-in 0 (a
# constant step size, noise on every step: the sampling phase) against
# imb-train --optimizer sgd --momentum 0.9 --schedule none, one epoch of
# NTRAIN (default 2048) Fashion-MNIST images (T-shirt and Shirt, 1x28x28)
# at batch 64, resnet8 and resnet20, float32, the same threads. The
# figure is the epoch's training time from the log frame (its seconds:
# the batches alone, not reading, initialisation or the member's copy).
# The two run in turn, ROUNDS times (default 5); the table gives the
# median of each and their ratio (the goal: SGHMC at most 1.1x SGD).
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
T=${THREADS:-$(nproc)}
ROUNDS=${ROUNDS:-5}
N=${NTRAIN:-2048}
out=bench/out; mkdir -p $out
[ -x "$BIN/imb-sghmc" ] || { echo "sghmc: $BIN/imb-sghmc missing (make all)"; exit 1; }
PATH=$BIN:$PATH
export IMB_PROGRESS=0
data=$out/sghmc_data.imb
if ! imb-import fashion-mnist 2>/dev/null | imb-split --classes 0,6 --train-ratio 1 \
	--n-train "$N" --n-test 100 --seed 1 > $data 2>/dev/null; then
	echo "sghmc: no Fashion-MNIST (imb-import fashion-mnist), skipped"
	exit 0
fi

med() { sort -g | awk '{ a[NR] = $1 } END { printf "%s", a[int((NR + 1) / 2)] }'; }
# the first epoch's seconds in the log frame of a stream
secs() { imb-info --json | grep -o '"seconds": *[0-9.e+-]*' | head -n 1 | sed 's/.*: *//'; }

echo "sghmc: seconds per epoch of $N images, batch 64, $T threads, median of $ROUNDS alternating runs ($(nproc) cores)"
printf '  %-10s %10s %10s %10s\n' model "sgd s" "sghmc s" ratio
for arch in resnet8 resnet20; do
	: > $out/sghmc_sgd; : > $out/sghmc_sghmc
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		imb-train -q --model $arch --epochs 1 --batch-size 64 --lr 0.05 --schedule none \
			--momentum 0.9 -t "$T" --seed 1 < $data | secs >> $out/sghmc_sgd
		imb-sghmc -q --model $arch --epochs 1 --batch-size 64 --lr 0.05 --cycles 0 \
			--burn-in 0 -t "$T" --seed 1 < $data | secs >> $out/sghmc_sghmc
		r=$((r + 1))
	done
	a=$(med < $out/sghmc_sgd)
	b=$(med < $out/sghmc_sghmc)
	printf '  %-10s %10.3f %10.3f %9.3fx\n' $arch "$a" "$b" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN { print (a > 0 ? b / a : 0) }')"
done
