#!/usr/bin/env bats
# Interrupted network training: kill -9 then --resume (with the flags, or
# with none: they come from the checkpoint) gives the bytes of an
# uninterrupted run; a flag that differs is a usage error; SIGINT/SIGTERM leave no partial output and keep the
# last checkpoint; a diverging loss stops with a message naming where.
load helpers

make_data() {
	imb-import fashion-mnist \
		| imb-split --classes 0,6 --train-ratio 0.1 --n-train 3000 --n-test 200 --seed 1 > "$TMP/d.imb"
}

ARGS="--model mlp:128,128 --epochs 25 --batch-size 128 --lr 0.05 --seed 3 --threads 2"

# start training in the background with a checkpoint every epoch; wait
# until the first checkpoint exists
start_training() {
	imb-train $ARGS --checkpoint "$TMP/ck.imb" -o "$TMP/out.imb" < "$TMP/d.imb" 2>/dev/null &
	PID=$!
	for i in $(seq 1000); do
		[ -s "$TMP/ck.imb" ] && break
		sleep 0.01
	done
	[ -s "$TMP/ck.imb" ]
}

@test "kill -9 during training, then --resume: the same weights as an uninterrupted run" {
	make_data
	imb-train $ARGS < "$TMP/d.imb" > "$TMP/full.imb" 2>/dev/null
	start_training
	kill -9 "$PID"
	status=0
	wait "$PID" || status=$?
	[ "$status" -eq 137 ]              # it was still training when killed
	[ ! -e "$TMP/out.imb" ]            # no partial output
	run imb-info "$TMP/ck.imb"         # the checkpoint is whole
	assert_success
	imb-train $ARGS --checkpoint "$TMP/ck.imb" --resume "$TMP/ck.imb" < "$TMP/d.imb" > "$TMP/resumed.imb" 2>/dev/null
	weights "$TMP/full.imb" > "$TMP/w1"
	weights "$TMP/resumed.imb" > "$TMP/w2"
	[ -s "$TMP/w1" ]
	diff "$TMP/w1" "$TMP/w2"
	# no flag retyped: the settings come from the checkpoint
	imb-train --resume "$TMP/ck.imb" < "$TMP/d.imb" > "$TMP/resumed2.imb" 2>/dev/null
	weights "$TMP/resumed2.imb" > "$TMP/w3"
	diff "$TMP/w1" "$TMP/w3"
}

@test "--resume with a flag that differs from the checkpoint: a usage error naming it, nothing written" {
	make_data
	imb-train $ARGS --epochs 2 --stop-after 1 --checkpoint "$TMP/ck.imb" < "$TMP/d.imb" > /dev/null 2>&1
	run imb-train --resume "$TMP/ck.imb" --batch-size 64 -o "$TMP/out.imb" < "$TMP/d.imb"
	assert_failure 2
	assert_output --partial "--batch-size 64"
	assert_output --partial "batch-size 128"
	[ ! -e "$TMP/out.imb" ]
	run imb-train --resume "$TMP/ck.imb" --model mlp:64 -o "$TMP/out.imb" < "$TMP/d.imb"
	assert_failure 2
	assert_output --partial "--model mlp:64"
	[ ! -e "$TMP/out.imb" ]
}

@test "SIGINT and SIGTERM during training: no partial output, the last checkpoint kept" {
	make_data
	for sig in INT TERM; do
		rm -f "$TMP/ck.imb" "$TMP/out.imb"
		start_training
		kill -s "$sig" "$PID"
		status=0
		wait "$PID" || status=$?
		[ "$status" -ne 0 ]
		[ ! -e "$TMP/out.imb" ]
		[ -z "$(ls -A "$TMP" | grep 'out.imb.tmp')" ]
		run imb-info "$TMP/ck.imb"
		assert_success
		assert_output --partial "frame 2: checkpoint 'train'"
	done
}

@test "a diverging loss stops with the epoch and batch named, exit 1, and keeps the old checkpoint" {
	make_data
	imb-train $ARGS --epochs 1 --checkpoint "$TMP/ck.imb" < "$TMP/d.imb" > /dev/null 2>&1
	cp "$TMP/ck.imb" "$TMP/ck.before"
	run imb-train --model mlp:128,128 --epochs 3 --lr 1e6 --seed 3 \
		--checkpoint "$TMP/ck.imb" -o "$TMP/out.imb" < "$TMP/d.imb"
	assert_failure 1
	assert_output --regexp "epoch [0-9]+, batch [0-9]+: the loss is not finite"
	[ ! -e "$TMP/out.imb" ]
	cmp "$TMP/ck.imb" "$TMP/ck.before"
}

