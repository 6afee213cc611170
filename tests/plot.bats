#!/usr/bin/env bats
# imb-plot: decision boundaries of a network and of XGBoost on 2-D data,
# sweeps from metrics frames and from aggregated TSV, lines from TSV,
# per-class training curves from the log frames of real runs (their
# table checked against the logs' own numbers), grouped bars and heatmaps
# from hand-written TSV; the pictures are real PNG and SVG files, written
# whole or not at all; bad input is a clear error.
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
	# network runs on Fashion-MNIST T-shirt/Shirt: two seeds at each of two
	# train ratios, 3 epochs each, and one run of 4 epochs
	for s in 1 2; do
		for r in 0.1 0.5; do
			imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio "$r" --n-train 300 \
				--n-test 100 --seed "$s" \
				| imb-train --model mlp:16 --epochs 3 --threads 1 --seed "$s" -q > "$D/run-$r-$s.imb"
		done
	done
	imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.1 --n-train 300 \
		--n-test 100 --seed 3 | imb-train --model mlp:16 --epochs 4 --threads 1 --seed 3 -q \
		> "$D/run-4epochs.imb"
}

# CURVES_ORACLE METRIC GROUPKEY TABLE STREAM...: the table imb-plot curves
# wrote, against the mean and standard error over runs computed here from
# the log frames (GROUPKEY "-": one group); prints "ok ROWS" or the
# first difference, and fails on one
curves_oracle() {
	$PY - "$@" <<'PYEOF'
import math, sys, msgpack
metric, gkey, table, streams = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
runs = []
for p in streams:
    frames = list(msgpack.Unpacker(open(p, "rb"), raw=False))
    names = [f["attrs"]["classes"] for f in frames if f["kind"] == "model"][0]
    runs += [(f["attrs"], names) for f in frames if f["kind"] == "log"]
groups = {}
for a, names in runs:
    key = a["split"][gkey] if gkey != "-" else None
    groups.setdefault(key, []).append((a, names))
want = {}
for key, rs in groups.items():
    a0, names = rs[0]
    for e in range(len(a0["epochs"])):
        for k in range(len(names)):
            if metric == "loss":
                v = [a["epochs"][e]["per_class_loss"][k] for a, _ in rs]
            elif metric == "acc":
                v = [a["epochs"][e]["per_class_acc"][k] for a, _ in rs]
            else:
                v = [1 - a["epochs"][e]["per_class_acc"][k] for a, _ in rs]
            n = len(v)
            m = sum(v) / n
            se = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1)) / math.sqrt(n) if n > 1 else None
            want[(key, a0["epochs"][e]["epoch"], k)] = (names[k], n, m, se)
lines = open(table).read().splitlines()
head = lines[0].split("\t")
exp_head = ([gkey] if gkey != "-" else []) + ["epoch", "class", "class_name", "n_runs",
                                               metric + "_mean", metric + "_se"]
if head != exp_head:
    sys.exit("header %r, expected %r" % (head, exp_head))
got = {}
for l in lines[1:]:
    c = dict(zip(head, l.split("\t")))
    key = float(c[gkey]) if gkey != "-" else None
    got[(key, int(c["epoch"]), int(c["class"]))] = (
        c["class_name"], int(c["n_runs"]), float(c[metric + "_mean"]),
        None if c[metric + "_se"] == "NA" else float(c[metric + "_se"]))
if sorted(got) != sorted(want):
    sys.exit("rows %s, expected %s" % (sorted(got), sorted(want)))
for k, w in want.items():
    g = got[k]
    if g[:2] != w[:2] or abs(g[2] - w[2]) > 1e-12 or \
       (w[3] is None) != (g[3] is None) or (w[3] is not None and abs(g[3] - w[3]) > 1e-12):
        sys.exit("row %s: %s, expected %s" % (k, g, w))
print("ok", len(got))
PYEOF
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

