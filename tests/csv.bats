#!/usr/bin/env bats
# imb-import csv as a pandas / scikit-learn user meets it: missing
# markers, non-finite numbers, files without labels, ids, column choices,
# imputation against scikit-learn's SimpleImputer, the data set's name;
# LIBSVM index bases; imb-info's feature listing; models refusing what
# they cannot take. Files are written here by Debian's Python, which is
# also the oracle.

bats_require_minimum_version 1.5.0
load helpers

# run python code $2 over the frames of stream $1: fr (the frames), X(f),
# Y(f), T(f, name, dtype) numpy arrays
dec() {
	$PY - "$@" <<'EOF'
import sys, msgpack, numpy as np
fr = list(msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False))
def T(f, k, dt):
    t = f['tensors'][k]
    return np.frombuffer(t['data'], dt).reshape(t['shape'])
X = lambda f: T(f, 'x', '<f4')
Y = lambda f: T(f, 'y', '<i4')
exec(sys.argv[2])
EOF
}

# a CSV as pandas' df.to_csv() writes it: an unnamed index column, NaN as
# the empty field, inf as inf; columns a (numbers with NaN), b (numbers
# with NaN and inf), colour (text), y (labels); n rows; seed $2
pandas_csv() {
	$PY - "$1" "${2:-0}" "${3:-60}" <<'EOF'
import sys, numpy as np
path, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = np.random.default_rng(seed)
with open(path, 'w') as f:
    f.write(',a,b,colour,y\n')
    for i in range(n):
        a = '' if r.random() < 0.2 else repr(float(np.round(r.normal(3, 2), 3)))
        b = ['', 'inf', '-inf'][i % 3] if i % 10 == 0 else repr(float(np.round(r.normal(), 3)))
        c = ['red', 'green', 'blue', ''][r.integers(4)] if i % 5 else 'red'
        f.write(f'{i},{a},{b},{c},{"yes" if r.random() < 0.3 else "no"}\n')
EOF
}

@test "missing markers NA, N/A, nan, NaN, null, ?, the empty field are NaN in a numeric column; --missing replaces them" {
	printf 'a,b,y\n1,x,0\nNA,y,1\nN/A,x,0\nnan,y,1\nNaN,x,0\nnull,y,1\n?,x,0\n,y,1\n2.5,x,0\n' > "$TMP/m.csv"
	imb-import csv "$TMP/m.csv" --label y > "$TMP/m.imb"
	run dec "$TMP/m.imb" "
f = fr[0]; x = X(f)
print(f['attrs']['features'], np.isnan(x[:, 0]).sum(), x[0, 0], x[8, 0])"
	assert_success
	assert_output "['a', 'b=x', 'b=y'] 7 1.0 2.5"
	# --missing replaces the list: NA is now text, so the column is categorical;
	# the empty field stays missing
	printf 'a,y\n1,0\n-999,1\nNA,0\n,1\n' > "$TMP/r.csv"
	imb-import csv "$TMP/r.csv" --label y --missing=-999 > "$TMP/r.imb"
	run dec "$TMP/r.imb" "print(fr[0]['attrs']['categorical'])"
	assert_output "{'a': ['-999', '1', 'NA']}"
	printf 'a,y\n1,0\n-999,1\n,0\n4,1\n' > "$TMP/r2.csv"
	imb-import csv "$TMP/r2.csv" --label y --missing=-999,NA > "$TMP/r2.imb"
	run dec "$TMP/r2.imb" "print(fr[0]['attrs']['features'], np.isnan(X(fr[0])[:, 0]).tolist())"
	assert_output "['a'] [False, True, True, False]"
	# a text column's missing values are one category of its own, named by the first marker
	printf 'c,y\nred,0\nNA,1\n,0\nblue,1\n' > "$TMP/c.csv"
	imb-import csv "$TMP/c.csv" --label y > "$TMP/c.imb"
	run dec "$TMP/c.imb" "print(fr[0]['attrs']['categorical'], X(fr[0])[:, 0].tolist())"
	assert_output "{'c': ['?', 'blue', 'red']} [0.0, 1.0, 1.0, 0.0]"
}

