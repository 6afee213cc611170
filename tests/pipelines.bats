#!/usr/bin/env bats
# pipelines/Makefile: each figure target at SCALE=tiny into a temporary
# results directory: its runs, FIG.tsv (rows and columns checked) and its
# pictures. Runs that need imb-sam or imb-hessian skip when those tools
# are not built; their plumbing is also checked with stand-ins (shell
# scripts that take the same flags and print made-up numbers), so the
# Makefile's wiring is tested either way.
load helpers

BIN_DIR="${IMB_BIN:-$ROOT/bin}"

setup() {
	TMP="$BATS_TEST_TMPDIR"
	RES="$TMP/results"
}

need_tool() {
	[ -x "$BIN_DIR/$1" ] || skip "$1 is not built"
}

figmake() {
	make -s -C "$ROOT/pipelines" SCALE=tiny RESULTS="$RES" BIN="$BIN" "$@"
}

is_png() {
	[ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

# columns of every line of a TSV: one number, the same on all lines
ncols() {
	awk -F '\t' '{ print NF }' "$1" | sort -u
}

col() {  # col FILE NAME: the values of column NAME, one a line
	awk -F '\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } { print $k }' "$1"
}

# a bin directory with the real tools, plus stand-ins for the missing ones
stand_ins() {
	BIN="$TMP/bin"
	mkdir -p "$BIN"
	for t in "$BIN_DIR"/imb-*; do ln -s "$t" "$BIN/"; done
	# imb-sam: imb-train, without the SAM flags
	rm -f "$BIN/imb-sam"
	cat > "$BIN/imb-sam" <<-EOF
	#!/bin/sh
	# stand-in for imb-sam in tests: trains with imb-train, ignoring the radius flags
	args=""
	while [ \$# -gt 0 ]; do
	  case "\$1" in
	  --rho|--rho-minority|--rho-class) shift 2 ;;
	  --adaptive) shift ;;
	  *) args="\$args \$1"; shift ;;
	  esac
	done
	exec "$BIN_DIR/imb-train" \$args
	EOF
	# imb-hessian: the TSV of the interface, made-up values
	rm -f "$BIN/imb-hessian"
	cat > "$BIN/imb-hessian" <<-'EOF'
	#!/bin/sh
	# stand-in for imb-hessian in tests: its TSV, made-up values
	top=0 steps=0 range=1
	while [ $# -gt 0 ]; do
	  case "$1" in
	  --top) top=$2; shift 2 ;;
	  --steps) steps=$2; shift 2 ;;
	  --range) range=$2; shift 2 ;;
	  --curve|--samples|--seed|--format|--probes|--class) shift 2 ;;
	  *) shift ;;
	  esac
	done
	cat > /dev/null
	printf 'measure\tclass\tk\tx\ty\tvalue\tse\n'
	k=1; while [ $k -le $top ]; do printf 'eigenvalue\tall\t%d\tNA\tNA\t%d\tNA\n' $k $((100 / k)); k=$((k + 1)); done
	i=0; while [ $i -lt $steps ]; do
	  awk -v i=$i -v n=$steps -v r=$range 'BEGIN { x = -r + 2 * r * i / (n - 1); printf "loss1d\tall\tNA\t%.6g\tNA\t%.6g\tNA\n", x, 0.1 + x * x }'
	  i=$((i + 1)); done
	EOF
	chmod +x "$BIN/imb-sam" "$BIN/imb-hessian"
}

@test "fig9 (SGD only): runs, fig9.tsv's row and columns, the picture; make skips what exists" {
	BIN="$BIN_DIR"
	run figmake fig9 F9_METHODS=sgd
	assert_success
	D="$RES/tiny/fig9"
	[ -s "$D/runs/sgd.imb" ]
	[ "$(ncols "$D/fig9.tsv")" = 4 ]
	[ "$(head -n 1 "$D/fig9.tsv")" = "$(printf 'method\tbalanced_accuracy\tminority_recall\tminority_error')" ]
	[ "$(col "$D/fig9.tsv" method)" = sgd ]
	is_png "$D/fig9.png"
	[ -s "$D/fig9.svg" ]
	run figmake -q fig9 F9_METHODS=sgd
	assert_success
}

@test "fig9: SGD and minority-radius SAM (imb-sam)" {
	need_tool imb-sam
	BIN="$BIN_DIR"
	run figmake fig9
	assert_success
	D="$RES/tiny/fig9"
	[ "$(col "$D/fig9.tsv" method | tr '\n' ' ')" = "sgd sam-minority " ]
	is_png "$D/fig9.png"
}

@test "fig9's wiring with a stand-in imb-sam" {
	stand_ins
	run figmake fig9
	assert_success
	D="$RES/tiny/fig9"
	[ "$(col "$D/fig9.tsv" method | tr '\n' ' ')" = "sgd sam-minority " ]
	[ "$(ncols "$D/fig9.tsv")" = 4 ]
	is_png "$D/fig9.png"
}