@test "curves: per-class training error of real runs grouped by train ratio; the table is the logs' mean and SE" {
	local D="$BATS_FILE_TMPDIR"
	mkdir "$TMP/out"
	run imb-plot curves --group train_ratio --tsv "$TMP/out/c.tsv" -o "$TMP/out/c.png" --svg \
		"$D"/run-0.1-*.imb "$D"/run-0.5-*.imb
	assert_success
	is_png "$TMP/out/c.png"
	is_svg "$TMP/out/c.svg"
	only_files "$TMP/out" "c.png c.svg c.tsv "
	# 2 groups x 2 classes x 3 epochs, each the mean of 2 runs
	run curves_oracle error train_ratio "$TMP/out/c.tsv" "$D"/run-0.1-*.imb "$D"/run-0.5-*.imb
	assert_success
	assert_output "ok 12"
	[ "$(tsvcol n_runs < "$TMP/out/c.tsv" | sort -u)" = 2 ]
	# a line per group and class; the legend names the minority class and its samples
	grep -q '<title>train_ratio=0.1: Shirt (minority, n = 27)</title>' "$TMP/out/c.svg"
	grep -q '<title>train_ratio=0.1: T-shirt/top (majority, n = 273)</title>' "$TMP/out/c.svg"
	grep -q '<title>train_ratio=0.5: Shirt (minority, n = 100)</title>' "$TMP/out/c.svg"
	[ "$(grep -o '<title>train_ratio=[^<]*</title>' "$TMP/out/c.svg" | sort -u | wc -l)" = 4 ]
	grep -q 'Training error per class by epoch, grouped by train_ratio' "$TMP/out/c.svg"
	grep -q 'mean over 2 runs, bars +-1 SE' "$TMP/out/c.svg"
}

@test "curves: all runs averaged without --group; loss; --where on the split; a stream of several runs; -o FILE.tsv alone" {
	local D="$BATS_FILE_TMPDIR"
	run imb-plot curves --metric acc -o "$TMP/all.tsv" "$D"/run-0.*.imb
	assert_success
	run curves_oracle acc - "$TMP/all.tsv" "$D"/run-0.*.imb
	assert_success
	assert_output "ok 6"
	[ "$(tsvcol n_runs < "$TMP/all.tsv" | sort -u)" = 4 ]
	# the runs of one ratio, from one stream holding both and from stdin
	cat "$D"/run-0.5-1.imb "$D"/run-0.5-2.imb > "$TMP/both.imb"
	run imb-plot curves --metric loss --where train_ratio=0.50 --where classes=0,6 \
		--tsv "$TMP/loss.tsv" -o "$TMP/loss.svg" - "$D/run-0.1-1.imb" < "$TMP/both.imb"
	assert_success
	run curves_oracle loss - "$TMP/loss.tsv" "$D"/run-0.5-*.imb
	assert_success
	assert_output "ok 6"
	grep -q '<title>Shirt (minority, n = 100)</title>' "$TMP/loss.svg"
	grep -q 'training loss' "$TMP/loss.svg"
	# a single run: no standard error
	run imb-plot curves -o "$TMP/one.tsv" "$D/run-0.1-1.imb"
	assert_success
	[ "$(tsvcol error_se < "$TMP/one.tsv" | sort -u)" = NA ]
	[ ! -e "$TMP/all.png" ]
	[ ! -e "$TMP/one.png" ]
}

@test "curves: class names from the model frame, else a dataset frame, else the indices" {
	local D="$BATS_FILE_TMPDIR"
	# the stream without its model frame, the test frame's classes renamed; then the log alone
	$PY -c '
import sys, msgpack
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
with open(sys.argv[2], "wb") as out:
    for f in fs:
        if f["kind"] == "dataset":
            f["attrs"]["classes"] = ["tee", "shirt"]
        if f["kind"] != "model":
            out.write(msgpack.packb(f, use_bin_type=True))
with open(sys.argv[3], "wb") as out:
    out.write(msgpack.packb([f for f in fs if f["kind"] == "log"][0], use_bin_type=True))
' "$D/run-0.1-1.imb" "$TMP/nomodel.imb" "$TMP/logonly.imb"
	run imb-plot curves -o "$TMP/a.tsv" "$TMP/nomodel.imb"
	assert_success
	[ "$(tsvcol class_name < "$TMP/a.tsv" | sort -u | tr '\n' ' ')" = "shirt tee " ]
	run imb-plot curves -o "$TMP/b.svg" "$TMP/logonly.imb"
	assert_success
	grep -q '<title>1 (minority, n = 27)</title>' "$TMP/b.svg"
	grep -q '<title>0 (majority, n = 273)</title>' "$TMP/b.svg"
}