@test "a pandas to_csv file: the index column is left out with a warning, inf stays +-inf, NaN as numpy reads it" {
	pandas_csv "$TMP/p.csv" 1
	run --separate-stderr imb-import csv "$TMP/p.csv" --label y -o "$TMP/p.imb"
	assert_success
	[[ "$stderr" == *"column 0 has no name and holds distinct integers, an index as pandas writes it: left out"* ]]
	run dec "$TMP/p.imb" "
import csv
rows = list(csv.reader(open('$TMP/p.csv')))[1:]
num = lambda s: float(s) if s else np.nan
want = np.array([[num(r[1]), num(r[2])] for r in rows], np.float32)
x = X(fr[0])
print(fr[0]['attrs']['features'][:2], np.array_equal(x[:, :2], want, equal_nan=True),
      int(np.isposinf(x[:, 1]).sum()), int(np.isneginf(x[:, 1]).sum()), fr[0]['attrs']['source'])"
	assert_success
	assert_output "['a', 'b'] True 2 2 p"
	# --use names the index column back in
	imb-import csv "$TMP/p.csv" --label y --use 0,a > "$TMP/u.imb"
	run dec "$TMP/u.imb" "print(fr[0]['attrs']['features'], X(fr[0])[:3, 0].tolist())"
	assert_output "['', 'a'] [0.0, 1.0, 2.0]"
}

@test "--use and --drop by name or index; an unknown column is exit 1 naming it, nothing written" {
	printf 'id,a,b,c,y\n1,2,3,4,p\n5,6,7,8,q\n' > "$TMP/d.csv"
	imb-import csv "$TMP/d.csv" --label y --drop id,2 > "$TMP/d.imb"
	run dec "$TMP/d.imb" "print(fr[0]['attrs']['features'], X(fr[0]).tolist())"
	assert_output "['a', 'c'] [[2.0, 4.0], [6.0, 8.0]]"
	imb-import csv "$TMP/d.csv" --label 4 --use c,1 > "$TMP/u.imb"
	run dec "$TMP/u.imb" "print(fr[0]['attrs']['features'], fr[0]['attrs']['classes'])"
	assert_output "['a', 'c'] ['p', 'q']"
	run --separate-stderr imb-import csv "$TMP/d.csv" --label y --use a,zz -o "$TMP/o.imb"
	assert_failure 1
	assert_equal "$stderr" "imb-import: $TMP/d.csv: no column 'zz' (named in --use; 5 columns, from 0)"
	[ ! -e "$TMP/o.imb" ]
	run --separate-stderr imb-import csv "$TMP/d.csv" --label y --drop 7 -o "$TMP/o.imb"
	assert_failure 1
	[[ "$stderr" == *"no column '7' (named in --drop"* ]]
	run --separate-stderr imb-import csv "$TMP/d.csv" --label y --drop y
	assert_failure 1
	[[ "$stderr" == *"--drop names column 'y', the label"* ]]
	run imb-import csv "$TMP/d.csv" --label y --use a --drop b
	assert_failure 2
	[ ! -e "$TMP/o.imb" ]
}

