#!/usr/bin/python3
"""imbalanced-learn as the oracle of imb-oversample's under-samplers and
combined samplers (tests/samplers_under.bats). Run with /usr/bin/python3.

    samplers_under_ref.py make COUNTS D SEED [DTYPE]
        a train frame of Gaussian classes (COUNTS comma-separated, one
        class each, means one apart along the first axes, so classes
        overlap) and a small test frame, on stdout; rows in random order,
        every row distinct (no distance ties)
    samplers_under_ref.py check METHOD SRC OUT K RATIO
        tomek, enn, nearmiss1..3: imblearn's sampler (n_neighbors K, ratio
        as its sampling_strategy for two classes, "auto" otherwise) on
        SRC's train frame; prints
          counts <ours> imblearn <theirs>
          same <True|False>     the same set of kept rows (rows of OUT
                                found in SRC by value)
          order <True|False>    OUT keeps SRC's order
    samplers_under_ref.py combined METHOD SRC SMOTED OUT
        smote-tomek, smote-enn: imblearn's SMOTETomek / SMOTEENN cleaner
        (its fitted tomek_ / enn_, so its own sampling_strategy) applied
        to SMOTED (imb's SMOTE of SRC); prints
          smote counts <ours> imblearn <SMOTE's counts on SRC>
          counts <ours> imblearn <theirs>   after cleaning
          same <True|False>     OUT is the cleaner's kept set of SMOTED
          order <True|False>
    samplers_under_ref.py centroids SRC OUT RATIO
        cluster-centroids: prints
          counts <ours> imblearn <ClusterCentroids' counts>
          kept <True|False>     uncut classes are SRC's rows, in order
          fixed <True|False>    each centroid is the mean of the rows of
                                its class nearest to it (a k-means fixed
                                point), to 1e-4
          inertia <True|False>  within 1.15 x scikit-learn's KMeans
                                (n_init 10) on the same class
          ratio <r>             our inertia / sklearn's, per cut class
"""
import sys
from collections import Counter

import msgpack
import numpy as np

DT = {"u8": np.uint8, "f32": np.float32, "f64": np.float64, "i32": np.int32}


def train(path):
    with open(path, "rb") as fh:
        for f in msgpack.Unpacker(fh, raw=False, max_bin_len=2**31 - 1):
            if f["kind"] == "dataset" and f.get("name") == "train":
                x, y = f["tensors"]["x"], f["tensors"]["y"]
                n = x["shape"][0]
                return (np.frombuffer(x["data"], DT[x["dtype"]]).reshape(n, -1).astype(np.float64),
                        np.frombuffer(y["data"], np.int32).astype(np.int64), f["attrs"])
    sys.exit("samplers_under_ref.py: no train frame in " + path)


def frame(name, x, y, k, dtype):
    n, d = x.shape
    attrs = {"classes": ["c%d" % c for c in range(k)],
             "counts": np.bincount(y, minlength=k).tolist(), "n": n}
    t = {"x": {"dtype": dtype, "shape": [n, d], "data": x.astype(DT[dtype]).tobytes()},
         "y": {"dtype": "i32", "shape": [n], "data": y.astype("<i4").tobytes()}}
    return msgpack.packb({"imb": 1, "kind": "dataset", "name": name, "attrs": attrs,
                          "tensors": t}, use_bin_type=True)


def make(counts, d, seed, dtype="f32"):
    rng = np.random.default_rng(seed)
    counts = [int(c) for c in counts.split(",")]
    k = len(counts)
    out = sys.stdout.buffer
    for name, cs in (("train", counts), ("test", [5] * k)):
        y = np.concatenate([np.full(c, j) for j, c in enumerate(cs)]).astype(np.int32)
        rng.shuffle(y)
        mean = np.zeros((k, d))
        for j in range(k):
            mean[j, j % d] = 1.0 + j // d
        x = rng.standard_normal((len(y), d)) + mean[y]
        if dtype == "u8":
            x = np.clip(np.round(60 * x + 100), 0, 255)
        out.write(frame(name, x, y, k, dtype))


def counts(y, k):
    c = Counter(y.tolist())
    return [int(c[j]) for j in range(k)]


def index_of(x_src, x_out):
    """indices into x_src of the rows of x_out (found by value)"""
    where = {}
    for i, r in enumerate(x_src):
        where.setdefault(r.tobytes(), i)
    assert len(where) == len(x_src), "the source has duplicate rows"
    return np.array([where.get(r.tobytes(), -1) for r in x_out])


