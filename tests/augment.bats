#!/usr/bin/env bats
# SimCLR's augmentations against torchvision: tests/augment_torch_ref.py
# dumps images, fixed draws and torchvision.transforms.functional's
# outputs (resized_crop with antialias, adjust_brightness, _contrast,
# _saturation and _hue in each of the 24 orders, rgb_to_grayscale); the
# unit test binary test_nn_data, given that directory, runs the engine's
# resized_crop, color_jitter and grayscale ops on every backend that
# starts and compares (1e-6 of the [0, 1] range for the crop and the
# grayscale, 1e-5 for the jitter: test_nn_data.c says why). Skipped
# without python3-torch and python3-torchvision. The binary lives in the
# build tree: IMB_UNIT names its directory, else
# $(dirname $IMB_BIN)/tests or build/tests.

load helpers

need_torchvision() {
	need_torch
	$PY -c 'import torchvision' 2>/dev/null || skip "no python3-torchvision"
}

@test "resized crop, colour jitter and grayscale match torchvision" {
	need_torchvision
	find_unit test_nn_data
	run $PY "$ROOT/tests/augment_torch_ref.py" "$TMP"
	assert_success
	[ -s "$TMP/cj.out.f32" ]
	run "$UNIT" "$TMP"
	assert_success
	assert_output --partial "cpu  rc    resized_crop"
	assert_output --partial "cpu  cj    color_jitter"
	assert_output --partial "cpu  hue   color_jitter"
	assert_output --partial "cpu  gray  grayscale"
	refute_output --partial "FAIL"
	assert_output --partial "0 failed"
}

@test "a perturbed torchvision dump fails the comparison" {
	need_torchvision
	find_unit test_nn_data
	$PY "$ROOT/tests/augment_torch_ref.py" "$TMP"
	# one hue output off by 1e-4: ten times the jitter's tolerance
	$PY -c 'import numpy as np, sys; p = sys.argv[1] + "/hue.out.f32"; a = np.fromfile(p, "<f4"); a[100] += 1e-4; a.tofile(p)' "$TMP"
	run "$UNIT" "$TMP"
	assert_failure
	assert_output --partial "FAIL cpu hue vs torchvision"
	refute_output --partial "FAIL cpu cj"
}

@test "a missing or truncated torchvision dump is an error, not a pass" {
	find_unit test_nn_data
	run "$UNIT" "$TMP"
	assert_failure
	assert_output --partial "cannot open"
	need_torchvision
	$PY "$ROOT/tests/augment_torch_ref.py" "$TMP"
	head -c 8 "$TMP/rc.draw.f32" > "$TMP/short" && mv "$TMP/short" "$TMP/rc.draw.f32"
	run "$UNIT" "$TMP"
	assert_failure
	assert_output --partial "wrong size"
}
