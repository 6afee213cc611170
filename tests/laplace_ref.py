#!/usr/bin/python3
"""The last-layer Laplace of an MLP as laplace-torch computes it, in numpy.

    laplace_ref.py STREAM

STREAM holds a train frame, a test frame and the posterior frame that
imb-laplace --subset last-layer --hessian full made of an mlp: network.
The reference follows laplace-torch's formulas (laplace/baselaplace.py,
laplace/utils: LLLaplace with a full GGN, classification likelihood):
  - the last layer's parameters in PyTorch's order, W.flatten() then b;
    its Jacobian at phi (the last hidden layer's output) J = [I_K (x)
    phi^T, I_K];
  - H = sum_n J_n^T (diag(p_n) - p_n p_n^T) J_n, the posterior precision
    H + delta I;
  - log Z = log p(D|theta) - 1/2 (logdet(H + delta I) - P log delta
    + delta |theta|^2);
  - the probit predictive: f_var = J Sigma J^T, kappa = 1 / sqrt(1 + pi/8
    diag f_var), p = softmax(kappa f_mu).
It prints tab-separated: the GGN's largest relative difference from the
one the posterior holds (its eigendecomposition, put back in PyTorch's
order), the log Z of both, and the mean test NLL and Brier score of the
reference predictive (for comparison with imb-eval's)."""
import struct, sys
import msgpack
import numpy as np


def frames(path):
    with open(path, "rb") as f:
        for fr in msgpack.Unpacker(f, raw=False):
            yield fr


def arr(t):
    dt = {"f32": "<f4", "i32": "<i4", "u8": "u1", "f64": "<f8", "i64": "<i8"}[t["dtype"]]
    return np.frombuffer(t["data"], dtype=dt).reshape(t["shape"]).astype(np.float64)


def main():
    fs = list(frames(sys.argv[1]))
    post = next(f for f in fs if f["kind"] == "posterior")
    train = next(f for f in fs if f["kind"] == "dataset" and f["name"] == "train")
    test = next(f for f in fs if f["kind"] == "dataset" and f["name"] == "test")
    a = post["attrs"]
    arch = a["arch"]
    assert arch.startswith("mlp:") and "+" not in arch, arch
    widths = [int(w) for w in arch[4:].split(",")]
    D, K = a["n_features"], a["n_classes"]
    mean = np.array(a["normalize"]["mean"]); std = np.array(a["normalize"]["std"])
    theta = arr(post["tensors"]["params"])
    # the layers in PyTorch's order: per linear, weight (out, in) then bias
    layers, at, fan = [], 0, D
    for w in widths + [K]:
        W = theta[at:at + w * fan].reshape(w, fan); at += w * fan
        b = theta[at:at + w]; at += w
        layers.append((W, b)); fan = w
    assert at == len(theta)

    def phi_of(x):
        h = (x.reshape(len(x), -1) - mean) / std
        for W, b in layers[:-1]:
            h = np.maximum(h @ W.T + b, 0)
        return h

    WL, bL = layers[-1]
    F = WL.shape[1]
    P = K * F + K

    def jac(ph):  # (K, P): [I_K (x) phi^T, I_K]
        return np.hstack([np.kron(np.eye(K), ph[None, :]), np.eye(K)])

    def softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    xtr, ytr = arr(train["tensors"]["x"]), arr(train["tensors"]["y"]).astype(int)
    if train["tensors"]["x"]["dtype"] == "u8":
        xtr = xtr / 255
    ph = phi_of(xtr)
    f = ph @ WL.T + bL
    p = softmax(f)
    loglik = np.log(p[np.arange(len(ytr)), ytr]).sum()
    H = np.zeros((P, P))
    for n in range(len(ytr)):
        J = jac(ph[n])
        L = np.diag(p[n]) - np.outer(p[n], p[n])
        H += J.T @ L @ J
    delta = a["laplace"]["prior_precision"]
    prec = H + delta * np.eye(P)
    thl = np.concatenate([WL.ravel(), bL])
    lml = loglik - 0.5 * (np.linalg.slogdet(prec)[1] - P * np.log(delta) + delta * thl @ thl)

    # ours: eigenvectors (augmented order k*(F+1)+i, i = F the bias)
    V = arr(post["tensors"]["la_vectors"]); lam = arr(post["tensors"]["la_values"])
    Ha = (V * lam) @ V.T
    perm = [k * (F + 1) + i for k in range(K) for i in range(F)] + [k * (F + 1) + F for k in range(K)]
    Ho = Ha[np.ix_(perm, perm)]
    rel = np.abs(Ho - H).max() / np.abs(H).max()

    Sigma = np.linalg.inv(prec)
    xte, yte = arr(test["tensors"]["x"]), arr(test["tensors"]["y"]).astype(int)
    if test["tensors"]["x"]["dtype"] == "u8":
        xte = xte / 255
    pt = phi_of(xte)
    fm = pt @ WL.T + bL
    probs = np.empty_like(fm)
    for n in range(len(yte)):
        J = jac(pt[n])
        fv = J @ Sigma @ J.T
        probs[n] = softmax(fm[n] / np.sqrt(1 + np.pi / 8 * np.diag(fv)))
    nll = -np.log(np.clip(probs[np.arange(len(yte)), yte], 1e-15, 1)).mean()
    onehot = np.eye(K)[yte]
    brier = ((probs - onehot) ** 2).sum(axis=1).mean()
    print("%.6g\t%.10g\t%.10g\t%.10g\t%.10g" % (rel, a["laplace"]["log_marglik"], lml, nll, brier))


if __name__ == "__main__":
    main()
