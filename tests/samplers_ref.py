#!/usr/bin/python3
"""The oracle of tests/samplers_over.bats: imbalanced-learn 0.10's ADASYN,
Borderline-SMOTE and SMOTE-NC on the train frame imb-oversample read, and
what of their output is deterministic, against imb-oversample's output.

    samplers_ref.py table COUNTS D SEP SEED
        a train frame (f32): Gaussian classes of COUNTS (comma list) rows in
        D dimensions, class c centred at SEP * c, on stdout
    samplers_ref.py csv N_MAJ N_MIN SEED
        a CSV table: three numeric columns, two categorical (color, shape)
        whose frequencies depend on the class, and the label, on stdout
    samplers_ref.py check METHOD SRC OUT [K [M [RATIO]]]
        compare OUT (imb-oversample --method METHOD on SRC) with imblearn on
        SRC, one line per check (see each method below)

Random draws differ from imblearn's, so the checks are: the number of new
samples per class, which samples seed (Borderline's danger samples,
ADASYN's per-sample counts g_i), that every new sample lies on a segment
from its seed to one of the seed's k nearest neighbours as imblearn finds
them (sklearn's NearestNeighbors), the steps' range and the new samples'
mean against imblearn's. Run with /usr/bin/python3 (Debian's numpy,
msgpack, sklearn, imblearn)."""
import sys

import msgpack
import numpy as np

DT = {"f32": np.float32, "f64": np.float64, "u8": np.uint8, "i32": np.int32}


def train(path):
    with open(path, "rb") as fh:
        for f in msgpack.Unpacker(fh, raw=False, max_bin_len=2**32 - 1):
            if f["kind"] == "dataset" and f.get("name") == "train":
                x, y = f["tensors"]["x"], f["tensors"]["y"]
                n = x["shape"][0]
                return (np.frombuffer(x["data"], DT[x["dtype"]]).reshape(n, -1),
                        np.frombuffer(y["data"], np.int32), f["attrs"])
    sys.exit("samplers_ref.py: no train frame in " + path)


def frame(name, x, y, classes):
    n, d = x.shape
    attrs = {"classes": classes, "counts": np.bincount(y, minlength=len(classes)).tolist(),
             "n": n, "source": "samplers-ref"}
    t = {"x": {"dtype": "f32", "shape": [n, d], "data": x.astype("<f4").tobytes()},
         "y": {"dtype": "i32", "shape": [n], "data": y.astype("<i4").tobytes()}}
    return msgpack.packb({"imb": 1, "kind": "dataset", "name": name, "attrs": attrs,
                          "tensors": t}, use_bin_type=True)


def table(counts, d, sep, seed):
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.full(c, k, np.int32) for k, c in enumerate(counts)])
    rng.shuffle(y)
    x = rng.standard_normal((len(y), d)) + sep * y[:, None]
    sys.stdout.buffer.write(frame("train", x, y, ["c%d" % k for k in range(len(counts))]))


def csv(nmaj, nmin, seed):
    rng = np.random.default_rng(seed)
    colors, shapes = ["red", "green", "blue"], ["box", "ball", "cone", "disc"]
    print("a,b,c,color,shape,label")
    y = np.array([0] * nmaj + [1] * nmin)
    rng.shuffle(y)
    for c in y:
        a, b, cc = rng.standard_normal(3) * [1.0, 2.0, 0.5] + c * 1.0
        col = rng.choice(colors, p=[0.6, 0.3, 0.1] if c == 0 else [0.2, 0.3, 0.5])
        shp = rng.choice(shapes, p=[0.4, 0.3, 0.2, 0.1] if c == 0 else [0.1, 0.2, 0.3, 0.4])
        print("%.5f,%.5f,%.5f,%s,%s,%s" % (a, b, cc, col, shp, ["no", "yes"][c]))


def on_segment(z, a, b, tol, umax):
    """for each pair i, whether z = a[i] + u (b[i] - a[i]) within tol (plus
    f32's rounding of values as large as a and b) for some u in [0, umax];
    and that u (least squares)"""
    tol = tol + 4e-7 * np.maximum(np.abs(a), np.abs(b))
    ab = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        u1 = (z - tol - a) / ab
        u2 = (z + tol - a) / ab
        u = ((z - a) * ab).sum(1) / (ab * ab).sum(1)
    flat = ab == 0
    near = np.abs(z - a) <= tol
    lo = np.where(flat, -np.inf, np.minimum(u1, u2)).max(1)
    hi = np.where(flat, np.inf, np.maximum(u1, u2)).min(1)
    return (np.maximum(lo, 0) <= np.minimum(hi, umax)) & (near | ~flat).all(1), u


def knn(fit, query, k, self_first):
    from sklearn.neighbors import NearestNeighbors
    nn = NearestNeighbors(n_neighbors=k + self_first).fit(fit)
    return nn.kneighbors(query, return_distance=False)[:, self_first:]


