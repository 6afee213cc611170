# . scripts/cuda-env.sh DIR: LD_LIBRARY_PATH for the tools on a GPU
# machine: DIR (from scripts/cuda-libs.sh), then the directories of
# libcublas and libcudnn, from the CUDA toolkit or from PyTorch's
# nvidia wheels.
_p=$(cd "${1:-.cudalibs}" 2>/dev/null && pwd)
_roots="/usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu $(python3 -c 'import nvidia; print(*nvidia.__path__)' 2>/dev/null)"
for _l in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
	_f=$(find $_roots -name "$_l" 2>/dev/null | head -n 1)
	[ -n "$_f" ] && _p="$_p:$(dirname "$_f")"
done
export LD_LIBRARY_PATH="$_p${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset _p _roots _l _f
