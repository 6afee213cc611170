#!/usr/bin/env bats
# Progress bars of long training on stderr: shown with IMB_PROGRESS=1 (or
# a terminal), never with IMB_PROGRESS=0; a network's bar shows a running
# loss and an ETA, XGBoost's one per round; a bar's line always ends
# before the next message.
load helpers

MK="$ROOT/tests/mkframe.py"

mkdata() {
	$PY "$MK" dataset train 2000 10 2 --seed 1
	$PY "$MK" dataset val 200 10 2 --seed 2
}

# check stderr file $1: it ends with a newline; every message line
# ("imb-train: " then no bar) starts its own line: no bar's carriage
# return before it on the same line; prints the bar lines' count
CHECK='
import sys, re
s = open(sys.argv[1], "rb").read().decode()
assert s.endswith("\n"), "stderr does not end with a newline"
bars = 0
for line in s.split("\n"):
    parts = line.split("\r")
    if re.search(sys.argv[2], line):
        bars += 1
    # a message (no bar in it) never shares a line with a bar
    for p in parts[1:]:
        assert re.search(sys.argv[2], p), "a message after a bar on one line: %r" % line
print(bars)
'

@test "a network's bar: running loss and eta, one line per epoch ended before the epoch's line" {
	mkdata > "$TMP/in"
	IMB_PROGRESS=1 imb-train --model mlp:16 --epochs 3 --batch-size 16 --seed 1 --threads 2 \
		< "$TMP/in" > /dev/null 2> "$TMP/err"
	cat -A "$TMP/err" | head -5
	grep -Eq 'epoch 1/3 \[#+ *\] [0-9]+/125 loss [0-9]+\.[0-9]{4} eta [0-9]' "$TMP/err"
	grep -q 'imb-train: epoch 3/3 loss' "$TMP/err"
	run $PY -c "$CHECK" "$TMP/err" '\[#* *\] [0-9]+/[0-9]+'
	assert_success
	[ "$output" -eq 3 ]   # one bar line per epoch
	# the epoch's line follows its bar on a line of its own
	run grep -c '^imb-train: epoch [0-9]/3 loss' "$TMP/err"
	assert_output 3
}

@test "IMB_PROGRESS=0: no bar, no carriage return" {
	mkdata > "$TMP/in"
	IMB_PROGRESS=0 imb-train --model mlp:16 --epochs 2 --batch-size 16 --seed 1 --threads 2 \
		< "$TMP/in" > /dev/null 2> "$TMP/err"
	IMB_PROGRESS=0 imb-train --rounds 20 --threads 2 < "$TMP/in" > /dev/null 2>> "$TMP/err"
	! grep -q $'\r' "$TMP/err" || false
	! grep -q 'eta' "$TMP/err" || false
	# without a terminal and without IMB_PROGRESS, no bar either
	env -u IMB_PROGRESS imb-train --rounds 20 --threads 2 < "$TMP/in" > /dev/null 2> "$TMP/err2"
	! grep -q $'\r' "$TMP/err2" || false
	grep -q 'imb-train: xgboost: 20 rounds' "$TMP/err2"
}

@test "xgboost: a bar over the boosting rounds, with the validation score under early stopping" {
	mkdata > "$TMP/in"
	IMB_PROGRESS=1 imb-train --rounds 30 --threads 2 < "$TMP/in" > /dev/null 2> "$TMP/err"
	grep -Eq 'boosting \[#+\] 30/30 eta 0s' "$TMP/err"
	run $PY -c "$CHECK" "$TMP/err" 'boosting \['
	assert_success
	[ "$output" -eq 1 ]
	grep -q '^imb-train: xgboost: 30 rounds' "$TMP/err"
	IMB_PROGRESS=1 imb-train --rounds 300 --threads 2 --val-frame val --early-stopping 3 \
		< "$TMP/in" > /dev/null 2> "$TMP/err"
	grep -Eq 'boosting \[#* *\] [0-9]+/300 val logloss [0-9.]+ best round [0-9]+ eta' "$TMP/err"
	run $PY -c "$CHECK" "$TMP/err" 'boosting \['
	assert_success
	grep -q '^imb-train: xgboost: [0-9]* rounds kept of [0-9]* trained (early stopping' "$TMP/err"
}

@test "an error in the middle of a bar starts on a line of its own" {
	mkdata > "$TMP/in"
	# a diverging network: the bar is drawn, then the error
	IMB_PROGRESS=1 imb-train --model mlp:16 --epochs 3 --batch-size 16 --lr 1e6 --seed 1 \
		--threads 2 < "$TMP/in" > /dev/null 2> "$TMP/err" && false
	grep -q '^imb-train: epoch [0-9]*, batch [0-9]*: the loss is not finite' "$TMP/err"
	run $PY -c "$CHECK" "$TMP/err" '\[#* *\] [0-9]+/[0-9]+'
	assert_success
}
