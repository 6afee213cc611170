#!/usr/bin/env bats
# Crafted models and parameters a library cannot take (docs/reliability.md
# rows 47-59): every one is exit 1 (bad input) or 2 (usage) with one line
# in imb's form, never a crash, a hang or a library's own message.
bats_require_minimum_version 1.5.0
load helpers
load reliability

# a model of MODEL (imb-train args) on a K-class set, and a test set
model() {
	local k=$1
	shift
	$MK dataset train 40 3 "$k" > "$TMP/g.imb"
	$MK dataset test 20 3 "$k" --seed 5 > "$TMP/t.imb"
	imb-train -q "$@" -o "$TMP/m.imb" "$TMP/g.imb"
}

# rewrite the model text of $TMP/m.imb: the Python expression $1 of t
# (the text, str; re imported) is the new text; $2, optional, a JSON map
# of attrs to set; the model and test frames to $TMP/e.imb
edit() {
	$PY - "$TMP/m.imb" "$1" "${2:-{\}}" > "$TMP/e.imb" <<'PYEOF'
import json, msgpack, re, sys
path, expr, attrs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
out = sys.stdout.buffer
for f in msgpack.Unpacker(open(path, "rb"), raw=False, strict_map_key=False):
    if f["kind"] == "model":
        tt = f["tensors"]["bytes"]
        t = tt["data"].decode()
        f["attrs"].update(attrs)
        d = eval(expr).encode()
        tt["data"], tt["shape"] = d, [len(d)]
    out.write(msgpack.packb(f, use_bin_type=True))
PYEOF
	cat "$TMP/t.imb" >> "$TMP/e.imb"
}

# imb-eval on $TMP/e.imb: exit 1, one line naming tensor 'bytes' and $1
refused() {
	bad timeout 20 imb-eval -o "$TMP/out.tsv" "$TMP/e.imb"
	echo "status $status: $stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "imb-eval: "*"tensor 'bytes'"*"$1"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	no_output "$TMP/out.tsv"
}

@test "LIBSVM: nr_sv counts that do not add up to total_sv, or SV lines that do not, are exit 1, not a crash" {
	model 3 -m svm
	# more support vectors counted than there are (svm_predict_values read past them)
	edit 're.sub(r"nr_sv (\d+)", lambda m: "nr_sv %d" % (int(m[1]) + 1000), t)'
	refused "nr_sv adds up to"
	# counts moved between classes but total_sv changed to match
	edit 're.sub(r"total_sv (\d+)", lambda m: "total_sv %d" % (int(m[1]) + 1000), re.sub(r"nr_sv (\d+)", lambda m: "nr_sv %d" % (int(m[1]) + 1000), t))'
	refused "support vectors, total_sv says"
	# one count fewer, total_sv to match: one SV line too many
	edit 're.sub(r"total_sv (\d+)", lambda m: "total_sv %d" % (int(m[1]) - 1), re.sub(r"nr_sv (\d+)", lambda m: "nr_sv %d" % (int(m[1]) - 1), t))'
	refused "more support vectors than total_sv"
	# a count for a class too few or too many
	edit 're.sub(r"nr_sv (\d+) ", "nr_sv ", t)'
	refused "nr_sv: 2 counts for nr_class 3"
}

@test "LIBSVM: a precomputed kernel, and svm types or kernels imb does not train, are exit 1, not a crash in k_function" {
	model 2 -m svm
	edit 't.replace("kernel_type rbf", "kernel_type precomputed")'
	refused "kernel_type must be linear, polynomial, rbf or sigmoid"
	edit 't.replace("svm_type c_svc", "svm_type one_class")'
	refused "svm_type must be c_svc"
	# a polynomial kernel needs degree and coef0; the file lacks them
	edit 't.replace("kernel_type rbf", "kernel_type polynomial")'
	refused "the header lacks degree"
}

