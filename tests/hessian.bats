#!/usr/bin/env bats
# imb-hessian: the pipeline, the formats, bad input; the top eigenvalues of
# a trained resnet8 against PyTorch's double-backward Hessian-vector
# products in float64 (tests/hessian_ref.py). The products and Lanczos
# themselves are held to double references in tests/unit/test_nn_hvp.c and
# tests/unit/test_lanczos.c.
load helpers

# a resnet8 trained briefly on 40 Fashion-MNIST samples (classes 0 and 6,
# imbalanced), its train frame kept; an MLP on toy blobs; a tabular model
setup_file() {
	export IMB_PROGRESS=0
	local D="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.1 --n-train 40 \
		--n-test 20 --seed 1 | imb-train --model resnet8 --epochs 2 --seed 1 --keep-train \
		--threads 2 -q > "$D/r8.imb"
	imb-import toy blobs --n 300 --ratio 0.25 --seed 4 | imb-split --train-ratio 0.25 \
		--test-ratio 1 --n-test 50 --seed 3 > "$D/blobs.imb"
	imb-train --model mlp:8 --epochs 3 --seed 1 --keep-train -q < "$D/blobs.imb" > "$D/mlp.imb"
	imb-train --model xgboost --rounds 5 --threads 1 -q < "$D/blobs.imb" > "$D/xgb.imb"
}

KINDS='
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    print("%s:%s" % (f["kind"], f.get("name", "")))
'

@test "resnet8: the top 10 eigenvalues within 1% of PyTorch's (float64, double backward)" {
	$PY -c 'import torch' 2>/dev/null || skip "no python3-torch"
	D="$BATS_FILE_TMPDIR"
	run bash -c "imb-hessian --top 10 --tol 1e-4 --format tsv < $D/r8.imb | awk -F'\t' 'NR > 1 { print \$6 }'"
	assert_success
	[ "${#lines[@]}" -eq 10 ]
	echo "$output" > "$TMP/imb.txt"
	run $PY "$ROOT/tests/hessian_ref.py" "$D/r8.imb" 10 40 50
	assert_success
	echo "$output" > "$TMP/torch.txt"
	run $PY -c '
import sys
a = [float(v) for v in open(sys.argv[1])]
b = [float(v) for v in open(sys.argv[2])]
assert len(a) == len(b) == 10
for i, (u, v) in enumerate(zip(a, b)):
    print("lambda_%d imb %.6g torch %.6g rel %.2e" % (i + 1, u, v, abs(u - v) / abs(v)))
    assert abs(u - v) <= 0.01 * abs(v), (i, u, v)
assert a == sorted(a, reverse=True) and a[0] > 0
' "$TMP/imb.txt" "$TMP/torch.txt"
	assert_success
}

@test "the command of the documentation: tsv header, ten eigenvalues, largest first" {
	# the documented pipeline at its size runs in bench/hessian.sh; here its
	# last stage on the small resnet8 with --samples
	run bash -c "imb-hessian --top 10 --samples 60 --format tsv < $BATS_FILE_TMPDIR/r8.imb"
	assert_success
	assert_line --index 0 "measure	class	k	x	y	value	se"
	[ "${#lines[@]}" -eq 11 ]
	assert_line --index 1 --regexp '^eigenvalue	all	1	NA	NA	[0-9.e+-]+	NA$'
	assert_line --index 10 --regexp '^eigenvalue	all	10	NA	NA	'
}

@test "frames: every frame forwarded, then one metrics frame 'hessian' with provenance" {
	D="$BATS_FILE_TMPDIR"
	run bash -c "imb-hessian --top 3 --trace --probes 3 < $D/mlp.imb | $PY -c '$KINDS'"
	assert_success
	expected=$(imb-cat < "$D/mlp.imb" 2>/dev/null | true; $PY -c "$KINDS" < "$D/mlp.imb")
	[ "$output" = "$(printf '%s\nmetrics:hessian' "$expected")" ]
	run bash -c "imb-hessian --top 3 --trace --probes 3 --format json < $D/mlp.imb"
	assert_success
	echo "$output" | $PY -c '
import json, sys
d = json.load(sys.stdin)
for k in ("params", "train", "history", "arch", "settings", "results"):
    assert k in d, k
assert d["history"][-1]["tool"] == "imb-hessian"
r = d["results"][0]
assert r["class"] == "all" and len(r["eigenvalues"]) == 3 and r["trace_se"] > 0
assert r["eigenvalues"] == sorted(r["eigenvalues"], reverse=True)
assert d["settings"]["probes"] == 3 and d["settings"]["bn"] == "eval"
'
}

@test "same seed, same bytes; --samples draws a seeded subset" {
	D="$BATS_FILE_TMPDIR"
	a=$(imb-hessian --top 4 --samples 40 --seed 3 --format tsv < "$D/mlp.imb")
	b=$(imb-hessian --top 4 --samples 40 --seed 3 --format tsv < "$D/mlp.imb")
	c=$(imb-hessian --top 4 --samples 40 --seed 4 --format tsv < "$D/mlp.imb")
	[ "$a" = "$b" ]
	[ "$a" != "$c" ]
}

