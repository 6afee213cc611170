#!/usr/bin/env bats
# imb-oversample's SMOTE variants (ADASYN, Borderline-SMOTE 1 and 2,
# SMOTE-NC) against imbalanced-learn 0.10 (tests/samplers_ref.py).
load helpers

REF="$ROOT/tests/samplers_ref.py"
ref() { $PY "$REF" "$@"; }

# a train frame of Gaussian classes that overlap: COUNTS D SEP SEED
table() { ref table "$@" > "$TMP/t.imb"; }

@test "adasyn: imblearn's per-sample counts g_i, each new sample on a segment from its seed" {
	table 300,40 4 1.5 1
	imb-oversample --method adasyn --seed 1 "$TMP/t.imb" > "$TMP/o.imb"
	run ref check adasyn "$TMP/t.imb" "$TMP/o.imb"
	# ADASYN's rounding: 263 new samples where 260 were wanted, as imblearn
	assert_output "counts [300, 303] imblearn [300, 303]
kept True
g_i sums True
seeded as g_i 263/263
mean True"
	# the check can fail: against 3 neighbours the weights are others
	run ref check adasyn "$TMP/t.imb" "$TMP/o.imb" 3
	refute_output --partial "seeded as g_i 263/263"
}

@test "adasyn: three classes, --k 3, a ratio" {
	table 200,60,30 3 1.2 2
	imb-oversample --method adasyn --k 3 --seed 4 "$TMP/t.imb" > "$TMP/o.imb"
	run ref check adasyn "$TMP/t.imb" "$TMP/o.imb" 3
	assert_line --index 2 "g_i sums True"
	assert_line --partial "seeded as g_i"
	[[ "$output" =~ seeded\ as\ g_i\ ([0-9]+)/([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[[ "${lines[0]}" =~ counts\ (.*)\ imblearn\ (.*) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	table 300,40 4 1.5 1
	imb-oversample --method adasyn --ratio 0.5 "$TMP/t.imb" > "$TMP/o.imb"
	run ref check adasyn "$TMP/t.imb" "$TMP/o.imb" 5 10 0.5
	# rint of the weights: one fewer than wanted, as imblearn
	assert_line --index 0 "counts [300, 149] imblearn [300, 149]"
	assert_line "seeded as g_i 109/109"
}

@test "borderline1: imblearn's danger samples seed; new samples on segments to same-class neighbours" {
	table 300,40 4 1.5 1
	imb-oversample --method borderline1 --seed 1 "$TMP/t.imb" > "$TMP/o.imb"
	run ref check borderline1 "$TMP/t.imb" "$TMP/o.imb"
	assert_output "counts [300, 300] imblearn [300, 300]
kept True
danger True
segment 260/260
every danger sample seeds True
steps True"
	# --m changes which samples are in danger, as in imblearn
	imb-oversample --method borderline1 --m 6 --k 3 --seed 2 "$TMP/t.imb" > "$TMP/o6.imb"
	run ref check borderline1 "$TMP/t.imb" "$TMP/o6.imb" 3 6
	assert_line "danger True"
	assert_line "segment 260/260"
	# the check can fail: with the default m the danger set is another
	run ref check borderline1 "$TMP/t.imb" "$TMP/o6.imb" 3 10
	refute_line "danger True"
}

@test "borderline2: half of the samples towards other classes' neighbours, steps in [0, 0.5)" {
	table 300,40 4 1.5 1
	imb-oversample --method borderline2 --seed 1 "$TMP/t.imb" > "$TMP/o.imb"
	run ref check borderline2 "$TMP/t.imb" "$TMP/o.imb"
	assert_output "kept True
counts need or need-1 True
danger True
segment 259/259
every danger sample seeds True
steps True"
	run imb-oversample --method borderline2 --seed 1 --m 10 --k 5 "$TMP/t.imb"
	assert_success
	table 200,50,30 3 1.0 3
	imb-oversample --method borderline2 --seed 5 "$TMP/t.imb" > "$TMP/o.imb"
	run ref check borderline2 "$TMP/t.imb" "$TMP/o.imb"
	assert_line "danger True"
	assert_line "counts need or need-1 True"
	[[ "$output" =~ segment\ ([0-9]+)/([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
}

@test "smote-nc: imblearn's median std; numeric columns on segments, categories the neighbours' mode" {
	ref csv 400 60 2 > "$TMP/t.csv"
	imb-import csv "$TMP/t.csv" --label label > "$TMP/c.imb"
	imb-oversample --method smote-nc --seed 1 "$TMP/c.imb" > "$TMP/o.imb"
	run ref check smote-nc "$TMP/c.imb" "$TMP/o.imb"
	assert_output "counts [400, 400] imblearn [400, 400]
kept True
median_std True
segment 340/340
one-hot 340/340
categories are the neighbours' mode 340/340
mean True"
	imb-oversample --method smote-nc --k 3 --ratio 0.5 --seed 2 "$TMP/c.imb" > "$TMP/o.imb"
	run ref check smote-nc "$TMP/c.imb" "$TMP/o.imb" 3 10 0.5
	assert_line --index 0 "counts [400, 200] imblearn [400, 200]"
	assert_line "categories are the neighbours' mode 140/140"
	# the check can fail: against one neighbour the modes are others
	run ref check smote-nc "$TMP/c.imb" "$TMP/o.imb" 1 10 0.5
	refute_line "categories are the neighbours' mode 140/140"
	run $PY -c '
import sys, msgpack
f = next(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
o = f["attrs"]["oversample"]
print(o["method"], o["k"], o["ratio"], "m" in o, round(o["median_std"], 3) > 0)' "$TMP/o.imb"
	assert_output "smote-nc 3 0.5 False True"
}

@test "smote-nc on Adult: large numeric columns (fnlwgt) keep imblearn's neighbours" {
	need_data adult
	imb-import adult | imb-split --train-ratio 0.1 --seed 1 > "$TMP/a.imb"
	imb-oversample --method smote-nc --ratio 0.2 --seed 3 "$TMP/a.imb" > "$TMP/o.imb"
	run ref check smote-nc "$TMP/a.imb" "$TMP/o.imb" 5 10 0.2
	assert_output "counts [24720, 4944] imblearn [24720, 4944]
kept True
median_std True
segment 2472/2472
one-hot 2472/2472
categories are the neighbours' mode 2472/2472
mean True"
}

@test "one-hot categorical columns: smote, adasyn and borderline refuse them unless --blend-categorical" {
	ref csv 200 40 3 > "$TMP/t.csv"
	imb-import csv "$TMP/t.csv" --label label > "$TMP/c.imb"
	for m in smote adasyn borderline1 borderline2; do
		run imb-oversample --method $m -o "$TMP/o.imb" "$TMP/c.imb"
		assert_failure 1
		assert_output --partial "x holds one-hot categorical columns (color, shape)"
		assert_output --partial "use --method smote-nc"
		[ ! -e "$TMP/o.imb" ]
	done
	imb-oversample --method smote --blend-categorical "$TMP/c.imb" > "$TMP/o.imb"
	run imb-info "$TMP/o.imb"
	assert_output --partial "samples: 400"
	# random over- and undersampling copy rows: categories stay whole
	run imb-oversample --method random "$TMP/c.imb"
	assert_success
	# smote-nc without categorical columns
	table 50,10 2 1 1
	run imb-oversample --method smote-nc "$TMP/t.imb"
	assert_failure 1
	assert_output --partial "SMOTE-NC needs categorical columns"
}

@test "a class too small for k: k becomes n-1 with a warning, as SMOTE; one sample is an error" {
	table 60,4 2 1 1
	# (imblearn raises instead: n_neighbors > n_samples)
	for m in adasyn borderline1 borderline2; do
		run imb-oversample --method $m --k 5 -o "$TMP/o.imb" "$TMP/t.imb"
		assert_success
		assert_output --partial "class 1 (c1) has 4 samples;"
		assert_output --partial "uses k=3 neighbours"
		run imb-info "$TMP/o.imb"
		assert_output --regexp "samples: 1(1[89]|2[0-9])"
	done
	table 60,1 2 1 1
	for m in adasyn borderline1 borderline2; do
		run imb-oversample --method $m "$TMP/t.imb"
		assert_failure 1
		assert_output --partial "class 1 (c1) has 1 sample;"
	done
}

@test "adasyn with no neighbour of another class, borderline with m past the rows: exit 1 naming them" {
	# classes far apart: ADASYN's weights are all zero (imblearn raises too)
	table 100,10 2 50 1
	run imb-oversample --method adasyn "$TMP/t.imb"
	assert_failure 1
	assert_output --partial "class 1 (c1): no sample has a neighbour of another class among its k=5 nearest"
	# no sample in danger: nothing is added, with a warning (imblearn adds none)
	run imb-oversample --method borderline1 -o "$TMP/o.imb" "$TMP/t.imb"
	assert_success
	assert_output --partial "class 1 (c1) has no sample in danger (m=10)"
	run imb-info "$TMP/o.imb"
	assert_output --partial "samples: 110"
	table 8,4 2 1 1
	run imb-oversample --method borderline1 --m 12 "$TMP/t.imb"
	assert_failure 1
	assert_output --partial "Borderline-SMOTE needs more than m=12 rows; the frame has 12"
}

@test "usage: unknown methods, --m or --k where the method takes none, -h and -V" {
	table 30,10 2 1 1
	run imb-oversample --method tomek-ish "$TMP/t.imb"
	assert_failure 2
	assert_output --partial "is not one of random, under, smote, adasyn, borderline1, borderline2, smote-nc"
	for m in smote adasyn smote-nc random under; do
		run imb-oversample --method $m --m 5 "$TMP/t.imb"
		assert_failure 2
		assert_output --partial "--m: --method $m takes no m_neighbors"
	done
	run imb-oversample --method under --k 3 "$TMP/t.imb"
	assert_failure 2
	run imb-oversample --method borderline1 --m 0 "$TMP/t.imb"
	assert_failure 2
	run imb-oversample -h
	assert_success
	assert_output --partial "borderline2"
	assert_output --partial "--blend-categorical"
	run imb-oversample -V
	assert_success
	assert_output --partial "imb-oversample"
	run imb-oversample --version
	assert_success
}

@test "attrs.oversample records the method and its parameters; the same seed gives the same bytes" {
	table 100,20 3 1 1
	imb-oversample --method borderline2 --k 4 --m 8 --seed 3 "$TMP/t.imb" > "$TMP/a.imb"
	imb-oversample --method borderline2 --k 4 --m 8 --seed 3 "$TMP/t.imb" > "$TMP/b.imb"
	cmp "$TMP/a.imb" "$TMP/b.imb"
	run $PY -c '
import sys, msgpack
o = next(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))["attrs"]["oversample"]
print(o["method"], o["k"], o["m"], o["seed"], o["counts_before"], len(o["danger"]))' "$TMP/a.imb"
	assert_output "borderline2 4 8 3 [100, 20] 2"
	imb-oversample --method adasyn --seed 4 "$TMP/t.imb" > "$TMP/c.imb"
	run cmp -s "$TMP/a.imb" "$TMP/c.imb"
	assert_failure
}
