#!/bin/sh
# cuda-libs.sh DIR: copy the shared libraries that the tools and tests
# link (OpenBLAS, msgpack-c, XGBoost, LIBSVM, ...) into DIR, for a GPU
# machine that has CUDA but not these (a lent machine with no package
# registry). The C and C++ runtimes and CUDA's own libraries are left
# out: the GPU machine has its own. There, put DIR and the directories
# of libcublas and libcudnn on LD_LIBRARY_PATH (scripts/cuda-env.sh).
set -eu
dir=${1:?usage: cuda-libs.sh DIR}
mkdir -p "$dir"
for f in bin/imb-* build/tests/test_*; do
	[ -x "$f" ] && ldd "$f"
done | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | while read -r lib; do
	case $(basename "$lib") in
	libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libstdc++.so*|libgcc_s.so*) ;;
	libcublas*|libcudnn*|libcudart*|libcuda.so*|libnvrtc*|libnvJitLink*) ;;
	# libarchive's XML and Unicode support (30 MB): imb-import's archives
	# of images need neither, and a GPU machine rarely imports
	libxml2.so*|libicu*) ;;
	*) cp -L "$lib" "$dir/" ;;
	esac
done
du -sh "$dir"
