# Shared by tests/bench/bench-redis.sh and bench-live.sh: how long alerts
# took to reach a Redis stream.
#
#   . "$(dirname "$0")/latency.bash"
#   zw_latencies REDIS-CLI-COMMAND... >FILE    one line per entry: "<trigger> <ms>"
#   zw_pctl FILE REGEX                         "n p50 p90 p99 max" of the lines
#                                              whose trigger matches REGEX
#
# ms = the entry id's milliseconds (Redis's clock when it ran the XADD) minus
# the alert's "timestamp" (UTC, 2026-11-26T20:39:51.123456+0000), to the
# microsecond; the entry id has whole milliseconds, so a value can be up to
# 1 ms too low (even slightly negative).  Reads `XRANGE zw:alerts - +` in
# redis-cli's plain output (not a terminal: one element per line; its --json
# is several times slower): an entry id is a line "<ms>-<n>", the alert is
# the line after the field name "json" (doc/redis.md).  POSIX awk: Debian's
# mawk has no mktime, so the date is converted by hand.

zw_latencies() {
	"$@" XRANGE zw:alerts - + | awk '
	# days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant)
	function days(y, m, d,    era, yoe, doy, doe) {
		if (m <= 2)
			y--
		era = int(y / 400)
		yoe = y - era * 400
		doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
		doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
		return era * 146097 + doe - 719468
	}
	/^[0-9]+-[0-9]+$/ { split($0, id, "-"); next }
	want_json {
		want_json = 0
		if (!match($0, /"timestamp":"[0-9T:.-]+/)) {
			print "no timestamp in the alert of entry " id[1] > "/dev/stderr"
			bad = 1
			next
		}
		t = substr($0, RSTART + 13, RLENGTH - 13)
		s = days(substr(t, 1, 4) + 0, substr(t, 6, 2) + 0, substr(t, 9, 2) + 0) * 86400
		s += substr(t, 12, 2) * 3600 + substr(t, 15, 2) * 60 + substr(t, 18, 2)
		trig = "-"
		if (match($0, /"trigger":"[a-z]+"/))
			trig = substr($0, RSTART + 11, RLENGTH - 12)
		printf "%s %.3f\n", trig, id[1] - (s * 1000 + substr(t, 21, 6) / 1000)
		next
	}
	$0 == "json" { want_json = 1 }
	END { exit bad }'
}

zw_pctl() {
	awk -v f="$2" '$1 ~ f { print $2 }' "$1" | sort -g | awk '
		{ v[NR] = $1 }
		function q(p,    i) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return v[i] }
		END {
			if (NR == 0) { print "0 - - - -"; exit }
			printf "%d %.1f %.1f %.1f %.1f\n", NR, q(0.50), q(0.90), q(0.99), v[NR]
		}'
}