@test "LIBLINEAR: nr_class 4 with nr_feature 2^30 is exit 1 within 2 GiB, not a heap overflow in load_model" {
	model 2 -m linear-svm
	edit 't.replace("nr_class 2", "nr_class 4").replace("label 0 1", "label 0 1 2 3").replace("nr_feature 3", "nr_feature 1073741824")' '{"n_features":1073741824,"n_classes":4}'
	refused "w: 1 value, but nr_class makes 4"
	# the rows right, the count of rows not: bounded by the bytes present
	edit 't.replace("nr_class 2", "nr_class 4").replace("label 0 1", "label 0 1 2 3").replace("nr_feature 3", "nr_feature 1073741824").replace(" \n", " 0 0 0 \n")' '{"n_features":1073741824,"n_classes":4}'
	refused "4 weight lines, but nr_feature + 1 for the bias makes 1073741825"
	# against the frame's own attrs
	edit 't.replace("nr_feature 3", "nr_feature 1073741824")'
	refused "nr_feature 1073741824, but attrs.n_features says 3"
}

@test "LIBSVM and LIBLINEAR: nr_class 1000000000 is exit 1 within 2 GiB, not a segfault on an unchecked malloc" {
	model 2 -m svm
	edit 't.replace("nr_class 2", "nr_class 1000000000")'
	refused "nr_class must be one integer in [2, 2]"
	edit 't.replace("nr_class 2", "nr_class 1000000")' '{"n_classes":1000000}'
	refused "rho: 1 value, but nr_class makes 499999500000"
	model 2 -m linear-svm
	edit 't.replace("nr_class 2", "nr_class 1000000000")'
	refused "nr_class must be one integer in [2, 2]"
}

@test "LIBSVM and LIBLINEAR: counts, feature indices and numbers are checked line by line" {
	model 3 -m svm
	edit 't.replace("rho ", "rho 1 ", 1)'
	refused "rho: 4 values, but nr_class makes 3"
	edit 't.replace("label 0 1 2", "label 0 1 1")'
	refused "label: class 1 is listed twice"
	edit 't.replace("label 0 1 2", "label 0 1 7")'
	refused "label: '7' is not a class index in [0, 3)"
	edit 're.sub(r"gamma \S+", "gamma nan", t)'
	refused "gamma must be one finite number"
	edit 're.sub(r"\n(\S+) (\S+) 1:", r"\n\1 1:", t, count=1)'
	refused "nr_class - 1 = 2 finite coefficients"
	edit 're.sub(r" 1:(\S+) 2:", r" 2:\1 1:", t, count=1)'
	refused "feature index 1 after 2: indices must increase"
	edit 're.sub(r" 3:(\S+) \n", r" 3:\1 9:1 \n", t, count=1)'
	refused "feature index 9, but attrs.n_features says 3"
	edit 're.sub(r" 2:(\S+)", r" 2:inf", t, count=1)'
	refused "'2:inf' is not index:value with a finite value"
	edit 't.replace("SV\n", "probA 1 2 3\nSV\n")'
	refused "the header lacks probB"
	edit 't.replace("total_sv", "total_sv 1\ntotal_sv")'
	refused "total_sv given twice"
	edit 't[:-1]'
	refused "truncated: no newline at the end"
	model 3 -m linear-svm
	edit 't.replace("solver_type L2R_L2LOSS_SVC", "solver_type L2R_LR")'
	refused "solver_type must be one of the SVM solvers imb trains"
	edit 're.sub(r"\n(\S+) (\S+) (\S+) \n", r"\n\1 \2 \n", t, count=1)'
	refused "w: 2 values, but nr_class makes 3"
	edit 're.sub(r"\n(\S+) (\S+) (\S+) \n", r"\n\1 \2 1e999 \n", t, count=1)'
	refused "w: '1e999' is not a finite number"
	edit 't + "1 2 3 \n"'
	refused "more weight lines than nr_feature + 1 for the bias (4)"
	edit 't.replace("bias 1", "bias 1x")'
	refused "bias must be one finite number"
	edit 't.replace("nr_feature", "nr_features")'
	refused "unknown keyword 'nr_features'"
	edit 't.replace("label 0 1 2\n", "")'
	refused "the header lacks label"
}

@test "LIBSVM and LIBLINEAR models as imb writes them still load and predict, every kernel and solver" {
	for m in "linear-svm" "linear-svm --param solver=dual" "linear-svm --param solver=l1loss-dual" \
		"linear-svm --param solver=crammer-singer" "linear-svm --param solver=l1r --param bias=-1" \
		"svm" "svm --param kernel=linear" "svm --param kernel=poly" "svm --param kernel=sigmoid" \
		"svm --param probability=1"; do
		for k in 2 3; do
			model $k -m $m
			cat "$TMP/m.imb" "$TMP/t.imb" > "$TMP/e.imb"
			run --separate-stderr imb-eval --format tsv "$TMP/e.imb"
			[ "$status" -eq 0 ] && [ -z "$stderr" ]
		done
	done
}

