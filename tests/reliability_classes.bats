#!/usr/bin/env bats
# Classes are matched by name wherever two frames' class lists meet
# (docs/reliability.md, rows 71-75): a model and a test set, a train and
# a test source in imb-split, a network and its --val-frame.
bats_require_minimum_version 1.5.0
load helpers
load reliability

# the same samples with the class list reversed and y relabelled to match
FLIP='
import sys, struct, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f.get("kind") == "dataset":
        k = len(f["attrs"]["classes"])
        f["attrs"]["classes"] = f["attrs"]["classes"][::-1]
        if "counts" in f["attrs"]: f["attrs"]["counts"] = f["attrs"]["counts"][::-1]
        y = f["tensors"]["y"]; n = y["shape"][0]
        v = struct.unpack("<%di" % n, y["data"])
        y["data"] = struct.pack("<%di" % n, *[k - 1 - t for t in v])
    sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))'

# a test frame of 6 samples, classes and labels as given
testset() {
	raw "{\"kind\":\"dataset\",\"name\":\"test\",\"attrs\":{\"classes\":$1},
	  \"tensors\":{\"x\":{\"dtype\":\"f32\",\"shape\":[6,3],\"values\":[0,0,0,1,1,1,0,1,0,1,0,1,2,2,2,-1,-1,-1]},
	               \"y\":{\"dtype\":\"i32\",\"shape\":[6],\"values\":$2}}}"
}

@test "a test set listing the model's classes in another order gives the same metrics (xgboost, linear-svm, mlp)" {
	$MK dataset train 60 3 2 --seed 1 > "$TMP/tr"
	$MK dataset test 40 3 2 --seed 2 > "$TMP/te"
	$PY -c "$FLIP" < "$TMP/te" > "$TMP/tef"
	for m in "xgboost" "linear-svm" "mlp:8 --epochs 3"; do
		imb-train -q --seed 1 -m $m < "$TMP/tr" > "$TMP/m"
		imb-eval -f tsv "$TMP/m" "$TMP/te" > "$TMP/a"
		run imb-eval -f tsv "$TMP/m" "$TMP/tef"
		assert_success
		assert_output "$(cat "$TMP/a")"
	done
}

@test "a test set naming a class the model does not know is exit 1 naming it and both lists; a subset is evaluated" {
	good train > "$TMP/tr"
	imb-train -q < "$TMP/tr" > "$TMP/m"
	testset '["c0","zz"]' '[0,1,0,1,0,1]' > "$TMP/zz"
	bad imb-eval -o "$TMP/out" "$TMP/m" "$TMP/zz"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"imb-eval: frame 1 (dataset 'test'): attrs.classes: class 'zz' is not a class of the model (frame 1 (model 'model')) [c0, c1] (this set lists [c0, zz])"* ]]
	no_output "$TMP/out"
	# a test split without a class: the model's two classes, c0 absent
	testset '["c1"]' '[0,0,0,0,0,0]' > "$TMP/sub"
	run imb-eval -f json "$TMP/m" "$TMP/sub"
	assert_success
	run $PY -c '
import json, sys
m = json.load(sys.stdin)[0]
print(m["classes"], [(p["class"], p["support"]) for p in m["per_class"]], m["n"])' <<< "$output"
	assert_output "['c0', 'c1'] [('c0', 0), ('c1', 6)] 6"
}

@test "a class list naming a class twice is exit 1 naming it, for every tool that reads a dataset" {
	testset '["c0","c0"]' '[0,1,0,1,0,1]' > "$TMP/dup"
	good train > "$TMP/tr"
	imb-train -q < "$TMP/tr" > "$TMP/m"
	for t in "imb-eval $TMP/m $TMP/dup" "imb-train --frame test $TMP/dup" "imb-split $TMP/dup"; do
		bad $t -o "$TMP/out"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"frame 1 (dataset 'test'): attrs.classes names class 'c0' twice (at 0 and 1)"* ]]
		no_output "$TMP/out"
	done
}