@test "no --label: x without y, encoded like the train file; imb-predict names the classes and prints numeric and string ids; train and eval refuse it" {
	$PY - "$TMP" <<'EOF'
import sys, numpy as np
d = sys.argv[1]; r = np.random.default_rng(3)
with open(f'{d}/train.csv', 'w') as f:
    f.write('key,a,colour,label\n')
    for i in range(300):
        a = r.normal(); c = ['red', 'blue'][i % 2]
        f.write(f'{1000 + i},{a},{c},{"fraud" if a > 0.8 else "ok"}\n')
with open(f'{d}/new.csv', 'w') as f:
    f.write('key,colour,a\n')  # another column order, no label
    for i, a in enumerate([2.0, -1.0, 1.5, -2.0]):
        f.write(f'{90000000000 + i},{["blue", "red"][i % 2]},{a}\n')
with open(f'{d}/names.csv', 'w') as f:
    f.write('key,a,colour\ncust-7,2.0,red\n"x,y",-1.0,blue\n')
EOF
	imb-import csv "$TMP/train.csv" --label label --id key > "$TMP/train.imb"
	imb-import csv "$TMP/new.csv" --id key --vocab-from "$TMP/train.imb" --name score > "$TMP/new.imb"
	run dec "$TMP/new.imb" "
f = fr[0]; a = f['attrs']
print('y' in f['tensors'], a['classes'], a['features'], T(f, 'id', '<i8').tolist(), a['n'], X(f)[:, 0].tolist())"
	assert_success
	assert_output "False ['fraud', 'ok'] ['a', 'colour=blue', 'colour=red'] [90000000000, 90000000001, 90000000002, 90000000003] 4 [2.0, -1.0, 1.5, -2.0]"
	imb-train --model xgboost -q < "$TMP/train.imb" > "$TMP/m.imb"
	run bash -c "cat '$TMP/m.imb' '$TMP/new.imb' | imb-predict --format csv -q"
	assert_success
	assert_line --index 0 "id,pred,p_fraud,p_ok"
	assert_line --index 1 --regexp "^90000000000,fraud,"
	assert_line --index 2 --regexp "^90000000001,ok,"
	# string ids: u8 (N, W) NUL-padded, printed as they were (CSV-quoted when needed)
	imb-import csv "$TMP/names.csv" --id key --vocab-from "$TMP/train.imb" > "$TMP/names.imb"
	run dec "$TMP/names.imb" "print(T(fr[0], 'id', 'u1').shape)"
	assert_output "(2, 6)"
	run bash -c "cat '$TMP/m.imb' '$TMP/names.imb' | imb-predict --format csv -q | cut -c1-14"
	assert_line --index 1 --regexp '^cust-7,fraud'
	assert_line --index 2 --regexp '^"x,y",ok'
	run bash -c "cat '$TMP/m.imb' '$TMP/names.imb' | imb-predict -q | $PY -c '
import sys, msgpack
p = [f for f in msgpack.Unpacker(sys.stdin.buffer, raw=False) if f[\"kind\"] == \"predictions\"][0]
print(p[\"tensors\"][\"id\"][\"dtype\"], p[\"tensors\"][\"id\"][\"data\"])'"
	assert_output "u8 b'cust-7x,y\\x00\\x00\\x00'"
	# tools that need labels refuse it by name
	run --separate-stderr imb-train --model xgboost -o "$TMP/o.imb" "$TMP/names.imb"
	assert_failure 1
	[[ "$stderr" == *"missing tensor 'y': the frame has no labels (imb-import csv without --label"* ]]
	[ ! -e "$TMP/o.imb" ]
	imb-import csv "$TMP/names.csv" --id key --vocab-from "$TMP/train.imb" --name test > "$TMP/t.imb"
	run --separate-stderr bash -c "cat '$TMP/m.imb' '$TMP/t.imb' | imb-eval"
	assert_failure 1
	[[ "$stderr" == *"dataset 'test'): missing tensor 'y': the frame has no labels"* ]]
	# a score file that has the train file's label column takes it as its labels
	run --separate-stderr imb-import csv "$TMP/train.csv" --id key --vocab-from "$TMP/train.imb" -o "$TMP/l.imb"
	assert_success
	[[ "$stderr" == *"column 'label' is the label, as in the reference frame"* ]]
	run dec "$TMP/l.imb" "print(fr[0]['attrs']['counts'], fr[0]['attrs']['features'])"
	assert_output --regexp "^\[[0-9]+, [0-9]+\] \['a', 'colour=blue', 'colour=red'\]$"
}

@test "--id: not found, or the label too, is exit 1 and writes nothing" {
	printf 'k,a,y\n1,2,p\n3,4,q\n' > "$TMP/i.csv"
	run --separate-stderr imb-import csv "$TMP/i.csv" --label y --id nope -o "$TMP/o.imb"
	assert_failure 1
	assert_equal "$stderr" "imb-import: $TMP/i.csv: no column 'nope' (--id; 3 columns)"
	run --separate-stderr imb-import csv "$TMP/i.csv" --label y --id y -o "$TMP/o.imb"
	assert_failure 1
	[[ "$stderr" == *"column 'y' is both the label and the id"* ]]
	[ ! -e "$TMP/o.imb" ]
	# an id column is kept out of x; a missing id makes the string form
	printf 'k,a,y\n1,2,p\n,4,q\n' > "$TMP/j.csv"
	imb-import csv "$TMP/j.csv" --label y --id k > "$TMP/j.imb"
	run dec "$TMP/j.imb" "print(fr[0]['attrs']['features'], fr[0]['attrs']['id'], T(fr[0], 'id', 'u1').tolist())"
	assert_output "['a'] k [[49], [0]]"
}

@test "--impute mean, median, most-frequent match scikit-learn's SimpleImputer; a test file takes the train values" {
	pandas_csv "$TMP/tr.csv" 5 80
	pandas_csv "$TMP/te.csv" 6 40
	for m in mean median most-frequent; do
		imb-import csv "$TMP/tr.csv" --label y --impute $m > "$TMP/tr.imb"
		imb-import csv "$TMP/te.csv" --label y --vocab-from "$TMP/tr.imb" > "$TMP/te.imb"
		run $PY - "$TMP" "$m" <<'EOF'
import sys, csv, msgpack, numpy as np
from sklearn.impute import SimpleImputer
d, m = sys.argv[1], sys.argv[2]
def load(p):
    rows = list(csv.reader(open(p)))[1:]
    return np.array([[float(r[1]) if r[1] else np.nan] for r in rows]), np.array([[r[3] or np.nan] for r in rows], object)
def X(p):
    f = next(iter(msgpack.Unpacker(open(p, 'rb'), raw=False)))
    t = f['tensors']['x']
    return f, np.frombuffer(t['data'], '<f4').reshape(t['shape'])
(atr, ctr), (ate, cte) = load(f'{d}/tr.csv'), load(f'{d}/te.csv')
# pandas' float32-free path: our x is f32, so compare on f32-rounded input
atr32 = atr.astype(np.float32).astype(np.float64)
imp = SimpleImputer(strategy=m.replace('-', '_')).fit(atr32)
ftr, xtr = X(f'{d}/tr.imb'); fte, xte = X(f'{d}/te.imb')
ok_tr = np.allclose(xtr[:, 0], imp.transform(atr32)[:, 0], rtol=1e-6)
ok_te = np.allclose(xte[:, 0], imp.transform(ate.astype(np.float32).astype(np.float64))[:, 0], rtol=1e-6)
vals = ftr['attrs']['impute']['values']
same = fte['attrs']['impute'] == ftr['attrs']['impute']
line = [ok_tr, ok_te, abs(vals['a'] - imp.statistics_[0]) < 1e-6 * max(1, abs(imp.statistics_[0])), same]
if m == 'most-frequent':
    ci = SimpleImputer(strategy='most_frequent', missing_values=np.nan).fit(ctr)
    feats = ftr['attrs']['features']
    cols = [feats.index(f'colour={c}') for c in ('blue', 'green', 'red')]
    def decode(x):
        return [('blue', 'green', 'red')[int(np.argmax(r))] if r.sum() == 1 else None for r in x[:, cols]]
    line += [vals['colour'] == ci.statistics_[0], decode(xtr) == list(ci.transform(ctr)[:, 0]),
             decode(xte) == list(ci.transform(cte)[:, 0]), 'colour=?' not in feats]
print(m, line)
EOF
		assert_success
		assert_output --regexp "^$m \[True(, True)+\]$"
	done
}

@test "--impute: categorical columns under mean/median keep their missing category with a warning; refusals" {
	pandas_csv "$TMP/tr.csv" 5 80
	run --separate-stderr imb-import csv "$TMP/tr.csv" --label y --impute median -o "$TMP/tr.imb"
	assert_success
	[[ "$stderr" == *"--impute median fills numeric features; column 'colour' keeps its "*" missing values as the category '?'"* ]]
	ninf=$(grep -c ',-\?inf,' "$TMP/tr.csv")
	run dec "$TMP/tr.imb" "f = fr[0]; print('colour=?' in f['attrs']['features'], sorted(f['attrs']['impute']['values']), int(np.isnan(X(f)).sum()), int(np.isinf(X(f)).sum()))"
	assert_output "True ['a', 'b'] 0 $ninf"
	# a test file imputed another way than its train file, or a reference not imputed
	run --separate-stderr imb-import csv "$TMP/tr.csv" --label y --vocab-from "$TMP/tr.imb" --impute mean -o "$TMP/o.imb"
	assert_failure 1
	[[ "$stderr" == *"--impute mean, but the reference frame was imputed with median"* ]]
	imb-import csv "$TMP/tr.csv" --label y > "$TMP/plain.imb"
	run --separate-stderr imb-import csv "$TMP/tr.csv" --label y --vocab-from "$TMP/plain.imb" --impute mean -o "$TMP/o.imb"
	assert_failure 1
	[[ "$stderr" == *"with a reference frame that was not imputed"* ]]
	[ ! -e "$TMP/o.imb" ]
	run imb-import csv "$TMP/tr.csv" --label y --impute mode
	assert_failure 2
}

@test "models: xgboost trains on NaN; SVMs and networks refuse NaN naming the feature and --impute; every model refuses inf" {
	pandas_csv "$TMP/tr.csv" 7 120
	imb-import csv "$TMP/tr.csv" --label y --drop b > "$TMP/nan.imb"
	run dec "$TMP/nan.imb" "print(int(np.isnan(X(fr[0])).sum()) > 0)"
	assert_output "True"
	imb-train --model xgboost -q -o "$TMP/m.imb" "$TMP/nan.imb"
	run bash -c "cat '$TMP/m.imb' '$TMP/nan.imb' | imb-predict -q --format csv | wc -l"
	assert_output "121"
	for m in svm linear-svm mlp:4; do
		run --separate-stderr imb-train --model $m -q -o "$TMP/o.imb" "$TMP/nan.imb"
		assert_failure 1
		[[ "$stderr" == *"is NaN (a missing value of feature 'a', not a finite number;"* ]]
		[[ "$stderr" == *"imb-import csv --impute mean|median|most-frequent"* ]]
		[ ! -e "$TMP/o.imb" ]
	done
	# imputed, the SVM trains
	imb-import csv "$TMP/tr.csv" --label y --drop b --impute mean > "$TMP/imp.imb"
	imb-train --model linear-svm -q -o "$TMP/o.imb" "$TMP/imp.imb"
	# b's NaNs imputed, its infinities left
	imb-import csv "$TMP/tr.csv" --label y --use b,y --impute median > "$TMP/inf.imb"
	for m in xgboost svm; do
		run --separate-stderr imb-train --model $m -q "$TMP/inf.imb"
		assert_failure 1
		# rows 10, 40, 70, 100 hold inf and 20, 50, 80, 110 -inf
		[[ "$stderr" == *"row 10 column 0 is infinite (inf of feature 'b', not a finite number; 8 rows like it)"* ]]
	done
}

@test "the data set's name: the file's base name without extensions, stdin, or --dataset-name; imb-eval's config carries it" {
	printf 'a,y\n1,p\n2,q\n3,p\n4,q\n' | gzip > "$TMP/adult.csv.gz"
	imb-import csv "$TMP/adult.csv.gz" --label y > "$TMP/a.imb"
	imb-import csv - --label y < <(gzip -dc "$TMP/adult.csv.gz") > "$TMP/s.imb"
	imb-import csv "$TMP/adult.csv.gz" --label y --dataset-name credit > "$TMP/n.imb"
	printf '1 1:0.5\n0 2:1\n' > "$TMP/heart.libsvm"
	imb-import libsvm "$TMP/heart.libsvm" > "$TMP/l.imb"
	imb-import libsvm "$TMP/heart.libsvm" --dataset-name h2 > "$TMP/l2.imb"
	run bash -c "for f in a s n l l2; do $PY -c 'import sys, msgpack; print(next(iter(msgpack.Unpacker(open(sys.argv[1], \"rb\"), raw=False)))[\"attrs\"][\"source\"])' $TMP/\$f.imb; done | paste -sd ' '"
	assert_output "adult stdin credit heart h2"
	run imb-import libsvm "$TMP/heart.libsvm" --dataset-name ""
	assert_failure 2
	run imb-import adult --dataset-name x
	assert_failure 2
	# the dataset key of imb-eval's config
	$PY - "$TMP/big.csv" <<'EOF'
import sys, numpy as np
r = np.random.default_rng(0)
with open(sys.argv[1], 'w') as f:
    f.write('a,b,y\n')
    for i in range(200):
        a = r.normal(); f.write(f'{a},{r.normal()},{int(a > 0.5)}\n')
EOF
	imb-import csv "$TMP/big.csv" --label y | imb-split --train-ratio 0.5 --test-ratio 1 --seed 1 \
		| imb-train -q | imb-eval --format json > "$TMP/e.json"
	run $PY -c "import json; print(json.load(open('$TMP/e.json'))[0]['config']['dataset'])"
	assert_output "big"
}

@test "libsvm: an index 0 makes the file 0-based (a warning), --one-based refuses it, --zero-based forces it; as scikit-learn reads them" {
	printf '1 0:1.5 3:2\n-1 1:-1 2:4\n1 2:0.5\n' > "$TMP/z.svm"
	printf '1 1:1.5 4:2\n-1 2:-1 3:4\n' > "$TMP/o.svm"
	run --separate-stderr imb-import libsvm "$TMP/z.svm" -o "$TMP/z.imb"
	assert_success
	[[ "$stderr" == *"line 1 has feature index 0: indices read as 0-based"* ]]
	imb-import libsvm "$TMP/o.svm" > "$TMP/o.imb"
	imb-import libsvm "$TMP/o.svm" --zero-based > "$TMP/oz.imb"
	run $PY - "$TMP" <<'EOF'
import sys, msgpack, numpy as np
from sklearn.datasets import load_svmlight_file
d = sys.argv[1]
def X(p):
    f = next(iter(msgpack.Unpacker(open(p, 'rb'), raw=False)))
    t = f['tensors']['x']
    return f, np.frombuffer(t['data'], '<f4').reshape(t['shape'])
for ours, src, zb in (('z', 'z', 'auto'), ('o', 'o', 'auto'), ('oz', 'o', True)):
    f, x = X(f'{d}/{ours}.imb')
    want = load_svmlight_file(f'{d}/{src}.svm', zero_based=zb)[0].toarray()
    print(ours, f['attrs']['base'], x.shape == want.shape and np.array_equal(x, want))
EOF
	assert_success
	assert_output "z 0 True
o 1 True
oz 0 True"
	run --separate-stderr imb-import libsvm "$TMP/z.svm" --one-based -o "$TMP/b.imb"
	assert_failure 1
	[[ "$stderr" == *"z.svm: line 1: feature index 0 in a file read as 1-based (--one-based)"* ]]
	[ ! -e "$TMP/b.imb" ]
	run imb-import libsvm "$TMP/z.svm" --one-based --zero-based
	assert_failure 2
	run imb-import csv "$TMP/z.svm" --zero-based
	assert_failure 2
}

@test "imb-info lists the features: numeric or categorical with levels, missing and infinite counts as numpy counts them" {
	pandas_csv "$TMP/p.csv" 2 50
	imb-import csv "$TMP/p.csv" --label y > "$TMP/p.imb"
	run imb-info "$TMP/p.imb"
	assert_success
	want=$(dec "$TMP/p.imb" "
x = X(fr[0]); f = fr[0]['attrs']['features']; v = fr[0]['attrs']['categorical']['colour']
g = x[:, 2:2 + len(v)]
print(int(np.isnan(x[:, 0]).sum()), int(np.isnan(x[:, 1]).sum()), int(np.isinf(x[:, 1]).sum()), len(v), int(g[:, v.index('?')].sum()))")
	read -r na nb ib nlev nq <<< "$want"
	assert_output --partial "features: $((2 + nlev)) columns of x: 2 numeric, 1 categorical (one-hot)"
	assert_output --regexp "    a +numeric +$na +0"
	assert_output --regexp "    b +numeric +$nb +$ib"
	assert_output --regexp "    colour +categorical \($nlev levels\) +$nq +0"
	run bash -c "imb-info --json $TMP/p.imb | $PY -c 'import json, sys; s = json.load(sys.stdin)[0][\"summary\"]; print([(e[\"name\"], e[\"kind\"], e.get(\"levels\"), e[\"missing\"], e[\"infinite\"]) for e in s[\"features\"]])'"
	assert_output "[('a', 'numeric', None, $na, 0), ('b', 'numeric', None, $nb, $ib), ('colour', 'categorical', $nlev, $nq, 0)]"
	# a frame without y
	printf 'a\n1\n2\n' > "$TMP/u.csv"
	imb-import csv "$TMP/u.csv" > "$TMP/u.imb"
	run imb-info "$TMP/u.imb"
	assert_output --partial "unlabelled (no tensor y): 2 samples, to predict"
	run bash -c "imb-info --json $TMP/u.imb | $PY -c 'import json, sys; s = json.load(sys.stdin)[0][\"summary\"]; print(s[\"n\"], s[\"labelled\"])'"
	assert_output "2 False"
}

@test "the README's table tour: import with ids and imputation, stratified split, early stopping, scores of new rows by id" {
	cd "$TMP"
	$PY - <<'PY'
import csv, numpy as np
r = np.random.default_rng(3)
with open("claims.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["claim_id", "amount", "age", "region", "fraud"])
    for i in range(1500):
        fr = r.random() < 0.08
        amt = "" if r.random() < 0.05 else round(r.normal(3 if fr else 1, 1), 3)
        w.writerow([1000 + i, amt, r.integers(18, 80), r.choice(["n", "s", "e"]), "yes" if fr else "no"])
with open("new.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["region", "age", "amount", "claim_id"])   # another column order
    for i, a in enumerate([0.5, 5.0, "NA"]):
        w.writerow(["s", 40, a, 9000 + i])
PY
	imb-import csv claims.csv --label fraud --id claim_id --impute median > claims.imb
	run imb-info claims.imb
	assert_output --partial "region           categorical (3 levels)"
	imb-split --stratified --test-size 0.2 --seed 1 < claims.imb \
		| imb-train --model xgboost --val-frame test --early-stopping 20 > model.imb
	imb-import csv new.csv --id claim_id --vocab-from claims.imb --name new \
		| imb-cat model.imb - | imb-predict --frame new --format csv > scores.csv
	run cat scores.csv
	[ "${lines[0]}" = "id,pred,p_no,p_yes" ]
	[ "${#lines[@]}" -eq 4 ]
	# by id: a small amount is scored unlikely fraud, a large one likely;
	# the missing amount takes the train median (about 1), as a small one
	IFS=, read -r id0 pred0 _ p0 <<< "${lines[1]}"
	IFS=, read -r id1 pred1 _ p1 <<< "${lines[2]}"
	IFS=, read -r id2 pred2 _ p2 <<< "${lines[3]}"
	[ "$id0,$id1,$id2" = "9000,9001,9002" ]
	[ "$pred0" = no ] && [ "$pred1" = yes ]
	awk -v a="$p0" -v b="$p1" -v c="$p2" 'BEGIN { exit !(a < 0.5 && b > 0.5 && c < 0.5) }'
}

@test "imb-eval names the feature of a missing value the model cannot take, as training does" {
	printf 'a,b,y\n1,2,x\n2,3,y\n3,4,x\n4,5,y\n' > "$TMP/tr.csv"
	printf 'a,b,y\n1,NA,x\n2,3,y\n' > "$TMP/te.csv"
	imb-import csv "$TMP/tr.csv" --label y | imb-train -q --model linear-svm > "$TMP/m.imb"
	imb-import csv "$TMP/te.csv" --label y --name test > "$TMP/te.imb"
	run -1 --separate-stderr bash -c "imb-cat '$TMP/m.imb' '$TMP/te.imb' | imb-eval --format tsv"
	[[ "$stderr" == *"row 0 column 1 is NaN (a missing value of feature 'b'"*"--impute"* ]]
	# xgboost takes it as missing
	imb-import csv "$TMP/tr.csv" --label y | imb-train -q --model xgboost --rounds 2 > "$TMP/x.imb"
	imb-cat "$TMP/x.imb" "$TMP/te.imb" | imb-eval --format tsv > "$TMP/out.tsv"
	[ "$(wc -l < "$TMP/out.tsv")" -eq 2 ]
}
