# Shared by the reliability*.bats files (docs/reliability.md): hand-made
# frames, and runs under a memory bound. Load after helpers.

MK="$PY $ROOT/tests/mkframe.py"

setup() {
	TMP="$BATS_TEST_TMPDIR"
	LIM="prlimit --as=$((2 << 30))"
	if [ -n "${IMB_VALGRIND:-}" ] || ldd "$(command -v imb-info)" 2>/dev/null | grep -q libasan; then
		LIM=""
	fi
}

# run a tool under the memory bound; -o FILE must not exist afterwards
bad() {
	run --separate-stderr $LIM "$@"
}

# frames: a good 2-class dataset, hand-made bad ones
good() { $MK dataset "${1:-train}" 40 3 2 --seed "${2:-0}"; }
raw() { $MK raw "$1"; }

# the temp files of FILE, one a line: DIR/.BASE.tmp.* (and the old
# names, FILE.tmp.*)
tmp_of() {
	local f
	for f in "$(dirname "$1")/.$(basename "$1")".tmp.* "$1".tmp.*; do
		[ -e "$f" ] || [ -L "$f" ] && echo "$f"
	done
	return 0
}

# no FILE, and no temp file of it
no_output() {
	[ ! -e "$1" ]
	[ -z "$(tmp_of "$1")" ]
}

# start TOOL ... (writing $TMP/out.imb) reading a FIFO fed one good frame
# and held open on fd 7; wait for its temp file. PID is the tool's.
start_fifo() {
	rm -f "$TMP/in"
	mkfifo "$TMP/in"
	"$@" < "$TMP/in" & PID=$!
	exec 7> "$TMP/in"
	good >&7
	for _ in $(seq 200); do
		[ -n "$(tmp_of "$TMP/out.imb")" ] && break
		sleep 0.05
	done
	[ -n "$(tmp_of "$TMP/out.imb")" ]
}
