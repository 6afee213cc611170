#!/bin/sh
# Reading and forwarding one 150 MB dataset frame (imb-cat: read, check,
# write), against cat(1) copying the same bytes. Goal: at least 1 GB/s.
set -eu
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p $out
big=$out/frame150.imb
if [ ! -s $big ]; then
	/usr/bin/python3 - "$big" <<'PY'
import os, sys, msgpack
n, d = 150 * 1000 * 1000 // 784, 784
x = os.urandom(n * d)
y = bytes(4 * n)  # all class 0, i32
f = {"imb": 1, "kind": "dataset", "name": "train", "attrs": {"classes": ["a"]},
     "tensors": {"x": {"dtype": "u8", "shape": [n, d], "data": x},
                 "y": {"dtype": "i32", "shape": [n], "data": y}}}
open(sys.argv[1], "wb").write(msgpack.packb(f, use_bin_type=True))
PY
fi
bytes=$(stat -c %s $big)
imb=$(sh bench/timeit.sh 5 "bin/imb-cat < $big > /dev/null")
imbp=$(sh bench/timeit.sh 5 "bin/imb-cat < $big | cat > /dev/null")
ref=$(sh bench/timeit.sh 5 "cat < $big | cat > /dev/null")
gbs() { echo "$1" | awk -v b="$bytes" '{printf "%.2f GB/s (median %.3f s, min %.3f, max %.3f)", b/$2/1e9, $2, $1, $3}'; }
echo "stream: forwarding a $(echo "$bytes" | awk '{printf "%.0f", $1/1e6}') MB dataset frame"
echo "  imb-cat file -> /dev/null      $(gbs "$imb")"
echo "  imb-cat file -> pipe           $(gbs "$imbp")"
echo "  cat file -> pipe (peer)        $(gbs "$ref")"
