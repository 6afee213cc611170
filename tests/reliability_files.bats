#!/usr/bin/env bats
# Output files (docs/reliability.md, rows 56-63): temp files no one can
# guess or redirect, the usual permissions, removed on every fatal signal
# and every exit, and closed standard descriptors that never become the
# output.
bats_require_minimum_version 1.5.0
load helpers
load reliability

# a victim file and, planted at NAME.tmp.PID (the temp name imb used to
# write through, O_TRUNC, following links) for the PID the tool will run
# as, a link to it; then the tool. The victim must be left as it was.
plant_and_run() {
	local out=$1
	shift
	printf 'secret\n' > "$TMP/victim"
	bash -c 'ln -s "$1" "$2.tmp.$$" && shift 2 && exec "$@"' _ "$TMP/victim" "$out" "$@"
}

@test "a link planted at the temp name is not followed: the file it points to is untouched" {
	for cmd in "imb-import toy moons" "imb-cat $TMP/g.imb" "imb-oversample $TMP/g.imb" \
	           "imb-train -q -r 2 $TMP/g.imb"; do
		good > "$TMP/g.imb"
		rm -f "$TMP/out.imb" "$TMP"/out.imb.tmp.*
		run --separate-stderr plant_and_run "$TMP/out.imb" $cmd -o "$TMP/out.imb"
		echo "$cmd: $status $stderr"
		[ "$status" -eq 0 ]
		[ "$(cat "$TMP/victim")" = secret ]
		[ -f "$TMP/out.imb" ] && [ ! -L "$TMP/out.imb" ]
		imb-info "$TMP/out.imb" > /dev/null
		[ -z "$(ls -A "$TMP" | grep "^\.out\.imb\.tmp")" ]
	done
	# a directory full of the attacker's links at dot names: none is used
	rm -f "$TMP/out.imb"
	for k in $(seq 50); do ln -s "$TMP/victim" "$TMP/.out.imb.tmp.$k"; done
	imb-import toy moons -o "$TMP/out.imb"
	[ "$(cat "$TMP/victim")" = secret ]
	[ "$(ls -A "$TMP" | grep -c '^\.out\.imb\.tmp\.')" -eq 50 ]
}

@test "an output file gets the mode a shell's > gives: 0666 less the umask" {
	for um in 022 027 002 077; do
		rm -f "$TMP/out.imb" "$TMP/ref"
		(umask $um && imb-import toy moons -o "$TMP/out.imb" && : > "$TMP/ref")
		echo "umask $um: $(stat -c %a "$TMP/out.imb") (> gives $(stat -c %a "$TMP/ref"))"
		[ "$(stat -c %a "$TMP/out.imb")" = "$(stat -c %a "$TMP/ref")" ]
	done
	# the text outputs too (imb-eval --format tsv writes stdout only; imb-info the same)
	good > "$TMP/g.imb"
	(umask 002 && imb-train -q -r 2 -o "$TMP/m.imb" "$TMP/g.imb")
	[ "$(stat -c %a "$TMP/m.imb")" = 664 ]
}

@test "HUP, INT, QUIT, TERM, ALRM, USR1, USR2 to a tool writing -o: dies by the signal, no file, no temp file" {
	ulimit -c 0   # QUIT dumps core by default
	for sig in HUP INT QUIT TERM ALRM USR1 USR2; do
		start_fifo imb-cat -o "$TMP/out.imb"
		kill -s $sig $PID
		st=0; wait $PID || st=$?
		exec 7>&-
		echo "$sig: $st"
		[ "$st" -eq $((128 + $(kill -l $sig))) ]
		no_output "$TMP/out.imb"
	done
}

@test "a signal ignored on entry stays ignored (nohup): the output is written whole" {
	start_fifo bash -c 'trap "" HUP; exec imb-cat -o "$1"' _ "$TMP/out.imb"
	kill -s HUP $PID
	sleep 0.2
	good test >&7
	exec 7>&-
	wait $PID
	run imb-info "$TMP/out.imb"
	assert_success
	assert_output --partial "frame 2: dataset 'test'"
	[ -z "$(tmp_of "$TMP/out.imb")" ]
}

