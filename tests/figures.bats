#!/usr/bin/env bats
# pipelines/Makefile, the train/test-ratio figures (1, 2, 4-8, 11-16) at
# SCALE=tiny into a temporary results directory: one sweep shared by the
# figures that read it, each figure's TSV (rows and columns), its
# pictures, the run list for schedulers, the paper-scale plan; and one
# claim whose direction is certain: on Adult, XGBoost trained at the test
# ratio beats XGBoost trained far from it.
load helpers

BIN_DIR="${IMB_BIN:-$ROOT/bin}"

setup_file() {
	# one results directory for the whole file: the figures share runs
	export RES="$BATS_FILE_TMPDIR/results"
}

figmake() {
	make -s -C "$ROOT/pipelines" SCALE=tiny RESULTS="$RES" BIN="$BIN_DIR" "$@"
}

is_png() {
	[ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

col() {  # col FILE NAME: the values of column NAME, one a line
	awk -F '\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; if (!k) exit 1; next } { print $k }' "$1"
}

# the value of column NAME in the rows where the other columns match
val() {  # val FILE NAME COL=V [COL=V...]
	local f=$1 name=$2
	shift 2
	awk -F '\t' -v c="$name" -v conds="$*" '
		NR == 1 { for (i = 1; i <= NF; i++) at[$i] = i; n = split(conds, cs, " "); next }
		{ for (j = 1; j <= n; j++) { split(cs[j], kv, "="); if ($(at[kv[1]]) != kv[2]) next } print $(at[c]) }' "$f"
}

header() {
	head -n 1 "$1" | tr '\t' ' '
}

@test "the sweep: a run per set, train ratio and seed; Figures 4, 1, 5, 11 and 12-16 read it" {
	need_data adult
	run figmake -j2 fig4 fig1 fig5 fig11 fig12-16
	assert_success
	# 2 sets x 3 train ratios x 2 seeds; Figure 1 (right) adds Figure 6's runs of its set
	[ "$(ls "$RES/tiny/sweep/runs" | wc -l)" = 12 ]
	[ -e "$RES/tiny/sweep/runs/adult-xgboost-r0.02-s1.imb" ]
	[ -e "$RES/tiny/sweep/runs/fashion2-mlp-r1-s2.imb" ]
	# every run: the model, its metrics on the test set at each test ratio and on the train set
	run imb-info "$RES/tiny/sweep/runs/adult-xgboost-r0.1-s1.imb"
	assert_success
	[ "$(grep -c "^frame .*metrics 'test'" <<< "$output")" = 3 ]
	[ "$(grep -c "^frame .*metrics 'train'" <<< "$output")" = 1 ]
	[ "$(grep -c "^frame .*: dataset" <<< "$output")" = 0 ]
	[ "$(grep -c "^frame .*: model 'model'" <<< "$output")" = 1 ]

	G="$RES/tiny/sweep/grid.tsv"
	[ "$(header "$G")" = "set method split train_ratio test_ratio n accuracy_mean accuracy_se balanced_accuracy_mean balanced_accuracy_se macro_f1_mean macro_f1_se minority_error_mean minority_error_se majority_error_mean majority_error_se" ]
	# 2 sets x 3 train ratios x 3 test ratios, 2 seeds each
	[ "$(tail -n +2 "$G" | wc -l)" = 18 ]
	[ "$(col "$G" n | sort -u)" = 2 ]

	# Figure 4: per set and test ratio, the three trainings
	D="$RES/tiny/fig4"
	[ "$(header "$D/fig4.tsv")" = "set test_ratio training train_ratio n accuracy_mean accuracy_se" ]
	[ "$(tail -n +2 "$D/fig4.tsv" | wc -l)" = 18 ]
	[ "$(val "$D/fig4.tsv" training set=adult-xgboost test_ratio=0.1 | tr '\n' ' ')" = "equal balanced best " ]
	[ "$(val "$D/fig4.tsv" train_ratio set=adult-xgboost test_ratio=0.1 training=balanced)" = 1 ]
	is_png "$D/fig4.png"
	[ "$(readlink "$D/runs")" = ../sweep/runs ]
	[ -e "$D/runs/adult-xgboost-r1-s1.imb" ]
	is_png "$D/fig4-fashion2-mlp.png"
	[ -s "$D/fig4.svg" ]
	# the best is at least as good as the other two, and is the grid's best
	run awk -F '\t' 'NR > 1 { k = $1 SUBSEP $2; if ($3 == "best") b[k] = $6; else o[k, $3] = $6 }
		END { for (k in b) for (t in o) { split(t, p, SUBSEP); if (p[1] == k && o[t] > b[k]) { print "worse", k; exit 1 } } }' "$D/fig4.tsv"
	assert_success

	# Figure 1: Figure 4's rows of its set, and majority added for it
	D="$RES/tiny/fig1"
	[ "$(col "$D/fig1.tsv" set | sort -u)" = adult-xgboost ]
	[ "$(tail -n +2 "$D/fig1.tsv" | wc -l)" = 9 ]
	is_png "$D/fig1.png"
	is_png "$D/fig1-right.png"
	[ "$(col "$D/fig1-right.tsv" set | sort -u)" = adult-xgboost ]

	# Figure 5: one row per dataset, model and test ratio
	D="$RES/tiny/fig5"
	[ "$(header "$D/fig5.tsv")" = "dataset model test_ratio best_train_ratio accuracy_best_mean accuracy_best_se accuracy_equal_mean accuracy_equal_se accuracy_balanced_mean accuracy_balanced_se grid_steps" ]
	[ "$(val "$D/fig5.tsv" test_ratio dataset=adult model=xgboost | tr '\n' ' ')" = "0.02 0.1 1 " ]
	[ "$(val "$D/fig5.tsv" model dataset=fashion2 | sort -u)" = mlp ]
	is_png "$D/fig5.png"
	is_png "$D/fig5-adult-xgboost-heatmap.png"
	is_png "$D/fig5-fashion2-mlp-heatmap.png"

	# Figure 11: per set and train ratio, minority and majority error on the balanced test set
	D="$RES/tiny/fig11"
	[ "$(header "$D/fig11.tsv")" = "set train_ratio n minority_error_mean minority_error_se majority_error_mean majority_error_se" ]
	[ "$(tail -n +2 "$D/fig11.tsv" | wc -l)" = 6 ]
	is_png "$D/fig11.png"
	is_png "$D/fig11-adult-xgboost.png"

	# Figures 12-16: train and test error per set and train ratio
	D="$RES/tiny/fig12-16"
	[ "$(header "$D/fig12-16.tsv")" = "set split train_ratio n error_mean error_se minority_error_mean minority_error_se majority_error_mean majority_error_se" ]
	[ "$(val "$D/fig12-16.tsv" split set=adult-xgboost train_ratio=0.1 | tr '\n' ' ')" = "test train " ]
	[ "$(tail -n +2 "$D/fig12-16.tsv" | wc -l)" = 12 ]
	# the error is one minus the accuracy of the grid's balanced test
	e=$(val "$D/fig12-16.tsv" error_mean set=adult-xgboost train_ratio=1 split=test)
	a=$(val "$G" accuracy_mean set=adult-xgboost train_ratio=1 test_ratio=1)
	awk -v e="$e" -v a="$a" 'BEGIN { d = e - (1 - a); exit !(d * d < 1e-12) }'
	is_png "$D/fig12-16.png"

	# runs are files: a second make has nothing left to run
	run make -n -C "$ROOT/pipelines" SCALE=tiny RESULTS="$RES" BIN="$BIN_DIR" fig4 fig1 fig5 fig11 fig12-16
	assert_success
	refute_output --partial "imb-train"
	refute_output --partial "imb-plot"
}

@test "Adult XGBoost: at test ratio 1, training at 1 beats training at 0.02; at 0.02, the reverse" {
	need_data adult
	figmake fig5
	G="$RES/tiny/sweep/grid.tsv"
	hi=$(val "$G" accuracy_mean set=adult-xgboost train_ratio=1 test_ratio=1)
	lo=$(val "$G" accuracy_mean set=adult-xgboost train_ratio=0.02 test_ratio=1)
	awk -v a="$hi" -v b="$lo" 'BEGIN { exit !(a > b + 0.05) }'
	hi=$(val "$G" accuracy_mean set=adult-xgboost train_ratio=0.02 test_ratio=0.02)
	lo=$(val "$G" accuracy_mean set=adult-xgboost train_ratio=1 test_ratio=0.02)
	awk -v a="$hi" -v b="$lo" 'BEGIN { exit !(a > b + 0.05) }'
	# so the best train ratio of those two test ratios is on the diagonal
	[ "$(val "$RES/tiny/fig5/fig5.tsv" best_train_ratio dataset=adult test_ratio=1)" = 1 ]
	[ "$(val "$RES/tiny/fig5/fig5.tsv" grid_steps dataset=adult test_ratio=1)" = 0 ]
	[ "$(val "$RES/tiny/fig5/fig5.tsv" best_train_ratio dataset=adult test_ratio=0.02)" = 0.02 ]
}

@test "Figure 6: minority fixed, majority added; the counts in the table" {
	need_data adult
	run figmake -j2 fig6
	assert_success
	D="$RES/tiny/fig6"
	[ "$(ls "$D/runs" | wc -l)" = 8 ]
	[ "$(header "$D/fig6.tsv" | cut -d' ' -f1-7)" = "n_minority n_majority set method split train_ratio test_ratio" ]
	[ "$(val "$D/fig6.tsv" n_majority set=adult-xgboost split=test test_ratio=1 | sort -n | tr '\n' ' ')" = "50 500 " ]
	# the test set also re-weighted to the run's own train ratio, where it is not 1
	[ "$(val "$D/fig6.tsv" test_ratio set=adult-xgboost split=test n_majority=500 | sort -n | tr '\n' ' ')" = "0.1 1 " ]
	[ "$(val "$D/fig6.tsv" n set=adult-xgboost split=test n_majority=50)" = 2 ]
	[ "$(val "$D/fig6.tsv" n_minority set=fashion2-mlp | sort -u)" = 20 ]
	[ "$(val "$D/fig6.tsv" train_ratio set=fashion2-mlp n_majority=200 split=test test_ratio=1)" = 0.1 ]
	# the split drew what the table says: 50 minority and 500 majority samples
	run imb-info "$D/runs/adult-xgboost-m500-s1.imb"
	assert_output --partial "n_minority=50 n_majority=500 train_counts=500,50"
	is_png "$D/fig6.png"
	is_png "$D/fig6-at-train-ratio.png"
}

@test "Figure 8: oversampling and overfitting beside the sweep's own runs" {
	need_data adult
	run figmake -j2 fig8
	assert_success
	D="$RES/tiny/fig8"
	# XGBoost: standard (the sweep's runs) and oversampling; the network also overfitting
	[ "$(val "$D/fig8.tsv" method set=adult-xgboost split=test train_ratio=0.1 | tr '\n' ' ')" = "standard oversampling " ]
	[ "$(val "$D/fig8.tsv" method set=fashion2-mlp split=test train_ratio=0.1 | tr '\n' ' ')" = "standard oversampling overfitting " ]
	[ "$(ls "$D/runs" | grep -c adult-xgboost-oversampling)" = 4 ]
	[ "$(ls "$D/runs" | grep -c standard)" = 0 ]
	# the test rows are the balanced test set's; the train rows have no test ratio
	[ "$(val "$D/fig8.tsv" test_ratio split=test | sort -u)" = 1 ]
	[ "$(val "$D/fig8.tsv" test_ratio split=train | sort -u)" = NA ]
	# oversampled XGBoost fits the minority of its train set better than plain XGBoost
	a=$(val "$D/fig8.tsv" minority_error_mean set=adult-xgboost split=train train_ratio=0.1 method=oversampling)
	b=$(val "$D/fig8.tsv" minority_error_mean set=adult-xgboost split=train train_ratio=0.1 method=standard)
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a < b) }'
	is_png "$D/fig8.png"
	is_png "$D/fig8-train.png"
	is_png "$D/fig8-fashion2-mlp.png"
}