def strategy(y, ratio):
    return ratio if len(set(y.tolist())) == 2 else "auto"


def new_rows(x, y, ox, oy, c):
    n = len(y)
    return ox[n:][oy[n:] == c].astype(np.float64)


def mean_close(ours, theirs):
    """the new samples' means within 4 standard errors of imblearn's"""
    if len(ours) < 2 or len(theirs) < 2:
        return True
    se = np.sqrt(ours.var(0) / len(ours) + theirs.var(0) / len(theirs)) + 1e-9
    return bool((np.abs(ours.mean(0) - theirs.mean(0)) <= 4 * se).all())


def common(x, y, ox, oy, rx, ry):
    n = len(y)
    k = int(max(y.max(), oy.max(), ry.max())) + 1
    print("counts", np.bincount(oy, minlength=k).tolist(), "imblearn",
          np.bincount(ry, minlength=k).tolist())
    print("kept", bool(np.array_equal(ox[:n], x) and np.array_equal(oy[:n], y)))


def check_adasyn(x, y, attrs, ox, oy, k, m, ratio):
    """ADASYN: g_i per sample as imblearn computes it; new rows in seed
    order (imblearn's np.repeat), each on a segment from its seed"""
    from imblearn.over_sampling import ADASYN
    s = ADASYN(sampling_strategy=strategy(y, ratio), n_neighbors=k, random_state=0)
    rx, ry = s.fit_resample(x, y)
    common(x, y, ox, oy, rx, ry)
    good = total = same_g = 0
    dist = True
    for c, need in s.sampling_strategy_.items():
        if not need:
            continue
        xc = x[y == c].astype(np.float64)
        nns = knn(x, xc, k, 1)
        r = np.sum(y[nns] != c, axis=1) / k
        g = np.rint(r / np.sum(r) * need).astype(int)
        new = new_rows(x, y, ox, oy, c)
        same_g += len(new) == g.sum()
        rows = np.repeat(np.arange(len(xc)), g)
        nn2 = knn(xc, xc, k, 1)
        for z, i in zip(new, rows):
            ok, _ = on_segment(z, np.repeat(xc[i:i + 1], k, 0), xc[nn2[i]], 1e-4, 1)
            good += bool(ok.any())
        total += len(new)
        dist &= mean_close(new, rx[len(y):][ry[len(y):] == c])
    print("g_i sums", same_g == sum(1 for v in s.sampling_strategy_.values() if v))
    print("seeded as g_i %d/%d" % (good, total))
    print("mean", dist)


