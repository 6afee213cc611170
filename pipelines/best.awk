# best.awk: the best train ratio for each test ratio of a ratio sweep.
#   awk -v out=trainings|best [-v metric=accuracy] -f best.awk GRID.tsv
# GRID.tsv: the sweep's test rows (columns set, train_ratio, test_ratio,
# METRIC_mean, METRIC_se, ...), one row per set, train ratio and test
# ratio. Per set and test ratio, "best" is the train ratio with the
# highest mean (the one nearer the test ratio on a tie), "equal" the
# train ratio equal to the test ratio, "balanced" train ratio 1.
# out=trainings: set, test_ratio, training (equal, balanced, best),
#   train_ratio, n, METRIC_mean, METRIC_se;
# out=best: dataset, model (the set's name split at its first '-'),
#   test_ratio, best_train_ratio, METRIC_best_mean, METRIC_best_se,
#   METRIC_equal_mean, METRIC_equal_se, METRIC_balanced_mean,
#   METRIC_balanced_se, grid_steps (how many grid places the best train
#   ratio lies from the test ratio: 0 on the diagonal).
function same(a, b) { return a == b || (a - b) * (a - b) < 1e-12 * b * b }
function col(name) {
	if (!(name in at)) { printf "best.awk: no column '%s'\n", name > "/dev/stderr"; bad = 1; exit 1 }
	return at[name]
}
BEGIN { FS = OFS = "\t"; if (metric == "") metric = "accuracy" }
NR == 1 {
	for (i = 1; i <= NF; i++) at[$i] = i
	cs = col("set"); ctr = col("train_ratio"); cte = col("test_ratio"); cn = col("n")
	cm = col(metric "_mean"); cse = col(metric "_se")
	next
}
{
	s = $cs
	if (!(s in seen)) { seen[s] = 1; sets[++ns] = s }
	addval(s, "tr", $ctr); addval(s, "te", $cte)
	k = s SUBSEP ($ctr + 0) SUBSEP ($cte + 0)
	mean[k] = $cm; se[k] = $cse; cnt[k] = $cn
}
# the sorted distinct values of a set's train or test ratios
function addval(s, w, v,    i, j) {
	for (i = 1; i <= nv[s, w]; i++) if (same(val[s, w, i], v + 0)) return
	j = ++nv[s, w]
	while (j > 1 && val[s, w, j - 1] > v + 0) { val[s, w, j] = val[s, w, j - 1]; j-- }
	val[s, w, j] = v + 0
}
function find(s, w, v,    i) {
	for (i = 1; i <= nv[s, w]; i++) if (same(val[s, w, i], v)) return i
	return 0
}
function emit(s, te, name, tr,    k) {
	k = s SUBSEP tr SUBSEP te
	if (!(k in mean)) return
	print s, te, name, tr, cnt[k], mean[k], se[k]
}
END {
	if (bad) exit 1
	if (out == "trainings") print "set", "test_ratio", "training", "train_ratio", "n", metric "_mean", metric "_se"
	else print "dataset", "model", "test_ratio", "best_train_ratio", metric "_best_mean", metric "_best_se", \
		metric "_equal_mean", metric "_equal_se", metric "_balanced_mean", metric "_balanced_se", "grid_steps"
	for (a = 1; a <= ns; a++) {
		s = sets[a]
		for (t = 1; t <= nv[s, "te"]; t++) {
			te = val[s, "te", t]
			best = 0; bm = ""
			for (r = 1; r <= nv[s, "tr"]; r++) {
				tr = val[s, "tr", r]; k = s SUBSEP tr SUBSEP te
				if (!(k in mean) || mean[k] == "NA") continue
				d = log(tr / te); d = d < 0 ? -d : d
				if (bm == "" || mean[k] + 0 > bm || (mean[k] + 0 == bm && d < bd)) { best = tr; bm = mean[k] + 0; bd = d }
			}
			if (bm == "") continue
			eq = find(s, "tr", te) ? val[s, "tr", find(s, "tr", te)] : -1
			if (out == "trainings") {
				emit(s, te, "equal", eq); emit(s, te, "balanced", 1); emit(s, te, "best", best)
				continue
			}
			kb = s SUBSEP best SUBSEP te; ke = s SUBSEP eq SUBSEP te; k1 = s SUBSEP 1 SUBSEP te
			dash = index(s, "-")
			steps = eq < 0 ? "NA" : find(s, "tr", best) - find(s, "tr", eq)
			print (dash ? substr(s, 1, dash - 1) : s), (dash ? substr(s, dash + 1) : "NA"), te, best, \
				mean[kb], se[kb], (ke in mean ? mean[ke] : "NA"), (ke in mean ? se[ke] : "NA"), \
				(k1 in mean ? mean[k1] : "NA"), (k1 in mean ? se[k1] : "NA"), steps
		}
	}
}
