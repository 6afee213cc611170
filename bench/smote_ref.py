#!/usr/bin/python3
"""The peer side of bench/smote.sh and bench/samplers.sh: imblearn's SMOTE
(and ADASYN, SMOTE-NC, ...) on the train frame of an imb stream, and the
benches' synthetic inputs.

    smote_ref.py run FILE K REPEATS   time SMOTE(k_neighbors=K).fit_resample on
                                      FILE's train frame (x as stored: u8 or f32);
                                      prints the median and best time, the counts
    smote_ref.py compare FILE K REPEATS CMD...
                                      interleaved: run CMD (stdin FILE, stdout
                                      to a temp file) and fit_resample in turn,
                                      REPEATS times; medians of both and of the
                                      per-pair ratio (shared machines are noisy)
    smote_ref.py compare-method METHOD FILE K REPEATS CMD...
                                      the same for imb-oversample's METHOD against its
                                      imblearn peer (peer(): smote, adasyn, borderline1/2,
                                      smote-nc with the one-hot groups as code columns)
    smote_ref.py mixed-csv N_MAJ N_MIN SEED
                                      a CSV table of numeric and categorical columns
                                      (for imb-import csv, then SMOTE-NC), on stdout
    smote_ref.py tabular N_MAJ N_MIN D SEED
                                      a train frame (f32, two Gaussian classes)
                                      and a small test frame, on stdout
    smote_ref.py fashion DIR          Fashion-MNIST's train and test frames from
                                      the IDX .gz files in DIR (what imb-import
                                      fashion-mnist writes), on stdout
    smote_ref.py time N IN OUT CMD... run CMD N times with stdin from IN and
                                      stdout to OUT; print the median wall time,
                                      the CPU time (user+sys) of that run, and
                                      the best wall time

Run with /usr/bin/python3 (Debian's numpy, msgpack, imblearn)."""
import gzip, os, resource, struct, subprocess, sys, time

import msgpack
import numpy as np

DT = {"u8": np.uint8, "f32": np.float32, "f64": np.float64, "i32": np.int32}


def train_frame(path, with_attrs=False):
    with open(path, "rb") as fh:
        for f in msgpack.Unpacker(fh, raw=False, max_bin_len=2**32 - 1):
            if f["kind"] == "dataset" and f.get("name") == "train":
                x, y = f["tensors"]["x"], f["tensors"]["y"]
                n = x["shape"][0]
                xy = (np.frombuffer(x["data"], DT[x["dtype"]]).reshape(n, -1),
                      np.frombuffer(y["data"], np.int32))
                return xy + (f["attrs"],) if with_attrs else xy
    sys.exit("smote_ref.py: no train frame in " + path)


def decode(x, attrs):
    """x with each one-hot group of attrs.categorical as one column of
    category codes (what imblearn's SMOTENC takes), and those columns"""
    feat = attrs["features"]
    groups = [(feat.index("%s=%s" % (name, voc[0])), len(voc))
              for name, voc in attrs["categorical"].items()]
    cat = {j + t for j, w in groups for t in range(w)}
    num = [j for j in range(x.shape[1]) if j not in cat]
    xd = np.column_stack([x[:, num]] + [x[:, j:j + w].argmax(1) for j, w in groups])
    return xd, list(range(len(num), len(num) + len(groups)))


def peer(method, k, x, attrs):
    """imblearn's sampler for imb-oversample's METHOD, and the x it takes.
    Another method's peer is one more branch here."""
    import imblearn.over_sampling as o
    if method == "smote":
        return o.SMOTE(k_neighbors=k), x
    if method == "adasyn":
        return o.ADASYN(n_neighbors=k), x
    if method in ("borderline1", "borderline2"):
        return o.BorderlineSMOTE(k_neighbors=k, kind="borderline-" + method[-1]), x
    if method == "smote-nc":
        xd, cats = decode(x, attrs)
        return o.SMOTENC(categorical_features=cats, k_neighbors=k), xd
    sys.exit("smote_ref.py: no imblearn peer for " + method)


def compare_method(method, path, k, repeats, cmd):
    """compare, for any method peer() knows"""
    x, y, attrs = train_frame(path, True)
    s, xs = peer(method, k, x, attrs)
    ours, cpus, theirs, ratios = [], [], [], []
    import tempfile
    with tempfile.TemporaryFile() as out:
        for r in range(repeats):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            with open(path, "rb") as fi:
                out.seek(0)
                out.truncate()
                t0 = time.perf_counter()
                subprocess.run(cmd, stdin=fi, stdout=out, check=True)
                w = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            s.set_params(random_state=r)
            t0 = time.perf_counter()
            rx, ry = s.fit_resample(xs, y)
            f = time.perf_counter() - t0
            ours.append(w)
            cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
            theirs.append(f)
            ratios.append(f / w)
    med = lambda v: float(np.median(v))
    print("imb_wall_s=%.4f imb_cpu_s=%.4f imb_best_s=%.4f fit_resample_s=%.4f fit_best_s=%.4f "
          "ratio=%.2f n_in=%d n_out=%d"
          % (med(ours), med(cpus), min(ours), med(theirs), min(theirs), med(ratios), len(y),
             len(ry)))


