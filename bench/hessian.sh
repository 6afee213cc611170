#!/bin/sh
# imb-hessian against a PyHessian-style power iteration in PyTorch
# (bench/hessian_ref.py: deflated power iteration, double-backward
# Hessian-vector products, float32) on the same CPU, threads, network and
# samples: the top 10 Hessian eigenvalues of a resnet20 trained briefly on
# N Fashion-MNIST samples (classes 0 and 6, 1:10), the loss over all N
# (eval-mode BN). Both are timed once (minutes each); their eigenvalues
# are compared with a reference: REF=lanczos runs PyTorch's Lanczos with
# full reorthogonalisation in float64 (slow: hours at N = 1000 on two
# cores), else imb-hessian at --tol 1e-6 serves.
# PyHessian's power iteration converges to the eigenvalues of largest
# magnitude, negative ones included, and stops each at a 1e-3 relative
# change of the Rayleigh quotient: beyond the outliers its list is not the
# top K, so its error is also shown over the top 2 alone.
# MODEL (resnet20), N (1000), THREADS (all cores), K (10).
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
T=${THREADS:-$(nproc)}
MODEL=${MODEL:-resnet20}
N=${N:-1000}
K=${K:-10}
BIN=${BIN:-bin}
out=bench/out; mkdir -p $out
if ! $PY -c 'import torch' 2>/dev/null; then
	echo "hessian: no python3-torch, skipped"
	exit 0
fi
s=$out/hessian_${MODEL}_$N.imb
$BIN/imb-import fashion-mnist | $BIN/imb-split --classes 0,6 --train-ratio 0.1 --n-train "$N" \
	--n-test 100 --seed 1 | $BIN/imb-train --model "$MODEL" --epochs 1 --seed 1 --keep-train \
	--threads "$T" -q > "$s"

echo "hessian: top $K eigenvalues, $MODEL on $N samples (1x28x28), $T threads ($(nproc) cores)"
t0=$(date +%s.%N)
$BIN/imb-hessian --top "$K" --threads "$T" --format json -q < "$s" > $out/hessian_imb.json
t1=$(date +%s.%N)
$PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]
print("\n".join("%.9g" % e for e in r["eigenvalues"])); print("hvps", r["lanczos_steps"], file=sys.stderr)' \
	$out/hessian_imb.json > $out/hessian_imb.txt 2> $out/hessian_imb.err
timb=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
THREADS=$T $PY bench/hessian_ref.py "$s" "$K" > $out/hessian_torch.txt 2> $out/hessian_torch.err
if [ "${REF:-}" = lanczos ]; then
	THREADS=$T $PY bench/hessian_ref.py "$s" "$K" --lanczos 100 --double > $out/hessian_ref.txt \
		2> /dev/null
	ref="PyTorch float64 Lanczos, 100 steps"
else
	$BIN/imb-hessian --top "$K" --tol 1e-6 --lanczos-steps 200 --threads "$T" --format tsv -q \
		< "$s" | awk -F'\t' 'NR > 1 { print $6 }' > $out/hessian_ref.txt
	ref="imb-hessian at --tol 1e-6"
fi
$PY - "$timb" "$ref" $out/hessian_imb.txt $out/hessian_imb.err $out/hessian_torch.txt \
	$out/hessian_torch.err $out/hessian_ref.txt <<'PYEOF'
import sys
timb, ref = float(sys.argv[1]), sys.argv[2]
rd = lambda p: [float(v) for v in open(p) if v.strip()]
a, b, r = rd(sys.argv[3]), rd(sys.argv[5]), rd(sys.argv[7])
hi = open(sys.argv[4]).read().split()[1]
tw = open(sys.argv[6]).read().split()
ht, tt = tw[1], float(tw[3])
err = lambda e, k=len(r): max(abs(u - v) / abs(v) for u, v in zip(e[:k], r[:k]))
print("  %-36s %8s %6s %9s %14s %14s" % ("", "seconds", "HVPs", "s/HVP", "max rel err", "top-2 rel err"))
print("  %-36s %8.1f %6s %9.3f %14.2e %14.2e" % ("imb-hessian (Lanczos, R-op)", timb, hi, timb / int(hi), err(a), err(a, 2)))
print("  %-36s %8.1f %6s %9.3f %14.2e %14.2e" % ("PyTorch power iteration (PyHessian)", tt, ht, tt / int(ht), err(b), err(b, 2)))
print("  speed-up %.1fx; error against %s" % (tt / timb, ref))
print("  eigenvalues imb   " + " ".join("%.5g" % v for v in a))
print("  eigenvalues torch " + " ".join("%.5g" % v for v in b))
print("  reference         " + " ".join("%.5g" % v for v in r))
PYEOF
