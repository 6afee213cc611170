# . scripts/cuda-env.sh DIR: PATH and LD_LIBRARY_PATH for the pack of
# scripts/cuda-pack.sh on a GPU machine: DIR's tools and libraries, then
# the directories of libcublas and libcudnn, from the CUDA toolkit or
# from PyTorch's nvidia wheels; Bats installed where the tests load it.
# A POSIX sh (dash) gives "." no arguments: there set IMB_GPU_PACK=DIR.
_d=${1:-${IMB_GPU_PACK:-.gpu}}
if [ ! -d "$_d/bin" ]; then
	echo "cuda-env.sh: no pack of scripts/cuda-pack.sh at $_d (give DIR, or IMB_GPU_PACK=DIR)" >&2
	unset _d
	return 1
fi
_d=$(cd "$_d" && pwd)
_p=$_d/lib
# PyTorch's wheels first: PyTorch refuses a cuDNN older than its own
_roots="$(python3 -c 'import nvidia; print(*nvidia.__path__)' 2>/dev/null) /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu"
for _l in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
	_f=$(find $_roots -name "$_l" 2>/dev/null | head -n 1)
	[ -n "$_f" ] && _p="$_p:$(dirname "$_f")"
done
export LD_LIBRARY_PATH="$_p${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$_d/bin:$PATH" IMB_BIN="$_d/bin" IMB_UNIT="$_d/tests" IMB_PY=python3
if [ ! -x /usr/bin/bats ] && [ -w /usr/bin ]; then
	cp "$_d/bats/bats" /usr/bin/ && cp -r "$_d/bats/lib/"* /usr/lib/ && mkdir -p /usr/libexec &&
		cp -r "$_d/bats/libexec/"* /usr/libexec/
fi
unset _d _p _roots _l _f
