#!/bin/sh
# make bench: every benchmark, side by side with its peer, in one run.
# Figures, not pass/fail: timings on a shared machine are noisy, so each
# prints the median of several runs and the peer measured in the same run.
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
for b in bench/stream.sh bench/smote.sh bench/samplers.sh bench/samplers_under.sh bench/xgboost.sh bench/nn.sh bench/sam.sh bench/sghmc.sh bench/hessian.sh bench/laplace.sh; do
	[ -f "$b" ] || continue
	echo
	sh "$b" || echo "$b failed"
done
