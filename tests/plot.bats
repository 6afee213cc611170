#!/usr/bin/env bats
# imb-plot: decision boundaries of a network and of XGBoost on 2-D data,
# sweeps from metrics frames and from aggregated TSV, lines from TSV; the
# pictures are real PNG and SVG files, written whole or not at all; bad
# input is a clear error.
load helpers

MK="$ROOT/tests/mkframe.py"

setup_file() {
	export IMB_PROGRESS=0
	local D="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import toy moons --n 600 --ratio 0.2 --noise 0.2 --seed 1 \
		| imb-split --train-ratio 0.2 --test-ratio 1 --seed 1 > "$D/moons.imb"
	imb-train --keep-train --model mlp:16,16 --epochs 30 --lr 0.05 --batch-size 64 \
		--threads 1 --seed 1 -q < "$D/moons.imb" > "$D/mlp.imb"
	imb-train --keep-train --model xgboost --rounds 10 --threads 1 -q < "$D/moons.imb" > "$D/xgb.imb"
	# metrics of a few runs at two train ratios, for sweeps
	for s in 1 2; do
		for r in 0.1 0.5; do
			imb-import toy blobs --n 300 --ratio "$r" --seed "$s" \
				| imb-split --train-ratio "$r" --seed "$s" \
				| imb-train --model xgboost --rounds 5 --threads 1 -q | imb-eval --metrics-only
		done
	done > "$D/metrics.imb"
}

