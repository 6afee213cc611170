#!/usr/bin/env bats
# Bounded work for hostile sizes (docs/reliability.md, rows 76-82):
# crafted maps, models, class counts, pipes and image folders must not
# take quadratic time, memory they do not need, or hang.
bats_require_minimum_version 1.5.0
load helpers
load reliability

# a dataset frame (tests/mkframe.py's) whose attrs hold $2 more keys k0..
many_keys() {
	$PY - "$1" "$2" <<'PYEOF'
import msgpack, struct, sys
n = int(sys.argv[2])
attrs = {"classes": ["a", "b"], "n": 4}
for i in range(n):
    attrs["k%d" % i] = i
x = struct.pack("<8f", *range(8)); y = struct.pack("<4i", 0, 1, 0, 1)
f = {"imb": 1, "kind": "dataset", "name": "train", "attrs": attrs,
     "tensors": {"x": {"dtype": "f32", "shape": [4, 2], "data": x},
                 "y": {"dtype": "i32", "shape": [4], "data": y}}}
open(sys.argv[1], "wb").write(msgpack.packb(f, use_bin_type=True))
PYEOF
}

@test "attrs with 200,000 keys are read and written back in linear time, byte for byte" {
	many_keys "$TMP/k.imb" 200000
	# the old map took over 300 s (a scan per key); the limit is generous
	run timeout 60 imb-cat -o "$TMP/out.imb" "$TMP/k.imb"
	[ "$status" -eq 0 ]
	cmp "$TMP/k.imb" "$TMP/out.imb"
	run timeout 60 imb-info --json "$TMP/k.imb"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"k199999\": 199999"* ]]
}

# a frame header declaring tensor x of $2 bytes, with no data after it
huge_head() {
	$PY - "$1" "$2" <<'PYEOF'
import msgpack, struct, sys
n = int(sys.argv[2])
h = msgpack.packb({"imb": 1, "kind": "dataset", "name": "test", "attrs": {},
                   "tensors": {"x": {"dtype": "u8", "shape": [n], "data": b""}}}, use_bin_type=True)
i = h.rindex(b"\xc4\x00")
open(sys.argv[1], "wb").write(h[:i] + b"\xc6" + struct.pack(">I", n))
PYEOF
}

@test "from a pipe, a 4 GiB tensor with 1000 bytes present is a truncated stream, never a 4 GiB buffer" {
	[ -n "$LIM" ] || skip "no address-space limit under ASan or valgrind"
	huge_head "$TMP/h.imb" 4294967280
	head -c 1000 /dev/zero >> "$TMP/h.imb"
	# 1 GiB of address space: the declared size cannot even be asked for
	for t in imb-info imb-cat; do
		run --separate-stderr bash -c "cat '$TMP/h.imb' | prlimit --as=$((1 << 30)) $t"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"$t: "*"truncated stream: it ends inside tensor 'x' field 'data'"* ]]
		[[ "$stderr" != *"out of memory"* ]]
	done
}

@test "from a pipe, a tensor's bytes arrive whole through a growing buffer" {
	# 40 MiB + 3 bytes: several doublings, the last one short of double
	n=$(( (40 << 20) + 3 ))
	huge_head "$TMP/h.imb" $n
	head -c $n /dev/urandom > "$TMP/data"
	cat "$TMP/data" >> "$TMP/h.imb"
	run bash -c "cat '$TMP/h.imb' | imb-cat > '$TMP/out.imb'"
	[ "$status" -eq 0 ]
	cmp "$TMP/h.imb" "$TMP/out.imb"
}

# the fixture network model (mlp:16,16 on input [2, 1, 1]) with attrs.arch
# set to $2, and its test frame, into $1
nn_arch() {
	$PY - "$ROOT/tests/fixtures/models/mlp.imb" "$1" "$2" <<'PYEOF'
import msgpack, sys
fs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
fs[0]["attrs"]["arch"] = sys.argv[3]
with open(sys.argv[2], "wb") as o:
    for f in fs[:2]:
        o.write(msgpack.packb(f, use_bin_type=True))
PYEOF
}

@test "a network model whose arch needs more or fewer parameters than its tensor holds is refused before building it" {
	# 10^10 and 2^40 parameters declared by a few bytes of attrs: the old
	# reader built the model (40 GB, 4 TB) before looking at the tensor
	for arch in mlp:100000,100000 mlp:1048576,1048576 resnet18+mlp:1048576,1048576; do
		nn_arch "$TMP/m.imb" "$arch"
		bad imb-eval -o "$TMP/out.imb" "$TMP/m.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == "imb-eval: "*"frame 1"*"tensor 'params' must be ("*") f32 for this architecture, not f32 with 1 dimension (354 elements)"* ]]
		[[ "$stderr" != *"out of memory"* ]]
		no_output "$TMP/out.imb"
	done
	# fewer: the tensor holds more than the architecture has
	nn_arch "$TMP/m.imb" mlp:4
	bad imb-eval -o "$TMP/out.imb" "$TMP/m.imb"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"tensor 'params' must be (22) f32 for this architecture"* ]]
	no_output "$TMP/out.imb"
}

# a dataset frame of $2 samples (one feature, labels 0 and 1) declaring $3 classes
many_classes() {
	$PY - "$1" "$2" "$3" <<'PYEOF'
import msgpack, struct, sys
n, K = int(sys.argv[2]), int(sys.argv[3])
x = struct.pack("<%df" % n, *[float(i % 7) for i in range(n)])
y = struct.pack("<%di" % n, *[i % 2 for i in range(n)])
f = {"imb": 1, "kind": "dataset", "name": "train", "attrs": {"classes": ["c%d" % k for k in range(K)]},
     "tensors": {"x": {"dtype": "f32", "shape": [n, 1], "data": x},
                 "y": {"dtype": "i32", "shape": [n], "data": y}}}
open(sys.argv[1], "wb").write(msgpack.packb(f, use_bin_type=True))
PYEOF
}

