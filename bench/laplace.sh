#!/bin/sh
# imb-laplace against laplace-torch on the same CPU threads, network,
# weights and samples: a last-layer KFAC Laplace (GGN) of a resnet20
# trained one epoch on N Fashion-MNIST samples (classes 0 and 6),
# its prior precision tuned by the marginal likelihood. Ours:
# `imb-laplace -q --threads T` (its defaults: last-layer, kfac, marglik by
# bisection), whole process, and its own fit + tuning seconds.
# laplace-torch (bench/laplace_ref.py): its defaults, Laplace(model,
# "classification", subset_of_weights="last_layer", hessian_structure=
# "kron"), fit on batches of 256 in order, optimize_prior_precision(
# method="marglik") (100 Adam steps on the log prior precision), timed from
# before its interpreter starts until tuned (process) and fit + tuning
# alone; also with the backbone's requires_grad off ("backbone frozen"),
# since by default laplace-torch backpropagates through the whole network
# on every batch. Wall and CPU seconds (all threads; steadier than wall on
# a shared machine). The sides run in turn, ROUNDS times; the table shows
# medians, the speed-ups the median of the per-round ratios (min-max).
# Then both tuned prior precisions and log marginal likelihoods, the train
# log likelihood (equal: the same network) and the test NLL of both probit
# predictives (ours by imb-eval).
# The approximations differ: our KFAC keeps weight and bias in one factor,
# laplace-torch's gives the bias a block of its own, and its tuning is
# gradient steps, ours exact; close, not equal, figures are expected.
#
# laplace-torch is installed for this benchmark only, in bench/.venv-laplace
# (git-ignored, made here when missing, seeing Debian's python3-torch):
# Debian's torch is 1.13 and laplace-torch 0.2 on requires torch >= 2.0,
# so laplace-torch 0.1a2, the last release for torch 1.x, with BackPACK
# 1.6.0 (1.7 requires torch >= 2.2) and the asdfghjkl 0.1a2 it imports
# (not used: its backend is BackPACK), einops, unfoldNd and packaging for
# BackPACK; --no-deps, so pip never replaces Debian's torch. Without pip
# or PyPI it prints "skipped" and exits 0.
#
# Two Fashion-MNIST classes hold 6,000 training images each, so 10,000
# samples (the default N) take a ratio of 2:3 (6,000 + 4,000); 1:10 allows
# at most 6,600 (N=6600 RATIO=0.1).
# MODEL (resnet20), N (10000), CLASSES (0,6), RATIO (0.6667), THREADS (all
# cores), ROUNDS (3).
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
T=${THREADS:-$(nproc)}
MODEL=${MODEL:-resnet20}
N=${N:-10000}
CLASSES=${CLASSES:-0,6}
RATIO=${RATIO:-0.6667}
ROUNDS=${ROUNDS:-3}
BIN=${BIN:-bin}
VENV=bench/.venv-laplace
PINS="laplace-torch==0.1a2 backpack-for-pytorch==1.6.0 asdfghjkl==0.1a2 einops==0.8.0 unfoldNd==0.2.3 packaging==24.1"
out=bench/out; mkdir -p $out
if ! $PY -c 'import torch, msgpack' 2>/dev/null; then
	echo "laplace: no python3-torch or python3-msgpack, skipped"
	exit 0
fi
if ! $VENV/bin/python -c 'import importlib.metadata as m; assert m.version("laplace-torch") == "0.1a2"' \
	2>/dev/null; then
	if ! { $PY -m venv --system-site-packages $VENV &&
		PIP_DISABLE_PIP_VERSION_CHECK=1 $VENV/bin/python -m pip install --no-deps $PINS; } \
		> $out/laplace_pip.log 2>&1; then
		echo "laplace: laplace-torch could not be installed in $VENV (see $out/laplace_pip.log), skipped"
		exit 0
	fi
fi

s=$out/laplace_${MODEL}_$N.imb
$BIN/imb-import fashion-mnist | $BIN/imb-split --classes "$CLASSES" --train-ratio "$RATIO" \
	--n-train "$N" --n-test 1000 --seed 1 | $BIN/imb-train --model "$MODEL" --epochs 1 --seed 1 \
	--keep-train --threads "$T" -q > "$s"

