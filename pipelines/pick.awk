# pick.awk: columns of a TSV by name, after constant label columns.
#   awk [-v m=METHOD] [-v labels=K=V,...] [-v cols=A,B] [-v names=X,Y] [-v na=1] -f pick.awk FILE
# labels: the leading columns and their value on every row (default:
# method=METHOD); cols: the columns to keep, in order (default: all);
# names: what to call them in the output (default: their own names). A
# missing column is an error naming it, or NA on every row with na=1.
BEGIN {
	FS = OFS = "\t"
	if (labels == "") labels = "method=" m
	nl = split(labels, lab, ",")
	for (i = 1; i <= nl; i++) {
		eq = index(lab[i], "=")
		lkey[i] = substr(lab[i], 1, eq - 1)
		lval[i] = substr(lab[i], eq + 1)
	}
}
NR == 1 {
	if (cols == "") {
		n = NF
		for (i = 1; i <= NF; i++) { idx[i] = i; out[i] = $i }
	} else {
		n = split(cols, want, ",")
		if (names != "") split(names, rename, ",")
		for (i = 1; i <= NF; i++) at[$i] = i
		for (i = 1; i <= n; i++) {
			if (!(want[i] in at) && !na) { printf "pick.awk: no column '%s'\n", want[i] > "/dev/stderr"; bad = 1; exit 1 }
			idx[i] = (want[i] in at) ? at[want[i]] : 0
			out[i] = (names != "") ? rename[i] : want[i]
		}
	}
	line = ""
	for (i = 1; i <= nl; i++) line = line (i > 1 ? OFS : "") lkey[i]
	for (i = 1; i <= n; i++) line = line OFS out[i]
	print line
	next
}
{
	line = ""
	for (i = 1; i <= nl; i++) line = line (i > 1 ? OFS : "") lval[i]
	for (i = 1; i <= n; i++) line = line OFS (idx[i] ? $(idx[i]) : "NA")
	print line
}
END { if (bad) exit 1 }
