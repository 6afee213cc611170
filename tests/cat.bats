#!/usr/bin/env bats
# imb-cat: joins and filters streams, byte-exact.
load helpers

@test "imb-cat of one stream gives the same bytes" {
	$PY tests/mkframe.py dataset train 20 5 2 > "$TMP/a.imb"
	imb-cat < "$TMP/a.imb" > "$TMP/b.imb"
	cmp "$TMP/a.imb" "$TMP/b.imb"
}

@test "imb-cat joins files and '-' in order" {
	$PY tests/mkframe.py dataset train 4 1 2 > "$TMP/a.imb"
	$PY tests/mkframe.py dataset test 4 1 2 > "$TMP/b.imb"
	imb-cat "$TMP/a.imb" - < "$TMP/b.imb" > "$TMP/ab.imb"
	cat "$TMP/a.imb" "$TMP/b.imb" | cmp - "$TMP/ab.imb"
}

@test "imb-cat selects by kind and name, and --invert drops them" {
	( $PY tests/mkframe.py dataset train 4 1 2; $PY tests/mkframe.py dataset test 4 1 2 ) > "$TMP/ab.imb"
	run bash -c "imb-cat --name test $TMP/ab.imb | imb-info"
	assert_output --partial "frame 1: dataset 'test'"
	refute_output --partial "'train'"
	run bash -c "imb-cat --name test --invert $TMP/ab.imb | imb-info"
	assert_output --partial "frame 1: dataset 'train'"
	refute_output --partial "'test'"
}

@test "imb-cat -o on bad input leaves no file" {
	$PY tests/mkframe.py dataset train 40 4 2 | head -c 200 > "$TMP/cut.imb"
	run imb-cat -o "$TMP/out.imb" "$TMP/cut.imb"
	assert_failure 1
	[ ! -e "$TMP/out.imb" ]
	[ -z "$(ls -A "$TMP" | grep 'out.imb')" ]
}

@test "imb-cat -o writes the file only when complete" {
	$PY tests/mkframe.py dataset train 4 1 2 > "$TMP/a.imb"
	run imb-cat -o "$TMP/out.imb" "$TMP/a.imb"
	assert_success
	cmp "$TMP/a.imb" "$TMP/out.imb"
}

@test "writing to a full device is exit 1" {
	$PY tests/mkframe.py dataset train 4 1 2 > "$TMP/a.imb"
	run bash -c "imb-cat $TMP/a.imb > /dev/full"
	assert_failure 1
	assert_output --partial "write error"
}
