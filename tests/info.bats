#!/usr/bin/env bats
# imb-info: summaries of streams, and the reader's errors as users see them.
load helpers

@test "imb-info summarises a dataset frame read from a pipe" {
	run bash -c "$PY tests/mkframe.py dataset train 12 3 3 | imb-info"
	assert_success
	assert_output --partial "frame 1: dataset 'train'"
	assert_output --partial "x        f32  (12,3)"
	assert_output --partial "classes: 3, samples: 12, imbalance ratio (rarest/most frequent): 1"
}

@test "imb-info reads '-' and files, and reports the imbalance ratio" {
	$PY tests/mkframe.py raw '{"kind":"dataset","name":"train","attrs":{"classes":["maj","min"]},
	  "tensors":{"x":{"dtype":"f32","shape":[5,1],"values":[1,2,3,4,5]},
	             "y":{"dtype":"i32","shape":[5],"values":[0,0,0,0,1]}}}' > "$TMP/a.imb"
	run imb-info - < "$TMP/a.imb"
	assert_success
	assert_output --partial "imbalance ratio (rarest/most frequent): 0.25"
	assert_output --partial "maj"
	run imb-info "$TMP/a.imb" "$TMP/a.imb"
	assert_output --partial "frame 2: dataset 'train'"
}

@test "imb-info --json gives the counts and ratio as numbers" {
	$PY tests/mkframe.py dataset test 9 2 3 > "$TMP/a.imb"
	run bash -c "imb-info --json $TMP/a.imb | $PY -c 'import json,sys; f=json.load(sys.stdin)[0]; print(f[\"summary\"][\"counts\"], f[\"summary\"][\"imbalance_ratio\"], f[\"tensors\"][0][\"shape\"])'"
	assert_success
	assert_output "[3, 3, 3] 1 [9, 2]"
}

@test "imb-info on an empty stream says so" {
	run imb-info < /dev/null
	assert_success
	assert_output --partial "empty stream"
}

@test "a truncated stream is exit 1 naming the frame" {
	$PY tests/mkframe.py dataset train 50 4 2 > "$TMP/a.imb"
	head -c 300 "$TMP/a.imb" > "$TMP/cut.imb"
	run imb-info "$TMP/cut.imb"
	assert_failure 1
	assert_output --partial "frame 1"
	assert_output --partial "truncated stream"
}

@test "a wrong format version is exit 1 with a hint" {
	$PY tests/mkframe.py raw '{"imb":7,"tensors":{}}' > "$TMP/v.imb"
	run imb-info "$TMP/v.imb"
	assert_failure 1
	assert_output --partial "format version 7, but this imb reads version 1"
}

@test "a data length that does not match dtype and shape is exit 1 naming the tensor" {
	$PY tests/mkframe.py raw '{"tensors":{"x":{"dtype":"f32","shape":[2,2],"hexdata":"000000000000"}}}' > "$TMP/b.imb"
	run imb-info "$TMP/b.imb"
	assert_failure 1
	assert_output --partial "tensor 'x': data holds 6 bytes but dtype f32 and its shape need 16"
}

@test "an unknown dtype is exit 1 naming it" {
	$PY tests/mkframe.py raw '{"tensors":{"x":{"dtype":"f16","shape":[1],"hexdata":"0000"}}}' > "$TMP/b.imb"
	run imb-info "$TMP/b.imb"
	assert_failure 1
	assert_output --partial "unknown dtype 'f16'"
}

@test "text that is not a stream is exit 1" {
	run bash -c "echo hello | imb-info"
	assert_failure 1
	assert_output --partial "frame 1"
}

@test "usage errors exit 2, --help exits 0" {
	run imb-info --bogus
	assert_failure 2
	run imb-info --help
	assert_success
	assert_output --partial "Usage: imb-info"
	run imb-info /nonexistent/file
	assert_failure 1
	assert_output --partial "/nonexistent/file"
}
