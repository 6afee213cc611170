#!/usr/bin/env bats
# imb-oversample's under-samplers (tomek, enn, nearmiss1-3,
# cluster-centroids) and combined samplers (smote-tomek, smote-enn) against
# imbalanced-learn (tests/samplers_under_ref.py is the oracle).
load helpers

REF="$ROOT/tests/samplers_under_ref.py"
MK="$ROOT/tests/mkframe.py"
ref() { $PY "$REF" "$@"; }

# one sampler against imblearn: METHOD DATA K RATIO [imb-oversample flags]
# expects the same kept rows, in source order, and imblearn's counts
same_as_imblearn() {
	local m=$1 data=$2 k=$3 ratio=$4
	shift 4
	imb-oversample --method "$m" "$@" "$data" > "$TMP/o.imb"
	run ref check "$m" "$data" "$TMP/o.imb" "$k" "$ratio"
	[ "${lines[1]}" = "same True" ] && [ "${lines[2]}" = "order True" ] ||
		{ echo "$m $*: $output"; false; }
	local ours=${lines[0]#counts }
	[ "${ours% imblearn*}" = "${ours#* imblearn }" ] || { echo "$m $*: $output"; false; }
}

@test "tomek, enn, nearmiss1-3 keep exactly imblearn's rows (three overlapping classes)" {
	# f32 Gaussians, all rows distinct: no distance ties
	ref make 150,50,20 3 1 > "$TMP/s.imb"
	for m in tomek enn nearmiss1 nearmiss2 nearmiss3; do
		same_as_imblearn $m "$TMP/s.imb" 3 1
	done
	# they remove something (a check that can fail)
	imb-oversample --method tomek "$TMP/s.imb" > "$TMP/t.imb"
	run ref check tomek "$TMP/s.imb" "$TMP/t.imb" 3 1
	refute_line --index 0 --partial "counts [150, 50, 20]"
	# and they differ: ENN's kept set is not Tomek's
	run ref check enn "$TMP/s.imb" "$TMP/t.imb" 3 1
	assert_line --index 1 "same False"
}

@test "--k sets enn's and nearmiss's neighbours; --ratio cuts nearmiss to min/R as imblearn's float strategy" {
	ref make 300,40 4 2 > "$TMP/b.imb"
	for m in nearmiss1 nearmiss2 nearmiss3; do
		same_as_imblearn $m "$TMP/b.imb" 5 0.4 --k 5 --ratio 0.4
	done
	same_as_imblearn enn "$TMP/b.imb" 7 1 --k 7
	# with k 7 ENN removes more than with the default 3
	imb-oversample --method enn "$TMP/b.imb" > "$TMP/e3.imb"
	imb-oversample --method enn --k 7 "$TMP/b.imb" > "$TMP/e7.imb"
	run ref check enn "$TMP/b.imb" "$TMP/e3.imb" 7 1
	assert_line --index 1 "same False"
	# nearmiss1 with ratio 0.4 keeps 40 / 0.4 = 100 majority rows
	imb-oversample --method nearmiss1 --ratio 0.4 "$TMP/b.imb" > "$TMP/n.imb"
	run imb-info "$TMP/n.imb"
	assert_output --partial "140"
}

@test "tomek and enn on 6000 rows: imblearn's rows, the same frames on 1, 3 and all threads" {
	# twelve tiles of the all-pairs search, shared out over the threads
	ref make 4500,1500 8 7 > "$TMP/m.imb"
	for m in tomek enn; do
		same_as_imblearn $m "$TMP/m.imb" 3 1 --threads 1
		imb-oversample --method $m -t 1 "$TMP/m.imb" > "$TMP/t1.imb"
		imb-oversample --method $m -t 3 "$TMP/m.imb" > "$TMP/t3.imb"
		imb-oversample --method $m "$TMP/m.imb" > "$TMP/tall.imb"
		run $PY -c '
import sys, msgpack
def t(p):
    fs = list(msgpack.Unpacker(open(p, "rb"), raw=False))
    for f in fs:
        f["attrs"].pop("history", None)
    return fs
a, b, c = (t(p) for p in sys.argv[1:4])
print(a == b, a == c, a[0]["attrs"]["counts"] != [4500, 1500])' "$TMP/t1.imb" "$TMP/t3.imb" "$TMP/tall.imb"
		assert_output "True True True"
	done
	# ENN with k 5 on the same rows, threads shared
	same_as_imblearn enn "$TMP/m.imb" 5 1 --k 5 -t 3
}

@test "u8 features and four classes: integer distances tie, ties go to the lower row as in sklearn" {
	ref make 200,60,25,10 5 3 u8 > "$TMP/u.imb"
	for m in tomek enn nearmiss1 nearmiss2 nearmiss3; do
		same_as_imblearn $m "$TMP/u.imb" 3 1
	done
}

@test "classes tied for the minority: the same choices as imblearn (sampling strategy, NearMiss's reference)" {
	# imblearn leaves the lowest of the tied classes alone, while NearMiss
	# measures distances to the one whose first row comes first
	for s in 1 2 3 4 5 6; do
		ref make 10,2,2 2 $s > "$TMP/t.imb"
		same_as_imblearn tomek "$TMP/t.imb" 2 1
		for m in enn nearmiss1 nearmiss2; do
			same_as_imblearn $m "$TMP/t.imb" 2 1 --k 2
		done
		ref make 12,4,4 2 $s > "$TMP/t.imb"
		same_as_imblearn nearmiss3 "$TMP/t.imb" 2 1 --k 2
	done
}

@test "nearmiss3 keeps fewer than the target when the minority's neighbourhood is smaller, as imblearn" {
	ref make 300,40 4 2 > "$TMP/b.imb"
	imb-oversample --method nearmiss3 --ratio 0.4 "$TMP/b.imb" > "$TMP/o.imb" 2> "$TMP/err"
	grep -q "NearMiss-3 finds .* fewer than the target 100" "$TMP/err"
	run ref check nearmiss3 "$TMP/b.imb" "$TMP/o.imb" 3 0.4
	assert_line --index 1 "same True"
	refute_line --index 0 --partial "counts [100, 40]"
}

@test "smote-tomek and smote-enn: imblearn's own cleaner on imb's SMOTE output keeps the same rows" {
	ref make 150,50,20 3 1 > "$TMP/s.imb"
	ref make 300,40 4 2 > "$TMP/b.imb"
	for m in smote-tomek smote-enn; do
		for args in "s --seed 4" "b --seed 2 --ratio 0.5 --k 3"; do
			set -- $args
			d=$1
			shift
			imb-oversample --method smote "$@" "$TMP/$d.imb" > "$TMP/sm.imb"
			imb-oversample --method $m "$@" "$TMP/$d.imb" > "$TMP/o.imb"
			run ref combined $m "$TMP/$d.imb" "$TMP/sm.imb" "$TMP/o.imb"
			[ "${lines[2]}" = "same True" ] && [ "${lines[3]}" = "order True" ] ||
				{ echo "$m $args: $output"; false; }
			for i in 0 1; do
				l=${lines[$i]#smote }
				l=${l#counts }
				[ "${l% imblearn*}" = "${l#* imblearn }" ] || { echo "$m $args: $output"; false; }
			done
		done
	done
	# every class is cleaned after SMOTE (imblearn's "all"), the minority too
	imb-oversample --method smote-tomek --seed 4 "$TMP/s.imb" > "$TMP/o.imb"
	run ref combined smote-tomek "$TMP/s.imb" "$TMP/sm.imb" "$TMP/o.imb"
	run $PY -c '
import sys, msgpack
f = [f for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False) if f["name"] == "train"][0]
print(min(f["attrs"]["counts"]) < 150)' "$TMP/o.imb"
	assert_output "True"
}

@test "cluster-centroids: imblearn's counts, k-means fixed points, inertia near sklearn's KMeans" {
	ref make 600,200,60 6 5 > "$TMP/c.imb"
	imb-oversample --method cluster-centroids --seed 1 "$TMP/c.imb" > "$TMP/o.imb"
	run ref centroids "$TMP/c.imb" "$TMP/o.imb" 1
	assert_line --index 0 "counts [60, 60, 60] imblearn [60, 60, 60]"
	assert_line --index 1 "kept True"
	assert_line --index 2 "fixed True"
	assert_line --index 3 "inertia True"
	ref make 300,40 4 2 > "$TMP/b.imb"
	imb-oversample --method cluster-centroids --ratio 0.5 --seed 3 "$TMP/b.imb" > "$TMP/o.imb"
	run ref centroids "$TMP/b.imb" "$TMP/o.imb" 0.5
	assert_line --index 0 "counts [80, 40] imblearn [80, 40]"
	assert_line --index 2 "fixed True"
	assert_line --index 3 "inertia True"
	# the fixed-point check can fail: rows NearMiss keeps are no centroids
	imb-oversample --method nearmiss1 --ratio 0.5 "$TMP/b.imb" > "$TMP/n.imb"
	run ref centroids "$TMP/b.imb" "$TMP/n.imb" 0.5
	assert_line --index 0 "counts [80, 40] imblearn [80, 40]"
	assert_line --index 2 "fixed False"
	# same seed, same bytes; another seed, other centroids
	imb-oversample --method cluster-centroids --ratio 0.5 --seed 3 "$TMP/b.imb" > "$TMP/o2.imb"
	cmp "$TMP/o.imb" "$TMP/o2.imb"
	imb-oversample --method cluster-centroids --ratio 0.5 --seed 4 "$TMP/b.imb" > "$TMP/o3.imb"
	run cmp -s "$TMP/o.imb" "$TMP/o3.imb"
	assert_failure
}

@test "attrs.oversample records the method and its settings; imb-eval's config names the method" {
	ref make 300,40 4 2 > "$TMP/b.imb"
	show() {
		$PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["name"] == "train":
        print(f["attrs"]["oversample"], f["attrs"]["counts"], [h["tool"] for h in f["attrs"]["history"]])' "$1"
	}
	imb-oversample --method tomek "$TMP/b.imb" > "$TMP/o.imb"
	run show "$TMP/o.imb"
	assert_output --regexp "^\{'method': 'tomek', 'counts_before': \[300, 40\]\} \[[0-9]+, 40\] \['imb-oversample'\]$"
	imb-oversample --method enn "$TMP/b.imb" > "$TMP/o.imb"
	run show "$TMP/o.imb"
	assert_output --partial "{'method': 'enn', 'k': 3, 'counts_before': [300, 40]}"
	imb-oversample --method nearmiss2 --ratio 0.5 "$TMP/b.imb" > "$TMP/o.imb"
	run show "$TMP/o.imb"
	assert_output --partial "{'method': 'nearmiss2', 'ratio': 0.5, 'k': 3, 'counts_before': [300, 40]} [80, 40]"
	imb-oversample --method cluster-centroids --seed 2 "$TMP/b.imb" > "$TMP/o.imb"
	run show "$TMP/o.imb"
	assert_output --partial "{'method': 'cluster-centroids', 'ratio': 1.0, 'seed': 2, 'counts_before': [300, 40]} [40, 40]"
	imb-oversample --method smote-enn --seed 2 --k 4 "$TMP/b.imb" > "$TMP/o.imb"
	run show "$TMP/o.imb"
	assert_output --partial "{'method': 'smote-enn', 'ratio': 1.0, 'k': 4, 'enn_k': 3, 'seed': 2, 'counts_before': [300, 40]}"
	imb-oversample --method nearmiss2 --ratio 0.5 "$TMP/b.imb" | imb-train --model linear-svm 2>/dev/null |
		imb-eval --format json > "$TMP/m.json"
	run $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = (d[0] if isinstance(d, list) else d)["config"]
print(c["oversample"], c["oversample_ratio"])' "$TMP/m.json"
	assert_output "nearmiss2 0.5"
}

@test "only the train frame changes; the test frame passes byte for byte" {
	ref make 150,50,20 3 1 > "$TMP/s.imb"
	for m in tomek smote-enn cluster-centroids; do
		imb-oversample --method $m "$TMP/s.imb" > "$TMP/o.imb"
		run $PY -c '
import sys, msgpack
a = [msgpack.packb(f) for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False)]
b = [msgpack.packb(f) for f in msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False)]
print(len(a) == len(b), a[0] == b[0], a[1] == b[1])' "$TMP/s.imb" "$TMP/o.imb"
		assert_output "True False True"
	done
}

