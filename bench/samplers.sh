#!/bin/sh
# bench/samplers.sh: imb-oversample's other samplers against their
# imbalanced-learn peers on a 100,000-row table, printed side by side like
# bench/smote.sh. Run from the repository root with the tools built in bin/
# (or IMB_BIN=dir).
#
# imb: the whole process (reading the stream, neighbours, synthesis,
#      writing the stream), median wall time of REPEATS runs, and that
#      run's CPU time.
# imblearn: fit_resample alone (ADASYN(n_neighbors=K), SMOTENC(k_neighbors=K)
#      on the categorical columns as codes, ...), median of REPEATS, the two
#      sides in turn so both see the same load; ratio = median over the
#      pairs of imblearn fit_resample / imb whole process.
#
# Cases: a numeric table, 90,000 vs 10,000 rows of 20 f32 features (two
# overlapping Gaussians); a mixed table, 90,000 vs 10,000 rows of 8 numeric
# and 3 categorical columns (4, 6 and 8 categories, one-hot: 26 columns of
# x), through imb-import csv.
#
# A sampler is one line of CASES (method:input:name) and its peer in
# bench/smote_ref.py's peer(); Tomek links, for one, is
#   tomek:tab:tabular-100000x20
# once imb-oversample and peer() know it.
set -eu
BIN=${IMB_BIN:-bin}
PY=/usr/bin/python3
REF=bench/smote_ref.py
REPEATS=${REPEATS:-5}
K=${K:-5}
CASES=${CASES:-"adasyn:tab:tabular-100000x20 smote-nc:mixed:mixed-100000x8+3cat"}

for t in imb-import imb-oversample; do
	[ -x "$BIN/$t" ] || { echo "samplers.sh: $BIN/$t is missing; run make first" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

$PY $REF tabular 90000 10000 20 1 > "$tmp/tab.imb"
$PY $REF mixed-csv 90000 10000 1 > "$tmp/mixed.csv"
"$BIN/imb-import" csv "$tmp/mixed.csv" --label label > "$tmp/mixed.imb"

num() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

echo "Samplers, k=$K: imb-oversample (whole process) vs imblearn $($PY -c 'import imblearn; print(imblearn.__version__)') (fit_resample only), interleaved, median of $REPEATS; $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
printf '%-30s %6s %6s | %8s %8s %8s | %8s %8s | %6s\n' case n_in n_out "imb wall" "imb cpu" "imb best" \
	"fit" "fit best" "ratio"
for c in $CASES; do
	m=${c%%:*}
	rest=${c#*:}
	f=${rest%%:*}
	name="$m ${rest#*:}"
	r=$($PY $REF compare-method "$m" "$tmp/$f.imb" "$K" "$REPEATS" "$BIN/imb-oversample" --method "$m" --k "$K")
	printf '%-30s %6s %6s | %7ss %7ss %7ss | %7ss %7ss | %5sx\n' "$name" \
		"$(echo "$r" | num n_in)" "$(echo "$r" | num n_out)" "$(echo "$r" | num imb_wall_s)" \
		"$(echo "$r" | num imb_cpu_s)" "$(echo "$r" | num imb_best_s)" \
		"$(echo "$r" | num fit_resample_s)" "$(echo "$r" | num fit_best_s)" "$(echo "$r" | num ratio)"
done
