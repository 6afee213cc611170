#!/usr/bin/python3
"""The peer side of bench/samplers_under.sh: imblearn's TomekLinks on the
train frame of an imb stream, timed in turn with imb-oversample.

    samplers_under_ref.py compare FILE REPEATS CMD...
        run CMD (stdin FILE, stdout to a temp file) and
        TomekLinks().fit_resample on FILE's train frame (x as stored) in
        turn, REPEATS times; prints the medians of both, the median of the
        per-pair ratios (imblearn / imb), and whether the rows CMD kept are
        the rows imblearn kept (same: the kept counts per class and the
        kept rows, found by value)

Data: bench/smote_ref.py tabular. Run with /usr/bin/python3."""
import resource, subprocess, sys, tempfile, time

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
    sys.exit("samplers_under_ref.py: no train frame in " + path)


def compare(path, repeats, cmd):
    from imblearn.under_sampling import TomekLinks
    x, y = train_frame(path)
    ours, cpus, theirs, ratios = [], [], [], []
    with tempfile.NamedTemporaryFile() as out:
        for r in range(repeats):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            with open(path, "rb") as fi:
                out.seek(0)
                out.truncate()
                t0 = time.perf_counter()
                subprocess.run(cmd, stdin=fi, stdout=out, check=True)
                w = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            s = TomekLinks()
            t0 = time.perf_counter()
            s.fit_resample(x, y)
            f = time.perf_counter() - t0
            ours.append(w)
            cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
            theirs.append(f)
            ratios.append(f / w)
        out.flush()
        ox, oy = train_frame(out.name)
    keep = s.sample_indices_
    same = (len(oy) == len(keep) and np.array_equal(np.bincount(oy), np.bincount(y[keep]))
            and np.array_equal(ox, x[keep]))
    med = lambda v: float(np.median(v))
    print("imb_wall_s=%.3f imb_cpu_s=%.3f imb_best_s=%.3f fit_resample_s=%.3f fit_best_s=%.3f "
          "ratio=%.2f n_in=%d n_out=%d removed=%d same=%s"
          % (med(ours), med(cpus), min(ours), med(theirs), min(theirs), med(ratios), len(y),
             len(oy), len(y) - len(oy), same))


if len(sys.argv) > 3 and sys.argv[1] == "compare":
    compare(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
else:
    sys.exit(__doc__)
