#!/usr/bin/env bats
# The engine against PyTorch: tests/nn_torch_ref.py dumps inputs, weights,
# outputs and gradients of conv2d, linear, batch norm (train and eval),
# pooling, three losses, a small residual net, resnet20 and mlp:64,64
# (logits, loss, every parameter gradient, BN running statistics) and one
# SGD step; the unit test binary test_nn_layers, given that directory,
# recomputes them and compares (1e-4 relative). test_nn_model does the same
# for networks with heads of several layers (resnet8+mlp:32,
# mlp:16,16+mlp:8,6) and linear, with their features and last linear
# inputs. They live in the build tree: IMB_UNIT names its
# directory, else $(dirname $IMB_BIN)/tests (BUILD=build/x BIN=build/x/bin) or
# build/tests (the default layout).

load helpers

@test "layers, losses, resnet20 and an MLP (gradients, BN stats, an SGD step) match PyTorch" {
	need_torch
	find_unit
	run $PY "$ROOT/tests/nn_torch_ref.py" "$TMP"
	assert_success
	[ -s "$TMP/net.grads.f32" ]
	run "$UNIT" "$TMP"
	assert_success
	assert_output --partial "parameters after one SGD step"
	assert_output --partial "resnet20: resnet20 on 8 inputs"
	assert_output --partial "mlp: mlp:64,64"
	refute_output --partial "FAIL"
	assert_output --partial "0 failed"
}

@test "networks with multi-layer heads and linear (features, last linear input, gradients) match PyTorch" {
	need_torch
	find_unit test_nn_model
	run $PY "$ROOT/tests/nn_torch_ref.py" "$TMP"
	assert_success
	[ -s "$TMP/rn8head.last.f32" ]
	run "$UNIT" "$TMP"
	assert_success
	assert_output --partial "rn8head: resnet8+mlp:32 on 4 inputs"
	assert_output --partial "mlphead: mlp:16,16+mlp:8,6"
	assert_output --partial "linear: linear on 10 inputs"
	assert_output --partial "last linear layer's input"
	refute_output --partial "FAIL"
	assert_output --partial "0 failed"
	# a perturbed dump fails it
	$PY -c 'import numpy as np, sys; p = sys.argv[1] + "/mlphead.last.f32"; a = np.fromfile(p, "<f4"); (a * 1.001).astype("<f4").tofile(p)' "$TMP"
	run "$UNIT" "$TMP"
	assert_failure
	assert_output --partial "FAIL mlphead last linear layer's input vs PyTorch"
}

@test "a perturbed reference dump fails the comparison" {
	need_torch
	find_unit
	$PY "$ROOT/tests/nn_torch_ref.py" "$TMP"
	# scale one conv gradient by 1.001: far above the 1e-4 tolerance
	$PY -c 'import numpy as np, sys; p = sys.argv[1] + "/conv1.dw.f32"; a = np.fromfile(p, "<f4"); (a * 1.001).astype("<f4").tofile(p)' "$TMP"
	run "$UNIT" "$TMP"
	assert_failure
	assert_output --partial "FAIL dw vs PyTorch"
}

@test "a missing or truncated dump is an error, not a pass" {
	find_unit
	run "$UNIT" "$TMP"
	assert_failure
	assert_output --partial "cannot open"
	need_torch
	$PY "$ROOT/tests/nn_torch_ref.py" "$TMP"
	head -c 8 "$TMP/lin.w.f32" > "$TMP/short" && mv "$TMP/short" "$TMP/lin.w.f32"
	run "$UNIT" "$TMP"
	assert_failure
	assert_output --partial "wrong size"
}
