#!/usr/bin/python3
"""The oracle of imb-train --model xgboost --early-stopping: python3-xgboost's
xgb.train with early_stopping_rounds on the same train and validation
frames, with the parameters the imb model frame records.

    xgb_early_ref.py STREAM MODEL_STREAM VAL_NAME

STREAM holds the dataset frames 'train' and VAL_NAME; MODEL_STREAM is
imb-train's output. Prints "best_round STOPPED_AT MAXDIFF": python's best
iteration + 1, the rounds it trained, and the largest difference between
its predictions at the best iteration and the imb model's on the
validation rows."""
import sys
import msgpack, numpy as np, xgboost as xgb

DT = {"u8": "u1", "i32": "<i4", "i64": "<i8", "f32": "<f4", "f64": "<f8"}


def frames(path):
    with open(path, "rb") as fh:
        return list(msgpack.Unpacker(fh, raw=False, max_buffer_size=2**31 - 1))


def arr(t):
    return np.frombuffer(t["data"], dtype=DT[t["dtype"]]).reshape(t["shape"])


def xy(f):
    X = arr(f["tensors"]["x"]).reshape(f["tensors"]["x"]["shape"][0], -1)
    X = X.astype(np.float32) * np.float32(1 / 255) if X.dtype == np.uint8 else X.astype(np.float32)
    return X, arr(f["tensors"]["y"])


data = {f.get("name"): f for f in frames(sys.argv[1]) if f["kind"] == "dataset"}
model = [f for f in frames(sys.argv[2]) if f["kind"] == "model"][0]
p = dict(model["attrs"]["params"])
rounds, patience = p.pop("num_boost_round"), p.pop("early_stopping")
metric = p.pop("early_metric")
assert metric == "logloss"
p.pop("class_weight"); p.pop("class_weights", None)
Xt, yt = xy(data["train"])
Xv, yv = xy(data[sys.argv[3]])
dt = xgb.DMatrix(Xt, label=yt, nthread=p["nthread"])
dv = xgb.DMatrix(Xv, label=yv, nthread=p["nthread"])
bst = xgb.train(p, dt, num_boost_round=rounds, evals=[(dv, "val")],
                early_stopping_rounds=patience, verbose_eval=False)
ours = xgb.Booster()
ours.load_model(bytearray(model["tensors"]["bytes"]["data"]))
ref = bst.predict(dv, iteration_range=(0, bst.best_iteration + 1))
diff = np.abs(ours.predict(dv) - ref).max()
print(bst.best_iteration + 1, bst.num_boosted_rounds(), "%.3g" % diff)
