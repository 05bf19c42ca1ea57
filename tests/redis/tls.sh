#!/usr/bin/env bash
# Encrypted transport (doc/transport.md): zw-sensor -> stunnel client ->
# TLS -> stunnel server -> Redis, with mutual TLS, using the shipped example
# configs doc/examples/stunnel-{sensor,cloud}.conf (paths and ports rewritten
# into the temp dir, setuid dropped).
#  1. A throwaway CA issues the cloud's certificate, a sensor's, a server
#     certificate for another name, and a sensor certificate it then revokes
#     (the cloud side loads the revocation list); a second CA issues a rogue
#     server's and a rogue sensor's.
#  2. Refusals: a stunnel client with no certificate, with the rogue one or
#     with the revoked one gets no PONG through the tunnel, and a sensor
#     behind the rogue one delivers nothing (its alerts go to the spool, the
#     stream stays empty); the sensor's stunnel gets no PONG from a server
#     with the rogue certificate, nor from one with our CA's certificate for
#     another name (checkHost).
#  3. Delivery: a replay through the tunnel puts every alert_id of --alerts
#     into <prefix>:alerts exactly once, in order.
#  4. Wire: tcpdump on loopback during the replay; no alert_id and no
#     "event_type" is in the bytes of the TLS port, while the same search on
#     the plain Redis port (stunnel -> Redis) finds them (the search works).
#  5. The sensor's stunnel also works against Redis's own TLS port (Redis
#     6+, tls-auth-clients yes), which refuses a client without a certificate.
#  6. spiped, the alternative (if installed): delivery and wire the same
#     way, and a wrong key gets no PONG.
# Needs openssl and stunnel4 (exit 77 otherwise).  The wire check needs root
# and tcpdump: without them the rest runs and the test exits 77 (skipped),
# not 0.
# Exit: 0 pass, 1 fail, 77 skip.
set -u

. "$(dirname "$0")/../lib.sh"
zw_need_sensor
zw_need_jq
zw_tmpdir redis-tls
. "$(dirname "$0")/lib.bash"

skip() { echo "SKIP: $*"; exit 77; }
command -v openssl >/dev/null || skip "openssl not installed (scripts/deps.sh installs it)"
STUNNEL=$(command -v stunnel4 || command -v stunnel) || skip "stunnel4 not installed (scripts/deps.sh installs it)"
command -v ss >/dev/null || skip "ss not installed (iproute2)"
wire=yes
if [ "$(id -u)" -ne 0 ]; then
	wire="needs root (tcpdump on lo)"
elif ! command -v tcpdump >/dev/null; then
	wire="tcpdump not installed"
fi

fail=0
problem() { echo "FAIL: $*"; fail=1; }