@test "curves: runs of other epochs, a missing key, no logs, nothing left by the filters: exit 1, nothing written" {
	local D="$BATS_FILE_TMPDIR"
	mkdir "$TMP/out"
	run imb-plot curves --tsv "$TMP/out/t.tsv" -o "$TMP/out/c.png" "$D/run-0.1-1.imb" \
		"$D/run-4epochs.imb"
	assert_failure 1
	assert_output --partial "run-4epochs.imb: frame 2 (log 'train') 4 (1 to 4)"
	assert_output --partial "runs averaged together must have the same epochs"
	# grouped apart by seed, they draw
	run imb-plot curves --group seed -o "$TMP/out/s.tsv" "$D/run-0.1-1.imb" "$D/run-4epochs.imb"
	assert_success
	[ "$(tsvcol seed < "$TMP/out/s.tsv" | sort -u | tr '\n' ' ')" = "1 3 " ]
	rm "$TMP/out/s.tsv"
	run imb-plot curves --group train_ratio,nokey -o "$TMP/out/c.png" "$D/run-0.1-1.imb"
	assert_failure 1
	assert_output --partial "attrs.split has no 'nokey' to group by (its keys: classes,"
	run imb-plot curves -o "$TMP/out/c.png" "$BATS_FILE_TMPDIR/metrics.imb"
	assert_failure 1
	assert_output --partial "no log frames in the input"
	run imb-plot curves --where train_ratio=0.3 -o "$TMP/out/c.png" "$D/run-0.1-1.imb"
	assert_failure 1
	assert_output --partial "passes --where train_ratio=0.3"
	# gnuplot failing: neither the picture nor the table
	IMB_GNUPLOT=false run imb-plot curves --tsv "$TMP/out/t.tsv" -o "$TMP/out/c.png" \
		"$D/run-0.1-1.imb"
	assert_failure 1
	only_files "$TMP/out" ""
	# usage errors
	run imb-plot curves --metric f1 -o "$TMP/out/c.png" "$D/run-0.1-1.imb"
	assert_failure 2
	assert_output --partial "--metric: 'f1' is not error, acc or loss"
	run imb-plot curves --where train_ratio -o "$TMP/out/c.png" "$D/run-0.1-1.imb"
	assert_failure 2
	assert_output --partial "is not KEY=VALUE"
	run imb-plot curves --svg -o "$TMP/out/c.tsv" "$D/run-0.1-1.imb"
	assert_failure 2
	run imb-plot curves --x epoch -o "$TMP/out/c.png" "$D/run-0.1-1.imb"
	assert_failure 2
	assert_output --partial "curves takes no --x"
	only_files "$TMP/out" ""
}

# a table of three methods at two train ratios (focal loss at one only)
bars_tsv() {
	printf 'method\ttrain_ratio\tbalanced_accuracy_mean\tbalanced_accuracy_se\tn\n'
	printf 'erm\t0.01\t0.61\t0.02\t3\nerm\t0.1\t0.72\t0.01\t3\nsam\t0.01\t0.66\t0.03\t3\n'
	printf 'sam\t0.1\t0.75\t0.02\t3\nfocal loss\t0.01\t0.64\t0.01\t3\n'
}

# the bars of one colour in an SVG, left to right: their heights
bar_heights() {
	$PY -c '
import re, sys
svg = open(sys.argv[1]).read()
boxes = []
for m in re.finditer(r"<polygon fill = .rgb\(\s*%s\)[^>]*points = .([^\x27]*)" % sys.argv[2].replace(",", r",\s*"), svg):
    pts = [tuple(map(float, p.split(","))) for p in m.group(1).split()]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    boxes.append((min(xs), max(ys), max(ys) - min(ys)))
base = max(b[1] for b in boxes)   # the axis; the legend sample sits elsewhere
print(" ".join("%.4f" % (b[2] / max(c[2] for c in boxes if c[1] == base))
               for b in sorted(boxes) if b[1] == base))
' "$@"
}