def check_borderline(x, y, attrs, ox, oy, k, m, ratio, kind):
    """Borderline: the danger samples per class equal imblearn's; every new
    row on a segment from a danger sample to one of its k nearest of the
    class (u in [0, 1]) or, Borderline-2, of the other classes (u in
    [0, 0.5]), those after these; the count imblearn's rule gives"""
    from imblearn.over_sampling import BorderlineSMOTE
    s = BorderlineSMOTE(sampling_strategy=strategy(y, ratio), k_neighbors=k, m_neighbors=m,
                        kind="borderline-%d" % kind, random_state=0)
    rx, ry = s.fit_resample(x, y)
    n = len(y)
    kk = int(max(y.max(), oy.max())) + 1
    if kind == 1:
        common(x, y, ox, oy, rx, ry)
    else:
        # int(f (need + 1)) + int((1 - f) need) is need or need - 1
        print("kept", bool(np.array_equal(ox[:n], x) and np.array_equal(oy[:n], y)))
        ours, theirs = np.bincount(oy, minlength=kk), np.bincount(ry, minlength=kk)
        cnt = np.bincount(y, minlength=kk)
        ok = all(o - cnt[c] in (need, need - 1) and t - cnt[c] in (need, need - 1)
                 for c, need in s.sampling_strategy_.items()
                 for o, t in [(ours[c], theirs[c])] if need)
        print("counts need or need-1", ok)
    danger_ours = attrs["oversample"]["danger"]
    same = used_all = True
    good = total = 0
    steps1, steps2 = [], []
    order = True
    for c, need in s.sampling_strategy_.items():
        if not need:
            continue
        xc = x[y == c].astype(np.float64)
        s.nn_m_.fit(x)
        danger = np.flatnonzero(s._in_danger_noise(s.nn_m_, xc, c, y, kind="danger"))
        same &= danger_ours[c] == len(danger)
        new = new_rows(x, y, ox, oy, c)
        total += len(new)
        if not len(danger):
            continue
        nn_in = knn(xc, xc[danger], k, 1)
        xo = x[y != c].astype(np.float64)
        nn_out = knn(xo, xc[danger], k, 0) if kind == 2 else None
        used = set()
        last = 1
        for z in new:
            ok, u = on_segment(z, np.repeat(xc[danger], k, 0), xc[nn_in.reshape(-1)], 1e-4, 1)
            if ok.any():
                used.add(int(danger[np.flatnonzero(ok)[0] // k]))
                steps1.append(u[ok][0])
                order &= last == 1
                good += 1
                continue
            if kind == 2:
                ok, u = on_segment(z, np.repeat(xc[danger], k, 0), xo[nn_out.reshape(-1)], 1e-4,
                                   0.5)
                if ok.any():
                    used.add(int(danger[np.flatnonzero(ok)[0] // k]))
                    steps2.append(u[ok][0])
                    last = 2
                    good += 1
        used_all &= used == set(danger.tolist())
    print("danger", same)
    print("segment %d/%d" % (good, total))
    print("every danger sample seeds", used_all)
    print("steps", bool(steps1) and 0.35 < np.mean(steps1) < 0.65 and
          (kind == 1 or (bool(steps2) and 0.15 < np.mean(steps2) < 0.35 and order)))


def check_smote_nc(x, y, attrs, ox, oy, k, m, ratio):
    """SMOTE-NC: imblearn's median std; numeric columns on a segment from a
    sample to one of its k nearest (imblearn's encoding: one-hot columns
    times median std / 2); each categorical group one-hot, of a category
    most frequent among that sample's k neighbours"""
    from imblearn.over_sampling import SMOTENC
    feat = attrs["features"]
    groups = []
    for name, voc in attrs["categorical"].items():
        j = feat.index("%s=%s" % (name, voc[0]))
        groups.append((j, len(voc)))
    catcols = [j + t for j, w in groups for t in range(w)]
    num = [j for j in range(x.shape[1]) if j not in catcols]
    xd = np.column_stack([x[:, num]] + [x[:, j:j + w].argmax(1) for j, w in groups])
    s = SMOTENC(categorical_features=list(range(len(num), len(num) + len(groups))),
                sampling_strategy=strategy(y, ratio), k_neighbors=k, random_state=0)
    rx, ry = s.fit_resample(xd, y)
    n = len(y)
    kk = int(max(y.max(), oy.max())) + 1
    print("counts", np.bincount(oy, minlength=kk).tolist(), "imblearn",
          np.bincount(ry, minlength=kk).tolist())
    print("kept", bool(np.array_equal(ox[:n], x) and np.array_equal(oy[:n], y)))
    ms = attrs["oversample"]["median_std"]
    print("median_std", bool(np.isclose(ms, s.median_std_, rtol=1e-4)))
    xe = x.astype(np.float64).copy()
    xe[:, catcols] *= s.median_std_ / 2
    good = cat_ok = onehot = total = 0
    dist = True
    for c, need in s.sampling_strategy_.items():
        if not need:
            continue
        xc, ec = x[y == c].astype(np.float64), xe[y == c]
        nns = knn(ec, ec, k, 1)
        new = new_rows(x, y, ox, oy, c)
        total += len(new)
        a = np.repeat(xc[:, num], k, 0)
        b = xc[nns.reshape(-1)][:, num]
        for z in new:
            ok, _ = on_segment(z[num], a, b, 1e-4, 1)
            good += bool(ok.any())
            onehot += all(sorted(z[j:j + w].tolist()) == [0.0] * (w - 1) + [1.0]
                          for j, w in groups)
            seeds = set(np.flatnonzero(ok) // k)
            fits = False
            for i in seeds:
                votes = [xc[nns[i]][:, j:j + w].sum(0) for j, w in groups]
                fits |= all(votes[g][int(z[j:j + w].argmax())] == votes[g].max()
                            for g, (j, w) in enumerate(groups))
            cat_ok += fits
        dist &= mean_close(new[:, num], rx[n:][ry[n:] == c][:, :len(num)].astype(np.float64))
    print("segment %d/%d" % (good, total))
    print("one-hot %d/%d" % (onehot, total))
    print("categories are the neighbours' mode %d/%d" % (cat_ok, total))
    print("mean", dist)


def main():
    a = sys.argv[1:]
    if a and a[0] == "table":
        table([int(v) for v in a[1].split(",")], int(a[2]), float(a[3]), int(a[4]))
    elif a and a[0] == "csv":
        csv(int(a[1]), int(a[2]), int(a[3]))
    elif a and a[0] == "check":
        method, src, out = a[1:4]
        k = int(a[4]) if len(a) > 4 else 5
        m = int(a[5]) if len(a) > 5 else 10
        ratio = float(a[6]) if len(a) > 6 else 1.0
        x, y, _ = train(src)
        ox, oy, attrs = train(out)
        if method == "adasyn":
            check_adasyn(x, y, attrs, ox, oy, k, m, ratio)
        elif method in ("borderline1", "borderline2"):
            check_borderline(x, y, attrs, ox, oy, k, m, ratio, int(method[-1]))
        elif method == "smote-nc":
            check_smote_nc(x, y, attrs, ox, oy, k, m, ratio)
        else:
            sys.exit("samplers_ref.py: no check for " + method)
    else:
        sys.exit(__doc__)


main()
