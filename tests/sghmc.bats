#!/usr/bin/env bats
# imb-sghmc: SGHMC's ensemble of weight samples, evaluated by imb-eval. The
# documented pipeline runs; the members are the ones the settings keep;
# split frames evaluate as one frame; resume is bit for bit; an ensemble
# of copies of one network predicts as that network; join refuses parts
# of another architecture; bad input is a clear error with the right exit
# code and no output file.
load helpers

setup_file() {
	export FILE_TMP="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import toy moons --n 4000 --ratio 0.1 --noise 0.3 --seed 1 \
		| imb-split --train-ratio 0.1 --test-ratio 1 --seed 1 > "$FILE_TMP/moons.imb"
	imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.2 --n-train 200 \
		--n-test 100 --seed 3 > "$FILE_TMP/fm-small.imb"
}

# the ensemble frames of a stream: "members first count epochs rows(params) rows(bufs)"
ensembles() {
	$PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "ensemble":
        e, t = f["attrs"]["ensemble"], f["tensors"]
        b = t["bufs"]["shape"][0] if "bufs" in t else 0
        print(e["members"], e["first"], e["count"], ",".join(map(str, e["epochs"])),
              t["params"]["shape"][0], b)
' "$1"
}

# the metric columns of imb-eval's TSV (all but the model's kind)
metrics() { imb-eval --format tsv "$@" | cut -f 1,3-; }

C="--model mlp:16,16 --lr 0.1 --seed 1 -q"

@test "the documented pipeline runs: an ensemble of resnet8 samples, sane metrics" {
	run bash -c "imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 --n-train 2000 --n-test 1000 --seed 2 | imb-sghmc --model resnet8 --epochs 4 --cycles 2 --explore 0.5 --samples-per-cycle 1 --seed 1 -t 2 | imb-eval --format tsv"
	assert_success
	echo "$output" | grep -v '^imb-' >&3
	t=$(echo "$output" | grep -v '^imb-')
	[ "$(echo "$t" | tsvcol model)" = ensemble ]
	a=$(echo "$t" | tsvcol accuracy)
	u=$(echo "$t" | tsvcol auroc)
	awk -v a="$a" -v u="$u" 'BEGIN { exit !(a >= 0.5 && u > 0.6 && u <= 1) }'
}

@test "members as configured: the last epochs of each cycle; plain SGHMC after the burn-in" {
	imb-sghmc $C --epochs 12 --cycles 3 --explore 0.5 --samples-per-cycle 2 \
		< "$FILE_TMP/moons.imb" > "$TMP/cyc"
	run ensembles "$TMP/cyc"
	assert_output "6 0 6 3,4,7,8,11,12 6 0"
	imb-sghmc $C --epochs 10 --cycles 0 --burn-in 4 --sample-every 3 \
		< "$FILE_TMP/moons.imb" > "$TMP/plain"
	run ensembles "$TMP/plain"
	assert_output "2 0 2 7,10 2 0"
	# the settings, and each member's epoch marked in the log
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "ensemble":
        p = f["attrs"]["params"]
        print(p["method"], p["friction"], p["temperature"], p["cycles"], p["burn_in"],
              p["sample_every"], "optimizer" in p, "momentum" in p, f["attrs"]["model"])
    if f["kind"] == "log":
        print([e.get("member") for e in f["attrs"]["epochs"]])
' "$TMP/plain"
	assert_line --index 0 "sghmc 0.9 1.0 0 4 3 False False ensemble"
	assert_line --index 1 "[None, None, None, None, None, None, 1, None, None, 2]"
}