@test "bars: a cluster per method, a bar per train ratio, heights as the table's means" {
	bars_tsv > "$TMP/b.tsv"
	run imb-plot bars --x method --y balanced_accuracy --group train_ratio -o "$TMP/b.png" --svg \
		< "$TMP/b.tsv"
	assert_success
	is_png "$TMP/b.png"
	is_svg "$TMP/b.svg"
	for t in erm sam 'focal loss' 0.01 0.1 train_ratio 'Balanced accuracy by method' \
		'balanced accuracy (mean, error bars +-1 SE)'; do
		grep -q "<text>$t</text>" "$TMP/b.svg"
	done
	# the blue bars (train ratio 0.01) in file order: 0.61, 0.66, 0.64 over the largest
	run bar_heights "$TMP/b.svg" "31,119,180"
	assert_output "$($PY -c 'print(" ".join("%.4f" % (v / 0.66) for v in (0.61, 0.66, 0.64)))')"
	# the red ones (0.1): focal loss has none
	run bar_heights "$TMP/b.svg" "214,39,40"
	assert_output "$($PY -c 'print(" ".join("%.4f" % (v / 0.75) for v in (0.72, 0.75)))')"
	# filtered to one ratio, a plain column
	run imb-plot bars -q --x method --y n --where train_ratio=0.10 -o "$TMP/n.svg" "$TMP/b.tsv"
	assert_success
	grep -q '<text>sam</text>' "$TMP/n.svg"
	run grep -c '<text>focal loss</text>' "$TMP/n.svg"
	assert_output 0
}

@test "bars: two rows for one bar, an unknown column, a stream: exit 1, no picture" {
	bars_tsv > "$TMP/b.tsv"
	mkdir "$TMP/out"
	run imb-plot bars --x method --y balanced_accuracy -o "$TMP/out/b.png" "$TMP/b.tsv"
	assert_failure 1
	assert_output --partial "rows 1 and 2 give the same bar (method = 'erm')"
	run imb-plot bars --x method --y accuracy -o "$TMP/out/b.png" "$TMP/b.tsv"
	assert_failure 1
	assert_output --partial "no column 'accuracy' (the columns: method, train_ratio, balanced_accuracy_mean,"
	run imb-plot bars --x method --y n -o "$TMP/out/b.png" "$BATS_FILE_TMPDIR/metrics.imb"
	assert_failure 1
	assert_output --partial "bars reads a TSV table; the input is a stream of frames"
	run imb-plot bars --x method -o "$TMP/out/b.png" "$TMP/b.tsv"
	assert_failure 2
	assert_output --partial "bars needs --x COL and --y COL"
	only_files "$TMP/out" ""
}

# a long table over a log-spaced grid of ratios, rows in no order, two
# models; mlp's best train ratio per test ratio is known, with a tie at
# test ratio 1 and no cell at (test 0.01, train 1)
heat_tsv() {
	$PY -c '
import random
r = [0.01, 0.0316227766, 0.1, 0.316227766, 1.0]
best = {0.01: 0.0316227766, 0.0316227766: 0.0316227766, 0.1: 0.316227766, 0.316227766: 1.0, 1.0: 0.1}
rows = []
for te in r:
    for tr in r:
        if (te, tr) == (0.01, 1.0):
            continue
        z = 0.9 if best[te] == tr else 0.5 + 0.01 * r.index(tr)
        if (te, tr) == (1.0, 1.0):
            z = 0.9    # the tie: the first in y order (0.1) is marked
        rows.append("%r\t%r\tmlp\t%.4f\t0.01" % (te, tr, z))
        rows.append("%r\t%r\tsvm\t%.4f\t0.01" % (te, tr, 1 - z))
random.Random(1).shuffle(rows)
print("test_ratio\ttrain_ratio\tmodel\tbalanced_accuracy_mean\tbalanced_accuracy_se")
print("\n".join(rows))
'
}

