#!/usr/bin/env bats
# imb-sam and imb-train --step sam: SAM with a larger ascent radius on
# minority classes. The documented pipeline runs and helps the minority;
# imb-sam is imb-train --step sam; rho 0 is the plain step; resume is
# bit-exact; bad input is a clear error with the right exit code and no
# output file.
load helpers

moons() {
	imb-import toy moons --n 4000 --ratio 0.1 --noise 0.3 --seed "$1" \
		| imb-split --train-ratio 0.1 --test-ratio 1 --seed "$1"
}

setup_file() {
	export FILE_TMP="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	for s in 1 2 3 4 5; do moons "$s" > "$FILE_TMP/moons$s.imb"; done
	imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.2 --n-train 200 \
		--n-test 100 --seed 3 > "$FILE_TMP/fm-small.imb"
}

@test "the documented pipeline runs: sane metrics, minority recall at least plain SGD's" {
	run bash -c "imb-import toy moons --n 4000 --ratio 0.1 --noise 0.3 --seed 1 | imb-split --train-ratio 0.1 --test-ratio 1 --seed 1 | imb-sam --model mlp:64,64 --rho 0.05 --rho-minority 0.2 --epochs 50 --seed 1 | imb-eval --format tsv"
	assert_success
	sam="$output"
	run bash -c "imb-train -q --model mlp:64,64 --epochs 50 --seed 1 < '$FILE_TMP/moons1.imb' | imb-eval --format tsv"
	assert_success
	plain="$output"
	b=$(echo "$sam" | grep -v '^imb-' | tsvcol balanced_accuracy)
	r=$(echo "$sam" | grep -v '^imb-' | tsvcol recall_minority)
	rp=$(echo "$plain" | tsvcol recall_minority)
	echo "sam: balanced accuracy $b, minority recall $r; plain: minority recall $rp" >&3
	awk -v b="$b" -v r="$r" -v rp="$rp" 'BEGIN { exit !(b > 0.8 && b <= 1 && r >= rp) }'
}

@test "a minority radius lifts mean minority recall over plain SGD across five splits" {
	sum() { awk '{ s += $1 } END { printf "%.4f\n", s / NR }'; }
	for s in 1 2 3 4 5; do
		imb-train -q -t 2 --model mlp:64,64 --epochs 50 --seed 1 < "$FILE_TMP/moons$s.imb" \
			| imb-eval --format tsv | tsvcol recall_minority
	done > "$TMP/plain"
	for s in 1 2 3 4 5; do
		imb-sam -q -t 2 --model mlp:64,64 --rho 0.05 --rho-minority 0.2 --epochs 50 --seed 1 \
			< "$FILE_TMP/moons$s.imb" | imb-eval --format tsv | tsvcol recall_minority
	done > "$TMP/sam"
	p=$(sum < "$TMP/plain")
	s=$(sum < "$TMP/sam")
	echo "mean minority recall: plain $p, sam $s" >&3
	awk -v p="$p" -v s="$s" 'BEGIN { exit !(s > p) }'
}

@test "imb-train --step sam gives imb-sam's tensors; SAM differs from plain" {
	A="--model mlp:32 --epochs 3 --seed 2 --rho 0.1 --adaptive --rho-class minority:0.4"
	imb-sam -q $A < "$FILE_TMP/moons1.imb" > "$TMP/a"
	imb-train -q --step sam $A < "$FILE_TMP/moons1.imb" > "$TMP/b"
	imb-train -q --model mlp:32 --epochs 3 --seed 2 < "$FILE_TMP/moons1.imb" > "$TMP/c"
	weights "$TMP/a" > "$TMP/wa"
	weights "$TMP/b" > "$TMP/wb"
	weights "$TMP/c" > "$TMP/wc"
	[ -s "$TMP/wa" ]
	diff "$TMP/wa" "$TMP/wb"
	! diff -q "$TMP/wa" "$TMP/wc" || false
}

@test "rho 0 gives the plain step's tensors (mlp; resnet8 with batch norm)" {
	imb-train -q --model mlp:32 --epochs 3 --seed 2 < "$FILE_TMP/moons1.imb" > "$TMP/a"
	imb-sam -q --model mlp:32 --epochs 3 --seed 2 --rho 0 < "$FILE_TMP/moons1.imb" > "$TMP/b"
	diff <(weights "$TMP/a") <(weights "$TMP/b")
	R="--model resnet8 --epochs 1 --batch-size 64 --seed 3 -t 2"
	imb-train -q $R < "$FILE_TMP/fm-small.imb" > "$TMP/c"
	imb-train -q $R --step sam --rho 0 < "$FILE_TMP/fm-small.imb" > "$TMP/d"
	imb-train -q $R --step sam < "$FILE_TMP/fm-small.imb" > "$TMP/e"
	weights "$TMP/c" > "$TMP/wc"
	grep -q '^bufs ' "$TMP/wc"
	diff "$TMP/wc" <(weights "$TMP/d")
	! diff -q "$TMP/wc" <(weights "$TMP/e") || false
}