@test "the file size limit (SIGXFSZ) while writing -o: dies by the signal, no temp file" {
	run bash -c "ulimit -f 8 && exec imb-import toy moons --n 20000 -o '$TMP/out.imb'"
	echo "$status $output"
	[ "$status" -eq $((128 + $(kill -l XFSZ))) ]
	no_output "$TMP/out.imb"
}

@test "an exit inside a library (thread creation fails) leaves no temp file" {
	printf '%s\n' '#include <errno.h>' '#include <pthread.h>' \
		'int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *p)' \
		'{ (void)t; (void)a; (void)f; (void)p; return EAGAIN; }' > "$TMP/nothreads.c"
	cc -shared -fPIC -o "$TMP/nothreads.so" "$TMP/nothreads.c" || skip "no C compiler"
	imb-import toy blobs --n 2000 --seed 3 > "$TMP/g.imb"
	run --separate-stderr env OPENBLAS_NUM_THREADS=1 LD_PRELOAD="$TMP/nothreads.so" \
		imb-train -q -r 5 -t 4 -o "$TMP/out.imb" "$TMP/g.imb"
	echo "$status: $stderr"
	[ "$status" -ne 0 ]
	no_output "$TMP/out.imb"
}

@test "stderr or stdout closed: the -o file is never fd 1 or 2, log lines do not land in it" {
	good > "$TMP/g.imb"
	# the same command (argv goes into the history) with every descriptor open
	imb-oversample --seed 1 -o "$TMP/out.imb" "$TMP/g.imb"
	mv "$TMP/out.imb" "$TMP/ref.imb"
	imb-import toy moons -o "$TMP/m.imb"
	mv "$TMP/m.imb" "$TMP/mref.imb"
	# with progress and log lines on (IMB_PROGRESS=1), stderr closed
	IMB_PROGRESS=1 imb-oversample --seed 1 -o "$TMP/out.imb" "$TMP/g.imb" 2>&-
	cmp "$TMP/ref.imb" "$TMP/out.imb"
	IMB_PROGRESS=1 imb-import toy moons -o "$TMP/m.imb" 2>&-
	cmp "$TMP/mref.imb" "$TMP/m.imb"
	# input on stdin, so the output is the first file opened; imb-train logs
	imb-train -r 3 -o "$TMP/t.imb" < "$TMP/g.imb" 2> /dev/null
	mv "$TMP/t.imb" "$TMP/tref.imb"
	IMB_PROGRESS=1 imb-train -r 3 -o "$TMP/t.imb" < "$TMP/g.imb" 2>&-
	imb-info "$TMP/t.imb" > /dev/null
	cmp "$TMP/tref.imb" "$TMP/t.imb"
	# stdout closed: -o works; a stream to the closed stdout is still a write error
	rm "$TMP/out.imb"
	imb-oversample --seed 1 -o "$TMP/out.imb" "$TMP/g.imb" >&-
	cmp "$TMP/ref.imb" "$TMP/out.imb"
	run --separate-stderr bash -c "imb-import toy moons >&-"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"stdout: write error"* ]]
	# stdin closed: reading it is an error, not a read of the output
	run --separate-stderr bash -c "imb-cat -o '$TMP/x.imb' <&-"
	[ "$status" -eq 1 ]
	no_output "$TMP/x.imb"
}

@test "-o naming a directory: exit 1 at once, nothing written in it" {
	mkdir "$TMP/d"
	bad imb-import toy moons -o "$TMP/d"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$TMP/d: Is a directory"* ]]
	[ -z "$(ls -A "$TMP/d")" ]
	bad imb-import toy moons -o "$TMP/d/"
	[ "$status" -eq 1 ]
	[ -z "$(ls -A "$TMP/d")" ]
}
