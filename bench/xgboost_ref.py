#!/usr/bin/python3
"""The peer of imb-train --model xgboost: python3-xgboost's xgb.train on the
train frame of the same stream file, with the same parameters.

    xgboost_ref.py STREAM PARAMS_JSON ROUNDS [MODEL_STREAM]

Reads the stream (msgpack + numpy, no copy of x), trains, and prints the
training time on stderr in imb-train's words. With MODEL_STREAM (an
imb-train output) it instead compares its predictions on the train rows
with the model frame's and prints the largest difference."""
import json, sys, time
import msgpack, numpy as np, xgboost as xgb

def train_frame(path):
    with open(path, "rb") as fh:
        for f in msgpack.Unpacker(fh, raw=False, max_buffer_size=2**31 - 1):
            if f["kind"] == "dataset" and f.get("name") == "train":
                return f
    sys.exit("no train frame in " + path)

DT = {"u8": "u1", "i32": "<i4", "i64": "<i8", "f32": "<f4", "f64": "<f8"}

def arr(t):
    return np.frombuffer(t["data"], dtype=DT[t["dtype"]]).reshape(t["shape"])

f = train_frame(sys.argv[1])
params, rounds = json.loads(sys.argv[2]), int(sys.argv[3])
X = arr(f["tensors"]["x"]).reshape(f["tensors"]["x"]["shape"][0], -1)
if X.dtype == np.uint8:  # as imb-train reads images: x / 255
    X = X.astype(np.float32) * np.float32(1 / 255)
elif X.dtype != np.float32:
    X = X.astype(np.float32)
y = arr(f["tensors"]["y"])
t0 = time.perf_counter()
d = xgb.DMatrix(X, label=y, nthread=params.get("nthread", -1))
bst = xgb.train(params, d, num_boost_round=rounds)
print("python3-xgboost: %d rounds, tree_method %s, %d threads, %.2f s"
      % (rounds, params.get("tree_method"), params.get("nthread", 0), time.perf_counter() - t0),
      file=sys.stderr)
if len(sys.argv) > 4:
    with open(sys.argv[4], "rb") as fh:
        m = [g for g in msgpack.Unpacker(fh, raw=False) if g["kind"] == "model"][0]
    ours = xgb.Booster()
    ours.load_model(bytearray(m["tensors"]["bytes"]["data"]))
    diff = np.abs(ours.predict(d) - bst.predict(d)).max()
    print("%.3g" % diff)