@test "fig3c (SGD only): a run per ratio and seed, mean and SE per ratio" {
	BIN="$BIN_DIR"
	run figmake fig3c METHODS=sgd
	assert_success
	D="$RES/tiny/fig3c"
	[ "$(ls "$D/runs" | tr '\n' ' ')" = "sgd-r0.05-s1.imb sgd-r0.05-s2.imb sgd-r0.2-s1.imb sgd-r0.2-s2.imb " ]
	[ "$(ncols "$D/fig3c.tsv" | wc -l)" = 1 ]
	[ "$(col "$D/fig3c.tsv" train_ratio | tr '\n' ' ')" = "0.05 0.2 " ]
	[ "$(col "$D/fig3c.tsv" n | tr '\n' ' ')" = "2 2 " ]
	col "$D/fig3c.tsv" balanced_accuracy_se > /dev/null
	head -n 1 "$D/fig3c.tsv" | grep -q "balanced_accuracy_mean	balanced_accuracy_se"
	head -n 1 "$D/fig3c.tsv" | grep -q "minority_error_mean	minority_error_se"
	is_png "$D/fig3c.png"
	is_png "$D/fig3c-minority-error.png"
	# a third seed adds only its runs
	run make -n -C "$ROOT/pipelines" SCALE=tiny RESULTS="$RES" BIN="$BIN" fig3c METHODS=sgd SEEDS=3
	assert_success
	[ "$(grep -c '^imb-split' <<< "$output")" = 2 ]
}

@test "fig3c: SGD, SAM, minority-radius SAM (imb-sam)" {
	need_tool imb-sam
	BIN="$BIN_DIR"
	run figmake -j2 fig3c
	assert_success
	D="$RES/tiny/fig3c"
	[ "$(col "$D/fig3c.tsv" method | tr '\n' ' ')" = "sgd sgd sam sam sam-minority sam-minority " ]
	is_png "$D/fig3c.png"
}

@test "fig3c's wiring with a stand-in imb-sam: three methods, parallel runs" {
	stand_ins
	run figmake -j2 fig3c
	assert_success
	D="$RES/tiny/fig3c"
	[ "$(col "$D/fig3c.tsv" method | tr '\n' ' ')" = "sgd sgd sam sam sam-minority sam-minority " ]
	[ "$(ls "$D/runs" | wc -l)" = 12 ]
	is_png "$D/fig3c.png"
}

@test "fig10: eigenvalues and loss curves, balanced against imbalanced (imb-hessian)" {
	need_tool imb-hessian
	BIN="$BIN_DIR"
	run figmake fig10
	assert_success
	D="$RES/tiny/fig10"
	[ "$(head -n 1 "$D/fig10.tsv")" = "$(printf 'training\tseed\tmeasure\tclass\tk\tx\ty\tvalue\tse')" ]
	[ "$(ncols "$D/fig10.tsv")" = 9 ]
	[ "$(awk -F '\t' '$3 == "eigenvalue"' "$D/fig10.tsv" | wc -l)" = 40 ]
	is_png "$D/fig10.png"
	is_png "$D/fig10-loss1d.png"
}

@test "fig10's wiring with a stand-in imb-hessian" {
	stand_ins
	run figmake fig10
	assert_success
	D="$RES/tiny/fig10"
	[ "$(head -n 1 "$D/fig10.tsv")" = "$(printf 'training\tseed\tmeasure\tclass\tk\tx\ty\tvalue\tse')" ]
	[ "$(ncols "$D/fig10.tsv")" = 9 ]
	# 2 trainings x 2 seeds x (10 eigenvalues + 5 curve points)
	[ "$(tail -n +2 "$D/fig10.tsv" | wc -l)" = 60 ]
	[ "$(col "$D/fig10-eigenvalues.tsv" n | sort -u)" = 2 ]
	[ "$(tail -n +2 "$D/fig10-eigenvalues.tsv" | wc -l)" = 20 ]
	[ "$(tail -n +2 "$D/fig10-loss1d.tsv" | wc -l)" = 10 ]
	is_png "$D/fig10.png"
	is_png "$D/fig10-loss1d.png"
	[ -s "$D/fig10.svg" ]
}

@test "fig3a: supervised, oversampling, SimCLR then fine-tuning or a probe; one pre-training per split" {
	need_tool imb-simclr
	BIN="$BIN_DIR"
	run figmake -j2 fig3a
	assert_success
	D="$RES/tiny/fig3a"
	[ "$(ncols "$D/fig3a.tsv" | wc -l)" = 1 ]
	[ "$(col "$D/fig3a.tsv" method | tr '\n' ' ')" = "supervised supervised oversampling oversampling simclr-finetune simclr-finetune simclr-probe simclr-probe " ]
	[ "$(col "$D/fig3a.tsv" set | sort -u)" = binary ]
	[ "$(col "$D/fig3a.tsv" train_ratio | tr '\n' ' ')" = "0.1 1 0.1 1 0.1 1 0.1 1 " ]
	[ "$(col "$D/fig3a.tsv" n | sort -u)" = 2 ]
	head -n 1 "$D/fig3a.tsv" | grep -q "balanced_accuracy_mean	balanced_accuracy_se"
	is_png "$D/fig3a.png"
	[ -s "$D/fig3a.svg" ]
	# 2 ratios x 2 seeds: one encoder each, shared by both fine-tunings
	[ "$(ls "$D/runs" | grep -c -- '-pre-')" = 4 ]
	[ "$(ls "$D/runs" | grep -c -- '-simclr-')" = 8 ]
	# runs are files: a second make has nothing left to run
	run make -n -C "$ROOT/pipelines" SCALE=tiny RESULTS="$RES" BIN="$BIN" fig3a
	assert_success
	refute_output --partial "imb-simclr"
	refute_output --partial "imb-train"
}