@test "heatmap: sorted log-spaced axes, value labels, the best train ratio of each test ratio marked" {
	heat_tsv > "$TMP/h.tsv"
	run imb-plot heatmap --x test_ratio --y train_ratio --z balanced_accuracy --where model=mlp \
		--mark max --labels --tsv "$TMP/cells.tsv" -o "$TMP/h.png" --svg < "$TMP/h.tsv"
	assert_success
	is_png "$TMP/h.png"
	is_svg "$TMP/h.svg"
	# the marked cells: the largest z of each test ratio column, the first on a tie
	run awk -F '\t' 'NR > 1 && $4 == 1 { print $1 " " $2 }' "$TMP/cells.tsv"
	assert_output "0.01 0.0316227766
0.0316227766 0.0316227766
0.1 0.316227766
0.316227766 1.0
1.0 0.1"
	# 24 cells (the missing one blank), sorted by value on both axes
	[ "$(sed 1d "$TMP/cells.tsv" | wc -l)" = 24 ]
	[ "$(head -1 "$TMP/cells.tsv")" = "$(printf 'test_ratio\ttrain_ratio\tbalanced_accuracy_mean\tmarked')" ]
	[ "$(sed 1d "$TMP/cells.tsv" | cut -f1 | uniq | tr '\n' ' ')" = "0.01 0.0316227766 0.1 0.316227766 1.0 " ]
	# ticks with the values, cells with 3 decimals, the colour bar and the marks named
	for t in 0.0316 0.316 0.900 0.540 'balanced accuracy' \
		'largest balanced accuracy in each test ratio column' \
		'test ratio: minority / majority count' 'train ratio: minority / majority count'; do
		grep -q "<text>$t</text>" "$TMP/h.svg"
	done
	# the smallest instead, without labels: the svm's best cells are mlp's worst
	run imb-plot heatmap -q --x test_ratio --y train_ratio --z balanced_accuracy_mean \
		--where model=svm --mark min --tsv - -o "$TMP/m.svg" "$TMP/h.tsv"
	assert_success
	assert_line --index 1 --partial "0.01	0.01	"
	[ "$(echo "$output" | awk -F '\t' '$4 == 1 { print $1 " " $2 }' | tr '\n' ',')" = \
		"0.01 0.0316227766,0.0316227766 0.0316227766,0.1 0.316227766,0.316227766 1.0,1.0 0.1," ]
	run grep -c '<text>0.900</text>' "$TMP/m.svg"
	assert_output 0
}

@test "heatmap: two rows for one cell, a z that is not a number, missing flags: clear errors, no picture" {
	heat_tsv > "$TMP/h.tsv"
	mkdir "$TMP/out"
	run imb-plot heatmap --x test_ratio --y train_ratio --z balanced_accuracy \
		--tsv "$TMP/out/c.tsv" -o "$TMP/out/h.png" "$TMP/h.tsv"
	assert_failure 1
	assert_output --partial "give the same cell (test_ratio = '"
	assert_output --partial "one row per cell"
	printf 'a\tb\tz\n1\t2\tmany\n' > "$TMP/bad.tsv"
	run imb-plot heatmap --x a --y b --z z -o "$TMP/out/h.png" "$TMP/bad.tsv"
	assert_failure 1
	assert_output --partial "z = 'many': not a number"
	run imb-plot heatmap --x a --y b --z zz -o "$TMP/out/h.png" "$TMP/bad.tsv"
	assert_failure 1
	assert_output --partial "z: no column 'zz' (the columns: a, b, z)"
	run imb-plot heatmap --x a --y b --z z --where a=7 -o "$TMP/out/h.png" "$TMP/bad.tsv"
	assert_failure 1
	assert_output --partial "no rows with a number in 'z' that pass the filters"
	run imb-plot heatmap --x a --y b -o "$TMP/out/h.png" "$TMP/bad.tsv"
	assert_failure 2
	assert_output --partial "heatmap needs --x COL, --y COL and --z COL"
	run imb-plot heatmap --x a --y b --z z --mark best -o "$TMP/out/h.png" "$TMP/bad.tsv"
	assert_failure 2
	assert_output --partial "--mark: 'best' is not max or min"
	run imb-plot heatmap --x a --y b --z z --group a -o "$TMP/out/h.png" "$TMP/bad.tsv"
	assert_failure 2
	assert_output --partial "heatmap takes no --group"
	only_files "$TMP/out" ""
}
