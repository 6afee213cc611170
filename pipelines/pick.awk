# pick.awk: columns of a TSV by name, with a first column "method".
#   awk -v m=METHOD [-v cols=A,B] [-v names=X,Y] -f pick.awk FILE
# cols: the columns to keep, in order (default: all); names: what to call
# them in the output (default: their own names). A missing column is an
# error naming it.
BEGIN { FS = OFS = "\t" }
NR == 1 {
	if (cols == "") {
		n = NF
		for (i = 1; i <= NF; i++) { idx[i] = i; out[i] = $i }
	} else {
		n = split(cols, want, ",")
		if (names != "") split(names, rename, ",")
		for (i = 1; i <= NF; i++) at[$i] = i
		for (i = 1; i <= n; i++) {
			if (!(want[i] in at)) { printf "pick.awk: no column '%s'\n", want[i] > "/dev/stderr"; bad = 1; exit 1 }
			idx[i] = at[want[i]]
			out[i] = (names != "") ? rename[i] : want[i]
		}
	}
	line = "method"
	for (i = 1; i <= n; i++) line = line OFS out[i]
	print line
	next
}
{
	line = m
	for (i = 1; i <= n; i++) line = line OFS $(idx[i])
	print line
}
END { if (bad) exit 1 }