@test "the noise: the same seed gives the same bytes, another seed or temperature 0 others" {
	A="$C --epochs 4 --cycles 0 --burn-in 2"
	imb-sghmc $A < "$FILE_TMP/moons.imb" > "$TMP/a"
	imb-sghmc $A < "$FILE_TMP/moons.imb" > "$TMP/b"
	imb-sghmc $A --temperature 0 < "$FILE_TMP/moons.imb" > "$TMP/c"
	imb-sghmc $A -s 2 < "$FILE_TMP/moons.imb" > "$TMP/d"
	hash() { $PY -c '
import hashlib, sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "ensemble": print(hashlib.sha256(f["tensors"]["params"]["data"]).hexdigest())
' "$1"; }
	[ "$(hash "$TMP/a")" = "$(hash "$TMP/b")" ]
	[ "$(hash "$TMP/a")" != "$(hash "$TMP/c")" ]
	[ "$(hash "$TMP/a")" != "$(hash "$TMP/d")" ]
}

@test "--init: sampling starts from the stream's network, which it consumes" {
	imb-train -q --keep-train --model mlp:16,16 --epochs 5 --seed 4 < "$FILE_TMP/moons.imb" \
		> "$TMP/nn"
	imb-sghmc -q --init --epochs 2 --cycles 0 --burn-in 1 --lr 0.01 --temperature 0 \
		< "$TMP/nn" > "$TMP/e"
	run bash -c "imb-info '$TMP/e' | grep -c '^frame .*model'"
	assert_output 1
	run imb-info "$TMP/e"
	assert_output --partial "an ensemble of 1 member (sghmc)"
	# a small step from the trained network: its metrics, nearly
	a=$(imb-eval --format tsv "$TMP/nn" | tsvcol balanced_accuracy)
	b=$(imb-eval --format tsv "$TMP/e" | tsvcol balanced_accuracy)
	echo "balanced accuracy: the network $a, the ensemble started from it $b" >&3
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > a - 0.05) }'
}

@test "split frames: one frame a member, evaluated as the one frame" {
	A="$C --epochs 8 --cycles 2 --explore 0.5 --samples-per-cycle 2"
	imb-sghmc $A < "$FILE_TMP/moons.imb" > "$TMP/one"
	imb-sghmc $A --split-frames < "$FILE_TMP/moons.imb" > "$TMP/parts"
	run ensembles "$TMP/parts"
	assert_output "$(printf '4 0 1 3 1 0\n4 1 1 4 1 0\n4 2 1 7 1 0\n4 3 1 8 1 0')"
	diff <(metrics "$TMP/one") <(metrics "$TMP/parts")
	run imb-info "$TMP/parts"
	assert_output --partial "an ensemble of 4 members (sghmc), member 2 in this frame (a part)"
	# resnet8, with BN buffers
	R="--model resnet8 --epochs 2 --cycles 2 --explore 0 --samples-per-cycle 1 --lr 0.1 --batch-size 64 -t 2 --seed 2 -q"
	imb-sghmc $R < "$FILE_TMP/fm-small.imb" > "$TMP/r1"
	imb-sghmc $R --split-frames < "$FILE_TMP/fm-small.imb" > "$TMP/r2"
	run ensembles "$TMP/r2"
	assert_line --index 0 --regexp '^2 0 1 1 1 [1-9][0-9]*$'
	assert_line --index 1 --regexp '^2 1 1 2 1 [1-9][0-9]*$'
	diff <(metrics "$TMP/r1") <(metrics "$TMP/r2")
}

