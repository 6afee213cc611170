#!/usr/bin/python3
"""Write hand-made imb frames for tests (good and deliberately bad).

    mkframe.py dataset NAME N D K [--seed S] [--dtype f32|u8]   random dataset frame
    mkframe.py raw JSON                                          a frame from JSON; tensor
        data given as {"dtype":..,"shape":..,"values":[...]} or "hexdata"
Frames go to stdout. Only tests use this; the tools never do."""
import json, random, struct, sys
import msgpack

def tensor(dtype, shape, values):
    fmt = {"u8": "B", "i32": "i", "i64": "q", "f32": "f", "f64": "d"}[dtype]
    return {"dtype": dtype, "shape": list(shape),
            "data": struct.pack("<%d%s" % (len(values), fmt), *values)}

def frame(kind, name, attrs, tensors, version=1):
    return msgpack.packb({"imb": version, "kind": kind, "name": name,
                          "attrs": attrs, "tensors": tensors}, use_bin_type=True)

def main():
    a = sys.argv[1:]
    out = sys.stdout.buffer
    if a[0] == "dataset":
        name, n, d, k = a[1], int(a[2]), int(a[3]), int(a[4])
        seed = int(a[a.index("--seed") + 1]) if "--seed" in a else 0
        dtype = a[a.index("--dtype") + 1] if "--dtype" in a else "f32"
        rng = random.Random(seed)
        y = [i % k for i in range(n)]
        if dtype == "u8":
            x = [rng.randrange(256) for _ in range(n * d)]
        else:
            x = [rng.gauss(y[i // d], 1.0) for i in range(n * d)]
        counts = [y.count(c) for c in range(k)]
        attrs = {"classes": ["c%d" % c for c in range(k)], "counts": counts, "n": n,
                 "source": "mkframe"}
        out.write(frame("dataset", name, attrs,
                        {"x": tensor(dtype, (n, d), x), "y": tensor("i32", (n,), y)}))
    elif a[0] == "raw":
        spec = json.loads(a[1])
        ts = {}
        for key, t in spec.get("tensors", {}).items():
            if "hexdata" in t:
                ts[key] = {"dtype": t["dtype"], "shape": t["shape"], "data": bytes.fromhex(t["hexdata"])}
            else:
                ts[key] = tensor(t["dtype"], t["shape"], t["values"])
        out.write(frame(spec.get("kind", "dataset"), spec.get("name", "train"),
                        spec.get("attrs", {}), ts, spec.get("imb", 1)))

main()