echo "laplace: last-layer KFAC Laplace, prior precision by marginal likelihood, $MODEL on $N samples" \
	"(classes $CLASSES, ratio $RATIO, 1x28x28), $T threads ($(nproc) cores), $ROUNDS rounds"
: > $out/laplace_imb.txt
: > $out/laplace_torch.txt
: > $out/laplace_frozen.txt
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	fit=--fit-only
	[ "$r" -eq 0 ] && fit=
	$PY -c 'import resource, subprocess, sys, time, msgpack
t = time.time()
subprocess.run(sys.argv[2:], check=True)
t = time.time() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "posterior":
        print("process %.3f cpu %.3f fit+tune %.3f" % (t, r.ru_utime + r.ru_stime,
              f["attrs"]["laplace"]["seconds"]))' $out/laplace_post.imb \
		$BIN/imb-laplace -q --threads "$T" -o $out/laplace_post.imb "$s" >> $out/laplace_imb.txt
	T0=$(date +%s.%N) THREADS=$T $VENV/bin/python bench/laplace_ref.py "$s" $fit >> $out/laplace_torch.txt
	T0=$(date +%s.%N) THREADS=$T $VENV/bin/python bench/laplace_ref.py "$s" --fit-only --frozen \
		>> $out/laplace_frozen.txt
	r=$((r + 1))
done
$BIN/imb-eval --format tsv < $out/laplace_post.imb > $out/laplace_eval.tsv
$PY - $out/laplace_post.imb $out/laplace_eval.tsv $out/laplace_imb.txt $out/laplace_torch.txt \
	$out/laplace_frozen.txt <<'PYEOF'
import statistics
import sys

import msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "posterior":
        la = f["attrs"]["laplace"]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip()]
nll = float(rows[1][rows[0].index("nll")])


def runs(path):
    out = []
    for line in open(path):
        w = line.split()
        out.append({w[i]: float(w[i + 1]) for i in range(0, len(w), 2)})
    return out


ours, torch_, frozen = runs(sys.argv[3]), runs(sys.argv[4]), runs(sys.argv[5])
med = statistics.median
first = torch_[0]


def ratio(other, key, ourkey):
    q = sorted(o[key] / u[ourkey] for o, u in zip(other, ours))
    return "%.1fx (%.1f-%.1f)" % (med(q), q[0], q[-1])


for o in torch_ + frozen:
    o["fit+tune"] = o["fit"] + o["tune"]
print("  %-36s %9s %6s %10s %11s %10s %12s %9s" % (
    "", "process s", "cpu s", "fit+tune s", "prior prec.", "log Z", "train loglik", "test NLL"))
for name, rs, zs, n in (("imb-laplace", ours, la, "%9.5f" % nll),
                        ("laplace-torch 0.1a2, defaults", torch_, first, "%9.5f" % first["nll"]),
                        ("laplace-torch 0.1a2, backbone frozen", frozen, frozen[0], "")):
    print("  %-36s %9.2f %6.1f %10.2f %11.5g %10.6g %12.6g %9s" % (
        name, med(o["process"] for o in rs), med(o["cpu"] for o in rs),
        med(o["fit+tune"] for o in rs), zs["prior_precision"], zs["log_marglik"],
        zs["log_likelihood"], n))
for name, rs in (("laplace-torch's defaults", torch_), ("the frozen backbone", frozen)):
    print("  speed-up against %s: process %s, cpu %s, fit+tune %s" % (
        name, ratio(rs, "process", "process"), ratio(rs, "cpu", "cpu"),
        ratio(rs, "fit+tune", "fit+tune")))
print("  laplace-torch: fit %.2f s, tuning %.3f s (medians; process and cpu s until tuned)" % (
    med(o["fit"] for o in torch_), med(o["tune"] for o in torch_)))
print("  prior precision ours/theirs %.4f, log Z ours - theirs %+.4g, test NLL ours - theirs %+.4g" % (
    la["prior_precision"] / first["prior_precision"], la["log_marglik"] - first["log_marglik"],
    nll - first["nll"]))
PYEOF