@test "resume equals the uninterrupted run, bit for bit (mlp; resnet8 with BN)" {
	A="$C --epochs 10 --cycles 2 --explore 0.4 --samples-per-cycle 2"
	imb-sghmc $A < "$FILE_TMP/moons.imb" > "$TMP/full"
	# stopped in the second cycle's exploration, one cycle's members kept
	imb-sghmc $A --checkpoint "$TMP/ck" --stop-after 6 < "$FILE_TMP/moons.imb" > "$TMP/half"
	run ensembles "$TMP/half"
	assert_output "2 0 2 4,5 2 0"
	imb-sghmc -q --resume "$TMP/ck" < "$FILE_TMP/moons.imb" > "$TMP/res"
	[ "$(ensembles "$TMP/full")" = "$(ensembles "$TMP/res")" ]
	$PY -c '
import sys, msgpack
def ens(p):
    return [f["tensors"] for f in msgpack.Unpacker(open(p, "rb"), raw=False) if f["kind"] == "ensemble"][0]
a, b = ens(sys.argv[1]), ens(sys.argv[2])
assert a["params"]["data"] == b["params"]["data"], "params differ"
' "$TMP/full" "$TMP/res"
	R="--model resnet8 --epochs 4 --cycles 2 --explore 0.5 --samples-per-cycle 1 --lr 0.1 --batch-size 64 -t 2 --seed 3 -q"
	imb-sghmc $R < "$FILE_TMP/fm-small.imb" > "$TMP/rfull"
	imb-sghmc $R --checkpoint "$TMP/rck" --stop-after 3 < "$FILE_TMP/fm-small.imb" > /dev/null
	imb-sghmc -q --resume "$TMP/rck" < "$FILE_TMP/fm-small.imb" > "$TMP/rres"
	$PY -c '
import sys, msgpack
def ens(p):
    return [f for f in msgpack.Unpacker(open(p, "rb"), raw=False) if f["kind"] == "ensemble"][0]
a, b = ens(sys.argv[1]), ens(sys.argv[2])
for k in ("params", "bufs"):
    assert a["tensors"][k]["data"] == b["tensors"][k]["data"], k + " differ"
assert a["attrs"]["ensemble"] == b["attrs"]["ensemble"]
' "$TMP/rfull" "$TMP/rres"
	# other settings, another kind of checkpoint: refused
	run imb-sghmc -q --resume "$TMP/ck" --friction 0.5 -o "$TMP/x" "$FILE_TMP/moons.imb"
	assert_failure 2
	assert_output --partial "--friction 0.5: the checkpoint was made with --friction 0.9"
	[ ! -e "$TMP/x" ]
	imb-train -q --model mlp:8 --epochs 2 --checkpoint "$TMP/tck" --stop-after 1 \
		< "$FILE_TMP/moons.imb" > /dev/null
	run imb-sghmc -q --resume "$TMP/tck" -o "$TMP/x" "$FILE_TMP/moons.imb"
	assert_failure 2
	assert_output --partial "not an SGHMC run's"
	[ ! -e "$TMP/x" ]
	run imb-train -q --resume "$TMP/ck" -o "$TMP/x" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "made by imb-sghmc (method sghmc): resume it with imb-sghmc"
	[ ! -e "$TMP/x" ]
	# stopped before the first member: nothing to write
	run imb-sghmc $A --checkpoint "$TMP/ck2" --stop-after 2 -o "$TMP/x" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "no member kept yet (the first is kept after epoch 4)"
	[ ! -e "$TMP/x" ]
	[ -e "$TMP/ck2" ]
}

@test "an ensemble of copies of one network predicts as that network" {
	imb-train -q --model mlp:16 --epochs 5 --seed 4 < "$FILE_TMP/moons.imb" > "$TMP/nn"
	imb-train -q --model resnet8 --epochs 1 --batch-size 64 -t 2 --seed 4 \
		< "$FILE_TMP/fm-small.imb" > "$TMP/rn"
	for m in nn rn; do
		# the documented format, written apart: three copies of the network's blocks
		$PY -c '
import sys, msgpack
out = open(sys.argv[2], "wb")
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "model":
        f["kind"] = "ensemble"
        f["attrs"]["model"] = "ensemble"
        f["attrs"]["ensemble"] = {"method": "copies", "members": 3, "first": 0, "count": 3,
                                  "epochs": [1, 2, 3]}
        for k, t in f["tensors"].items():
            t["shape"] = [3] + t["shape"]
            t["data"] = t["data"] * 3
    out.write(msgpack.packb(f, use_bin_type=True))
' "$TMP/$m" "$TMP/$m.ens"
		run metrics "$TMP/$m.ens"
		assert_success
		diff <(metrics "$TMP/$m") <(echo "$output")
	done
	run imb-eval --format tsv "$TMP/rn.ens"
	assert_output --partial "ensemble"
}