@test "Figures 7 and 2: per-class training curves from the sweep's networks" {
	need_data adult
	run figmake -j2 fig7 fig2
	assert_success
	D="$RES/tiny/fig7"
	head -n 1 "$D/fig7.tsv" | grep -q "^set	train_ratio	"
	# 3 epochs x 2 classes of the one set and ratio
	[ "$(tail -n +2 "$D/fig7.tsv" | wc -l)" = 6 ]
	[ "$(col "$D/fig7.tsv" epoch | sort -u | tr '\n' ' ')" = "1 2 3 " ]
	is_png "$D/fig7.png"
	is_png "$D/fig7-fashion2-mlp-r0.1.png"
	D="$RES/tiny/fig2"
	cmp "$D/fig2.tsv" "$RES/tiny/fig7/curves-fashion2-mlp-r0.1.tsv"
	is_png "$D/fig2.png"
	is_png "$D/fig2-right.png"
	[ "$(col "$D/fig2-right.tsv" set | sort -u)" = fashion2-mlp ]
}

@test "make plan: each run file once, by stage; shared runs listed once for figures that share them" {
	run make -s -C "$ROOT/pipelines" SCALE=tiny RESULTS="$RES" BIN="$BIN_DIR" plan FIGS="fig1 fig4 fig5"
	assert_success
	# stage 1: the data; stage 2: the sweep's 12 runs and fig1's 4 majority-added runs
	[ "$(grep -c '^1	' <<< "$output")" = 2 ]
	[ "$(grep -c '^2	' <<< "$output")" = 16 ]
	[ "$(cut -f2 <<< "$output" | sort | uniq -d)" = "" ]
	grep -q "^1	$RES/tiny/data/adult.imb$" <<< "$output"
	run make -s -C "$ROOT/pipelines" SCALE=tiny RESULTS="$RES" plan FIGS=fig99
	assert_failure
	assert_output --partial "no figure 'fig99'"
}

@test "SCALE=paper: the plan names CIFAR-10 ResNet-34 at the paper's settings, Adult XGBoost, Covertype LinearSVC" {
	run make -n -C "$ROOT/pipelines" SCALE=paper RESULTS="$BATS_TEST_TMPDIR/r" fig4 fig6 fig8
	assert_success
	assert_output --partial "imb-import cifar10"
	assert_output --partial "imb-import covtype | imb-split --classes 0,1"
	assert_output --partial "imb-train --model resnet34 --epochs 300 --lr 0.01 --batch-size 128 --device cuda"
	assert_output --partial "--target-profile step"
	assert_output --partial "imb-eval --device cuda"
	assert_output --partial "imb-train --model linear-svm"
	# 3 sets x 11 ratios x 5 seeds in the sweep
	[ "$(grep -c -- '-r0.00316-s' <<< "$output")" -ge 15 ]
	[ "$(grep -c 'imb-split --train-ratio' <<< "$output")" = $((3 * 11 * 5 + (2 + 1) * 6 * 5)) ]
	[ ! -e "$BATS_TEST_TMPDIR/r" ]
}
