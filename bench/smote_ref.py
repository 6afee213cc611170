#!/usr/bin/python3
"""The peer side of bench/smote.sh: imblearn's SMOTE on the train frame of
an imb stream, and the bench's synthetic inputs.

    smote_ref.py run FILE K REPEATS   time SMOTE(k_neighbors=K).fit_resample on
                                      FILE's train frame (x as stored: u8 or f32);
                                      prints the median and best time, the counts
    smote_ref.py compare FILE K REPEATS CMD...
                                      interleaved: run CMD (stdin FILE, stdout
                                      to a temp file) and fit_resample in turn,
                                      REPEATS times; medians of both and of the
                                      per-pair ratio (shared machines are noisy)
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


def train_frame(path):
    with open(path, "rb") as fh:
        for f in msgpack.Unpacker(fh, raw=False, max_bin_len=2**32 - 1):
            if f["kind"] == "dataset" and f.get("name") == "train":
                x, y = f["tensors"]["x"], f["tensors"]["y"]
                n = x["shape"][0]
                return (np.frombuffer(x["data"], DT[x["dtype"]]).reshape(n, -1),
                        np.frombuffer(y["data"], np.int32))
    sys.exit("smote_ref.py: no train frame in " + path)


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