@test "LIBLINEAR and LIBSVM parameters out of range are usage errors (exit 2): C=1e308 used to run forever" {
	good > "$TMP/g.imb"
	for a in "-m linear-svm --param C=1e308" "-m linear-svm --param C=0" "-m svm --param C=inf" \
		"-m linear-svm --param eps=nan" "-m svm --param cache_size=1e300" \
		"-m linear-svm --param bias=1e300" "-m svm --param gamma=1e300" \
		"-m linear-svm --class-weight 1,1e40" "-m xgboost --class-weight 1e-45,1e40" \
		"-m linear-svm --class-weight 0,0"; do
		bad timeout 20 imb-train $a -o "$TMP/m.imb" "$TMP/g.imb"
		echo "$a: $status: $stderr"
		[ "$status" -eq 2 ]
		[[ "$stderr" == "imb-train: --"* ]]
		[[ "$stderr" != *"Stack trace"* ]]
		no_output "$TMP/m.imb"
	done
	bad imb-train -m svm --param degree=0 "$TMP/g.imb"
	[ "$status" -eq 2 ] && [[ "$stderr" == *"an integer in [1, 100]"* ]]
}

@test "XGBoost parameters it cannot take are usage errors (exit 2) before training: NaN, gblinear, dart, GPU, num_class" {
	good > "$TMP/g.imb"
	$MK dataset train 30 2 3 > "$TMP/g3.imb"
	for a in "eta=nan|eta must be a number in (0, 1]" "eta=0|eta must be" "max_depth=1.5|an integer" \
		"subsample=inf|subsample must be" "booster=gblinear|tree models only" "booster=dart|tree models only" \
		"tree_method=gpu_hist|no GPU support" "device=cuda|no GPU support" \
		"sampling_method=gradient_based|needs a GPU" "num_class=5|has 2 classes" \
		"objective=multi:softprob|so the objective is binary" "colsample_bytree=-1|colsample_bytree must be" \
		"no_such_thing=1|unknown xgboost parameter 'no_such_thing'"; do
		bad timeout 20 imb-train --param "${a%%|*}" -o "$TMP/m.imb" "$TMP/g.imb"
		echo "$a: $status: $stderr"
		[ "$status" -eq 2 ]
		[[ "$stderr" == "imb-train: --param ${a%%|*}"* || "$stderr" == "imb-train: --param: unknown"* ]]
		[[ "$stderr" == *"${a#*|}"* ]]
		[[ "$stderr" != *"Stack trace"* && "$stderr" != *"[bt]"* ]]
		no_output "$TMP/m.imb"
	done
	bad imb-train --param num_class=2 -o "$TMP/m.imb" "$TMP/g3.imb"
	[ "$status" -eq 2 ] && [[ "$stderr" == *"has 3 classes"* ]]
	# what is in range still trains
	run imb-train -q --param num_class=3 --param device=cpu --param eta=1 -o "$TMP/m.imb" "$TMP/g3.imb"
	[ "$status" -eq 0 ]
}

@test "XGBoost: no library stack trace reaches the user: imb-eval on an infinite feature is one line" {
	good > "$TMP/g.imb"
	imb-train -q -o "$TMP/m.imb" "$TMP/g.imb"
	$MK raw '{"name":"test","attrs":{"classes":["c0","c1"]},"tensors":{"x":{"dtype":"f32","shape":[2,3],"values":[1,2,3,4,Infinity,6]},"y":{"dtype":"i32","shape":[2],"values":[0,1]}}}' > "$TMP/inf.imb"
	cat "$TMP/m.imb" "$TMP/inf.imb" > "$TMP/e.imb"
	bad imb-eval -o "$TMP/out.tsv" "$TMP/e.imb"
	echo "$status: $stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "imb-eval: "*"row 1 column 1 is infinite"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	no_output "$TMP/out.tsv"
}
