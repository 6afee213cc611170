#!/usr/bin/python3
"""Reference values for tests/unit/test_metrics.c, from scikit-learn and
imbalanced-learn (test-only dependencies).

    metrics_oracle.py FILE

FILE holds cases:  "case K N POSITIVE HASW MAJ0 .. MAJ{K-1}", then when HASW
a line of K class weights, then N lines "y p0 .. p{K-1}". For each case one
line of numbers (%.17g, "nan" when undefined) goes to stdout:
accuracy balanced_accuracy macro_f1 gmean minority_error majority_error
log_loss auroc auprc, then K recalls, K precisions, K f1s, K*K confusion.
Exit 77 when sklearn or imblearn is missing (the test then skips)."""
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