@test "imb-split: a test source listing the classes in another order is relabelled by name; an unknown class is exit 1" {
	$MK dataset train 60 3 2 --seed 1 > "$TMP/tr"
	testset '["c0","c1"]' '[0,0,0,0,1,1]' > "$TMP/te"
	$PY -c "$FLIP" < "$TMP/te" > "$TMP/tef"
	cat "$TMP/tr" "$TMP/te" | imb-split --seed 3 --test-ratio 0.5 | imb-cat --name test | imb-info > "$TMP/a"
	grep -q ' c0  *4$' "$TMP/a"
	grep -q ' c1  *2$' "$TMP/a"
	run bash -c "cat '$TMP/tr' '$TMP/tef' | imb-split --seed 3 --test-ratio 0.5 | imb-cat --name test | imb-info"
	assert_success
	assert_output "$(cat "$TMP/a")"
	testset '["c1","c9"]' '[0,0,0,0,1,1]' > "$TMP/bad"
	bad bash -c "cat '$TMP/tr' '$TMP/bad' | imb-split -o '$TMP/out'"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"class 'c9' is not a class of frame 1 (dataset 'train') [c0, c1]"* ]]
	no_output "$TMP/out"
}

@test "imb-train --val-frame listing the classes in another order: the same per-class validation as in train's order" {
	$MK dataset train 60 3 2 --seed 1 > "$TMP/tr"
	$MK dataset test 40 3 2 --seed 2 > "$TMP/te"
	$PY -c "$FLIP" < "$TMP/te" > "$TMP/tef"
	PC='
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f["kind"] == "log":
        for e in f["attrs"]["epochs"]: print(e["val_per_class_n"], e["val_per_class_acc"], e["val_loss"])'
	cat "$TMP/tr" "$TMP/te" | imb-train -q -m mlp:8 --epochs 2 --seed 1 --val-frame test | $PY -c "$PC" > "$TMP/a"
	run bash -c "cat '$TMP/tr' '$TMP/tef' | imb-train -q -m mlp:8 --epochs 2 --seed 1 --val-frame test | $PY -c '$PC'"
	assert_success
	assert_output "$(cat "$TMP/a")"
	testset '["c1","x"]' '[0,0,0,0,1,1]' > "$TMP/bad"
	bad bash -c "cat '$TMP/tr' '$TMP/bad' | imb-train -m mlp:8 --epochs 1 --val-frame test -o '$TMP/out'"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--val-frame: frame 2 (dataset 'test'): attrs.classes: class 'x' is not a class of frame 1 (dataset 'train')"* ]]
	no_output "$TMP/out"
}

@test "imb-hessian and imb-plot boundary: a dataset listing the model's classes in another order is read by name" {
	$MK dataset train 60 2 2 --seed 1 > "$TMP/tr"
	imb-train -q -m mlp:8 --epochs 2 --seed 1 --keep-train < "$TMP/tr" > "$TMP/m"
	# the model and the train set it forwards, and the same with the set flipped
	$PY -c "$FLIP" < "$TMP/m" > "$TMP/mf"
	imb-hessian --top 2 --samples 40 --per-class -f tsv < "$TMP/m" > "$TMP/a"
	run imb-hessian --top 2 --samples 40 --per-class -f tsv < "$TMP/mf"
	assert_success
	assert_output "$(cat "$TMP/a")"
	imb-plot boundary --grid 20 -o "$TMP/a.svg" < "$TMP/m"
	imb-plot boundary --grid 20 -o "$TMP/b.svg" < "$TMP/mf"
	cmp "$TMP/a.svg" "$TMP/b.svg"
}

@test "imb-train --init on a train set listing the classes in another order keeps the head, its rows reordered by name" {
	$MK dataset train 60 3 2 --seed 1 > "$TMP/tr"
	$MK dataset test 40 3 2 --seed 2 > "$TMP/te"
	$PY -c "$FLIP" < "$TMP/tr" > "$TMP/trf"
	imb-train -q -m mlp:8 --epochs 3 --seed 1 < "$TMP/tr" > "$TMP/m"
	# fine-tuning at lr 0 changes nothing: the same predictions, by name
	for t in tr trf; do
		cat "$TMP/m" "$TMP/$t" | imb-train -q --init --lr 0 --epochs 1 --seed 2 > "$TMP/m-$t"
		imb-eval -f tsv "$TMP/m-$t" "$TMP/te" | tsvcol balanced_accuracy > "$TMP/b-$t"
	done
	imb-eval -f tsv "$TMP/m" "$TMP/te" | tsvcol balanced_accuracy > "$TMP/b0"
	[ "$(cat "$TMP/b-tr")" = "$(cat "$TMP/b0")" ]
	[ "$(cat "$TMP/b-trf")" = "$(cat "$TMP/b0")" ]
}
