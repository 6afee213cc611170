#!/usr/bin/env bats
# imb-import: every source end to end, decoded by an independent msgpack
# reader (Debian's python3-msgpack) and checked against oracles built from
# the source files themselves (gzip, PIL, csv modules).
load helpers

FIX="$ROOT/tests/fixtures/import"

# one line per frame: name n counts dtype shape
summary() {
	$PY -c '
import msgpack, sys
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False, max_buffer_size=1 << 31):
    a, x = f["attrs"], f["tensors"]["x"]
    print(f["kind"], f["name"], a["n"], a["counts"], x["dtype"], x["shape"], f["tensors"]["y"]["dtype"])
'
}

@test "imb-import --help and --version" {
	run imb-import --help
	assert_success
	assert_output --partial "Usage: imb-import SOURCE"
	assert_output --partial "fashion-mnist"
	assert_output --partial "toy moons|blobs|circles"
	run imb-import --version
	assert_success
	assert_output --partial "imb-import (imb)"
}

@test "usage errors exit 2" {
	run imb-import
	assert_failure 2
	assert_output --partial "no source given"
	run imb-import mnist-digits
	assert_failure 2
	assert_output --partial "unknown source 'mnist-digits'"
	run imb-import fashion-mnist --bogus
	assert_failure 2
	assert_output --partial "unknown option '--bogus'"
	run imb-import fashion-mnist --label 3
	assert_failure 2
	assert_output --partial "--label does not apply to source fashion-mnist"
	# csv without --label is a frame without y (tests/csv.bats); --use with --drop is not
	run imb-import csv "$FIX/good.csv" --use 0 --drop 1
	assert_failure 2
	assert_output --partial "--use and --drop: give one"
	run imb-import csv "$FIX/good.csv" --impute mode
	assert_failure 2
	assert_output --partial "--impute: 'mode' is not mean, median or most-frequent"
	run imb-import csv
	assert_failure 2
	run imb-import idx --images x
	assert_failure 2
	assert_output --partial "--labels"
	run imb-import toy squares
	assert_failure 2
	assert_output --partial "unknown toy shape"
	run imb-import toy moons --ratio abc
	assert_failure 2
	run imb-import adult --only val
	assert_failure 2
	run imb-import adult extra
	assert_failure 2
	run imb-import csv "$FIX/good.csv" --label
	assert_failure 2
	assert_output --partial "needs an argument"
}

@test "fashion-mnist: 60000 train then 10000 test, 6000 and 1000 per class, pixels as in the IDX files" {
	[ -e "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "no Fashion-MNIST"
	imb-import fashion-mnist > "$TMP/fm.imb"
	run summary < "$TMP/fm.imb"
	assert_success
	assert_line --index 0 "dataset train 60000 [6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000] u8 [60000, 1, 28, 28] i32"
	assert_line --index 1 "dataset test 10000 [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000] u8 [10000, 1, 28, 28] i32"
	# the bytes themselves, against Python's gzip on the same files
	run $PY -c '
import gzip, msgpack, struct, sys
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False, max_buffer_size=1 << 31))
d = sys.argv[2]
for f, p in zip(fs, ["train", "t10k"]):
    img = gzip.open("%s/%s-images-idx3-ubyte.gz" % (d, p)).read()[16:]
    lab = gzip.open("%s/%s-labels-idx1-ubyte.gz" % (d, p)).read()[8:]
    y = struct.unpack("<%di" % len(lab), f["tensors"]["y"]["data"])
    print(f["tensors"]["x"]["data"] == img, list(y) == list(lab), f["attrs"]["source"], f["attrs"]["classes"][6], f["attrs"]["classes"][9])
' "$TMP/fm.imb" "$FMNIST"
	assert_success
	assert_line --index 0 "True True fashion-mnist Shirt Ankle boot"
	assert_line --index 1 "True True fashion-mnist Shirt Ankle boot"
}

