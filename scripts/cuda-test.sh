#!/bin/sh
# cuda-test.sh DIR: make test-cuda's tests from the pack of
# scripts/cuda-pack.sh (after . scripts/cuda-env.sh DIR), on a GPU
# machine that cannot build.
set -u
dir=${1:-.gpu}
rc=0
"$dir/tests/test_nn_backend" || rc=1
"$dir/tests/test_nn_cuda" || rc=1
"$dir/tests/test_nn_graph" || rc=1
"$dir/tests/test_nn_ntxent" || rc=1
"$dir/tests/test_laplace" || rc=1
bats tests/cuda.bats || rc=1
exit $rc