is_png() {
	[ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

is_svg() {
	[ -s "$1" ] && grep -q '<svg' "$1" && grep -q '</svg>' "$1"
}

# nothing but the expected files in a directory: no temporary names left
only_files() {
	local dir=$1
	shift
	run bash -c "cd '$dir' && ls -A | sort | tr '\n' ' '"
	assert_output "$*"
}

@test "boundary: a network's regions and boundary, PNG and SVG" {
	mkdir "$TMP/out"
	run imb-plot boundary -o "$TMP/out/mlp.png" --svg --grid 50 < "$BATS_FILE_TMPDIR/mlp.imb"
	assert_success
	is_png "$TMP/out/mlp.png"
	is_svg "$TMP/out/mlp.svg"
	# the legend: classes with counts, the boundary
	grep -q 'class minority (n = ' "$TMP/out/mlp.svg"
	grep -q 'decision boundary (p = 0.5)' "$TMP/out/mlp.svg"
	only_files "$TMP/out" "mlp.png mlp.svg "
}

@test "boundary: an XGBoost model, SVG alone by the extension" {
	run imb-plot boundary -q -o "$TMP/xgb.svg" --grid 40 "$BATS_FILE_TMPDIR/xgb.imb"
	assert_success
	is_svg "$TMP/xgb.svg"
	[ ! -e "$TMP/xgb.png" ]
}

@test "boundary: several streams side by side, panel titles; the test frame" {
	run imb-plot boundary -q -o "$TMP/two.png" --grid 30 --frame test \
		--panel-title "an MLP" --panel-title "XGBoost" \
		"$BATS_FILE_TMPDIR/mlp.imb" "$BATS_FILE_TMPDIR/xgb.imb"
	assert_success
	is_png "$TMP/two.png"
}

@test "boundary: three classes (argmax borders)" {
	$PY "$MK" dataset train 150 2 3 --seed 4 > "$TMP/three.imb"
	imb-train --keep-train --model xgboost --rounds 5 --threads 1 -q < "$TMP/three.imb" > "$TMP/m3.imb"
	run imb-plot boundary -o "$TMP/three.svg" --grid 30 -q < "$TMP/m3.imb"
	assert_success
	grep -q 'decision boundary (argmax)' "$TMP/three.svg"
	grep -q 'class c2 (n = 50)' "$TMP/three.svg"
}

@test "boundary: no model frame, not 2-D, no such frame: exit 1, no picture" {
	run bash -c "imb-plot boundary -o '$TMP/a.png' < '$BATS_FILE_TMPDIR/moons.imb'"
	assert_failure 1
	assert_output --partial "no model frame"
	$PY "$MK" dataset train 40 3 2 > "$TMP/d3.imb"
	imb-train --keep-train --model xgboost --rounds 2 -q < "$TMP/d3.imb" > "$TMP/m3d.imb"
	run imb-plot boundary -o "$TMP/a.png" "$TMP/m3d.imb"
	assert_failure 1
	assert_output --partial "x has 3 features per sample; a boundary plot needs 2-D feature vectors"
	run imb-plot boundary -o "$TMP/a.png" --frame val "$BATS_FILE_TMPDIR/mlp.imb"
	assert_failure 1
	assert_output --partial "no dataset frame named 'val'"
	only_files "$TMP" "d3.imb m3d.imb "
}

@test "usage errors: mode, output, flags of another mode: exit 2" {
	run imb-plot
	assert_failure 2
	run imb-plot scatter -o x.png
	assert_failure 2
	assert_output --partial "unknown mode 'scatter'"
	run imb-plot boundary < /dev/null
	assert_failure 2
	assert_output --partial "--output"
	run imb-plot boundary -o "$TMP/x.jpg" < /dev/null
	assert_failure 2
	assert_output --partial "must end in .png or .svg"
	run imb-plot boundary -o "$TMP/x.png" --group a < /dev/null
	assert_failure 2
	run imb-plot sweep -o "$TMP/x.png" --grid 10 < /dev/null
	assert_failure 2
	run imb-plot lines -o "$TMP/x.png" --x k < /dev/null
	assert_failure 2
	assert_output --partial "--x COL and --y COL"
	run imb-plot boundary -o "$TMP/x.png" --grid 1 < /dev/null
	assert_failure 2
	run imb-plot --help
	assert_success
	assert_output --partial "Usage: imb-plot boundary"
}

@test "no gnuplot, or gnuplot failing: exit 1, the old picture untouched, no temporary files" {
	mkdir "$TMP/out"
	echo old > "$TMP/out/m.png"
	IMB_GNUPLOT=/nonexistent/gnuplot run imb-plot boundary -o "$TMP/out/m.png" --grid 10 \
		"$BATS_FILE_TMPDIR/mlp.imb"
	assert_failure 1
	assert_output --partial "not found"
	assert_output --partial "gnuplot"
	IMB_GNUPLOT=false run imb-plot boundary -o "$TMP/out/m.png" --svg --grid 10 \
		"$BATS_FILE_TMPDIR/mlp.imb"
	assert_failure 1
	assert_output --partial "failed"
	[ "$(cat "$TMP/out/m.png")" = old ]
	only_files "$TMP/out" "m.png "
	# its private directory is gone as well
	mkdir "$TMP/tmp"
	TMPDIR="$TMP/tmp" IMB_GNUPLOT=false run imb-plot boundary -o "$TMP/out/m.png" --grid 10 \
		"$BATS_FILE_TMPDIR/mlp.imb"
	assert_failure 1
	only_files "$TMP/tmp" ""
}

@test "titles and names reach gnuplot as text, never as commands" {
	run imb-plot boundary -q -o "$TMP/t.svg" --grid 10 \
		--title "it's \`touch $TMP/pwned\`"$'\n'"system 'touch $TMP/pwned2'" \
		"$BATS_FILE_TMPDIR/mlp.imb"
	assert_success
	[ ! -e "$TMP/pwned" ] && [ ! -e "$TMP/pwned2" ]
	grep -q "touch" "$TMP/t.svg"
	# an output name with quotes and spaces
	run imb-plot boundary -q -o "$TMP/a 'b\" \$(x).png" --grid 10 "$BATS_FILE_TMPDIR/mlp.imb"
	assert_success
	is_png "$TMP/a 'b\" \$(x).png"
}

@test "sweep: from metrics frames, aggregated here, one line per group" {
	run imb-plot sweep -o "$TMP/s.svg" --group seed < "$BATS_FILE_TMPDIR/metrics.imb"
	assert_success
	is_svg "$TMP/s.svg"
	grep -q 'train ratio' "$TMP/s.svg"
	# a line and a legend entry per seed
	grep -q '<title>1</title>' "$TMP/s.svg"
	grep -q '<title>2</title>' "$TMP/s.svg"
}

@test "sweep: from imb-eval --aggregate TSV, mean and SE columns, a chosen metric" {
	imb-eval --aggregate train_ratio < "$BATS_FILE_TMPDIR/metrics.imb" > "$TMP/agg.tsv"
	run imb-plot sweep -o "$TMP/s.png" --y minority_error < "$TMP/agg.tsv"
	assert_success
	is_png "$TMP/s.png"
	run imb-plot sweep -o "$TMP/s.png" --y no_such_metric < "$TMP/agg.tsv"
	assert_failure 1
	assert_output --partial "no column 'no_such_metric' (the columns: train_ratio, n,"
	run imb-plot sweep -o "$TMP/s.png" --group model,nothing < "$TMP/agg.tsv"
	assert_failure 1
	assert_output --partial "group: no column 'model'"
}

@test "lines: loss curves and spectra from a long TSV, filters, log y" {
	printf 'measure\tclass\tk\tx\ty\tvalue\tse\tmodel\n' > "$TMP/h.tsv"
	for m in sgd sam; do
		for k in 1 2 3; do printf 'eigenvalue\tall\t%d\tNA\tNA\t%d\tNA\t%s\n' $k $((40 / k)) $m; done
		for x in -1 -0.5 0 0.5 1; do printf 'loss1d\tall\tNA\t%s\tNA\t0.%d\tNA\t%s\n' $x ${#x} $m; done
	done >> "$TMP/h.tsv"
	run imb-plot lines -o "$TMP/eig.png" --svg --where measure=eigenvalue --x k --y value \
		--group model --logy < "$TMP/h.tsv"
	assert_success
	is_png "$TMP/eig.png"
	is_svg "$TMP/eig.svg"
	grep -q '<title>sam</title>' "$TMP/eig.svg"
	grep -q '<title>sgd</title>' "$TMP/eig.svg"
	run imb-plot lines -o "$TMP/c.png" --where measure=loss1d --x x --y value --group model "$TMP/h.tsv"
	assert_success
	# a log x axis refuses x <= 0
	run imb-plot lines -o "$TMP/c.png" --where measure=loss1d --x x --y value --logx "$TMP/h.tsv"
	assert_failure 1
	assert_output --partial "log-scaled x axis needs values > 0"
	run imb-plot lines -o "$TMP/c.png" --x kk --y value "$TMP/h.tsv"
	assert_failure 1
	assert_output --partial "no column 'kk'"
	run imb-plot lines -o "$TMP/c.png" --x k --y value "$BATS_FILE_TMPDIR/metrics.imb"
	assert_failure 1
	assert_output --partial "TSV"
}

@test "SIGTERM while gnuplot runs: no temporary directory or file left" {
	mkdir "$TMP/tmp" "$TMP/out"
	printf '#!/bin/sh\necho $$ > "%s/slow.pid"\nexec sleep 30\n' "$TMP" > "$TMP/slow"
	chmod +x "$TMP/slow"
	TMPDIR="$TMP/tmp" IMB_GNUPLOT="$TMP/slow" imb-plot boundary -o "$TMP/out/m.png" --grid 10 \
		"$BATS_FILE_TMPDIR/mlp.imb" 3>&- &
	pid=$!
	for i in $(seq 50); do [ -s "$TMP/slow.pid" ] && break; sleep 0.1; done
	sleep 0.2
	kill -TERM $pid
	wait $pid || true
	# the stand-in gnuplot, by its own pid
	[ -s "$TMP/slow.pid" ] && kill "$(cat "$TMP/slow.pid")" 2>/dev/null || true
	only_files "$TMP/tmp" ""
	only_files "$TMP/out" ""
}
