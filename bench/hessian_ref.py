"""PyHessian-style top eigenvalues in PyTorch (Debian python3-torch) for
bench/hessian.sh: power iteration with deflation (Yao et al. 2020,
PyHessian's hessian.eigenvalues: per eigenvalue, iterate v <- Hv/|Hv|
orthogonalised against the eigenvectors found, until the Rayleigh
quotient changes by less than tol relative, at most max_iter products),
Hessian-vector products by double backward, float32, eval-mode BN, the
network and samples of an imb stream (tests/hessian_ref.py reads it).

usage: hessian_ref.py STREAM K [N] [--lanczos STEPS] [--double]
prints one eigenvalue per line, then 'hvps H seconds S' on stderr.
--lanczos runs Lanczos with full reorthogonalisation instead (with
--double in float64: the accuracy reference)."""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import hessian_ref  # noqa: E402


def power_top(hvp, P, k, max_iter=100, tol=1e-3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    eigs, vecs, count = [], [], 0
    for _ in range(k):
        v = torch.randn(P, generator=gen)
        v /= v.norm()
        ev = None
        for _ in range(max_iter):
            for u in vecs:
                v = v - (v @ u) * u
            v /= v.norm()
            hv = hvp(v)
            count += 1
            tmp = float(hv @ v)
            v = hv / hv.norm()
            if ev is not None and abs(ev - tmp) / (abs(ev) + 1e-6) < tol:
                ev = tmp
                break
            ev = tmp
        eigs.append(ev)
        vecs.append(v)
    return eigs, count


def main():
    args = sys.argv[1:]
    lanczos = double = None
    if "--lanczos" in args:
        i = args.index("--lanczos")
        lanczos = int(args[i + 1])
        del args[i:i + 2]
    if "--double" in args:
        double = True
        args.remove("--double")
    path, k = args[0], int(args[1])
    n = int(args[2]) if len(args) > 2 else None
    torch.set_num_threads(int(os.environ.get("THREADS", str(os.cpu_count()))))
    dt = torch.float64 if double else torch.float32
    net, x, y = hessian_ref.setup(path, n, dt)
    hvp0, P = hessian_ref.hvp_fn(net, x, y, batch=int(os.environ.get("BATCH", "128")))
    count = [0]

    def hvp(v):
        count[0] += 1
        return hvp0(v)
    t = time.time()
    if lanczos:
        eigs = hessian_ref.lanczos_top(hvp, P, k, lanczos, dtype=dt)
    else:
        eigs, _ = power_top(hvp, P, k)
    t = time.time() - t
    for e in eigs:
        print("%.9g" % e)
    print("hvps %d seconds %.3f" % (count[0], t), file=sys.stderr)


if __name__ == "__main__":
    main()