# Processes this test starts (stunnel, spiped, tcpdump); killed on exit.
pids=()
cleanup() {
	if [ "${#pids[@]}" -gt 0 ]; then
		kill -TERM "${pids[@]}" 2>/dev/null
		sleep 0.2
		# spiped waits for its connections to end: do not wait for it
		kill -KILL "${pids[@]}" 2>/dev/null
		wait "${pids[@]}" 2>/dev/null
	fi
	zw_redis_stop
	[ -n "${ZW_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# wait_listen PORT PID: until PID listens on 127.0.0.1:PORT (without
# connecting to it); fails if PID exits first.
wait_listen() {
	for _ in $(seq 100); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------- 1. certificates
# The same openssl commands as doc/transport.md.
pki=$tmp/tls
mkdir -p "$pki"
chmod 700 "$pki"
ossl() { openssl "$@" >>"$pki/openssl.log" 2>&1 || { echo "FAIL: openssl $1: $(tail -3 "$pki/openssl.log")"; exit 1; }; }
# new_ca NAME CN
new_ca() {
	ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
		-keyout "$pki/$1.key" -out "$pki/$1.crt" -days 30 -subj "/O=Zonewatch test/CN=$2"
}
# new_cert NAME CN serverAuth|clientAuth CA
new_cert() {
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
		-keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "/O=Zonewatch test/CN=$2"
	{
		echo "basicConstraints = CA:FALSE"
		echo "keyUsage = critical, digitalSignature"
		echo "extendedKeyUsage = $3"
		[ "$3" = serverAuth ] && echo "subjectAltName = DNS:$2"
	} >"$pki/$1.ext"
	ossl x509 -req -in "$pki/$1.csr" -CA "$pki/$4.crt" -CAkey "$pki/$4.key" -CAcreateserial \
		-days 30 -extfile "$pki/$1.ext" -out "$pki/$1.crt"
}
cloud_name=redis.zonewatch.example
new_ca ca "Zonewatch test transport CA"
new_cert cloud "$cloud_name" serverAuth ca
new_cert sensor tls-1 clientAuth ca
new_cert other other.zonewatch.example serverAuth ca
new_cert retired tls-retired clientAuth ca
new_ca rogue-ca "Somebody else's CA"
new_cert rogue "$cloud_name" serverAuth rogue-ca
new_cert rogue-sensor tls-1 clientAuth rogue-ca
chmod 600 "$pki"/*.key
ossl verify -CAfile "$pki/ca.crt" "$pki/cloud.crt" "$pki/sensor.crt" "$pki/other.crt"
# revoke the retired sensor's certificate; every cloud-side stunnel below
# loads the CA's revocation list (CRLfile, commented out in the example)
: >"$pki/index.txt"
printf '%s\n' '[ca]' 'default_ca = zonewatch' '[zonewatch]' 'database = index.txt' \
	'certificate = ca.crt' 'private_key = ca.key' 'default_md = sha256' 'default_crl_days = 30' >"$pki/ca.cnf"
(cd "$pki" && ossl ca -config ca.cnf -revoke retired.crt && ossl ca -config ca.cnf -gencrl -out ca.crl)
echo "certificates: CA, cloud ($cloud_name), sensor, other server, revoked sensor; rogue CA, rogue server and sensor"

# ---------------------------------------------------------------- stunnel
# stunnel_start NAME EXAMPLE ACCEPT_PORT CONNECT_PORT [CERT|-]: a stunnel in
# the foreground with doc/examples/EXAMPLE, its log in $tmp/NAME.log; CERT
# names a pair $pki/CERT.{crt,key} instead of the example's, "-" none at all.
stunnel_start() {
	local name=$1 example=doc/examples/$2 conf=$tmp/$1.conf cert=${5:-} pid
	[ -f "$example" ] || { echo "FAIL: $example is missing"; exit 1; }
	sed -e 's#^;CRLfile = /etc/zonewatch/tls/#CRLfile = '"$pki"'/#' \
		-e '/^[;#]/d' -e '/^[[:space:]]*$/d' -e "s#/etc/zonewatch/tls/#$pki/#g" \
		-e "s#^accept = .*#accept = 127.0.0.1:$3#" \
		-e "s#^connect = .*#connect = 127.0.0.1:$4#" \
		-e '/^set[ug]id = /d' -e 's#^syslog = .*#syslog = no#' "$example" >"$conf"
	if [ "$cert" = - ]; then
		sed -i -e '/^cert = /d' -e '/^key = /d' "$conf"
	elif [ -n "$cert" ]; then
		sed -i -e "s#^cert = .*#cert = $pki/$cert.crt#" -e "s#^key = .*#key = $pki/$cert.key#" "$conf"
	fi
	if grep -q '/etc/' "$conf" || ! grep -q "^accept = 127.0.0.1:$3\$" "$conf" ||
		! grep -q "^connect = 127.0.0.1:$4\$" "$conf" || ! grep -q '^foreground = yes$' "$conf" ||
		{ grep -q '^;CRLfile' "$example" && ! grep -q "^CRLfile = $pki/ca.crl\$" "$conf"; }; then
		echo "FAIL: $example no longer has the lines this test rewrites:"
		cat "$conf"
		exit 1
	fi
	"$STUNNEL" "$conf" >>"$tmp/$name.log" 2>&1 </dev/null 3>&- &
	pid=$!
	pids+=("$pid")
	wait_listen "$3" "$pid" || {
		echo "FAIL: stunnel $name did not start: $(grep '\[!\]' "$tmp/$name.log" | tail -3)"
		exit 1
	}
}

# ping_via PORT: what redis-cli PING prints through the tunnel at PORT.
ping_via() { timeout 10 redis-cli -p "$1" PING 2>&1 | tr -d '\r' | head -1; }

zw_redis_start
tls_port=$(zw_free_port)
stunnel_start cloud stunnel-cloud.conf "$tls_port" "$REDIS_PORT"
sensor_port=$(zw_free_port)
stunnel_start sensor stunnel-sensor.conf "$sensor_port" "$tls_port"
got=$(ping_via "$sensor_port")
[ "$got" = PONG ] || problem "PING through the sensor's stunnel: '$got', expected PONG"
# log_has NAME REGEX: stunnel NAME logged a line matching REGEX
log_has() { grep -q -E "$2" "$tmp/$1.log"; }
log_has cloud "Certificate accepted at depth=0: .*CN=tls-1\$" ||
	problem "the cloud's stunnel did not log the sensor's certificate as accepted"
log_has sensor "Certificate accepted at depth=0: .*CN=$cloud_name\$" ||
	problem "the sensor's stunnel did not log the cloud's certificate as accepted"
echo "PING through both stunnels: $got; each accepted the other's certificate"

# ---------------------------------------------------------------- 2. refusals
common=(--rules tests/redis/rules -o redis.connect_timeout_ms=300 -o redis.command_timeout_ms=500)
# clients the cloud refuses: no certificate, another CA's (same CN as the
# real sensor), ours but revoked
declare -A port_of
for cert in - rogue-sensor retired; do
	name=client-${cert/#-/nocert}
	port_of[$cert]=$(zw_free_port)
	stunnel_start "$name" stunnel-sensor.conf "${port_of[$cert]}" "$tls_port" "$cert"
	got=$(ping_via "${port_of[$cert]}")
	[ "$got" != PONG ] || problem "$name got PONG through the cloud's stunnel"
	echo "$name: PING -> '$got'"
done
log_has cloud "peer did not return a certificate" ||
	problem "the cloud's stunnel did not log the client without a certificate"
log_has cloud "Rejected by CERT at depth=0: .*CN=tls-1\$" ||
	problem "the cloud's stunnel did not log the rogue certificate as rejected"
log_has cloud "Pre-verification error: certificate revoked" ||
	problem "the cloud's stunnel did not log the revoked certificate as rejected"

# a sensor behind the rogue client delivers nothing and spools everything
"$SENSOR" -q --sensor-id rogue-1 -r test-pcaps/ndpi/tor.pcap "${common[@]}" \
	--alerts "$tmp/rogue.json" --redis "redis://127.0.0.1:${port_of[rogue-sensor]}" \
	-o spool.dir="$tmp/spool-rogue" --stats "$tmp/rogue-stats.json" 2>"$tmp/rogue-sensor.err" ||
	problem "zw-sensor behind the rogue tunnel failed"
n_rogue=$(wc -l <"$tmp/rogue.json")
held=$(jq -r 'select(.final) | .redis.spool.records' "$tmp/rogue-stats.json")
[ "$n_rogue" -gt 0 ] || problem "no alerts from tor.pcap: the test no longer raises any"
[ "$held" = "$n_rogue" ] || problem "behind the rogue tunnel the spool holds $held of $n_rogue alerts"
xlen=$(zw_redis_cli XLEN zw:alerts)
[ "$xlen" = 0 ] || problem "the stream has $xlen entries after the rogue sensor's run, expected none"
grep -m1 redis "$tmp/rogue-sensor.err"
echo "sensor with another CA's certificate: $held of $n_rogue alerts spooled, stream length $xlen"

# the sensor's side refuses a server of another CA, and a server with a
# certificate of our CA for another name
for cert in rogue other; do
	mitm_port=$(zw_free_port)
	stunnel_start "mitm-$cert" stunnel-cloud.conf "$mitm_port" "$REDIS_PORT" "$cert"
	p=$(zw_free_port)
	stunnel_start "to-mitm-$cert" stunnel-sensor.conf "$p" "$mitm_port"
	got=$(ping_via "$p")
	[ "$got" != PONG ] || problem "the sensor's stunnel accepted a server with the $cert certificate"
	log_has "to-mitm-$cert" "Rejected by CERT" ||
		problem "the sensor's stunnel did not log the $cert server certificate as rejected"
	echo "server with the $cert certificate: PING -> '$got'"
done

# ---------------------------------------------------------------- wire capture
cap_pid=
cap_file=
# capture_start FILE FILTER / capture_stop: tcpdump on lo.
capture_start() {
	cap_file=$1
	# immediate mode makes one ring slot per snaplen: a 64 MB ring so that a
	# burst on a busy machine is not dropped
	tcpdump -i lo --immediate-mode -B 65536 -U -Z root -w "$1" "$2" >"$1.log" 2>&1 </dev/null 3>&- &
	cap_pid=$!
	pids+=("$cap_pid")
	for _ in $(seq 100); do
		grep -q 'listening on' "$1.log" && return 0
		kill -0 "$cap_pid" 2>/dev/null || break
		sleep 0.05
	done
	problem "tcpdump did not start: $(tail -2 "$1.log")"
	return 1
}
# tcpdump drops what it has not written yet when it is interrupted: wait
# until the file has not grown for 0.3 s (at most 5 s)
capture_stop() {
	local size=-1 now same=0 dropped
	for _ in $(seq 50); do
		now=$(stat -c %s "$cap_file")
		if [ "$now" = "$size" ]; then
			same=$((same + 1))
			[ "$same" -ge 3 ] && break
		else
			same=0
		fi
		size=$now
		sleep 0.1
	done
	kill -INT "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$cap_file.log")
	[ "$dropped" = 0 ] || problem "tcpdump: '${dropped:-?}' packets dropped by the kernel: the capture is incomplete"
}
# ids_in FILE: how many of the alert ids ($tmp/file-ids) occur in FILE's bytes
ids_in() { grep -a -o -F -f "$tmp/file-ids" "$1" | sort -u | wc -l; }
# wire_check WHAT CAPTURE ENCRYPTED_PORT PLAIN_PORT: the alerts of
# $tmp/WHAT.json are not in the TCP streams of the encrypted port and are in
# those of the plain one
wire_check() {
	python3 tests/redis/tcpstreams.py "$2" "$3" >"$2.enc" || problem "$1: cannot read $2"
	python3 tests/redis/tcpstreams.py "$2" "$4" >"$2.plain" || problem "$1: cannot read $2"
	local bytes ids_enc ids_plain ev_enc ev_plain n
	bytes=$(stat -c %s "$2.enc")
	n=$(wc -l <"$tmp/file-ids")
	ids_enc=$(ids_in "$2.enc")
	ids_plain=$(ids_in "$2.plain")
	ev_enc=$(grep -a -o -F '"event_type"' "$2.enc" | wc -l)
	ev_plain=$(grep -a -o -F '"event_type"' "$2.plain" | wc -l)
	echo "wire ($1): port $3 (encrypted) carried $bytes bytes with $ids_enc of $n alert ids and $ev_enc \"event_type\";" \
		"port $4 (plain Redis) $ids_plain ids and $ev_plain"
	[ "$bytes" -gt "$(stat -c %s "$tmp/$1.json")" ] ||
		problem "$1: fewer bytes on the encrypted port than in the alerts: the capture missed the traffic"
	[ "$ids_enc" -eq 0 ] && [ "$ev_enc" -eq 0 ] || problem "$1: plaintext alerts on the encrypted port $3"
	[ "$ids_plain" -eq "$n" ] && [ "$ev_plain" -ge "$n" ] ||
		problem "$1: the search finds only $ids_plain of $n ids on the plain Redis port: it would not see a leak"
}

# delivered PREFIX WHAT: the stream holds the alert ids of $tmp/WHAT.json, in order, once
delivered() {
	jq -r '.alert_id' "$tmp/$2.json" >"$tmp/file-ids"
	zw_stream_entries "$1:alerts" | jq -r '.alert_id' >"$tmp/$2-stream-ids"
	local n_file n_stream dups
	n_file=$(wc -l <"$tmp/file-ids")
	n_stream=$(wc -l <"$tmp/$2-stream-ids")
	dups=$(sort "$tmp/$2-stream-ids" | uniq -d | wc -l)
	[ "$n_file" -gt 0 ] || problem "$2: no alerts in the --alerts file"
	[ "$dups" -eq 0 ] || problem "$2: $dups alert ids are in $1:alerts more than once"
	cmp -s "$tmp/file-ids" "$tmp/$2-stream-ids" ||
		problem "$2: $1:alerts differs from the --alerts file ($n_file alerts, $n_stream entries):
$(diff "$tmp/file-ids" "$tmp/$2-stream-ids" | head -6)"
	echo "$2: $n_file alerts in the file, $n_stream in $1:alerts, $dups duplicates"
}

# ---------------------------------------------------------------- 3./4. delivery, wire
[ "$wire" = yes ] && capture_start "$tmp/stunnel.pcap" "tcp port $tls_port or tcp port $REDIS_PORT"
"$SENSOR" -q --sensor-id tls-1 -r test-pcaps/ndpi/bittorrent.pcap -r test-pcaps/ndpi/tor.pcap \
	"${common[@]}" --alerts "$tmp/stunnel.json" --redis "redis://127.0.0.1:$sensor_port" \
	-o spool.dir="$tmp/spool" --stats "$tmp/stats.json" 2>"$tmp/sensor.err" ||
	problem "zw-sensor through the tunnel failed: $(tail -3 "$tmp/sensor.err")"
[ "$wire" = yes ] && capture_stop
jq -c 'select(.final) | .redis | {sent, spooled, connect_failures, send_failures}' "$tmp/stats.json"
delivered zw stunnel
[ "$wire" = yes ] && wire_check stunnel "$tmp/stunnel.pcap" "$tls_port" "$REDIS_PORT"

# ---------------------------------------------------------------- 5. Redis's own TLS
# The cloud side may be Redis 6+ itself (tls-port, tls-auth-clients yes): the
# sensor's stunnel is the same.
rtls_port=$(zw_free_port)
mkdir -p "$tmp/redis-tls"
redis-server --port 0 --tls-port "$rtls_port" --bind 127.0.0.1 --dir "$tmp/redis-tls" --save "" \
	--tls-cert-file "$pki/cloud.crt" --tls-key-file "$pki/cloud.key" --tls-ca-cert-file "$pki/ca.crt" \
	--tls-auth-clients yes >"$tmp/redis-tls/server.log" 2>&1 </dev/null 3>&- &
pids+=($!)
if wait_listen "$rtls_port" $!; then
	for cert in sensor -; do
		p=$(zw_free_port)
		stunnel_start "redis-tls-$cert" stunnel-sensor.conf "$p" "$rtls_port" "$cert"
		got=$(ping_via "$p")
		echo "Redis's TLS port, client certificate $cert: PING -> '$got'"
		if [ "$cert" = sensor ]; then
			[ "$got" = PONG ] || problem "the sensor's stunnel got no PONG from Redis's TLS port"
		else
			[ "$got" != PONG ] || problem "Redis's TLS port answered a client without a certificate"
		fi
	done
else
	problem "redis-server with a TLS port did not start: $(tail -2 "$tmp/redis-tls/server.log")"
fi

# ---------------------------------------------------------------- 6. spiped
if command -v spiped >/dev/null; then
	# the commands of doc/transport.md, in the foreground (-F)
	head -c 32 /dev/urandom >"$pki/spiped.key"
	head -c 32 /dev/urandom >"$pki/wrong.key"
	sp_port=$(zw_free_port)
	sp_local=$(zw_free_port)
	sp_wrong=$(zw_free_port)
	spiped -d -F -s "[127.0.0.1]:$sp_port" -t "[127.0.0.1]:$REDIS_PORT" -k "$pki/spiped.key" \
		>>"$tmp/spiped.log" 2>&1 </dev/null 3>&- &
	pids+=($!)
	wait_listen "$sp_port" $! || problem "spiped -d did not start: $(tail -2 "$tmp/spiped.log")"
	spiped -e -F -s "[127.0.0.1]:$sp_local" -t "[127.0.0.1]:$sp_port" -k "$pki/spiped.key" \
		>>"$tmp/spiped.log" 2>&1 </dev/null 3>&- &
	pids+=($!)
	wait_listen "$sp_local" $! || problem "spiped -e did not start: $(tail -2 "$tmp/spiped.log")"
	spiped -e -F -s "[127.0.0.1]:$sp_wrong" -t "[127.0.0.1]:$sp_port" -k "$pki/wrong.key" \
		>>"$tmp/spiped.log" 2>&1 </dev/null 3>&- &
	pids+=($!)
	wait_listen "$sp_wrong" $! || problem "spiped -e (wrong key) did not start"
	got=$(ping_via "$sp_wrong")
	[ "$got" != PONG ] || problem "spiped with the wrong key got PONG"
	echo "spiped with the wrong key: PING -> '$got'"

	[ "$wire" = yes ] && capture_start "$tmp/spiped.pcap" "tcp port $sp_port or tcp port $REDIS_PORT"
	"$SENSOR" -q --sensor-id spiped-1 -r test-pcaps/ndpi/bittorrent.pcap "${common[@]}" \
		--alerts "$tmp/spiped.json" --redis "redis://127.0.0.1:$sp_local" -o redis.prefix=zwsp \
		-o spool.dir="$tmp/spool-sp" 2>"$tmp/sensor-sp.err" ||
		problem "zw-sensor through spiped failed: $(tail -3 "$tmp/sensor-sp.err")"
	[ "$wire" = yes ] && capture_stop
	delivered zwsp spiped
	[ "$wire" = yes ] && wire_check spiped "$tmp/spiped.pcap" "$sp_port" "$REDIS_PORT"
else
	echo "spiped: not installed, that part did not run"
fi

[ "$fail" -eq 0 ] || exit 1
if [ "$wire" != yes ]; then
	echo "SKIP: the wire check did not run ($wire); delivery and refusals passed"
	exit 77
fi
echo "PASS: alerts reach Redis only through mutual TLS, encrypted on the wire; unknown peers are refused"
exit 0