@test "attrs.params records the step, rho, adaptive and the radius of each class (plain: none of them)" {
	imb-sam -q --model mlp:8 --epochs 1 --rho 0.1 --rho-minority 0.3 --rho-class majority:0.05 \
		< "$FILE_TMP/moons1.imb" > "$TMP/m"
	run $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False):
    if f["kind"] == "model":
        p = f["attrs"]["params"]
        print(p["step"], p["rho"], p["adaptive"], p["rho_minority"], p["rho_class"], p["rho_per_class"])
        break
' "$TMP/m"
	assert_output "sam 0.1 0 0.3 majority:0.05 [0.05, 0.3]"
	imb-train -q --model mlp:8 --epochs 1 < "$FILE_TMP/moons1.imb" > "$TMP/p"
	run bash -c "$PY -c 'import sys, msgpack
for f in msgpack.Unpacker(open(sys.argv[1], \"rb\"), raw=False):
    if f[\"kind\"] == \"model\": print(f[\"attrs\"][\"params\"].get(\"step\", \"plain\"), \"rho\" in f[\"attrs\"][\"params\"]); break' '$TMP/p'"
	assert_output "plain False"
}

@test "SAM checkpoints: --stop-after then --resume gives the uninterrupted run's tensors" {
	R="--model resnet8 --epochs 2 --batch-size 64 --seed 3 -t 2 --rho 0.05 --rho-minority 0.2"
	imb-sam -q $R < "$FILE_TMP/fm-small.imb" > "$TMP/full"
	imb-sam -q $R --checkpoint "$TMP/ck" --stop-after 1 < "$FILE_TMP/fm-small.imb" > /dev/null
	imb-sam -q --resume "$TMP/ck" < "$FILE_TMP/fm-small.imb" > "$TMP/res"
	diff <(weights "$TMP/full") <(weights "$TMP/res")
	run imb-sam -q --resume "$TMP/ck" --rho 0.1 -o "$TMP/x" < "$FILE_TMP/fm-small.imb"
	assert_failure 2
	assert_output --partial "--rho"
	[ ! -e "$TMP/x" ]
	run imb-train -q --resume "$TMP/ck" -o "$TMP/x" < "$FILE_TMP/fm-small.imb"
	assert_success     # imb-train takes --step sam from the checkpoint
	diff <(weights "$TMP/full") <(weights "$TMP/x")
}

@test "--help lists SAM's flags first" {
	run imb-sam --help
	assert_success
	first=$(echo "$output" | grep -E '^ +(-., )?--' | sed -n 2p)
	[[ "$first" == *"--rho R"* ]]
	assert_output --partial "--rho-minority R"
	assert_output --partial "--rho-class C:R"
	assert_output --partial "--epochs"
	run imb-train --help
	assert_output --partial "--step S"
}

@test "bad input: clear messages, exit 2 for usage, 1 for data, no output file" {
	run bash -c "imb-import toy moons --n 100 | imb-sam --model mlp:8 --frame nope -o '$TMP/x'"
	assert_failure 1
	assert_output --partial "no dataset frame named 'nope'"
	[ ! -e "$TMP/x" ]
	run imb-sam --model xgboost -o "$TMP/x" "$FILE_TMP/moons1.imb"
	assert_failure 2
	assert_output --partial "imb-sam trains networks only"
	run imb-sam --model mlp:8 --rho -0.1 -o "$TMP/x" "$FILE_TMP/moons1.imb"
	assert_failure 2
	assert_output --partial "--rho: -0.1 is out of range"
	# a class the train set lacks is a data error, as imb-split --classes has it
	run imb-sam --model mlp:8 --rho-class nope:0.2 -o "$TMP/x" "$FILE_TMP/moons1.imb"
	assert_failure 1
	assert_output --partial "no class 'nope' (classes: 0 majority, 1 minority)"
	[ ! -e "$TMP/x" ]
	run imb-sam --model mlp:8 --rho-class 7:0.2 -o "$TMP/x" "$FILE_TMP/moons1.imb"
	assert_failure 1
	[ ! -e "$TMP/x" ]
	run imb-sam --model mlp:8 --rho-class 1 "$FILE_TMP/moons1.imb"
	assert_failure 2
	assert_output --partial "not CLASS:RHO"
	run imb-train --model mlp:8 --rho-minority 0.2 -o "$TMP/x" "$FILE_TMP/moons1.imb"
	assert_failure 2
	assert_output --partial "--rho-minority applies to --step sam"
	run imb-sam --model mlp:8 --rho 0 --rho-minority 0.2 "$FILE_TMP/moons1.imb"
	assert_failure 2
	assert_output --partial "needs --rho > 0"
	run imb-sam --model mlp:8 --step plain "$FILE_TMP/moons1.imb"
	assert_failure 2
	run imb-sam "$FILE_TMP/moons1.imb"
	assert_failure 2
	assert_output --partial "give --model"
	[ ! -e "$TMP/x" ]
}
