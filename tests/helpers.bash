# Shared set-up for the Bats tests: tools from bin/, data paths, temp dir.
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
export IMB_PROGRESS=0
# Real data sets for tests: IMB_DATA if set, else ../shared/data beside the checkout.
if [ -z "${IMB_DATA:-}" ] && [ -d "$ROOT/../shared/data" ]; then
	IMB_DATA="$(cd "$ROOT/../shared/data" && pwd)"
fi
export IMB_DATA
FMNIST=/usr/share/datasets/fashion-mnist

setup() {
	TMP="$BATS_TEST_TMPDIR"
}

# skip a test that needs a data set IMB_DATA does not hold
need_data() {
	[ -n "${IMB_DATA:-}" ] && [ -e "$IMB_DATA/$1" ] || skip "IMB_DATA has no $1"
}

# Python with Debian's packages (numpy, msgpack, sklearn) for oracles and
# hand-made frames.
PY=${IMB_PY:-/usr/bin/python3}

# the tensors of the first model frame of a stream, as hex digests
weights() {
	$PY -c '
import hashlib, sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "model":
        for k in sorted(f["tensors"]):
            print(k, hashlib.sha256(f["tensors"][k]["data"]).hexdigest())
        break
' "$1"
}

# UNIT: the unit test binary named $1 (default test_nn_layers), from the
# build tree: IMB_UNIT names its directory, else $(dirname $IMB_BIN)/tests
# (BUILD=build/x BIN=build/x/bin) or build/tests (the default layout)
find_unit() {
	local t="${1:-test_nn_layers}"
	for d in "${IMB_UNIT:-}" "$(dirname "${IMB_BIN:-/nonexistent/bin}")/tests" "$ROOT/build/tests"; do
		if [ -n "$d" ] && [ -x "$d/$t" ]; then
			UNIT="$d/$t"
			return 0
		fi
	done
	skip "$t not built (make unit, or set IMB_UNIT)"
}

need_torch() {
	$PY -c 'import torch' 2>/dev/null || skip "no python3-torch"
}

# a column of imb-eval's TSV by name
tsvcol() { awk -F '\t' -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } { print $k }'; }
