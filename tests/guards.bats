#!/usr/bin/env bats
# What keeps imb-eval and imb-predict honest: a model meets only data with
# its own feature names; every model frame of a stream is evaluated and
# said which; attrs.config tells runs apart by every training setting;
# --aggregate pools only runs that differ in replicate keys; a network is
# named by its architecture.
load helpers

setup_file() {
	export IMB_PROGRESS=0
	local D="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import toy moons --n 600 --ratio 0.25 --noise 0.3 --seed 4 \
		| imb-split --train-ratio 0.25 --test-ratio 1 --n-test 100 --seed 3 > "$D/split.imb"
	imb-train -q --model xgboost --rounds 4 --threads 1 < "$D/split.imb" > "$D/xgb.imb"
	imb-train -q -t 1 --model mlp:8 --epochs 3 --seed 2 < "$D/split.imb" > "$D/mlp.imb"
}

# rewrite attrs.features of the dataset frames named $1 of stdin to the
# comma list $2
RENAME='
import sys, msgpack
name, feats = sys.argv[1], sys.argv[2].split(",")
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f["kind"] == "dataset" and f["name"] == name:
        f["attrs"]["features"] = feats
    sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))
'

# attrs.config of each metrics frame of stdin, as JSON lines
CONFIGS='
import json, sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f["kind"] == "metrics":
        print(json.dumps(f["attrs"]["config"], sort_keys=True))
'

@test "a model frame records its train set's feature names" {
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "model":
        print(f["attrs"]["features"])' "$BATS_FILE_TMPDIR/xgb.imb"
	assert_output "['x1', 'x2']"
}

@test "feature names: another order or set is exit 1 naming position and both names, in imb-eval and imb-predict" {
	for m in xgb mlp; do
		$PY -c "$RENAME" test x2,x1 < "$BATS_FILE_TMPDIR/$m.imb" > "$TMP/swapped.imb"
		run imb-eval --format tsv "$TMP/swapped.imb"
		assert_failure 1
		assert_output --partial "dataset 'test'): attrs.features differ from the model's"
		assert_output --partial "at feature 1 (from 1): the model's is 'x1', the data's is 'x2'"
		run imb-predict --format tsv "$TMP/swapped.imb"
		assert_failure 1
		assert_output --partial "at feature 1 (from 1): the model's is 'x1', the data's is 'x2'"
		$PY -c "$RENAME" test x1,age < "$BATS_FILE_TMPDIR/$m.imb" > "$TMP/other.imb"
		run imb-eval -o "$TMP/out.imb" "$TMP/other.imb"
		assert_failure 1
		assert_output --partial "at feature 2 (from 1): the model's is 'x2', the data's is 'age'"
		[ ! -e "$TMP/out.imb" ]
	done
	# the same names pass; data without names is taken as before
	run imb-eval --format tsv "$BATS_FILE_TMPDIR/xgb.imb"
	assert_success
	$PY -c '
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f["kind"] == "dataset":
        f["attrs"].pop("features", None)
    sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))' < "$BATS_FILE_TMPDIR/xgb.imb" > "$TMP/nonames.imb"
	run imb-predict --format tsv "$TMP/nonames.imb"
	assert_success
}

@test "feature names: imb-hessian, imb-laplace and imb-plot boundary refuse them swapped too" {
	$PY -c "$RENAME" test x2,x1 < "$BATS_FILE_TMPDIR/mlp.imb" > "$TMP/swapped.imb"
	run imb-hessian --frame test --top 1 "$TMP/swapped.imb"
	assert_failure 1
	assert_output --partial "at feature 1 (from 1): the model's is 'x1', the data's is 'x2'"
	run imb-laplace --frame test "$TMP/swapped.imb"
	assert_failure 1
	assert_output --partial "at feature 1 (from 1): the model's is 'x1', the data's is 'x2'"
	run imb-plot boundary --frame test -o "$TMP/b.png" "$TMP/swapped.imb"
	assert_failure 1
	assert_output --partial "at feature 1 (from 1): the model's is 'x1', the data's is 'x2'"
	[ ! -e "$TMP/b.png" ]
	# the same frames unswapped pass the guard
	run imb-hessian --frame test --top 1 "$BATS_FILE_TMPDIR/mlp.imb"
	assert_success
}

