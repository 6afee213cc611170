#!/usr/bin/env bats
# imb-laplace: a Laplace posterior of a trained network. The documented
# pipeline runs; the last-layer GGN, marginal likelihood and probit
# predictive equal laplace-torch's formulas computed in numpy; tuning
# raises the marginal likelihood; every structure makes a posterior that
# imb-eval evaluates; sampling is seeded; bad input is a clear error with
# the right exit code and no output file.
load helpers

setup_file() {
	export FILE_TMP="$BATS_FILE_TMPDIR"
	PATH="${IMB_BIN:-$ROOT/bin}:$PATH"
	imb-import toy moons --n 1200 --ratio 0.2 --noise 0.3 --seed 1 \
		| imb-split --train-ratio 0.2 --test-ratio 1 --n-val 100 --seed 1 \
		| imb-train -q -t 1 --model mlp:16,8 --epochs 20 --seed 1 --keep-train \
		> "$FILE_TMP/moons.imb"
}

# attrs.laplace.KEY of the posterior frame in a stream on stdin
lattr() {
	/usr/bin/python3 -c '
import sys, msgpack
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    if f["kind"] == "posterior":
        print(f["attrs"]["laplace"][sys.argv[1]])' "$1"
}

@test "the documented pipeline runs and evaluates the posterior" {
	run bash -c "imb-import fashion-mnist | imb-split --classes 0,6 --train-ratio 0.05 --n-train 2000 --n-test 1000 --seed 2 | imb-train --model resnet8 --epochs 5 --sampler balanced --seed 1 --keep-train | IMB_PROGRESS= imb-laplace | imb-eval --format tsv"
	assert_success
	row=$(echo "$output" | grep -v '^imb-')
	[ "$(echo "$row" | tsvcol model)" = laplace ]
	a=$(echo "$row" | tsvcol accuracy)
	n=$(echo "$row" | tsvcol nll)
	e=$(echo "$row" | tsvcol ece)
	echo "accuracy $a, nll $n, ece $e" >&3
	awk -v a="$a" -v n="$n" -v e="$e" 'BEGIN { exit !(a > 0.5 && n > 0 && n < 2 && e >= 0 && e <= 1) }'
	assert_output --partial "last-layer kfac Laplace of 130 weights on 2000 samples"
}

@test "last-layer full GGN, log Z and probit predictive equal laplace-torch's formulas (numpy)" {
	for tune in none marglik; do
		imb-laplace -q --hessian full --tune "$tune" < "$FILE_TMP/moons.imb" > "$FILE_TMP/full.imb"
		run /usr/bin/python3 "$ROOT/tests/laplace_ref.py" "$FILE_TMP/full.imb"
		assert_success
		read -r rel lml_ours lml_ref nll_ref brier_ref <<< "$output"
		nll=$(imb-eval --format tsv < "$FILE_TMP/full.imb" | tsvcol nll)
		brier=$(imb-eval --format tsv < "$FILE_TMP/full.imb" | tsvcol brier)
		echo "tune $tune: GGN rel. diff $rel; log Z $lml_ours vs $lml_ref; NLL $nll vs $nll_ref; Brier $brier vs $brier_ref" >&3
		awk -v r="$rel" -v a="$lml_ours" -v b="$lml_ref" -v n="$nll" -v nr="$nll_ref" \
			-v br="$brier" -v brr="$brier_ref" 'function abs(x) { return x < 0 ? -x : x }
			BEGIN { exit !(r < 1e-5 && abs(a - b) < 1e-6 * abs(b) && abs(n - nr) < 1e-5 && abs(br - brr) < 1e-5) }'
	done
}

@test "the tuned prior precision has a higher marginal likelihood than the initial one" {
	for h in full kfac diag; do
		imb-laplace -q --hessian "$h" --prior-precision 100 < "$FILE_TMP/moons.imb" > "$FILE_TMP/t.imb"
		z0=$(lattr log_marglik_initial < "$FILE_TMP/t.imb")
		z=$(lattr log_marglik < "$FILE_TMP/t.imb")
		d=$(lattr prior_precision < "$FILE_TMP/t.imb")
		echo "$h: prior precision 100 -> $d, log Z $z0 -> $z" >&3
		awk -v a="$z0" -v b="$z" -v d="$d" 'BEGIN { exit !(b > a && d != 100) }'
	done
}

