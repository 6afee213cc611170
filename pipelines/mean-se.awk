# mean-se.awk: the mean and one standard error of a TSV column per group.
#   awk -F '\t' -v keys=A,B -v val=COL [-v where=C=V,D=W] -f mean-se.awk FILE
# Rows pass when every C equals V; NA values are skipped. Output: the
# key columns, n, COL_mean, COL_se (sample sd / sqrt(n); NA when n < 2),
# groups in order of first appearance.
BEGIN { FS = OFS = "\t"; nk = split(keys, key, ","); nw = split(where, w, ",") }
NR == 1 {
	for (i = 1; i <= NF; i++) at[$i] = i
	for (i = 1; i <= nk; i++) if (!(key[i] in at)) { printf "mean-se.awk: no column '%s'\n", key[i] > "/dev/stderr"; bad = 1; exit 1 }
	if (!(val in at)) { printf "mean-se.awk: no column '%s'\n", val > "/dev/stderr"; bad = 1; exit 1 }
	for (i = 1; i <= nw; i++) {
		split(w[i], kv, "=")
		if (!(kv[1] in at)) { printf "mean-se.awk: no column '%s'\n", kv[1] > "/dev/stderr"; bad = 1; exit 1 }
		wc[i] = at[kv[1]]; wv[i] = kv[2]
	}
	next
}
{
	for (i = 1; i <= nw; i++) if ($(wc[i]) != wv[i]) next
	v = $(at[val])
	if (v == "NA" || v == "") next
	g = ""
	for (i = 1; i <= nk; i++) g = g (i > 1 ? OFS : "") $(at[key[i]])
	if (!(g in n)) order[++ng] = g
	n[g]++; s[g] += v; ss[g] += v * v
}
END {
	if (bad) exit 1
	line = ""
	for (i = 1; i <= nk; i++) line = line key[i] OFS
	print line "n" OFS val "_mean" OFS val "_se"
	for (j = 1; j <= ng; j++) {
		g = order[j]; m = s[g] / n[g]
		se = "NA"
		if (n[g] > 1) { var = (ss[g] - n[g] * m * m) / (n[g] - 1); se = sqrt(var > 0 ? var : 0) / sqrt(n[g]) }
		print g, n[g], sprintf("%.10g", m), (se == "NA" ? se : sprintf("%.10g", se))
	}
}
