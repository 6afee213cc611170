#!/bin/sh
# cuda-pack.sh DIR: what a GPU machine without this project's build
# dependencies needs to run the GPU tests and benchmark (a lent machine
# with CUDA and PyTorch but no package registry), in DIR: the tools
# (stripped), the GPU unit tests, bench's nn_bench, the shared libraries
# they link (OpenBLAS, msgpack-c, XGBoost, LIBSVM, ...) except the C and
# C++ runtimes and CUDA's own, and Bats; and DIR.tar.xz of it all (about
# 20 MB: a lent machine takes 64 MiB a call). Build first (make all
# build/tests/test_nn_backend build/tests/test_nn_cuda
# build/tests/test_nn_graph build/tests/test_nn_ntxent
# build/tests/test_laplace; BUILD and BIN name
# another build dir). There:
#   tar xJf DIR.tar.xz; . scripts/cuda-env.sh DIR; sh scripts/cuda-test.sh DIR
set -eu
dir=${1:?usage: cuda-pack.sh DIR}
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
mkdir -p "$dir/bin" "$dir/tests" "$dir/lib" "$dir/bats/lib" "$dir/bats/libexec"
for f in "$BIN"/imb-*; do strip -o "$dir/bin/$(basename "$f")" "$f"; done
for t in test_nn_backend test_nn_cuda test_nn_graph test_nn_ntxent test_laplace; do strip -o "$dir/tests/$t" "$BUILD/tests/$t"; done
${CC:-cc} -O2 -D_GNU_SOURCE -Ilib -o "$dir/bin/nn_bench" bench/nn_bench.c "$BUILD/libimb.a" \
	$(make -s --no-print-directory ldlibs)
for f in "$dir"/bin/* "$dir"/tests/*; do ldd "$f"; done |
awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | while read -r lib; do
	case $(basename "$lib") in
	libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libstdc++.so*|libgcc_s.so*) ;;
	libcublas*|libcudnn*|libcudart*|libcuda.so*|libnvrtc*|libnvJitLink*) ;;
	*) cp -L "$lib" "$dir/lib/" ;;
	esac
done
cp /usr/bin/bats "$dir/bats/"
cp -r /usr/lib/bats /usr/lib/bats-core "$dir/bats/lib/"
cp -r /usr/libexec/bats-core "$dir/bats/libexec/"
tar cJf "$dir.tar.xz" -C "$(dirname "$dir")" "$(basename "$dir")"
du -sh "$dir" "$dir.tar.xz"
