#!/usr/bin/env bats
# What every imb-* tool shares on its command line: -h/--help and
# -V/--version exit 0 on stdout, an unknown option is a usage error (exit
# 2, a message on stderr, nothing on stdout), and no tool's help or man
# page speaks of tickets or work sessions. Every tool in bin/ is checked.
load helpers
bats_require_minimum_version 1.5.0

# the tools built, each as its name
tools() {
	local d="${IMB_BIN:-$ROOT/bin}" t
	for t in "$d"/imb-*; do
		[ -x "$t" ] && basename "$t"
	done
}

# the version every tool prints: lib/cli.h's IMB_VERSION
version() {
	sed -n 's/^#define IMB_VERSION "\(.*\)"$/\1/p' "$ROOT/lib/cli.h"
}

@test "every tool: -h and --help exit 0 with a Usage line on stdout, nothing on stderr" {
	[ "$(tools | wc -l)" -ge 10 ]
	local bad=""
	for t in $(tools); do
		for a in -h --help; do
			run --separate-stderr "$t" "$a" < /dev/null
			if [ "$status" -ne 0 ] || ! grep -q "^Usage: $t\b" <<< "$output" || [ -n "$stderr" ]; then
				bad="$bad $t $a (exit $status; stderr: ${stderr:0:80});"
			fi
		done
	done
	[ -z "$bad" ] || { echo "failing:$bad"; false; }
}

@test "every tool: -V and --version exit 0 and print the version on stdout" {
	local v bad=""
	v=$(version)
	[ -n "$v" ]
	for t in $(tools); do
		for a in -V --version; do
			run --separate-stderr "$t" "$a" < /dev/null
			if [ "$status" -ne 0 ] || ! grep -qF "$v" <<< "$output" || [ -n "$stderr" ]; then
				bad="$bad $t $a (exit $status; stdout: ${output:0:40}; stderr: ${stderr:0:80});"
			fi
		done
	done
	[ -z "$bad" ] || { echo "failing:$bad"; false; }
}

@test "every tool: an unknown option exits 2 with a message on stderr and nothing on stdout" {
	local bad=""
	for t in $(tools); do
		for a in --no-such-option -J; do
			run --separate-stderr "$t" "$a" < /dev/null
			if [ "$status" -ne 2 ] || [ -z "$stderr" ] || [ -n "$output" ]; then
				bad="$bad $t $a (exit $status; stderr: ${stderr:0:80});"
			fi
		done
	done
	[ -z "$bad" ] || { echo "failing:$bad"; false; }
}

@test "no tool's help or man page names a ticket number or a work session" {
	local bad="" t
	for t in $(tools); do
		[ -f "$ROOT/man/$t.1" ] || bad="$bad $t has no man page;"
		if "$t" --help 2>&1 | grep -inwE 'issues?|sessions?|#[0-9]+'; then
			bad="$bad $t --help;"
		fi
	done
	if grep -inwE 'issues?|sessions?' "$ROOT"/man/*.1 || grep -nE '#[0-9]' "$ROOT"/man/*.1; then
		bad="$bad man pages;"
	fi
	[ -z "$bad" ] || { echo "failing:$bad"; false; }
}
