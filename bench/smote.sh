#!/bin/sh
# bench/smote.sh: SMOTE in imb-oversample against imbalanced-learn's SMOTE
# on the same data, printed side by side. Run from the repository root
# with the tools built in bin/ (or IMB_BIN=dir).
#
# imb: the whole process (reading the stream, kNN, synthesis, writing the
#      stream), median wall time of REPEATS runs, and that run's CPU time.
# imblearn: SMOTE(k_neighbors=K).fit_resample alone, median of REPEATS, on the
#      same train frame (x as stored: u8 images, f32 tables); and the whole
#      python process once (interpreter, imports, reading the frame, one
#      fit_resample).
# The two sides run in turn (ours, then fit_resample, REPEATS times), so
# both see the same load; ratio = median over those pairs of imblearn
# fit_resample / imb whole process (goal: >= 5). "py proc" is one whole
# python process (interpreter, imports, reading the frame, fit_resample).
#
# Cases: Fashion-MNIST T-shirt (6000) vs Shirt (300), ratio 0.05, 784
# features; Fashion-MNIST all ten classes, exp profile, ratio 0.01 (the
# long-tailed set: 6000 down to 60 per class); a tabular case, 40000 vs
# 4000 rows of 20 f32 features.
#
# Where the time goes (perf record and clock_gettime per phase, on the
# 2-core EPYC box when idle; make bench there: 2.5x, 7.1x, 2.7x):
#   fashion-2class: 12.6 ms wall for the whole process. Starting it 2.7 ms
#     (loading OpenBLAS: imb-oversample --version), reading the 6.5 MB
#     stream 2.5 ms, SMOTE 3.9 ms (the output tensor's fresh memory and the
#     copy of the source rows, interpolating 5,700 rows of 784 bytes, the
#     exact u8 neighbour search ~0.5 ms), writing the 11 MB of train and
#     test frames ~3 ms. imblearn's fit_resample takes 20-31 ms, so 5x
#     means 4-6 ms for the whole process: less than starting a process and
#     passing the stream through (imb-cat of the same file: 6.3 ms).
#   tabular: 18.7 ms. SMOTE 12-16 ms, of which the exact neighbour search
#     of the 4,000-row class is ~10 ms CPU (16 M pairs of 21 numbers: 336 M
#     multiply-adds, at the core's one 16-lane FMA a cycle; ~5 ms on the two
#     cores) and the 6.4 MB output and interpolation ~5 ms; start and
#     stream I/O ~6 ms. imblearn takes 45-50 ms: 5x would leave 9-10 ms.
#   fashion-10class-LT: 86 ms against 705 ms. The neighbour search, once
#     ~220 ms of sgemm (~20 GFlop at the core's f32 peak), is now ~40 ms of
#     exact integer arithmetic (AVX-512 VNNI); most of the rest is the 47 MB
#     output: faulting in its memory and write()'s copy into the page cache.
set -eu
BIN=${IMB_BIN:-bin}
PY=/usr/bin/python3
REF=bench/smote_ref.py
REPEATS=${REPEATS:-5}
K=${K:-5}
FMNIST=${FMNIST:-/usr/share/datasets/fashion-mnist}

for t in imb-split imb-oversample; do
	[ -x "$BIN/$t" ] || { echo "smote.sh: $BIN/$t is missing; run make first" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# the input streams: imb-import if built, else the same frames from python
if [ -x "$BIN/imb-import" ]; then
	"$BIN/imb-import" fashion-mnist --dir "$FMNIST" > "$tmp/fm.imb" 2>/dev/null ||
		$PY $REF fashion "$FMNIST" > "$tmp/fm.imb"
else
	$PY $REF fashion "$FMNIST" > "$tmp/fm.imb"
fi
"$BIN/imb-split" --classes 0,6 --train-ratio 0.05 --seed 1 < "$tmp/fm.imb" > "$tmp/fm2.imb"
"$BIN/imb-split" --profile exp --train-ratio 0.01 --seed 1 < "$tmp/fm.imb" > "$tmp/fmlt.imb"
$PY $REF tabular 40000 4000 20 1 > "$tmp/tab.imb"

num() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

echo "SMOTE, k=$K: imb-oversample (whole process) vs imblearn $($PY -c 'import imblearn; print(imblearn.__version__)') (fit_resample only), interleaved, median of $REPEATS; $(nproc) cores"
printf '%-26s %6s %6s | %8s %8s %8s | %8s %8s %9s | %6s\n' case n_in n_out "imb wall" "imb cpu" "imb best" \
	"fit" "fit best" "py proc" "ratio"
for c in fm2:fashion-2class-0.05 fmlt:fashion-10class-LT-0.01 tab:tabular-40000x20; do
	f=${c%%:*}
	name=${c#*:}
	r=$($PY $REF compare "$tmp/$f.imb" "$K" "$REPEATS" "$BIN/imb-oversample" --method smote --k "$K")
	proc=$($PY $REF time 1 "$tmp/$f.imb" /dev/null $PY $REF run "$tmp/$f.imb" "$K" 1)
	printf '%-26s %6s %6s | %7ss %7ss %7ss | %7ss %7ss %8ss | %5sx\n' "$name" \
		"$(echo "$r" | num n_in)" "$(echo "$r" | num n_out)" "$(echo "$r" | num imb_wall_s)" \
		"$(echo "$r" | num imb_cpu_s)" "$(echo "$r" | num imb_best_s)" \
		"$(echo "$r" | num fit_resample_s)" "$(echo "$r" | num fit_best_s)" \
		"$(echo "$proc" | num wall_s)" "$(echo "$r" | num ratio)"
done