@test "every structure and subset gives a posterior that imb-eval evaluates like any model" {
	single=$(imb-eval --format tsv < "$FILE_TMP/moons.imb" | tsvcol nll)
	for args in "--hessian full" "--hessian kfac" "--hessian diag" "--subset all" \
	            "--hessian kfac --samples 50" "--val-frame val"; do
		run bash -c "imb-laplace -q $args < '$FILE_TMP/moons.imb' | imb-eval --on test,val --format tsv"
		assert_success
		[ "$(echo "$output" | tsvcol model | sort -u)" = laplace ]
		[ "$(echo "$output" | grep -c .)" -eq 3 ]
		# the posterior's predictive, not the network's (the validation grid
		# may pick a prior so tight that the two agree)
		nll=$(echo "$output" | awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "nll") k = i; next }
			$1 == "test" { print $k }')
		echo "$args: test NLL $nll (the network's $single)" >&3
		[ "$args" = "--val-frame val" ] || [ "$nll" != "$single" ]
	done
	# the stream's other frames pass through: train, log, test, val
	run bash -c "imb-laplace -q < '$FILE_TMP/moons.imb' | imb-info"
	assert_output --partial "posterior 'model'"
	assert_output --partial "model: laplace"
	assert_output --partial "dataset 'train'"
	assert_output --partial "log 'train'"
	assert_output --partial "dataset 'val'"
}

@test "--val-frame picks the grid's prior precision with the lowest validation NLL" {
	imb-laplace -q --val-frame val --grid -2:2:5 < "$FILE_TMP/moons.imb" > "$FILE_TMP/v.imb"
	d=$(lattr prior_precision < "$FILE_TMP/v.imb")
	v=$(lattr val_nll < "$FILE_TMP/v.imb")
	best=
	for p in 0.01 0.1 1 10 100; do
		n=$(imb-laplace -q --tune none --prior-precision "$p" < "$FILE_TMP/moons.imb" \
			| imb-eval --on val --format tsv | tsvcol nll)
		echo "prior precision $p: val NLL $n" >&3
		best=$(printf '%s\t%s\n%s' "$n" "$p" "$best" | sort -g | head -1)
	done
	echo "chosen $d (val NLL $v); best of the grid: $best" >&3
	awk -v d="$d" -v b="$(echo "$best" | cut -f2)" 'BEGIN { exit !(d / b > 0.999 && d / b < 1.001) }'
}

@test "sampled predictions are fixed by --seed and change with it" {
	a=$(imb-laplace -q --samples 20 --seed 3 < "$FILE_TMP/moons.imb" | imb-eval --format tsv | tsvcol nll)
	b=$(imb-laplace -q --samples 20 --seed 3 < "$FILE_TMP/moons.imb" | imb-eval --format tsv | tsvcol nll)
	c=$(imb-laplace -q --samples 20 --seed 4 < "$FILE_TMP/moons.imb" | imb-eval --format tsv | tsvcol nll)
	[ "$a" = "$b" ]
	[ "$a" != "$c" ]
}

@test "bad input: no network, a tabular model, no train frame, an encoder, bad flags" {
	run bash -c "imb-import toy moons --n 300 --seed 1 | imb-split --train-ratio 0.5 --seed 1 | imb-laplace"
	assert_failure 1
	assert_output --partial "no network model frame"
	run bash -c "imb-import toy moons --n 300 --seed 1 | imb-split --train-ratio 0.5 --seed 1 | imb-train --model xgboost --keep-train | imb-laplace"
	assert_failure 1
	assert_output --partial "a model of kind 'xgboost': imb-laplace needs a network"
	run bash -c "imb-import toy moons --n 300 --seed 1 | imb-split --train-ratio 0.5 --seed 1 | imb-train -q --model mlp:8 --epochs 1 | imb-laplace"
	assert_failure 1
	assert_output --partial "no dataset frame named 'train'"
	assert_output --partial "--keep-train"
	run bash -c "imb-laplace -q < '$FILE_TMP/moons.imb' | imb-laplace"
	assert_failure 1
	assert_output --partial "already a Laplace posterior"
	run imb-laplace --subset all --hessian kfac "$FILE_TMP/moons.imb"
	assert_failure 2
	assert_output --partial "diag"
	run imb-laplace --tune val "$FILE_TMP/moons.imb"
	assert_failure 2
	assert_output --partial "--val-frame"
	run imb-laplace --hessian dense "$FILE_TMP/moons.imb"
	assert_failure 2
	run imb-laplace --prior-precision -1 "$FILE_TMP/moons.imb"
	assert_failure 2
	run imb-laplace --val-frame nope -o "$FILE_TMP/out.imb" "$FILE_TMP/moons.imb"
	assert_failure 1
	assert_output --partial "no dataset frame named 'nope'"
	[ ! -e "$FILE_TMP/out.imb" ]
}

@test "an encoder is refused with how to fine-tune it" {
	run bash -c "imb-import toy moons --n 300 --seed 1 | imb-split --train-ratio 0.5 --seed 1 | imb-simclr -q --model mlp:8 --augment none --epochs 1 --batch 32 | imb-laplace"
	assert_failure 1
	assert_output --partial "imb-train --init"
}

@test "--help and the man page" {
	run imb-laplace --help
	assert_success
	assert_output --partial "--hessian"
	assert_output --partial "--prior-precision"
	grep -q '^\.SH "MARGINAL LIKELIHOOD"' "$ROOT/man/imb-laplace.1"
	grep -q '^\.SH "POSTERIOR FRAME"' "$ROOT/man/imb-laplace.1"
}