@test "join refuses parts of another ensemble, naming the field; parts must follow one another" {
	A="--epochs 4 --cycles 2 --explore 0.5 --samples-per-cycle 1 --lr 0.1 --seed 1 -q --split-frames"
	imb-sghmc $A --model mlp:8 < "$FILE_TMP/moons.imb" > "$TMP/a"
	imb-sghmc $A --model mlp:16 < "$FILE_TMP/moons.imb" > "$TMP/b"
	# the first part of a, the second of b
	$PY -c '
import sys, msgpack
fa = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
fb = list(msgpack.Unpacker(open(sys.argv[2], "rb"), raw=False))
out = open(sys.argv[3], "wb")
for f in [fa[0], fb[1]] + [f for f in fa if f["kind"] == "dataset"]:
    out.write(msgpack.packb(f, use_bin_type=True))
out = open(sys.argv[4], "wb")
for f in [fa[0]] + [f for f in fa if f["kind"] == "dataset"] + [fa[1]]:
    out.write(msgpack.packb(f, use_bin_type=True))
out = open(sys.argv[5], "wb")
for f in [f for f in fa if f["kind"] == "dataset"] + [fa[0]]:
    out.write(msgpack.packb(f, use_bin_type=True))
' "$TMP/a" "$TMP/b" "$TMP/mixed" "$TMP/gap" "$TMP/short"
	run imb-eval --format tsv "$TMP/mixed"
	assert_failure 1
	assert_output --partial "ensemble part 2"
	assert_output --partial "attrs.arch is \"mlp:16\", the first part's \"mlp:8\""
	run imb-eval -o "$TMP/x" "$TMP/gap"
	assert_failure 1
	assert_output --partial "the ensemble's parts must follow one another"
	[ ! -e "$TMP/x" ]
	run imb-eval --format tsv "$TMP/short"
	assert_failure 1
	assert_output --partial "ends inside an ensemble in parts"
}

@test "--help lists the sampler's flags and not the optimiser's" {
	run imb-sghmc --help
	assert_success
	for f in "--friction A" "--temperature T" "--cycles M" "--explore B" \
		"--samples-per-cycle K" "--burn-in E" "--sample-every E" "--split-frames" \
		"--epochs" "--checkpoint" "--resume"; do
		assert_output --partial -- "$f"
	done
	refute_output --partial -- "--momentum"
	refute_output --partial -- "--optimizer"
	refute_output --partial -- "--rho"
}

@test "bad input: clear messages, exit 2 for usage, 1 for data, no output file" {
	M="$FILE_TMP/moons.imb"
	run bash -c "imb-import toy moons --n 100 | imb-sghmc --model mlp:8 --epochs 4 --cycles 0 --frame nope -o '$TMP/x'"
	assert_failure 1
	assert_output --partial "no dataset frame named 'nope'"
	[ ! -e "$TMP/x" ]
	run imb-sghmc --model mlp:8 --epochs 4 --cycles 0 --init -o "$TMP/x" "$M"
	assert_failure 1
	assert_output --partial "--init: no network model frame"
	[ ! -e "$TMP/x" ]
	run imb-sghmc --model xgboost -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "imb-sghmc samples networks' weights"
	run imb-sghmc -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "no network: give --model"
	run imb-sghmc --model mlp:8 --epochs 12 --cycles 2 --samples-per-cycle 2 -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "--samples-per-cycle 2 does not fit in the sampling phase: a cycle is 6 epochs"
	run imb-sghmc --model mlp:8 --epochs 12 --cycles 5 -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "--epochs 12 must be a multiple of it"
	run imb-sghmc --model mlp:8 --friction -0.5 -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "--friction -0.5: must be in (0, 1]"
	run imb-sghmc --model mlp:8 --temperature -1 -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "--temperature -1: must be >= 0"
	run imb-sghmc --model mlp:8 --explore 1 -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "--explore 1: must be in [0, 1)"
	run imb-sghmc --model mlp:8 --burn-in 3 -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "--burn-in is for plain SGHMC (--cycles 0)"
	run imb-sghmc --model mlp:8 --epochs 10 --cycles 0 --burn-in 10 -o "$TMP/x" "$M"
	assert_failure 2
	assert_output --partial "keeps no member"
	for f in "--momentum 0.5" "--optimizer adamw" "--step sam" "--schedule none" "--rho 0.1"; do
		run imb-sghmc --model mlp:8 $f -o "$TMP/x" "$M"
		assert_failure 2
		assert_output --partial "imb-sghmc takes plain steps of its own update"
	done
	[ ! -e "$TMP/x" ]
}
