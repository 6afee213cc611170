#!/bin/sh
# bench/samplers_under.sh: Tomek links in imb-oversample (--method tomek)
# against imbalanced-learn's TomekLinks on the same 100,000-row table,
# printed side by side. Run from the repository root with the tools built
# in bin/ (or IMB_BIN=dir).
#
# imb: the whole process (reading the stream, the nearest neighbour of
#      every row, writing the stream), median wall time of REPEATS runs,
#      and that run's CPU time.
# imblearn: TomekLinks().fit_resample alone (scikit-learn's
#      NearestNeighbors; brute force above 15 features), median of
#      REPEATS, on the same train frame (x as stored: f32).
# The two sides run in turn (ours, then fit_resample, REPEATS times), so
# both see the same load; ratio = median over those pairs of imblearn
# fit_resample / imb whole process. "same" says whether both kept the same
# rows.
#
# Case: 90,000 majority and 10,000 minority rows of 20 f32 features (two
# overlapping Gaussians, bench/smote_ref.py tabular).
set -eu
BIN=${IMB_BIN:-bin}
PY=/usr/bin/python3
REPEATS=${REPEATS:-3}

[ -x "$BIN/imb-oversample" ] || { echo "samplers_under.sh: $BIN/imb-oversample is missing; run make first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
$PY bench/smote_ref.py tabular 90000 10000 20 1 > "$tmp/tab.imb"

num() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

echo "Tomek links: imb-oversample --method tomek (whole process) vs imblearn $($PY -c 'import imblearn; print(imblearn.__version__)') TomekLinks (fit_resample only), interleaved, median of $REPEATS; $(nproc) cores"
printf '%-22s %6s %7s | %8s %8s %8s | %8s %8s | %6s %5s\n' case n_in removed "imb wall" "imb cpu" "imb best" \
	"fit" "fit best" "ratio" same
r=$($PY bench/samplers_under_ref.py compare "$tmp/tab.imb" "$REPEATS" "$BIN/imb-oversample" --method tomek)
printf '%-22s %6s %7s | %7ss %7ss %7ss | %7ss %7ss | %5sx %5s\n' tabular-100000x20 \
	"$(echo "$r" | num n_in)" "$(echo "$r" | num removed)" "$(echo "$r" | num imb_wall_s)" \
	"$(echo "$r" | num imb_cpu_s)" "$(echo "$r" | num imb_best_s)" \
	"$(echo "$r" | num fit_resample_s)" "$(echo "$r" | num fit_best_s)" \
	"$(echo "$r" | num ratio)" "$(echo "$r" | num same)"