@test "--resume of an early-stopping run: validation frame and early stopping come from the checkpoint" {
	MK="$ROOT/tests/mkframe.py"
	{ $PY "$MK" dataset train 400 10 2 --seed 1; $PY "$MK" dataset val 200 10 2 --seed 2; } > "$TMP/v.imb"
	A="--model mlp:32 --epochs 40 --lr 0.01 --batch-size 32 --seed 1 --threads 2"
	imb-train $A --val-frame val --early-stopping 3 < "$TMP/v.imb" > "$TMP/full.imb" 2>/dev/null
	imb-train $A --val-frame val --early-stopping 3 --stop-after 4 --checkpoint "$TMP/ck.imb" \
		< "$TMP/v.imb" > /dev/null 2>&1
	# no flag repeated: --val-frame and --early-stopping come from the checkpoint
	imb-train --resume "$TMP/ck.imb" < "$TMP/v.imb" > "$TMP/resumed.imb" 2>/dev/null
	weights "$TMP/full.imb" > "$TMP/w1"
	weights "$TMP/resumed.imb" > "$TMP/w2"
	diff "$TMP/w1" "$TMP/w2"
	run $PY -c '
import sys, msgpack
e = [next(f for f in msgpack.Unpacker(open(p, "rb"), raw=False) if f["kind"] == "model")["attrs"]["early_stopping"] for p in sys.argv[1:]]
print(e[0] == e[1], e[0]["stopped_at"] > 4)' "$TMP/full.imb" "$TMP/resumed.imb"
	assert_output "True True"
	# the validation frame passes through the resumed run as through the first
	run bash -c "imb-train --resume '$TMP/ck.imb' < '$TMP/v.imb' 2>/dev/null | imb-info - | grep -c \"dataset 'val'\""
	assert_output 1
	# a flag that differs: a usage error naming it
	run imb-train --resume "$TMP/ck.imb" --early-stopping 5 < "$TMP/v.imb"
	assert_failure 2
	assert_output --partial "--early-stopping 5: the checkpoint"
	run imb-train --resume "$TMP/ck.imb" --val-frame train2 < "$TMP/v.imb"
	assert_failure 2
	assert_output --partial "--val-frame train2: the checkpoint"
	run imb-train --resume "$TMP/ck.imb" --early-metric balanced_accuracy < "$TMP/v.imb"
	assert_failure 2
	assert_output --partial "--early-metric balanced_accuracy"
}

@test "--resume with the flags repeated as they were: accepted, the same model" {
	make_data
	imb-train $ARGS --epochs 3 --optimizer adamw --lr 0.001 --sampler balanced --loss focal < "$TMP/d.imb" > "$TMP/full.imb" 2>/dev/null
	imb-train $ARGS --epochs 3 --optimizer adamw --lr 0.001 --sampler balanced --loss focal --stop-after 1 \
		--checkpoint "$TMP/ck.imb" < "$TMP/d.imb" > /dev/null 2>&1
	imb-train $ARGS --epochs 3 --optimizer adamw --lr 0.001 --sampler balanced --loss focal \
		--resume "$TMP/ck.imb" < "$TMP/d.imb" > "$TMP/r1.imb" 2>/dev/null
	imb-train --resume "$TMP/ck.imb" < "$TMP/d.imb" > "$TMP/r2.imb" 2>/dev/null
	weights "$TMP/full.imb" > "$TMP/w1"
	weights "$TMP/r1.imb" > "$TMP/w2"
	weights "$TMP/r2.imb" > "$TMP/w3"
	diff "$TMP/w1" "$TMP/w2"
	diff "$TMP/w1" "$TMP/w3"
	run imb-train --resume "$TMP/ck.imb" --loss ce < "$TMP/d.imb"
	assert_failure 2
	assert_output --partial "--loss ce: the checkpoint"
	run imb-train --resume "$TMP/ck.imb" --sampler plain < "$TMP/d.imb"
	assert_failure 2
	assert_output --partial "--sampler plain"
}

@test "--resume of a fine-tuning run (--init): the stream's model frame is consumed again, the same model" {
	MK="$ROOT/tests/mkframe.py"
	$PY "$MK" dataset train 300 6 2 --seed 1 > "$TMP/d.imb"
	imb-train -q --model mlp:8 --epochs 2 --seed 1 --threads 2 < "$TMP/d.imb" \
		| $PY -c '
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f["kind"] == "model":
        sys.stdout.buffer.write(msgpack.packb(f, use_bin_type=True))' > "$TMP/m1"
	cat "$TMP/d.imb" "$TMP/m1" > "$TMP/in"
	F="--init --epochs 4 --lr 0.05 --seed 2 --threads 2"
	imb-train -q $F < "$TMP/in" > "$TMP/full.imb"
	imb-train -q $F --stop-after 2 --checkpoint "$TMP/ck.imb" < "$TMP/in" > /dev/null
	# no flag repeated, --init included
	imb-train -q --resume "$TMP/ck.imb" < "$TMP/in" > "$TMP/resumed.imb"
	weights "$TMP/full.imb" > "$TMP/w1"
	weights "$TMP/resumed.imb" > "$TMP/w2"
	diff "$TMP/w1" "$TMP/w2"
	# the same frames: the init model consumed in both
	run bash -c "imb-info '$TMP/resumed.imb' | grep -c '^frame'"
	assert_output 2
}
