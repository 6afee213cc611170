#!/bin/sh
# timeit.sh RUNS CMD...: run a shell command RUNS times after one warm-up,
# print "min median max" wall seconds. Output of the command is discarded.
runs=$1; shift
sh -c "$*" >/dev/null 2>&1
i=0; times=""
while [ "$i" -lt "$runs" ]; do
	t0=$(date +%s.%N)
	sh -c "$*" >/dev/null 2>&1
	t1=$(date +%s.%N)
	times="$times $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')"
	i=$((i + 1))
done
echo $times | tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {printf "%.4f %.4f %.4f\n", a[1], a[int((NR+1)/2)], a[NR]}'
