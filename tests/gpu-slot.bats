#!/usr/bin/env bats
# pipelines/gpu-slot as make's SHELL: each recipe gets a GPU of its own
# (CUDA_VISIBLE_DEVICES, IMB_GPU_SLOT) from IMB_GPUS, recipes that run at
# the same time never share one, at most one recipe a GPU runs at once,
# and the lock is not kept by what a recipe leaves in the background.
# No GPU is needed: the slots are only lock files and variables.
load helpers

GS="$ROOT/pipelines/gpu-slot"

setup() {
	TMP="$BATS_TEST_TMPDIR"
	export IMB_GPU_LOCKS="$TMP/locks"
	unset CUDA_VISIBLE_DEVICES IMB_GPU_SLOT SLURM_JOB_ID IMB_GPUS
	# N recipes, each logging "NAME SLOT GPU START END" (microseconds)
	cat > "$TMP/Makefile" <<-'EOF'
	.RECIPEPREFIX = >
	N ?= 4
	all: $(addprefix r,$(shell seq 1 $(N)))
	r%:
	> @s=$$(date +%s%6N); sleep 0.5; e=$$(date +%s%6N); \
	    echo "$@ $${IMB_GPU_SLOT:-none} $${CUDA_VISIBLE_DEVICES:-none} $$s $$e" >> log
	EOF
}

sweep() { # sweep MAKE-ARGS...: the tiny sweep through gpu-slot
	make -s -C "$TMP" SHELL="$GS" .SHELLFLAGS='-o pipefail -ec' "$@"
}

# the most recipes running at one time in $TMP/log
most_at_once() {
	awk '{ print $4, 1; print $5, -1 }' "$TMP/log" | sort -k1,1n -k2,2n \
		| awk '{ n += $2; if (n > m) m = n } END { print m }'
}

# pairs of recipes that overlap in time and share a GPU, one a line
shared() {
	awk '{ s[NR] = $4; e[NR] = $5; g[NR] = $3; r[NR] = $1 }
	     END { for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++)
	             if (s[i] < e[j] && s[j] < e[i] && g[i] == g[j]) print r[i], r[j], g[i] }' "$TMP/log"
}

@test "gpu-slot: IMB_GPUS=2 and make -j2: every recipe has a GPU, no two at once share one" {
	IMB_GPUS=2 run sweep -j2
	assert_success
	[ "$(wc -l < "$TMP/log")" -eq 4 ]
	# slot i is GPU i
	run awk '!($2 == $3 && ($3 == 0 || $3 == 1))' "$TMP/log"
	assert_output ""
	run shared
	assert_output ""
}

@test "gpu-slot: IMB_GPUS=0,3 hands out GPUs 0 and 3 only, as slots 0 and 1" {
	IMB_GPUS=0,3 run sweep -j2
	assert_success
	[ "$(wc -l < "$TMP/log")" -eq 4 ]
	run awk '!(($2 == 0 && $3 == 0) || ($2 == 1 && $3 == 3))' "$TMP/log"
	assert_output ""
	run shared
	assert_output ""
}

@test "gpu-slot: make -j4 with 2 GPUs runs at most two recipes at once" {
	IMB_GPUS=2 run sweep -j4 N=6
	assert_success
	[ "$(wc -l < "$TMP/log")" -eq 6 ]
	[ "$(most_at_once)" -le 2 ]
	run shared
	assert_output ""
}

@test "gpu-slot: one GPU (IMB_GPUS=5,) serialises the recipes" {
	IMB_GPUS=5, run sweep -j3 N=3
	assert_success
	run awk '{ print $2, $3 }' "$TMP/log"
	assert_output "0 5
0 5
0 5"
	[ "$(most_at_once)" -eq 1 ]
}

@test "gpu-slot: the default GPUs are nvidia-smi -L's, else CUDA_VISIBLE_DEVICES's" {
	mkdir -p "$TMP/fake"
	cat > "$TMP/fake/nvidia-smi" <<-'EOF'
	#!/bin/sh
	[ "$1" = -L ] || exit 9
	echo 'GPU 0: Fake GPU (UUID: GPU-00000000-0000-0000-0000-000000000000)'
	echo 'GPU 1: Fake GPU (UUID: GPU-11111111-1111-1111-1111-111111111111)'
	EOF
	chmod +x "$TMP/fake/nvidia-smi"
	PATH="$TMP/fake:$PATH" run sweep -j2
	assert_success
	run awk '{ print $3 }' "$TMP/log"
	refute_output --partial none
	run awk '$3 != 0 && $3 != 1' "$TMP/log"
	assert_output ""
	rm "$TMP/log"
	CUDA_VISIBLE_DEVICES=6,7 PATH="$TMP/fake:$PATH" run sweep -j2
	assert_success
	run awk '!(($2 == 0 && $3 == 6) || ($2 == 1 && $3 == 7))' "$TMP/log"
	assert_output ""
}