@test "XGBoost: 100,000 declared but empty classes are refused (at most one class per sample, at most 4096)" {
	# XGBoost grows a tree per class each round: the old run trained 10^7
	# trees for 40 samples
	many_classes "$TMP/e.imb" 40 100000
	bad timeout 60 imb-train -m xgboost -o "$TMP/out.imb" "$TMP/e.imb"
	[ "$status" -eq 1 ]
	[ "$stderr" = "imb-train: frame 1 (dataset 'train'): attrs.classes: 100000 classes for 40 samples; XGBoost grows a tree per class each round and takes at most one class per training sample, and at most 4096" ]
	no_output "$TMP/out.imb"
	many_classes "$TMP/e.imb" 5000 4097
	bad timeout 60 imb-train -m xgboost -o "$TMP/out.imb" "$TMP/e.imb"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"4097 classes for 5000 samples"* ]]
	no_output "$TMP/out.imb"
	# an empty class among few is still accepted (row 18): K = 3, c empty
	many_classes "$TMP/e.imb" 40 3
	run imb-train -m xgboost --param num_boost_round=2 -o "$TMP/out.imb" "$TMP/e.imb"
	[ "$status" -eq 0 ]
}

# two class folders a, b of one 4x4 PNG each under $1
two_pngs() {
	mkdir -p "$1/a" "$1/b"
	$PY -c "
from PIL import Image
Image.new('L', (4, 4), 9).save('$1/a/1.png')
Image.new('L', (4, 4), 200).save('$1/b/2.png')"
}

@test "images: FIFOs, devices and sockets in image folders are skipped, not read (a FIFO named f.png hung)" {
	two_pngs "$TMP/img"
	mkfifo "$TMP/img/a/f.png" "$TMP/img/x.tar"
	mkdir "$TMP/img/b/sub"
	mkfifo "$TMP/img/b/sub/g.jpg"
	ln -s /dev/zero "$TMP/img/b/z.png"
	$PY -c "import socket; socket.socket(socket.AF_UNIX).bind('$TMP/img/a/s.png')"
	bad timeout 60 imb-import images "$TMP/img" -o "$TMP/out.imb"
	[ "$status" -eq 0 ]
	run imb-info "$TMP/out.imb"
	[[ "$output" == *"samples: 2,"* ]]
}

@test "images: a symbolic link back up an image folder is exit 1 naming it, not a walk until the path is too long" {
	two_pngs "$TMP/img"
	ln -s .. "$TMP/img/a/up"
	bad timeout 60 imb-import images "$TMP/img" -o "$TMP/out.imb"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "imb-import: $TMP/img/a/up/a: a link back to a folder above it (a loop)" ]]
	no_output "$TMP/out.imb"
	# a link to a folder elsewhere is followed, as ImageFolder does
	rm "$TMP/img/a/up"
	two_pngs "$TMP/other"
	ln -s "$TMP/other/b" "$TMP/img/a/more"
	bad imb-import images "$TMP/img" -o "$TMP/out.imb"
	[ "$status" -eq 0 ]
	run imb-info "$TMP/out.imb"
	[[ "$output" == *"samples: 3,"* ]]
}

@test "images: tar members with '..' or an absolute path are refused naming the member, as top-level ones are" {
	two_pngs "$TMP/img"
	for m in ../evil/1.png /abs/1.png a/../../1.png a/b/../../../1.png ..; do
		$PY -c "
import sys, tarfile
with tarfile.open('$TMP/x.tar', 'w') as t:
    t.add('$TMP/img/a/1.png', 'a/1.png')
    ti = t.gettarinfo('$TMP/img/b/2.png')
    ti.name = sys.argv[1]  # as given: add() would strip a leading /
    t.addfile(ti, open('$TMP/img/b/2.png', 'rb'))
" "$m"
		bad imb-import images "$TMP/x.tar" -o "$TMP/out.imb"
		[ "$status" -eq 1 ]
		[[ "$stderr" == "imb-import: $TMP/x.tar:$m: an absolute path or one with '..' (want CLASS/file entries)" ]]
		no_output "$TMP/out.imb"
	done
	# ./CLASS/file and CLASS/./file are fine
	$PY -c "
import tarfile
with tarfile.open('$TMP/x.tar', 'w') as t:
    t.add('$TMP/img/a/1.png', './a/1.png')
    t.add('$TMP/img/b/2.png', 'b/./2.png')"
	bad imb-import images "$TMP/x.tar" -o "$TMP/out.imb"
	[ "$status" -eq 0 ]
}

@test "LIBSVM: a stray huge feature index in a small file is refused before a dense x of gigabytes; --n-features asks for a width" {
	printf '1 3:1 705193177:8\n' > "$TMP/s.svm"
	bad imb-import libsvm "$TMP/s.svm" -o "$TMP/out.imb"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"s.svm: the largest feature index, 705193177, makes a dense x of 2.6 GiB for 2 values"* ]]
	no_output "$TMP/out.imb"
	printf '1 3:1\n0 1:8\n' > "$TMP/ok.svm"
	run imb-import libsvm "$TMP/ok.svm" --n-features 5000
	assert_success
}
