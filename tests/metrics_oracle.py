#!/usr/bin/python3
"""Reference values for tests/unit/test_metrics.c, from scikit-learn and
imbalanced-learn (test-only dependencies).

    metrics_oracle.py FILE

FILE holds cases:  "case K N POSITIVE HASW MAJ0 .. MAJ{K-1}", then when HASW
a line of K class weights, then N lines "y p0 .. p{K-1}". For each case one
line of numbers (%.17g, "nan" when undefined) goes to stdout:
accuracy balanced_accuracy macro_f1 gmean minority_error majority_error
log_loss auroc auprc brier brier_sk ece, then K recalls, K precisions, K f1s,
K*K confusion. brier is the multi-class Brier score summed with numpy;
brier_sk the same from sklearn's brier_score_loss: for K = 2 twice that of
the positive class (equal to brier when the rows sum to 1), for K > 2 its
sum over the classes one against the rest. ece is written here from its
definition (metrics.h), 15 bins. Exit 77 when sklearn or imblearn is
missing (the test then skips)."""
import sys
import warnings

try:
    import numpy as np
    from sklearn import metrics as skm
    from imblearn.metrics import geometric_mean_score
except ImportError:
    sys.exit(77)

warnings.simplefilter("ignore")


def nan_on_error(f):
    try:
        return float(f())
    except ValueError:
        return float("nan")


def ece(y, p, sw, bins=15):
    """Guo et al. 2017: bin b holds the confidences (max probability) in
    (e_b, e_{b+1}], e_b = b/bins rounded to float32 (the probabilities'
    precision); bin 0 also holds 0, the last bin anything above 1; the sum
    over the bins of (W_b / W) |accuracy_b - mean confidence_b|."""
    sw = np.ones(len(y)) if sw is None else sw
    conf, correct = p.max(axis=1), (p.argmax(axis=1) == y).astype(float)
    e = (np.arange(bins + 1) / bins).astype(np.float32).astype(np.float64)
    total = 0.0
    for b in range(bins):
        inb = conf <= e[b + 1] if b < bins - 1 else conf > e[b]
        if b > 0:
            inb &= conf > e[b]
        wb = sw[inb].sum()
        if wb > 0:
            total += wb * abs(np.average(correct[inb], weights=sw[inb]) -
                              np.average(conf[inb], weights=sw[inb]))
    return total / sw.sum()


def brier(k, pos, y, p, sw):
    onehot = np.eye(k)[y]
    mine = np.average(((p - onehot) ** 2).sum(axis=1), weights=sw)
    if k == 2:
        sk = 2 * skm.brier_score_loss((y == pos).astype(int), p[:, pos], sample_weight=sw)
    else:
        sk = sum(skm.brier_score_loss((y == c).astype(int), p[:, c], sample_weight=sw)
                 for c in range(k))
    return [mine, sk]


def evaluate(k, pos, w, maj, y, p):
    pred = p.argmax(axis=1)
    sw = None if w is None else w[y]
    labels = list(range(k))
    out = [skm.accuracy_score(y, pred, sample_weight=sw),
           skm.balanced_accuracy_score(y, pred, sample_weight=sw),
           skm.f1_score(y, pred, average="macro", zero_division=0, sample_weight=sw),
           geometric_mean_score(y, pred, labels=sorted(set(y.tolist())), sample_weight=sw)]
    cm = skm.confusion_matrix(y, pred, labels=labels, sample_weight=sw).astype(float)
    majm = np.array(maj, dtype=bool)
    for group in (~majm, majm):
        sup = cm[group].sum()
        out.append(1 - np.diag(cm)[group].sum() / sup if sup > 0 else float("nan"))
    out.append(skm.log_loss(y, p, sample_weight=sw, labels=labels))
    if k == 2:
        yt = (y == pos).astype(int)
        out.append(nan_on_error(lambda: skm.roc_auc_score(yt, p[:, pos], sample_weight=sw)))
        out.append(float("nan") if yt.min() == yt.max() else
                   skm.average_precision_score(yt, p[:, pos], sample_weight=sw))
    else:
        out += [float("nan")] * 2
    out += brier(k, pos, y, p, sw) + [ece(y, p, sw)]
    prf = skm.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0,
                                              sample_weight=sw)
    out += list(prf[1]) + list(prf[0]) + list(prf[2]) + list(cm.ravel())
    return out


def main():
    lines = open(sys.argv[1]).read().split("\n")
    i = 0
    while i < len(lines):
        head = lines[i].split()
        i += 1
        if not head:
            continue
        k, n, pos, hasw = int(head[1]), int(head[2]), int(head[3]), int(head[4])
        maj = [int(v) for v in head[5:5 + k]]
        w = None
        if hasw:
            w = np.array([float(v) for v in lines[i].split()])
            i += 1
        rows = [lines[i + j].split() for j in range(n)]
        i += n
        y = np.array([int(r[0]) for r in rows])
        # the C side holds float32 probabilities: use exactly those values
        p = np.array([[float(v) for v in r[1:]] for r in rows], dtype=np.float32).astype(np.float64)
        print(" ".join("%.17g" % v for v in evaluate(k, pos, w, maj, y, p)))


main()