@test "fig3b: a single network, a Laplace posterior around it and an SGHMC ensemble; one network per split" {
	need_tool imb-laplace
	need_tool imb-sghmc
	BIN="$BIN_DIR"
	run figmake -j2 fig3b
	assert_success
	D="$RES/tiny/fig3b"
	[ "$(ncols "$D/fig3b.tsv" | wc -l)" = 1 ]
	[ "$(col "$D/fig3b.tsv" method | tr '\n' ' ')" = "single single laplace laplace sghmc sghmc " ]
	[ "$(col "$D/fig3b.tsv" train_ratio | tr '\n' ' ')" = "0.1 1 0.1 1 0.1 1 " ]
	[ "$(col "$D/fig3b.tsv" n | sort -u)" = 2 ]
	head -n 1 "$D/fig3b.tsv" | grep -q "log_loss_mean	log_loss_se	brier_mean	brier_se	ece_mean	ece_se"
	is_png "$D/fig3b.png"
	is_png "$D/fig3b-binary-nll.png"
	[ -s "$D/fig3b.svg" ]
	# the Laplace runs evaluate a posterior of the single runs' network
	[ "$(ls "$D/runs" | grep -c -- '-net-')" = 4 ]
	imb-info "$D/runs/binary-laplace-r0.1-s1.imb" | grep -q "posterior 'model'"
	imb-info "$D/runs/binary-sghmc-r0.1-s1.imb" | grep -q "ensemble 'model'"
	run make -n -C "$ROOT/pipelines" SCALE=tiny RESULTS="$RES" BIN="$BIN" fig3b
	assert_success
	refute_output --partial "imb-laplace"
	refute_output --partial "imb-sghmc"
}

@test "fig3b SCALE=paper: the plan names resnet18 on CIFAR-10, Laplace and SGHMC on the GPU" {
	BIN="$BIN_DIR"
	run make -n -C "$ROOT/pipelines" SCALE=paper RESULTS="$RES" fig3b
	assert_success
	assert_output --partial "imb-import cifar10"
	assert_output --partial "imb-train --keep-train --model resnet18 --epochs 200"
	assert_output --partial "imb-laplace --device cuda"
	assert_output --partial "imb-sghmc --model resnet18 --epochs 200 --cycles 4"
	[ "$(echo "$output" | grep -c 'imb-split --train-ratio')" = 35 ]
}

@test "fig3a SCALE=paper: the plan names resnet18 on CIFAR-10, both sets, LARS and the GPU" {
	BIN="$BIN_DIR"
	run make -n -C "$ROOT/pipelines" SCALE=paper RESULTS="$RES" fig3a
	assert_success
	assert_output --partial "imb-import cifar10"
	assert_output --partial "imb-simclr --model resnet18 --epochs 1000 --batch-size 512 --optimizer lars --device cuda"
	assert_output --partial "--classes 0,1"
	assert_output --partial "--profile exp"
	assert_output --partial "imb-train --init --freeze backbone"
	assert_output --partial "--sampler balanced"
	[ "$(echo "$output" | grep -c 'imb-simclr ')" = 30 ]
	[ ! -e "$RES" ]
}

@test "SCALE=paper: the plan (make -n) names CIFAR-10, ResNet-34 and the GPU" {
	BIN="$BIN_DIR"
	run make -n -C "$ROOT/pipelines" SCALE=paper RESULTS="$RES" fig3c fig10
	assert_success
	assert_output --partial "imb-import cifar10"
	assert_output --partial "--model resnet34"
	assert_output --partial "--device cuda"
	assert_output --partial "imb-sam --rho 0.05 --rho-minority 0.2"
	assert_output --partial "imb-hessian --top 10"
	[ ! -e "$RES" ]
	run make -n -C "$ROOT/pipelines" SCALE=huge fig9
	assert_failure
	assert_output --partial "SCALE must be tiny, small or paper"
}

@test "a failed run leaves no run file behind" {
	BIN="$BIN_DIR"
	run figmake fig3c METHODS=sgd 'F3C_NET=--model mlp:8 --epochs 0'
	assert_failure
	[ -z "$(ls "$RES/tiny/fig3c/runs" 2>/dev/null)" ]
}