@test "several models: each is evaluated on each set (config.model_index), --model N|NAME takes one" {
	cat "$BATS_FILE_TMPDIR/xgb.imb" "$BATS_FILE_TMPDIR/mlp.imb" \
		| imb-cat --kind dataset --name test -v > "$TMP/two.imb"
	imb-cat --kind dataset --name test "$BATS_FILE_TMPDIR/xgb.imb" >> "$TMP/two.imb"
	run bash -c "imb-eval --format tsv '$TMP/two.imb' | cut -f 1-4"
	assert_success
	assert_output "set	model	model_index	n
test	xgboost	1	100
test	mlp:8	2	100"
	# each model's row is what it gives alone
	diff <(imb-eval --format tsv "$BATS_FILE_TMPDIR/mlp.imb" | tail -1 | cut -f 4-) \
		<(imb-eval --format tsv "$TMP/two.imb" | tail -1 | cut -f 5-)
	for sel in 2 mlp:8; do
		run bash -c "imb-eval -m --model $sel '$TMP/two.imb' | $PY -c '$CONFIGS'"
		assert_success
		[ "${#lines[@]}" -eq 1 ]
		assert_output --partial '"model": "mlp:8", "model_index": 2'
	done
	run imb-eval --model 3 --format tsv "$TMP/two.imb"
	assert_failure 1
	assert_output --partial "--model 3: no such model among the input's 2 model frames"
	run imb-eval --model 0 "$TMP/two.imb"
	assert_failure 2
	# imb-predict: a predictions frame per model and set; text needs one model
	run bash -c "imb-predict -q '$TMP/two.imb' | $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f[\"kind\"] == \"predictions\":
        print(f[\"name\"], f[\"attrs\"][\"model\"], f[\"attrs\"][\"model_index\"])'"
	assert_output "test xgboost 1
test mlp:8 2"
	run imb-predict --format tsv "$TMP/two.imb"
	assert_failure 1
	assert_output --partial "2 model frames in the input: --format tsv writes the rows of one model"
	diff <(imb-predict --format csv --model xgboost "$TMP/two.imb") \
		<(imb-predict --format csv "$BATS_FILE_TMPDIR/xgb.imb")
}

@test "an ensemble in parts still counts as one model among several" {
	imb-sghmc -q --model mlp:8 --epochs 4 --cycles 2 --explore 0.5 --samples-per-cycle 1 --seed 1 \
		--split-frames < "$BATS_FILE_TMPDIR/split.imb" > "$TMP/ens.imb"
	cat "$BATS_FILE_TMPDIR/xgb.imb" "$TMP/ens.imb" | imb-cat --kind dataset --name test -v > "$TMP/in.imb"
	imb-cat --kind dataset --name test "$TMP/ens.imb" >> "$TMP/in.imb"
	run bash -c "imb-eval --format tsv '$TMP/in.imb' | cut -f 2,3"
	assert_success
	assert_output "model	model_index
xgboost	1
ensemble	2"
}

# the config of one run: $1 the training (and re-sampling) command
config_of() {
	bash -c "$1" < "$BATS_FILE_TMPDIR/split.imb" | imb-eval -m | $PY -c "$CONFIGS"
}

# the config keys whose values differ between two JSON configs
DIFF='
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(" ".join(sorted(k for k in set(a) | set(b) if a.get(k, "(none)") != b.get(k, "(none)"))))
'

@test "attrs.config: runs that differ in one training setting differ in config (tabular and networks)" {
	X="imb-train -q --model xgboost --rounds 3 --threads 1"
	N="imb-train -q -t 1 --model mlp:8 --epochs 1 --seed 2"
	while IFS=';' read -r a b want; do
		ca=$(config_of "$a")
		cb=$(config_of "$b")
		run $PY -c "$DIFF" "$ca" "$cb"
		echo "$a | $b: $output (want $want)"
		[ "$output" = "$want" ]
	done <<EOF
$X;$X --class-weight balanced;param.class_weight param.class_weights
$X --class-weight 1,4;$X --class-weight 1,3;param.class_weight param.class_weights
imb-oversample --method random --seed 1 | $X;imb-oversample --method smote --seed 1 | $X;oversample oversample_k
imb-oversample --method random --ratio 0.5 | $X;imb-oversample --method random --ratio 1 | $X;oversample_ratio
$X;imb-oversample --method random | $X;oversample oversample_ratio oversample_seed
$N --loss ce;$N --loss weighted-ce;param.loss
$N;$N --loss focal;param.focal_gamma param.loss
$N;$N --sampler balanced;param.sampler
imb-oversample --method random | $N;imb-oversample --method under | $N;oversample
EOF
}

@test "--aggregate pools replicates only: a setting it does not group by is exit 1 naming it; --allow-pool" {
	for s in 1 2; do
		for l in ce focal; do
			imb-train -q -t 1 --model mlp:8 --epochs 1 --loss $l --seed $s \
				< "$BATS_FILE_TMPDIR/split.imb" | imb-eval -m
		done
	done > "$TMP/runs.imb"
	run imb-eval --aggregate train_ratio -o "$TMP/agg.tsv" "$TMP/runs.imb"
	assert_failure 1
	assert_output --partial "param.loss (ce, focal)"
	assert_output --partial "param.focal_gamma ((none), 2)"
	assert_output --partial "--allow-pool KEY,..."
	[ ! -e "$TMP/agg.tsv" ]
	# grouped by the loss: seeds (param.seed) are replicates
	run bash -c "imb-eval --aggregate param.loss '$TMP/runs.imb' | cut -f 1,2"
	assert_success
	assert_output "param.loss	n
ce	2
focal	2"
	run imb-eval --aggregate train_ratio --allow-pool param.loss "$TMP/runs.imb"
	assert_failure 1
	assert_output --partial "param.focal_gamma"
	refute_output --partial "param.loss"
	run bash -c "imb-eval --aggregate train_ratio --allow-pool param.loss,param.focal_gamma '$TMP/runs.imb' | cut -f 1,2"
	assert_success
	assert_output "train_ratio	n
0.25	4"
	# the split's seed is a replicate key too
	for s in 5 6; do
		imb-import toy moons --n 400 --ratio 0.25 --seed 4 \
			| imb-split --train-ratio 0.25 --test-ratio 1 --n-test 60 --seed $s \
			| imb-train -q --model xgboost --rounds 2 --threads 1 | imb-eval -m
	done > "$TMP/seeds.imb"
	run bash -c "imb-eval --aggregate model '$TMP/seeds.imb' | cut -f 1,2"
	assert_output "model	n
xgboost	2"
	run imb-eval --allow-pool seed --format tsv "$BATS_FILE_TMPDIR/xgb.imb"
	assert_failure 2
}

@test "a network's attrs.model is its architecture; a frame saying nn still loads and is named by it" {
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] in ("model", "log"):
        print(f["kind"], f["attrs"]["model"], f["attrs"]["arch"])' "$BATS_FILE_TMPDIR/mlp.imb"
	assert_output "model mlp:8 mlp:8
log mlp:8 mlp:8"
	fx="$ROOT/tests/fixtures/models/mlp-attr-nn.imb"
	$PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "model":
        assert f["attrs"]["model"] == "nn", f["attrs"]["model"]
        print("ok")' "$fx"
	run bash -c "imb-eval --format json '$fx' | $PY -c '
import json, sys
(o,) = json.load(sys.stdin)
print(o[\"model\"], o[\"config\"][\"model\"])'"
	assert_output "mlp:8 mlp:8"
	# the fixture's own probabilities come back
	run $PY -c '
import sys, subprocess, msgpack, struct
exp = None
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "predictions":
        t = f["tensors"]["probs"]
        exp = struct.unpack("<%df" % (len(t["data"]) // 4), t["data"])
out = subprocess.run(["imb-predict", "--format", "tsv", sys.argv[1]], capture_output=True,
                     text=True, check=True).stdout.splitlines()[1:]
got = [float(v) for r in out for v in r.split("\t")[1:]]
assert len(got) == len(exp) and max(abs(a - b) for a, b in zip(got, exp)) < 1e-7
print("same")' "$fx"
	assert_output same
	# what the registry does not know is named, with the architecture hint
	$PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "model":
        f["attrs"]["model"] = "mlp:9"
    sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))' "$BATS_FILE_TMPDIR/mlp.imb" > "$TMP/bad.imb"
	run imb-eval --format tsv "$TMP/bad.imb"
	assert_failure 1
	assert_output --partial "unknown model kind 'mlp:9'"
}
