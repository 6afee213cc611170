#!/usr/bin/env bats
# pipelines/slurm: a sweep as Slurm array jobs.
# Without Slurm: a stand-in sbatch records each submission, so the stage
# arrays, their afterok chain, the gather job and the job scripts are
# checked; --dry-run submits nothing. With Slurm: setup_file starts a
# one-node cluster on this host from Debian's packages (munged with its
# own key and socket, slurmctld and slurmd with a slurm.conf in a temp
# directory, SLURM_CONF naming it) and runs fig3c at SCALE=tiny through
# it; its table must equal, byte for byte, the same sweep made by plain
# make. Those tests skip, saying why, when the cluster cannot start.
load helpers
bats_require_minimum_version 1.5.0

SL="$ROOT/pipelines/slurm"
BIN_DIR="${IMB_BIN:-$ROOT/bin}"

setup_file() {
	export SLURM_SKIP=""
	local d why=""
	for d in munged slurmctld slurmd sbatch sinfo scancel; do
		command -v "$d" > /dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$d" > /dev/null 2>&1 ||
			why="$why $d"
	done
	if [ -n "$why" ]; then
		export SLURM_SKIP="Slurm is not installed (no$why; scripts/deps.sh installs it)"
		return 0
	fi
	export PATH="$PATH:/usr/sbin:/sbin"
	SLURM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/imb-slurm.XXXXXX")
	export SLURM_DIR
	local D=$SLURM_DIR
	mkdir -p "$D/state" "$D/spool"
	# munge: a key of our own, its own socket
	head -c 128 /dev/urandom > "$D/munge.key"
	chmod 400 "$D/munge.key"
	if ! munged -f -S "$D/munge.sock" --key-file="$D/munge.key" --log-file="$D/munged.log" \
		--pid-file="$D/munged.pid" --seed-file="$D/munged.seed" > "$D/munged.out" 2>&1 3>&-; then
		export SLURM_SKIP="munged did not start: $(tail -q -n 2 "$D/munged.out" "$D/munged.log" 2> /dev/null | tr '\n' ' ')"
		return 0
	fi
	# this host as the only node, with its real CPUs and memory
	local node host port
	node=$(slurmd -C 2> /dev/null | head -n 1)
	host=$(hostname -s)
	case "$node" in NodeName=*) ;; *)
		export SLURM_SKIP="slurmd -C printed no node line"
		return 0 ;;
	esac
	port=$((20000 + RANDOM % 20000))
	cat > "$D/slurm.conf" <<-EOF
	ClusterName=imbtest
	SlurmctldHost=$host(127.0.0.1)
	SlurmctldPort=$port
	SlurmdPort=$((port + 1))
	AuthType=auth/munge
	AuthInfo=socket=$D/munge.sock
	CredType=cred/munge
	SlurmUser=$(id -un)
	SlurmdUser=root
	StateSaveLocation=$D/state
	SlurmdSpoolDir=$D/spool
	SlurmctldPidFile=$D/slurmctld.pid
	SlurmdPidFile=$D/slurmd.pid
	SlurmctldLogFile=$D/slurmctld.log
	SlurmdLogFile=$D/slurmd.log
	ProctrackType=proctrack/linuxproc
	TaskPlugin=task/none
	SelectType=select/cons_tres
	SelectTypeParameters=CR_CPU
	JobAcctGatherType=jobacct_gather/none
	AccountingStorageType=accounting_storage/none
	JobCompType=jobcomp/none
	MpiDefault=none
	ReturnToService=2
	MinJobAge=600
	$node NodeAddr=127.0.0.1 State=UNKNOWN
	PartitionName=imbtest Nodes=ALL Default=YES MaxTime=INFINITE State=UP
	EOF
	export SLURM_CONF="$D/slurm.conf"
	slurmctld > "$D/slurmctld.out" 2>&1 3>&- || {
		export SLURM_SKIP="slurmctld did not start: $(tail -q -n 3 "$D/slurmctld.log" "$D/slurmctld.out" 2> /dev/null | tr '\n' ' ')"
		return 0
	}
	slurmd > "$D/slurmd.out" 2>&1 3>&- || {
		export SLURM_SKIP="slurmd did not start: $(tail -q -n 3 "$D/slurmd.log" "$D/slurmd.out" 2> /dev/null | tr '\n' ' ')"
		return 0
	}
	local i state=""
	for i in $(seq 1 30); do
		state=$(sinfo -h -o %t 2> /dev/null | head -n 1)
		case "$state" in idle | mix | alloc) return 0 ;; esac
		sleep 1
	done
	export SLURM_SKIP="the Slurm node is not up after 30 s (state '$state'): $(tail -q -n 3 "$D/slurmctld.log" "$D/slurmd.log" 2> /dev/null | tr '\n' ' ')"
}