@test "bad input is exit 1 naming the class; -o leaves no file" {
	# a minority of 2 rows: NearMiss-1 and -3 need k=3 of them
	ref make 30,2 2 1 > "$TMP/small.imb"
	for m in nearmiss1 nearmiss3; do
		run imb-oversample --method $m -o "$TMP/o.imb" "$TMP/small.imb"
		assert_failure 1
		assert_output --partial "frame 1 (dataset 'train'): the minority class 1 (c1) has 2 samples; NearMiss-${m#nearmiss} needs at least k=3"
		[ ! -e "$TMP/o.imb" ]
	done
	# NearMiss-2 takes the farthest of what there is, as imblearn
	same_as_imblearn nearmiss2 "$TMP/small.imb" 3 1
	run imb-oversample --method nearmiss1 --k 2 "$TMP/small.imb"
	assert_success
	# NearMiss-3 needs 3 rows of each class but the minority (of two
	# classes of 2 rows, one is the minority, the other is too small)
	ref make 10,2,2 2 1 > "$TMP/three.imb"
	run imb-oversample --method nearmiss3 --k 2 "$TMP/three.imb"
	assert_failure 1
	assert_output --regexp "class [12] \(c[12]\) has 2 samples; NearMiss-3 needs at least 3"
	# ENN's neighbours come from all rows: k must be below their count
	ref make 3,2 2 1 > "$TMP/five.imb"
	run imb-oversample --method enn --k 5 "$TMP/five.imb"
	assert_failure 1
	assert_output --partial "5 samples; ENN with --k needs at least 6"
	run imb-oversample --method enn --k 4 "$TMP/five.imb"
	assert_success
	# SMOTE before cleaning: a class of one row cannot be raised; one of
	# k or fewer uses fewer neighbours, with a warning
	ref make 30,1 2 1 > "$TMP/one.imb"
	run imb-oversample --method smote-tomek "$TMP/one.imb"
	assert_failure 1
	assert_output --partial "class 1 (c1) has 1 sample; SMOTE needs at least 2"
	ref make 30,3 2 1 > "$TMP/three2.imb"
	run imb-oversample --method smote-enn --k 5 -o "$TMP/o2.imb" "$TMP/three2.imb"
	assert_success
	assert_output --partial "class 1 (c1) has 3 samples; SMOTE uses k=2 neighbours"
	# a class with no samples, a NaN feature
	$PY "$MK" raw '{"kind":"dataset","name":"train","attrs":{"classes":["a","b","c"]},"tensors":{"x":{"dtype":"f32","shape":[4,1],"values":[1,2,3,4]},"y":{"dtype":"i32","shape":[4],"values":[0,0,0,1]}}}' > "$TMP/empty.imb"
	run imb-oversample --method tomek "$TMP/empty.imb"
	assert_failure 1
	assert_output --partial "class 2 (c) has no samples"
	$PY "$MK" raw '{"kind":"dataset","name":"train","tensors":{"x":{"dtype":"f32","shape":[4,1],"hexdata":"0000803f0000c07f0000404000008040"},"y":{"dtype":"i32","shape":[4],"values":[0,0,1,1]}}}' > "$TMP/nan.imb"
	run imb-oversample --method tomek "$TMP/nan.imb"
	assert_failure 1
	assert_output --partial "row 1 column 0 is NaN; tomek needs finite features"
}

@test "usage errors exit 2: unknown method, a ratio for a cleaner" {
	ref make 30,10 2 1 > "$TMP/a.imb"
	for a in "--method tomeks" "--method near-miss" "--method tomek --ratio 0.5" \
	         "--method enn --ratio 1" "--method nearmiss1 --k 0" "--method smote-enn --ratio 0"; do
		run imb-oversample $a "$TMP/a.imb"
		[ "$status" -eq 2 ] || { echo "$a: status $status: $output"; false; }
	done
	run imb-oversample --method tomek --ratio 0.5 "$TMP/a.imb"
	assert_output --partial "--ratio: --method tomek takes no ratio"
	run imb-oversample --method bogus "$TMP/a.imb"
	assert_output --partial "cluster-centroids, smote-tomek, smote-enn"
	run imb-oversample --method tomek --k 3 "$TMP/a.imb"
	[ "$status" -eq 2 ]
	assert_output --partial "--k: --method tomek takes no neighbours"
	run imb-oversample --help
	assert_output --partial "cluster-centroids"
	assert_output --partial "smote-tomek|smote-enn"
}