def strategy(y, ratio):
    return ratio if len(set(y.tolist())) == 2 and ratio != 1 else "auto"


def report(x, y, ox, oy, keep, k, theirs_y):
    print("counts", counts(oy, k), "imblearn", counts(theirs_y, k))
    idx = index_of(x, ox)
    print("same", bool((idx >= 0).all() and set(idx.tolist()) == set(keep.tolist())
                       and len(idx) == len(keep) and np.array_equal(y[idx], oy)))
    print("order", bool((np.diff(idx) > 0).all()))


def check(method, src, out, k, ratio):
    import imblearn.under_sampling as iu
    x, y, _ = train(src)
    ox, oy, _ = train(out)
    K = int(max(y.max(), oy.max())) + 1
    if method == "tomek":
        s = iu.TomekLinks()
    elif method == "enn":
        s = iu.EditedNearestNeighbours(n_neighbors=k)
    else:
        s = iu.NearMiss(version=int(method[-1]), n_neighbors=k, n_neighbors_ver3=3,
                        sampling_strategy=strategy(y, ratio))
    _, ry = s.fit_resample(x, y)
    report(x, y, ox, oy, s.sample_indices_, K, ry)


def combined(method, src, smoted, out):
    from imblearn.combine import SMOTEENN, SMOTETomek
    from imblearn.over_sampling import SMOTE
    from sklearn.base import clone
    x, y, _ = train(src)
    sx, sy, sattrs = train(smoted)
    ox, oy, oattrs = train(out)
    K = int(max(sy.max(), oy.max())) + 1
    os_ = oattrs["oversample"]
    ratio, k = os_["ratio"], os_["k"]
    _, ry = SMOTE(sampling_strategy=strategy(y, ratio), k_neighbors=k,
                  random_state=0).fit_resample(x, y)
    print("smote counts", counts(sy, K), "imblearn", counts(ry, K))
    comb = (SMOTETomek if method == "smote-tomek" else SMOTEENN)(random_state=0)
    comb.fit_resample(x, y)
    cleaner = clone(comb.tomek_ if method == "smote-tomek" else comb.enn_)
    _, cy = cleaner.fit_resample(sx, sy)
    report(sx, sy, ox, oy, cleaner.sample_indices_, K, cy)


def centroids(src, out, ratio):
    from imblearn.under_sampling import ClusterCentroids
    from sklearn.cluster import KMeans
    x, y, _ = train(src)
    ox, oy, _ = train(out)
    K = int(max(y.max(), oy.max())) + 1
    _, ry = ClusterCentroids(sampling_strategy=strategy(y, ratio),
                             random_state=0).fit_resample(x, y)
    print("counts", counts(oy, K), "imblearn", counts(ry, K))
    cin, cout = counts(y, K), counts(oy, K)
    uncut = [c for c in range(K) if cout[c] == cin[c]]
    m_src = np.isin(y, uncut)
    m_out = np.isin(oy, uncut)
    print("kept", bool(np.array_equal(x[m_src], ox[m_out]) and np.array_equal(y[m_src], oy[m_out])
                       and m_out[:m_out.sum()].all()))
    fixed, good, ratios = True, True, []
    for c in range(K):
        if c in uncut:
            continue
        xc, cen = x[y == c], ox[oy == c]
        d2 = ((xc[:, None, :] - cen[None, :, :]) ** 2).sum(-1)
        lab = d2.argmin(1)
        for j in range(len(cen)):
            mem = xc[lab == j]
            if len(mem) == 0 or np.abs(mem.mean(0) - cen[j]).max() > 1e-4 * (1 + np.abs(cen[j]).max()):
                fixed = False
        ours = d2.min(1).sum()
        theirs = KMeans(n_clusters=len(cen), n_init=10, random_state=0).fit(xc).inertia_
        ratios.append(ours / theirs)
        good &= ours <= 1.15 * theirs
    print("fixed", fixed)
    print("inertia", bool(good))
    print("ratio", " ".join("%.3f" % r for r in ratios))


def main():
    import warnings
    warnings.simplefilter("ignore")
    a = sys.argv[1:]
    if a and a[0] == "make":
        make(a[1], int(a[2]), int(a[3]), *a[4:5])
    elif a and a[0] == "check":
        check(a[1], a[2], a[3], int(a[4]), float(a[5]))
    elif a and a[0] == "combined":
        combined(a[1], a[2], a[3], a[4])
    elif a and a[0] == "centroids":
        centroids(a[1], a[2], float(a[3]))
    else:
        sys.exit(__doc__)


main()