@test "fashion-mnist --only test -o FILE, and --dir with a missing file" {
	[ -e "$FMNIST/t10k-images-idx3-ubyte.gz" ] || skip "no Fashion-MNIST"
	run imb-import fashion-mnist --only test -o "$TMP/t.imb"
	assert_success
	run summary < "$TMP/t.imb"
	assert_output "dataset test 10000 [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000] u8 [10000, 1, 28, 28] i32"
	run imb-import fashion-mnist --dir "$TMP/nowhere" -o "$TMP/none.imb"
	assert_failure 1
	assert_output --partial "$TMP/nowhere/train-images-idx3-ubyte.gz: No such file or directory"
	[ ! -e "$TMP/none.imb" ]
	[ -z "$(ls -A "$TMP" | grep none.imb)" ]
}

@test "idx: any pair, raw or gzip, with class names; bad magic, truncation and count mismatch" {
	$PY -c '
import gzip, struct, sys
d = sys.argv[1]
imgs = bytes(range(5 * 2 * 2))
open(d + "/i.idx", "wb").write(struct.pack(">BBBBIII", 0, 0, 8, 3, 5, 2, 2) + imgs)
gzip.open(d + "/l.idx.gz", "wb").write(struct.pack(">BBBBI", 0, 0, 8, 1, 5) + bytes([1, 0, 1, 1, 0]))
open(d + "/l4.idx", "wb").write(struct.pack(">BBBBI", 0, 0, 8, 1, 4) + bytes([1, 0, 1, 1]))
open(d + "/bad.idx", "wb").write(b"\x12\x34\x08\x03" + imgs)
open(d + "/cut.idx", "wb").write(struct.pack(">BBBBIII", 0, 0, 8, 3, 5, 2, 2) + imgs[:7])
' "$TMP"
	run bash -c "imb-import idx --images $TMP/i.idx --labels $TMP/l.idx.gz --classes cat,dog --name val | $PY -c '
import msgpack, sys
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
print(f[\"name\"], f[\"attrs\"][\"classes\"], f[\"attrs\"][\"counts\"], f[\"tensors\"][\"x\"][\"shape\"], list(f[\"tensors\"][\"x\"][\"data\"][:6]))'"
	assert_success
	assert_output "val ['cat', 'dog'] [2, 3] [5, 1, 2, 2] [0, 1, 2, 3, 4, 5]"
	run imb-import idx --images "$TMP/bad.idx" --labels "$TMP/l.idx.gz"
	assert_failure 1
	assert_output --partial "$TMP/bad.idx: not an IDX file (bad magic)"
	run imb-import idx --images "$TMP/cut.idx" --labels "$TMP/l.idx.gz"
	assert_failure 1
	assert_output --partial "$TMP/cut.idx: truncated IDX data"
	run imb-import idx --images "$TMP/i.idx" --labels "$TMP/l4.idx"
	assert_failure 1
	assert_output --partial "has 5 images but $TMP/l4.idx has 4 labels"
	run imb-import idx --images "$TMP/i.idx" --labels "$TMP/l.idx.gz" --classes onlyone
	assert_failure 1
	assert_output --partial "label 1, but only 1 classes"
}

@test "cifar10: the official binary layout; a missing batch names its path" {
	$PY -c '
import os, sys
d = sys.argv[1] + "/cifar-10-batches-bin"
os.makedirs(d)
for k, name in enumerate(["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]):
    with open(d + "/" + name, "wb") as f:
        for r in range(4):
            f.write(bytes([(k + r) % 10]) + bytes([(k * 4 + r) % 256]) * 3072)
' "$TMP"
	IMB_DATA="$TMP" run bash -c "imb-import cifar10 | $PY -c '
import msgpack, sys
for f in msgpack.Unpacker(sys.stdin.buffer, raw=False):
    x = f[\"tensors\"][\"x\"]
    print(f[\"name\"], f[\"attrs\"][\"n\"], x[\"dtype\"], x[\"shape\"], x[\"data\"][3072 * 2], f[\"attrs\"][\"classes\"][0], f[\"attrs\"][\"source\"])'"
	assert_success
	assert_line --index 0 "train 20 u8 [20, 3, 32, 32] 2 airplane cifar10"
	assert_line --index 1 "test 4 u8 [4, 3, 32, 32] 22 airplane cifar10"
	rm "$TMP/cifar-10-batches-bin/data_batch_3.bin"
	run imb-import cifar10 --dir "$TMP/cifar-10-batches-bin" --only train
	assert_failure 1
	assert_output --partial "cifar-10-batches-bin/data_batch_3.bin: No such file or directory"
	run imb-import cifar10 --dir "$TMP/cifar-10-batches-bin" --only test
	assert_success
}

@test "images: a CLASS.tar of the CIFAR-10 JPEG copy, pixels as PIL decodes them" {
	need_data cifar10-jpeg/test/cat.tar
	imb-import images "$IMB_DATA/cifar10-jpeg/test/cat.tar" --size 32 --name test > "$TMP/cat.imb"
	run summary < "$TMP/cat.imb"
	assert_output "dataset test 1000 [1000] u8 [1000, 3, 32, 32] i32"
	run $PY -c '
import io, msgpack, sys, tarfile
import numpy as np
from PIL import Image
f = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
x = np.frombuffer(f["tensors"]["x"]["data"], np.uint8).reshape(f["tensors"]["x"]["shape"])
t = tarfile.open(sys.argv[2])
names = sorted(m.name for m in t.getmembers() if m.isfile())
ref = np.stack([np.asarray(Image.open(io.BytesIO(t.extractfile(n).read())).convert("RGB")).transpose(2, 0, 1) for n in names])
print(f["attrs"]["classes"], len(names), int(np.abs(ref.astype(int) - x).max()))
' "$TMP/cat.imb" "$IMB_DATA/cifar10-jpeg/test/cat.tar"
	assert_success
	assert_output "['cat'] 1000 0"
}

@test "images: a directory of CLASS.tar files gives ten sorted classes" {
	need_data cifar10-jpeg/test/airplane.tar
	run bash -c "imb-import images $IMB_DATA/cifar10-jpeg/test | $PY -c '
import msgpack, sys
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
print(f[\"attrs\"][\"classes\"], f[\"attrs\"][\"counts\"], f[\"tensors\"][\"x\"][\"shape\"])'"
	assert_success
	assert_output "['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000] [10000, 3, 32, 32]"
}

@test "images: class folders of PNGs; a non-image file and an odd size are errors naming the file" {
	$PY -c '
import os, sys
from PIL import Image
d = sys.argv[1] + "/folder"
for c, n in [("b_minor", 1), ("a_major", 3)]:
    os.makedirs(d + "/" + c)
    for i in range(n):
        Image.new("L", (6, 4), color=10 * i + len(c)).save("%s/%s/%d.png" % (d, c, i))
' "$TMP"
	run bash -c "imb-import images $TMP/folder | $PY -c '
import msgpack, sys
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
print(f[\"attrs\"][\"classes\"], f[\"attrs\"][\"counts\"], f[\"tensors\"][\"x\"][\"shape\"], f[\"tensors\"][\"x\"][\"data\"][24])'"
	assert_success
	assert_output "['a_major', 'b_minor'] [3, 1] [4, 1, 4, 6] 17"
	echo "not an image" > "$TMP/folder/a_major/notes.txt"
	run imb-import images "$TMP/folder" -o "$TMP/img.imb"
	assert_failure 1
	assert_output --partial "$TMP/folder/a_major/notes.txt: not a JPEG or PNG image"
	[ ! -e "$TMP/img.imb" ]
	rm "$TMP/folder/a_major/notes.txt"
	$PY -c 'import sys; from PIL import Image; Image.new("L", (5, 4)).save(sys.argv[1])' "$TMP/folder/b_minor/big.png"
	run imb-import images "$TMP/folder"
	assert_failure 1
	assert_output --partial "b_minor/big.png: 5x4 image, expected 6x4"
	run imb-import images "$TMP/nothing"
	assert_failure 1
	assert_output --partial "$TMP/nothing: No such file or directory"
}

@test "adult: 32561 train and 16281 test rows, one shared vocabulary, values as the UCI files say" {
	need_data adult/adult.data
	imb-import adult > "$TMP/adult.imb"
	run summary < "$TMP/adult.imb"
	assert_line --index 0 "dataset train 32561 [24720, 7841] f32 [32561, 108] i32"
	assert_line --index 1 "dataset test 16281 [12435, 3846] f32 [16281, 108] i32"
	# an independent encoder: Python's csv module, sorted vocabularies from train
	run $PY -c '
import csv, msgpack, sys
import numpy as np
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False, max_buffer_size=1 << 31))
d = sys.argv[2]
def rows(p, skip):
    out = [[c.strip() for c in r] for r in csv.reader(open(p))]
    return [r for r in out[skip:] if len(r) == 15]
tr, te = rows(d + "/adult.data", 0), rows(d + "/adult.test", 1)
cat = [1, 3, 5, 6, 7, 8, 9, 13]
voc = {c: sorted(set(r[c] for r in tr)) for c in cat}
def enc(rs):
    x = []
    for r in rs:
        v = []
        for c in range(14):
            if c in cat:
                v += [1.0 if r[c] == w else 0.0 for w in voc[c]]
            else:
                v.append(float(r[c]))
        x.append(v)
    y = [0 if r[14].rstrip(".") == "<=50K" else 1 for r in rs]
    return np.array(x, np.float32), np.array(y, np.int32)
for f, rs in zip(fs, [tr, te]):
    x, y = enc(rs)
    t = f["tensors"]
    gx = np.frombuffer(t["x"]["data"], np.float32).reshape(t["x"]["shape"])
    gy = np.frombuffer(t["y"]["data"], np.int32)
    a = f["attrs"]
    print(f["name"], np.array_equal(gx, x), np.array_equal(gy, y), a["classes"], a["source"],
          [a["categorical"][k] == voc[c] for k, c in zip(a["categorical"], cat)].count(True),
          a["features"][0], a["history"][0]["tool"])
print(fs[0]["attrs"]["categorical"] == fs[1]["attrs"]["categorical"], fs[0]["attrs"]["features"] == fs[1]["attrs"]["features"])
' "$TMP/adult.imb" "$IMB_DATA/adult"
	assert_success
	assert_line --index 0 "train True True ['<=50K', '>50K'] adult 8 age imb-import"
	assert_line --index 1 "test True True ['<=50K', '>50K'] adult 8 age imb-import"
	assert_line --index 2 "True True"
}

@test "adult --only test, and a missing directory" {
	need_data adult/adult.test
	run bash -c "imb-import adult --only test | $PY -c '
import msgpack, sys
print([(f[\"name\"], f[\"attrs\"][\"n\"]) for f in msgpack.Unpacker(sys.stdin.buffer, raw=False, max_buffer_size=1 << 30)])'"
	assert_success
	assert_output "[('test', 16281)]"
	run imb-import adult --dir "$TMP/noadult"
	assert_failure 1
	assert_output --partial "$TMP/noadult/adult.data: No such file or directory"
	IMB_DATA= run imb-import adult
	assert_failure 1
	assert_output --partial "IMB_DATA is not set"
}

@test "covtype: 54 features, labels 1..7 become 0..6" {
	mkdir -p "$TMP/covtype"
	$PY -c '
import gzip, sys
with gzip.open(sys.argv[1], "wt") as f:
    for i in range(70):
        f.write(",".join(str(v) for v in [2000 + i] + [i % 5] * 9 + [i % 2] * 44 + [i % 7 + 1]) + "\n")
' "$TMP/covtype/covtype.data.gz"
	IMB_DATA="$TMP" run bash -c "imb-import covtype | $PY -c '
import msgpack, sys, struct
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
a, t = f[\"attrs\"], f[\"tensors\"]
print(f[\"name\"], a[\"counts\"], t[\"x\"][\"shape\"], struct.unpack(\"<i\", t[\"y\"][\"data\"][12:16])[0], struct.unpack(\"<f\", t[\"x\"][\"data\"][54 * 4 * 3:54 * 4 * 3 + 4])[0], a[\"classes\"][0], a[\"features\"][53])'"
	assert_success
	assert_output "train [10, 10, 10, 10, 10, 10, 10] [70, 54] 3 2003.0 Spruce/Fir Soil_Type40"
	run imb-import covtype --dir "$TMP/nocov"
	assert_failure 1
	assert_output --partial "$TMP/nocov/covtype.data.gz: No such file or directory"
}

@test "csv: quoting, one-hot vocabulary, missing values, from a file and from '-'" {
	decode='
import msgpack, sys, struct
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
a, x = f["attrs"], f["tensors"]["x"]
v = struct.unpack("<%df" % (len(x["data"]) // 4), x["data"])
print(f["name"], a["classes"], a["counts"], x["shape"], a["features"], a["categorical"])
print(["%g" % t for t in v[:6]])'
	run bash -c "imb-import csv $FIX/good.csv --label label --name val | $PY -c '$decode'"
	assert_success
	assert_line --index 0 "val ['high', 'low'] [2, 3] [5, 6] ['age', 'city=?', 'city=Berlin', 'city=Paris, FR', 'city=Rome', 'income'] {'city': ['?', 'Berlin', 'Paris, FR', 'Rome']}"
	run bash -c "cat $FIX/good.csv | imb-import csv - --label 3 --header | $PY -c '$decode'"
	assert_success
	assert_line --index 1 "['25', '0', '0', '1', '0', '1200.5']"
	# row 2: the missing income is NaN
	run bash -c "imb-import csv $FIX/good.csv --label label | $PY -c '
import msgpack, sys, struct, math
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
print(math.isnan(struct.unpack(\"<f\", f[\"tensors\"][\"x\"][\"data\"][44:48])[0]))'"
	assert_output "True"
}

@test "csv --vocab-from encodes a second file like the first" {
	imb-import csv "$FIX/good.csv" --label label -o "$TMP/train.imb"
	printf 'age,city,income,label\n33,Rome,10,high\n34,Oslo,11,low\n' > "$TMP/test.csv"
	run bash -c "imb-import csv $TMP/test.csv --label label --vocab-from $TMP/train.imb --name test | $PY -c '
import msgpack, sys, struct
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
x = f[\"tensors\"][\"x\"]
print(f[\"name\"], x[\"shape\"], struct.unpack(\"<12f\", x[\"data\"]), f[\"attrs\"][\"classes\"])'"
	assert_success
	assert_output --partial "test [2, 6] (33.0, 0.0, 0.0, 0.0, 1.0, 10.0, 34.0, 0.0, 0.0, 0.0, 0.0, 11.0) ['high', 'low']"
	assert_output --partial "1 values of column 'city' are not in the reference vocabulary"
}

@test "csv errors: ragged, malformed, empty, non-numeric and missing files exit 1 naming file and line" {
	run imb-import csv "$FIX/ragged.csv" --label label -o "$TMP/r.imb"
	assert_failure 1
	assert_output --partial "ragged.csv: line 3: 2 fields, expected 3"
	[ ! -e "$TMP/r.imb" ]
	run imb-import csv "$FIX/malformed.csv" --label label
	assert_failure 1
	assert_output --partial "malformed.csv: line 3: malformed CSV"
	run imb-import csv "$FIX/empty.csv" --label 0
	assert_failure 1
	assert_output --partial "empty.csv: empty file"
	run imb-import csv "$FIX/badnum.csv" --label label --categorical city
	assert_failure 1
	assert_output --partial "badnum.csv: line 3: column 0 (age): '4O' is not a number"
	run imb-import csv "$FIX/good.csv" --label nosuch
	assert_failure 1
	assert_output --partial "no column 'nosuch'"
	run imb-import csv "$TMP/absent.csv" --label 0
	assert_failure 1
	assert_output --partial "$TMP/absent.csv: No such file or directory"
	run bash -c "printf '' | imb-import csv - --label 0"
	assert_failure 1
	assert_output --partial "stdin: empty file"
}

@test "libsvm: sparse rows made dense, classes in numeric order" {
	run bash -c "imb-import libsvm $FIX/small.svm | $PY -c '
import msgpack, sys, struct
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
x, y = f[\"tensors\"][\"x\"], f[\"tensors\"][\"y\"]
print(f[\"attrs\"][\"classes\"], x[\"shape\"], struct.unpack(\"<16f\", x[\"data\"]), struct.unpack(\"<4i\", y[\"data\"]))'"
	assert_success
	assert_output "['-1', '1'] [4, 4] (0.5, 0.0, 0.0, 1.0, 0.0, 2.5, 0.0, 0.0, 0.0, 0.0, -1.0, 0.25, 1.0, 0.0, 0.0, 0.0) (1, 0, 1, 0)"
	run bash -c "cat $FIX/small.svm | imb-import libsvm - --n-features 6 | $PY -c '
import msgpack, sys
print(msgpack.unpackb(sys.stdin.buffer.read(), raw=False)[\"tensors\"][\"x\"][\"shape\"])'"
	assert_output "[4, 6]"
	run imb-import libsvm "$FIX/small.svm" --n-features 3
	assert_failure 1
	assert_output --partial "small.svm: line 2: feature index 4 exceeds --n-features 3"
}

@test "toy: same seed same bytes, another seed other bytes, the ratio as asked" {
	imb-import toy moons --n 500 --ratio 0.25 --seed 7 > "$TMP/a.imb"
	imb-import toy moons --n 500 --ratio 0.25 --seed 7 > "$TMP/b.imb"
	imb-import toy moons --n 500 --ratio 0.25 --seed 8 > "$TMP/c.imb"
	cmp "$TMP/a.imb" "$TMP/b.imb"
	! cmp -s "$TMP/a.imb" "$TMP/c.imb" || false
	run summary < "$TMP/a.imb"
	assert_output "dataset train 500 [400, 100] f32 [500, 2] i32"
	for s in blobs circles; do
		run bash -c "imb-import toy $s --n 110 --noise 0.2 --name val --seed 3 | $PY -c '
import msgpack, sys
f = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
print(f[\"name\"], f[\"attrs\"][\"counts\"], f[\"attrs\"][\"classes\"], f[\"attrs\"][\"history\"][0][\"seed\"], f[\"attrs\"][\"toy\"][\"noise\"])'"
		assert_output "val [100, 10] ['majority', 'minority'] 3 0.2"
	done
}

@test "data/fetch: --help, --check, and downloads through a stand-in curl" {
	run "$ROOT/data/fetch" --help
	assert_success
	assert_output --partial "cifar-10-binary.tar.gz"
	run "$ROOT/data/fetch" --bogus
	assert_failure 2
	need_data adult/adult.data
	run "$ROOT/data/fetch" --check --only adult "$IMB_DATA"
	assert_success
	run "$ROOT/data/fetch" --check "$TMP/empty"
	assert_failure 1
	# a curl that serves the shared copies instead of the network
	mkdir -p "$TMP/bin" "$TMP/dl"
	cat > "$TMP/bin/curl" <<EOF
#!/bin/sh
# args: -fL --retry 3 -o DEST URL
echo "\$6" >> "$TMP/urls"
case "\$6" in
*/adult/adult.names) echo corrupted > "\$5" ;;
*/adult/*) cp "$IMB_DATA/adult/\${6##*/}" "\$5" ;;
*) exit 22 ;;
esac
EOF
	chmod +x "$TMP/bin/curl"
	cp "$IMB_DATA/adult/adult.names" "$TMP/dl/names.ok"
	PATH="$TMP/bin:$PATH" run "$ROOT/data/fetch" --only adult "$TMP/dl"
	assert_failure 1
	assert_output --partial "adult.names: sha256"
	[ -f "$TMP/dl/adult/adult.data" ]
	[ ! -e "$TMP/dl/adult/adult.names" ]
	[ -z "$(ls "$TMP/dl/adult" | grep part)" ]
	grep -q "archive.ics.uci.edu/ml/machine-learning-databases/adult/adult.data" "$TMP/urls"
	# with the good file in place, a second run downloads nothing
	cp "$TMP/dl/names.ok" "$TMP/dl/adult/adult.names"
	: > "$TMP/urls"
	PATH="$TMP/bin:$PATH" run "$ROOT/data/fetch" --only adult "$TMP/dl"
	assert_success
	[ ! -s "$TMP/urls" ]
	run "$ROOT/data/fetch" --check --only adult "$TMP/dl"
	assert_success
}
