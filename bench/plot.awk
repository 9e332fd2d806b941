# plot.awk: an SVG bar chart of asyncdemo's advantage over each peer.
# Input (tab-separated): label, advantage (how many times better asyncdemo
# is on the workload's main metric: peer ÷ asyncdemo for times, asyncdemo ÷
# peer for req/s), 1 if asyncdemo is ahead. Log scale; bars grow from 1×.
# usage: awk -f bench/plot.awk ratios.tsv > results.svg
BEGIN { FS = "\t"; n = 0 }
NF >= 3 && $2 > 0 { n++; label[n] = $1; adv[n] = $2 + 0; ahead[n] = $3 }

function lg(x) { return log(x) / log(10) }
function fl(x) { return x == int(x) || x > 0 ? int(x) : int(x) - 1 }
function cl(x) { return x == int(x) ? x : (x > 0 ? int(x) + 1 : int(x)) }
function xpos(v) { return left + (lg(v) - lo) / (hi - lo) * plotw }
function esc(s) {
	gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
	return s
}

END {
	lo = 0; hi = 0
	for (i = 1; i <= n; i++) {
		l = lg(adv[i])
		if (l < lo) lo = l
		if (l > hi) hi = l
	}
	lo = fl(lo); hi = cl(hi)
	if (hi == lo) hi = lo + 1
	left = 370; plotw = 480; top = 50; bar = 18; gap = 6
	width = left + plotw + 80
	height = top + n * (bar + gap) + 50
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", width, height, width, height
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	printf "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">asyncdemo's advantage over each peer (× better on the main metric, log scale)</text>\n"
	printf "<text x=\"10\" y=\"37\" fill=\"#555\">green: asyncdemo ahead; red: behind. Medians of bench/run's rounds.</text>\n"
	for (e = lo; e <= hi; e++) {
		x = xpos(10 ^ e)
		printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n", x, top - 4, x, height - 40, e == 0 ? "#000" : "#ccc"
		printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s×</text>\n", x, height - 25, 10 ^ e
	}
	for (i = 1; i <= n; i++) {
		y = top + (i - 1) * (bar + gap)
		x1 = xpos(1); x2 = xpos(adv[i])
		if (x2 < x1) { xa = x2; w = x1 - x2 } else { xa = x1; w = x2 - x1 }
		if (w < 1) w = 1
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, y + bar - 5, esc(label[i])
		printf "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", xa, y, w, bar, ahead[i] ? "#3a9d5d" : "#d9534f"
		v = adv[i] >= 10 ? sprintf("%.0f×", adv[i]) : sprintf("%.2f×", adv[i])
		tx = x2 >= x1 ? x2 + 4 : x1 + 4
		printf "<text x=\"%.1f\" y=\"%d\">%s</text>\n", tx, y + bar - 5, v
	}
	print "</svg>"
}