def mixed_csv(n_maj, n_min, seed):
    """a CSV table for SMOTE-NC: eight numeric columns, three categorical
    ones (4, 6 and 8 categories) whose frequencies depend on the class"""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.zeros(n_maj, int), np.ones(n_min, int)])
    rng.shuffle(y)
    num = rng.standard_normal((len(y), 8)) + 0.7 * y[:, None]
    cols = []
    for w in (4, 6, 8):
        p0 = np.arange(w, 0, -1.0)
        p1 = p0[::-1].copy()
        c0 = rng.choice(w, len(y), p=p0 / p0.sum())
        c1 = rng.choice(w, len(y), p=p1 / p1.sum())
        cols.append(np.where(y == 1, c1, c0))
    out = sys.stdout
    out.write(",".join(["n%d" % j for j in range(8)] + ["cat4", "cat6", "cat8", "label"]) + "\n")
    for i in range(len(y)):
        out.write(",".join(["%.4f" % v for v in num[i]] +
                           ["v%d" % c[i] for c in cols] + [("no", "yes")[y[i]]]) + "\n")


def run(path, k, repeats):
    from imblearn.over_sampling import SMOTE
    x, y = train_frame(path)
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        rx, ry = SMOTE(k_neighbors=k, random_state=r).fit_resample(x, y)
        times.append(time.perf_counter() - t0)
    print("fit_resample_s=%.4f best_s=%.4f n_in=%d n_out=%d dtype=%s counts=%s"
          % (float(np.median(times)), min(times), len(y), len(ry), rx.dtype,
             np.bincount(ry).tolist()))


def compare(path, k, repeats, cmd):
    import tempfile
    from imblearn.over_sampling import SMOTE
    x, y = train_frame(path)
    ours, cpus, theirs, ratios = [], [], [], []
    with tempfile.TemporaryFile() as out:
        for r in range(repeats):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            with open(path, "rb") as fi:
                out.seek(0)
                out.truncate()
                t0 = time.perf_counter()
                subprocess.run(cmd, stdin=fi, stdout=out, check=True)
                w = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            rx, ry = SMOTE(k_neighbors=k, random_state=r).fit_resample(x, y)
            f = time.perf_counter() - t0
            ours.append(w)
            cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
            theirs.append(f)
            ratios.append(f / w)
    med = lambda v: float(np.median(v))
    print("imb_wall_s=%.4f imb_cpu_s=%.4f imb_best_s=%.4f fit_resample_s=%.4f fit_best_s=%.4f "
          "ratio=%.2f n_in=%d n_out=%d"
          % (med(ours), med(cpus), min(ours), med(theirs), min(theirs), med(ratios), len(y),
             len(ry)))


def frame(name, x, y, classes):
    n, d = x.shape
    attrs = {"classes": classes, "counts": np.bincount(y, minlength=len(classes)).tolist(),
             "n": n, "source": "bench-tabular"}
    t = {"x": {"dtype": "f32", "shape": [n, d], "data": x.astype("<f4").tobytes()},
         "y": {"dtype": "i32", "shape": [n], "data": y.astype("<i4").tobytes()}}
    return msgpack.packb({"imb": 1, "kind": "dataset", "name": name, "attrs": attrs,
                          "tensors": t}, use_bin_type=True)


def tabular(nmaj, nmin, d, seed):
    rng = np.random.default_rng(seed)
    out = sys.stdout.buffer
    for name, a, b in (("train", nmaj, nmin), ("test", 100, 100)):
        y = np.concatenate([np.zeros(a, np.int32), np.ones(b, np.int32)])
        rng.shuffle(y)
        x = rng.standard_normal((a + b, d)).astype(np.float32) + 0.5 * y[:, None]
        out.write(frame(name, x, y, ["majority", "minority"]))


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot"]


def idx(path):
    with gzip.open(path, "rb") as fh:
        b = fh.read()
    nd = b[3]
    shape = struct.unpack(">%dI" % nd, b[4:4 + 4 * nd])
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(shape)


def fashion(d):
    out = sys.stdout.buffer
    for name, pre in (("train", "train"), ("test", "t10k")):
        x = idx(os.path.join(d, pre + "-images-idx3-ubyte.gz"))
        y = idx(os.path.join(d, pre + "-labels-idx1-ubyte.gz")).astype(np.int32)
        n = len(y)
        attrs = {"classes": FASHION, "counts": np.bincount(y, minlength=10).tolist(), "n": n,
                 "source": "fashion-mnist"}
        t = {"x": {"dtype": "u8", "shape": [n, 1, 28, 28], "data": x.tobytes()},
             "y": {"dtype": "i32", "shape": [n], "data": y.astype("<i4").tobytes()}}
        out.write(msgpack.packb({"imb": 1, "kind": "dataset", "name": name, "attrs": attrs,
                                 "tensors": t}, use_bin_type=True))


def timecmd(n, inp, outp, cmd):
    runs = []
    for _ in range(n):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(inp, "rb") as fi, open(outp, "wb") as fo:
            t0 = time.perf_counter()
            subprocess.run(cmd, stdin=fi, stdout=fo, check=True)
            wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        runs.append((wall, cpu))
    runs.sort()
    print("wall_s=%.4f cpu_s=%.4f best_s=%.4f" % (runs[len(runs) // 2] + (runs[0][0],)))


def main():
    a = sys.argv[1:]
    if a and a[0] == "run":
        run(a[1], int(a[2]), int(a[3]))
    elif a and a[0] == "compare-method":
        compare_method(a[1], a[2], int(a[3]), int(a[4]), a[5:])
    elif a and a[0] == "mixed-csv":
        mixed_csv(int(a[1]), int(a[2]), int(a[3]))
    elif a and a[0] == "compare":
        compare(a[1], int(a[2]), int(a[3]), a[4:])
    elif a and a[0] == "fashion":
        fashion(a[1])
    elif a and a[0] == "time":
        timecmd(int(a[1]), a[2], a[3], a[4:])
    elif a and a[0] == "tabular":
        tabular(int(a[1]), int(a[2]), int(a[3]), int(a[4]))
    else:
        sys.exit(__doc__)


main()