teardown_file() {
	[ -n "${SLURM_DIR:-}" ] || return 0
	local D=$SLURM_DIR p
	scancel -u "$(id -un)" > /dev/null 2>&1 || true
	for p in slurmd slurmctld munged; do
		[ -s "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2> /dev/null
	done
	for p in slurmd slurmctld munged; do
		for i in $(seq 1 20); do
			[ -s "$D/$p.pid" ] && kill -0 "$(cat "$D/$p.pid")" 2> /dev/null || break
			sleep 0.5
		done
	done
	rm -rf "$D"
}

need_slurm() {
	[ -z "$SLURM_SKIP" ] || skip "$SLURM_SKIP"
}

need_tools() {
	[ -x "$BIN_DIR/imb-train" ] && [ -x "$BIN_DIR/imb-plot" ] || skip "the tools are not built (make)"
	[ -d "$FMNIST" ] || [ -n "${IMB_DATA:-}" ] || skip "no Fashion-MNIST ($FMNIST)"
}

setup() {
	TMP="$BATS_TEST_TMPDIR"
}

# a stand-in sbatch: records each call, one argument a line and a line
# "--" after; prints job ids from 100 on
fake_sbatch() {
	mkdir -p "$TMP/fake"
	cat > "$TMP/fake/sbatch" <<-EOF
	#!/bin/sh
	n=\$(cat "$TMP/sbatch.n" 2> /dev/null || echo 100)
	for a in "\$@"; do printf '%s\n' "\$a"; done >> "$TMP/sbatch.calls"
	echo -- >> "$TMP/sbatch.calls"
	echo \$((n + 1)) > "$TMP/sbatch.n"
	echo "\$n"
	EOF
	chmod +x "$TMP/fake/sbatch"
	PATH="$TMP/fake:$PATH"
}

# call N's arguments (from 1), one a line
call() {
	awk -v n="$1" '$0 == "--" { k++; next } k == n - 1' "$TMP/sbatch.calls"
}
ncalls() {
	grep -c '^--$' "$TMP/sbatch.calls" 2> /dev/null || echo 0
}

@test "slurm: one array a stage, each after the last (afterok), then the gather job" {
	fake_sbatch
	R="$TMP/res"
	run "$SL" --tag t1 -p gpu --time 2:00:00 --mem 8G -G 1 --max-running 3 --sbatch-arg=--account=lab \
		fig3c fig10 SCALE=tiny RESULTS="$R" BIN="$BIN_DIR" SEEDS=2 METHODS=sgd
	assert_success
	J="$R/tiny/slurm/t1"
	assert_output --partial "stage 1: array job 100, 2 task(s)"
	assert_output --partial "stage 2: array job 101, 8 task(s)"
	assert_output --partial "stage 3: array job 102, 4 task(s)"
	assert_output --partial "gather job 103"
	assert_output --partial "$J/logs/"
	[ "$(ncalls)" -eq 4 ]
	# the lists: make plan's files, by stage
	run sort "$J/stage1.list"
	assert_output "$R/tiny/fig10/data.imb
$R/tiny/fig3c/data.imb"
	diff <(make -s --no-print-directory -C "$ROOT/pipelines" plan FIGS="fig3c fig10" SCALE=tiny RESULTS="$R" BIN="$BIN_DIR" SEEDS=2 METHODS=sgd) \
		<(for s in 1 2 3; do sed "s/^/$s\t/" "$J/stage$s.list"; done)
	# the arrays and their chain
	run call 1
	assert_line "--array=0-1%3"
	assert_line "--output=$J/logs/stage1-%a.log"
	refute_line --partial "--dependency"
	refute_line --partial "--gres"
	assert_line "--partition=gpu"
	assert_line "--time=2:00:00"
	assert_line "--mem=8G"
	assert_line "--cpus-per-task=1"
	assert_line "--account=lab"
	assert_line "$J/task.sh"
	assert_line "$J/stage1.list"
	run call 2
	assert_line "--array=0-7%3"
	assert_line "--dependency=afterok:100"
	assert_line "--gres=gpu:1"
	assert_line "$J/stage2.list"
	run call 3
	assert_line "--array=0-3%3"
	assert_line "--dependency=afterok:101"
	assert_line "--gres=gpu:1"
	run call 4
	assert_line "--dependency=afterok:102"
	assert_line "--output=$J/logs/gather.log"
	assert_line "$J/gather.sh"
	refute_line --partial "--array"
	refute_line --partial "--gres"
	assert_line "--account=lab"
	run cat "$J/jobs"
	assert_output "$(printf 'stage1\t100\t2\nstage2\t101\t8\nstage3\t102\t4\ngather\t103\t1')"
}

@test "slurm: a task makes its line of the list; the gather job makes the figures" {
	fake_sbatch
	R="$TMP/res"
	run "$SL" --tag t2 -c 2 fig3c SCALE=tiny RESULTS="$R" "METHODS=sgd sam" SEEDS=1
	assert_success
	J="$R/tiny/slurm/t2"
	# make stands in, printing its arguments
	printf '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n' > "$TMP/fake/make"
	chmod +x "$TMP/fake/make"
	SLURM_ARRAY_TASK_ID=2 run "$J/task.sh" "$J/stage2.list"
	assert_success
	assert_output --partial "$(sed -n 3p "$J/stage2.list")"
	run --separate-stderr env SLURM_ARRAY_TASK_ID=2 "$J/task.sh" "$J/stage2.list"
	assert_output "[-C]
[$ROOT/pipelines]
[SCALE=tiny]
[RESULTS=$R]
[METHODS=sgd sam]
[SEEDS=1]
[THREADS=2]
[$(sed -n 3p "$J/stage2.list")]"
	SLURM_ARRAY_TASK_ID=9 run "$J/task.sh" "$J/stage2.list"
	assert_failure
	assert_output --partial "no line 10"
	run --separate-stderr "$J/gather.sh"
	assert_success
	assert_output "[-C]
[$ROOT/pipelines]
[SCALE=tiny]
[RESULTS=$R]
[METHODS=sgd sam]
[SEEDS=1]
[THREADS=2]
[fig3c]"
	[ "$(cat "$J/gather.status")" = 0 ]
}

@test "slurm: files that exist are left out; with none left only the gather job goes" {
	fake_sbatch
	R="$TMP/res"
	make -s --no-print-directory -C "$ROOT/pipelines" plan FIGS=fig3c SCALE=tiny RESULTS="$R" SEEDS=2 METHODS=sgd | cut -f 2 > "$TMP/plan"
	mkdir -p "$R/tiny/fig3c/runs"
	touch "$R/tiny/fig3c/data.imb" "$R/tiny/fig3c/runs/sgd-r0.05-s1.imb"
	run "$SL" --tag a fig3c SCALE=tiny RESULTS="$R" SEEDS=2 METHODS=sgd
	assert_success
	assert_output --partial "3 file(s) to make in 1 stage(s) (2 exist)"
	[ ! -e "$R/tiny/slurm/a/stage1.list" ]
	run cat "$R/tiny/slurm/a/stage2.list"
	assert_output "$(grep runs/ "$TMP/plan" | grep -v sgd-r0.05-s1)"
	run call 1
	refute_line --partial "--dependency"
	run call 2
	assert_line "--dependency=afterok:100"
	xargs touch < "$TMP/plan"
	rm "$TMP/sbatch.calls"
	run "$SL" --tag b fig3c SCALE=tiny RESULTS="$R" SEEDS=2 METHODS=sgd
	assert_success
	assert_output --partial "nothing to run"
	[ "$(ncalls)" -eq 1 ]
	run call 1
	assert_line "$R/tiny/slurm/b/gather.sh"
	refute_line --partial "--dependency"
	refute_line --partial "--array"
}

@test "slurm: --dry-run prints the lists and sbatch commands, submits and writes nothing" {
	fake_sbatch
	R="$TMP/res"
	run "$SL" --dry-run --tag d --wait fig3c SCALE=tiny RESULTS="$R" SEEDS=2 METHODS=sgd
	assert_success
	[ ! -e "$TMP/sbatch.calls" ]
	[ ! -e "$R/tiny/slurm" ]
	assert_line "$R/tiny/fig3c/data.imb"
	assert_line "$R/tiny/fig3c/runs/sgd-r0.2-s2.imb"
	assert_line --regexp "^sbatch .*--array=0-0 .*$R/tiny/slurm/d/stage1.list$"
	assert_line --regexp "^sbatch .*--array=0-3 .*--dependency=afterok:\\\$STAGE1_JOBID .*stage2.list$"
	assert_line --regexp "^sbatch .*--dependency=afterok:\\\$STAGE2_JOBID --wait .*gather.sh$"
}

@test "slurm: clear errors: no figure, an unknown figure, a bad option, no sbatch" {
	fake_sbatch
	run "$SL" SCALE=tiny
	assert_failure 2
	assert_output --partial "name at least one figure"
	run "$SL" fig99 SCALE=tiny RESULTS="$TMP/res"
	assert_failure 2
	assert_output --partial "no figure 'fig99'"
	run "$SL" --max-running 0 fig3c
	assert_failure 2
	assert_output --partial "positive whole number"
	run "$SL" --bogus fig3c
	assert_failure 2
	assert_output --partial "unknown option '--bogus'"
	[ ! -e "$TMP/sbatch.calls" ]
	mkdir -p "$TMP/nobin"
	ln -s "$(command -v dirname)" "$TMP/nobin/dirname"
	PATH="$TMP/nobin" run "$SL" fig3c SCALE=tiny
	assert_failure 1
	assert_output --partial "sbatch is not on PATH"
	run "$SL" --help
	assert_success
	assert_output --partial "usage: pipelines/slurm [OPTIONS] FIG... [VAR=VALUE...]"
}

@test "slurm: a stage's failure cancels the gather job; --wait says so and fails" {
	need_slurm
	need_tools
	R="$TMP/res"
	# submitted from inside a make (as make test runs it): the tasks' makes are their own
	MAKELEVEL=1 MAKEFLAGS=" -- X=1" run "$SL" --wait --tag f fig3c SCALE=tiny RESULTS="$R" BIN="$BIN_DIR" SEEDS=1 METHODS=sgd F3C_NET='--model no-such-model'
	assert_failure
	assert_output --partial "did not run: a stage failed"
	assert_output --partial "$R/tiny/slurm/f/logs/stage2-0.log"
	[ ! -e "$R/tiny/fig3c/fig3c.tsv" ]
	[ ! -e "$R/tiny/slurm/f/gather.status" ]
}

@test "slurm: fig3c at SCALE=tiny through a one-node Slurm equals plain make's, and a second run finds nothing to do" {
	need_slurm
	need_tools
	R="$TMP/slurm-res"
	run "$SL" --wait --tag s fig3c SCALE=tiny RESULTS="$R" BIN="$BIN_DIR" SEEDS=2 METHODS=sgd
	assert_success
	assert_output --partial "gather job"
	F="$R/tiny/fig3c"
	J="$R/tiny/slurm/s"
	is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
	[ -s "$F/fig3c.tsv" ]
	is_png "$F/fig3c.png"
	# every run of the plan, each with its task's log naming it
	make -s --no-print-directory -C "$ROOT/pipelines" plan FIGS=fig3c SCALE=tiny RESULTS="$R" SEEDS=2 METHODS=sgd > "$TMP/plan"
	[ "$(wc -l < "$TMP/plan")" -eq 5 ]
	while IFS=$'\t' read -r s f; do
		[ -s "$f" ]
		i=$(grep -nxF "$f" "$J/stage$s.list" | cut -d: -f1)
		[ -n "$i" ]
		grep -qF "$f" "$J/logs/stage$s-$((i - 1)).log"
	done < "$TMP/plan"
	[ "$(cat "$J/gather.status")" = 0 ]
	# the same sweep by plain make
	make -s --no-print-directory -C "$ROOT/pipelines" fig3c SCALE=tiny RESULTS="$TMP/make-res" BIN="$BIN_DIR" SEEDS=2 METHODS=sgd > /dev/null
	cmp "$F/fig3c.tsv" "$TMP/make-res/tiny/fig3c/fig3c.tsv"
	# again: nothing to run, only the gather job, which finds all made
	run "$SL" --wait --tag s2 fig3c SCALE=tiny RESULTS="$R" BIN="$BIN_DIR" SEEDS=2 METHODS=sgd
	assert_success
	assert_output --partial "nothing to run"
	run cut -f 1 "$R/tiny/slurm/s2/jobs"
	assert_output "gather"
	[ "$(cat "$R/tiny/slurm/s2/gather.status")" = 0 ]
	run ls "$R/tiny/slurm/s2/logs"
	assert_output "gather.log"
}