@test "gpu-slot: no GPU found, IMB_GPUS=0, or inside a Slurm job: plain bash, CUDA_VISIBLE_DEVICES untouched" {
	mkdir -p "$TMP/fake"
	printf '#!/bin/sh\nexit 9\n' > "$TMP/fake/nvidia-smi"
	chmod +x "$TMP/fake/nvidia-smi"
	PATH="$TMP/fake:$PATH" run "$GS" -ec 'echo "${IMB_GPU_SLOT-unset} ${CUDA_VISIBLE_DEVICES-unset}"'
	assert_success
	assert_output "unset unset"
	IMB_GPUS=0 run "$GS" -ec 'echo "${IMB_GPU_SLOT-unset} ${CUDA_VISIBLE_DEVICES-unset}"'
	assert_output "unset unset"
	SLURM_JOB_ID=42 CUDA_VISIBLE_DEVICES=3 IMB_GPUS=2 run "$GS" -ec 'echo "${IMB_GPU_SLOT-unset} $CUDA_VISIBLE_DEVICES"'
	assert_success
	assert_output "unset 3"
	[ ! -e "$IMB_GPU_LOCKS" ]
}

@test "gpu-slot: passes bash's flags and the command's exit status through" {
	IMB_GPUS=1 run "$GS" -o pipefail -ec 'false | true; echo not reached'
	assert_failure 1
	refute_output --partial "not reached"
	IMB_GPUS=1 run "$GS" -ec 'exit 7'
	assert_failure 7
	IMB_GPUS=1 run "$GS" -c 'echo "$0 $1 $IMB_GPU_SLOT $CUDA_VISIBLE_DEVICES"' a b
	assert_success
	assert_output "a b 0 0"
}

@test "gpu-slot: a process the recipe leaves in the background does not keep the GPU" {
	IMB_GPUS=1 run "$GS" -ec 'sleep 60 < /dev/null > /dev/null 2>&1 & echo $! > '"$TMP/stray"
	assert_success
	stray=$(cat "$TMP/stray")
	kill -0 "$stray"
	# the slot frees once the recipe is gone (its watcher looks every 0.2 s)
	run flock -w 10 "$IMB_GPU_LOCKS/gpu-0.lock" true
	kill -0 "$stray"
	kill "$stray"
	assert_success
}

@test "gpu-slot: a bad IMB_GPUS is a clear error" {
	IMB_GPUS=two run "$GS" -c true
	assert_failure 2
	assert_output --partial "IMB_GPUS must be a count"
	IMB_GPUS='0,a/b' run "$GS" -c true
	assert_failure 2
	assert_output --partial "no GPU id"
}

@test "gpu-slot: SHELL as a pattern-specific variable slots the recipes but not \$(shell ...)" {
	cat > "$TMP/M2" <<-EOF
	.RECIPEPREFIX = >
	X := \$(shell echo "\$\${IMB_GPU_SLOT:-none}")
	%: SHELL = $GS
	all: r1 r2
	r%:
	> @echo "\$@ \$\$IMB_GPU_SLOT \$(X)" >> log
	EOF
	IMB_GPUS=2 run make -s -C "$TMP" -f M2 -j2
	assert_success
	run sort "$TMP/log"
	assert_line --regexp '^r1 [01] none$'
	assert_line --regexp '^r2 [01] none$'
}

@test "gpu-slot: --help" {
	run "$GS" --help
	assert_success
	assert_output --partial "IMB_GPUS"
	assert_output --partial "IMB_GPU_LOCKS"
}

@test "pipelines/Makefile GPUS=2: every run of a sweep holds one of the two GPUs" {
	# the real tools, imb-train wrapped to log the GPU it was given
	mkdir "$TMP/bin"
	for t in "${IMB_BIN:-$ROOT/bin}"/imb-*; do ln -s "$t" "$TMP/bin/"; done
	rm "$TMP/bin/imb-train"
	cat > "$TMP/bin/imb-train" <<-EOF
	#!/bin/sh
	echo "\${CUDA_VISIBLE_DEVICES:-none} \${IMB_GPU_SLOT:-none}" >> "$TMP/gpus.log"
	exec "${IMB_BIN:-$ROOT/bin}/imb-train" "\$@"
	EOF
	chmod +x "$TMP/bin/imb-train"
	run make -s -C "$ROOT/pipelines" -j2 GPUS=2 SCALE=tiny RESULTS="$TMP/res" BIN="$TMP/bin" fig3c METHODS=sgd
	assert_success
	[ -s "$TMP/res/tiny/fig3c/fig3c.tsv" ]
	# 2 ratios x 2 seeds, each on GPU 0 or 1 (its slot)
	[ "$(wc -l < "$TMP/gpus.log")" = 4 ]
	run sort -u "$TMP/gpus.log"
	refute_output --partial none
	run awk '$1 != $2 || ($1 != 0 && $1 != 1)' "$TMP/gpus.log"
	assert_output ""
}
