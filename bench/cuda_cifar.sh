#!/bin/sh
# One real run on a GPU: resnet34 on the CIFAR-10 JPEG copy
# ($IMB_DATA/cifar10-jpeg, ten classes, balanced), all 50,000 training
# images, EPOCHS (30) epochs, SGD lr 0.1 momentum 0.9 weight decay 5e-4,
# cosine schedule, batch 128, crop-flip; then test accuracy on the
# 10,000 test images. DEVICE (cuda), PRECISION (tf32). Prints the
# imb-train summary, the epoch lines and imb-eval's metrics; the wall
# time of each stage. The streams go to OUT (bench/out/cifar).
set -eu
cd "$(dirname "$0")/.."
D=${IMB_DATA:?IMB_DATA: the data directory holding cifar10-jpeg}/cifar10-jpeg
OUT=${OUT_DIR:-bench/out/cifar}
EPOCHS=${EPOCHS:-30}
mkdir -p "$OUT"
t0=$(date +%s.%N)
imb-import images "$D/train" --name train -o "$OUT/train.imb"
imb-import images "$D/test" --name test -o "$OUT/test.imb"
t1=$(date +%s.%N)
cat "$OUT/train.imb" "$OUT/test.imb" |
	imb-train --model resnet34 --epochs "$EPOCHS" --batch-size 128 --lr 0.1 --seed 1 \
		--device "${DEVICE:-cuda}" --precision "${PRECISION:-tf32}" -o "$OUT/model.imb"
t2=$(date +%s.%N)
imb-eval --format tsv --device "${DEVICE:-cuda}" "$OUT/model.imb" | tee "$OUT/metrics.tsv"
t3=$(date +%s.%N)
echo "$t0 $t1 $t2 $t3" | awk '{ printf "import %.1f s, train %.1f s, eval %.1f s\n", $2 - $1, $3 - $2, $4 - $3 }'
