#!/bin/sh
# Run Bats files with every imb-* tool under valgrind memcheck and sum
# what it reports: "definitely lost" bytes and memory errors per run.
#   sh tests/valgrind.sh [BATS_FILE...]     (default: every tests/*.bats)
# IMB_BIN names the real tools (default bin/). Each tool is replaced by a
# wrapper on PATH that execs valgrind; IMB_VALGRIND=1 tells the tests
# (reliability.bats drops its address-space limit, which valgrind's own
# mappings exceed). Logs: $VG_LOGS (default build/valgrind), one per
# process. Exit 1 if any run lost memory definitely or had an error.
set -eu
cd "$(dirname "$0")/.."
REAL="$(cd "${IMB_BIN:-bin}" && pwd)"
LOGS="${VG_LOGS:-build/valgrind}"
mkdir -p "$LOGS"
LOGS="$(cd "$LOGS" && pwd)"
rm -f "$LOGS"/*.log
WRAP="$LOGS/bin"
mkdir -p "$WRAP"
for t in "$REAL"/imb-*; do
	n=$(basename "$t")
	cat > "$WRAP/$n" <<EOW
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \\
  --errors-for-leak-kinds=definite --error-exitcode=0 --log-file="$LOGS/$n.%p.log" "$t" "\$@"
EOW
	chmod +x "$WRAP/$n"
done
[ $# -gt 0 ] || set -- tests/*.bats
status=0
IMB_VALGRIND=1 IMB_BIN="$WRAP" bats "$@" || status=$?
runs=$(ls "$LOGS"/*.log | wc -l)
lost=$(cat "$LOGS"/*.log | sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' | tr -d , |
	awk '{s += $1} END {print s + 0}')
errs=$(cat "$LOGS"/*.log | sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' | tr -d , |
	awk '{s += $1} END {print s + 0}')
echo "valgrind: $runs tool runs, definitely lost $lost bytes, $errs errors (logs in $LOGS)"
if [ "$lost" -ne 0 ] || [ "$errs" -ne 0 ]; then
	grep -l 'definitely lost: [1-9]\|ERROR SUMMARY: [1-9]' "$LOGS"/*.log | head -n 20
	status=1
fi
exit $status