@test "per class, trace, density, 1d and 2d curves in tsv" {
	D="$BATS_FILE_TMPDIR"
	run bash -c "imb-hessian --top 2 --per-class --trace --probes 4 --density --curve 2d --steps 3 --range 0.5 --format tsv < $D/mlp.imb"
	assert_success
	echo "$output" | $PY -c '
import sys, collections
rows = [l.split("\t") for l in sys.stdin.read().splitlines()]
assert rows[0] == "measure class k x y value se".split()
c = collections.Counter((r[0], r[1]) for r in rows[1:])
classes = sorted({r[1] for r in rows[1:]})
assert "all" in classes and len(classes) == 3, classes
for cl in classes:
    assert c[("eigenvalue", cl)] == 2 and c[("trace", cl)] == 1
    assert c[("density", cl)] == 500 and c[("loss2d", cl)] == 9
for r in rows[1:]:
    if r[0] == "loss2d" and r[3] == "0" and r[4] == "0":
        assert float(r[5]) > 0
    if r[0] == "trace":
        assert r[6] != "NA"
    if r[0] == "density":
        assert float(r[5]) >= 0 and r[2] == "NA" and r[4] == "NA"
'
	run bash -c "imb-hessian --top 0 --curve 1d --steps 5 --format tsv < $D/mlp.imb | cut -f1,4 | tail -n +2"
	assert_success
	[ "$output" = "$(printf 'loss1d\t-1\nloss1d\t-0.5\nloss1d\t0\nloss1d\t0.5\nloss1d\t1')" ]
}

@test "the loss curve's centre is the model's loss; the same directions for the same seed" {
	D="$BATS_FILE_TMPDIR"
	run bash -c "imb-hessian --top 0 --curve 1d --steps 3 --format json < $D/mlp.imb"
	assert_success
	echo "$output" | $PY -c '
import json, sys
r = json.load(sys.stdin)["results"][0]
l = r["loss1d"]["loss"]
assert abs(l[1] - r["loss"]) < 1e-6 * max(1, r["loss"]), (l, r["loss"])
assert l[0] != l[1] and l[2] != l[1], l
'
	a=$(imb-hessian --top 0 --curve 2d --steps 3 --seed 5 --format tsv < "$D/mlp.imb")
	b=$(imb-hessian --top 0 --curve 2d --steps 3 --seed 5 --format tsv < "$D/mlp.imb")
	c=$(imb-hessian --top 0 --curve 2d --steps 3 --seed 6 --format tsv < "$D/mlp.imb")
	[ "$a" = "$b" ]
	[ "$a" != "$c" ]
}

@test "--class by name or index; -o writes atomically" {
	D="$BATS_FILE_TMPDIR"
	run bash -c "imb-hessian --top 2 --class 1 --format tsv < $D/mlp.imb | cut -f2 | sort -u"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	name="${lines[1]}"
	[ "$name" != "all" ]
	run bash -c "imb-hessian --top 2 --class '$name' --format tsv -o $TMP/out.tsv < $D/mlp.imb"
	assert_success
	[ -z "$output" ]
	[ "$(cut -f2 "$TMP/out.tsv" | sort -u | grep -vc class)" -eq 1 ]
	ls -A "$TMP" | grep -vq tmp
}

@test "-o with --format tsv: no temp file left after a failure, the whole file on success" {
	D="$BATS_FILE_TMPDIR"
	mkdir "$TMP/o"
	run bash -c "imb-hessian --top 2 --class nosuch --format tsv -o $TMP/o/h.tsv < $D/mlp.imb"
	assert_failure 2
	[ -z "$(ls -A "$TMP/o")" ]
	# a failure once the text is written: renaming it over a directory
	mkdir "$TMP/o/dir"
	run bash -c "imb-hessian --top 2 --format tsv -o $TMP/o/dir < $D/mlp.imb"
	assert_failure 1
	assert_output --partial "$TMP/o/dir: Is a directory"
	[ "$(ls -A "$TMP/o")" = dir ]
	run bash -c "imb-hessian --top 2 --format tsv -o $TMP/o/h.tsv < $D/mlp.imb"
	assert_success
	[ -z "$output" ]
	[ "$(ls -A "$TMP/o")" = "$(printf 'dir\nh.tsv')" ]
	[ "$(cat "$TMP/o/h.tsv")" = "$(imb-hessian --top 2 --format tsv < "$D/mlp.imb")" ]
}

@test "bad input: clear messages, exit 1 for data, 2 for usage, nothing written" {
	D="$BATS_FILE_TMPDIR"
	run bash -c "imb-hessian -o $TMP/x.imb < $D/blobs.imb"
	assert_failure 1
	assert_output --partial "no network model frame"
	[ ! -e "$TMP/x.imb" ]
	run bash -c "imb-hessian < $D/xgb.imb"
	assert_failure 1
	assert_output --partial "tabular model"
	run bash -c "imb-hessian --frame val < $D/mlp.imb"
	assert_failure 1
	assert_output --partial "no dataset frame named 'val'"
	run bash -c "imb-hessian --top 100000 < $D/mlp.imb"
	assert_failure 1
	assert_output --partial "parameters"
	run bash -c "imb-hessian --class nosuch < $D/mlp.imb"
	assert_failure 2
	assert_output --partial "not a class of the model"
	run bash -c "imb-hessian --class 7 < $D/mlp.imb"
	assert_failure 2
	run bash -c "imb-hessian --curve 3d < $D/mlp.imb"
	assert_failure 2
	run bash -c "imb-hessian --probes 5 < $D/mlp.imb"
	assert_failure 2
	assert_output --partial "--trace"
	run bash -c "imb-hessian --format xml < $D/mlp.imb"
	assert_failure 2
	run bash -c "imb-hessian --per-class --class 1 < $D/mlp.imb"
	assert_failure 2
}
