#!/bin/sh
# Install free GeoIP databases for zw-sensor (see doc/geoip.md), from the npm
# registry but without npm or node:
#
#   country  @ip-location-db/geo-whois-asn-country-mmdb: a ready .mmdb with a
#            top-level country_code, installed as geo-whois-asn-country.mmdb
#   ASN      @ip-location-db/asn: CSV address ranges, converted by
#            scripts/asn-csv-to-mmdb.pl into asn.mmdb (GeoLite2-ASN layout)
#
#   scripts/geoip-setup.sh [--no-asn] [--force] [DIR]
#
# DIR defaults to $ZW_GEOIP_DIR, else /var/lib/zonewatch/geoip.  A package
# whose version is already installed (DIR/VERSION) is not downloaded again;
# --force does it anyway.  --no-asn skips the ASN database (and the Perl
# packages it needs).  Tarballs are checked against the registry's sha512
# integrity value.  Missing tools are installed with apt-get (through sudo
# when not root).  Exit 0 when DIR holds current databases, non-zero with a
# message otherwise; nothing in DIR changes unless a new file is complete.
set -eu

REGISTRY=https://registry.npmjs.org
COUNTRY_PKG=@ip-location-db/geo-whois-asn-country-mmdb
COUNTRY_FILE=geo-whois-asn-country.mmdb
ASN_PKG=@ip-location-db/asn
ASN_FILE=asn.mmdb

prog=geoip-setup.sh
here=$(cd "$(dirname "$0")" && pwd)
with_asn=1
force=0
dir=${ZW_GEOIP_DIR:-/var/lib/zonewatch/geoip}

die() {
	echo "$prog: $*" >&2
	exit 1
}
say() {
	echo "$prog: $*"
}

while [ $# -gt 0 ]; do
	case $1 in
	--no-asn) with_asn=0 ;;
	--force) force=1 ;;
	-h | --help)
		sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*) die "unknown option $1 (see --help)" ;;
	*) dir=$1 ;;
	esac
	shift
done

# ---- tools ------------------------------------------------------------

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	SUDO=none
fi

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# apt_need PACKAGE...: install those that are missing
apt_need() {
	missing=
	for p in "$@"; do
		pkg_installed "$p" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$SUDO" = none ] && die "need the Debian packages$missing: run as root or install sudo"
	say "installing$missing with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	$SUDO apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed (offline?)"
	aptlog=$(mktemp "${TMPDIR:-/tmp}/zw-geoip-apt.XXXXXX")
	# shellcheck disable=SC2086
	if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >"$aptlog" 2>&1; then
		tail -n 5 "$aptlog" >&2
		rm -f "$aptlog"
		die "apt-get install$missing failed (offline?)"
	fi
	rm -f "$aptlog"
}

base_pkgs="curl ca-certificates"
command -v jq >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 || base_pkgs="$base_pkgs jq"
# shellcheck disable=SC2086 # a list of names
apt_need $base_pkgs

# json_get FILE KEY.KEY: one string from a JSON document
json_get() {
	if command -v jq >/dev/null 2>&1; then
		jq -r ".$2 // empty" "$1"
	else
		python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(v if isinstance(v, str) else "")' "$1" "$2"
	fi
}

# ---- target directory ---------------------------------------------------

mkdir -p "$dir" 2>/dev/null || die "cannot create $dir (run as root, or give a writable DIR)"
[ -w "$dir" ] || die "$dir is not writable (run as root, or give a writable DIR)"
stamp=$dir/VERSION

work=$(mktemp -d "${TMPDIR:-/tmp}/zw-geoip.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

installed_version() {   # PACKAGE -> version recorded in the stamp file
	[ -f "$stamp" ] || return 0
	awk -v p="$1" '$1 == p { print $2 }' "$stamp"
}
record_version() {      # PACKAGE VERSION
	{ grep -v "^$1 " "$stamp" 2>/dev/null || true; echo "$1 $2"; } >"$work/VERSION"
	cat "$work/VERSION" >"$stamp"
}

# fetch_meta PACKAGE: sets ver, tarball, integrity, shasum from the registry
fetch_meta() {
	meta=$work/meta.json
	if ! err=$(curl -fsS --max-time 60 --retry 2 -o "$meta" "$REGISTRY/$1/latest" 2>&1); then
		err=$(printf '%s\n' "$err" | tail -n 1)
		die "cannot reach the npm registry for $1: ${err:-curl failed} (offline?); nothing changed in $dir"
	fi
	ver=$(json_get "$meta" version)
	tarball=$(json_get "$meta" dist.tarball)
	integrity=$(json_get "$meta" dist.integrity)
	shasum=$(json_get "$meta" dist.shasum)
	if [ -z "$ver" ] || [ -z "$tarball" ]; then
		die "unexpected registry answer for $1"
	fi
}

fetch_tarball() {   # PACKAGE DESTDIR
	tgz=$work/pkg.tgz
	start=$(date +%s)
	curl -fsS --max-time 600 --retry 2 -o "$tgz" "$tarball" ||
		die "download of $tarball failed (offline?); nothing changed in $dir"
	case $integrity in
	sha512-*)
		want=$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
		got=$(sha512sum "$tgz" | cut -d' ' -f1)
		[ "$want" = "$got" ] || die "$1 $ver: sha512 mismatch (want $want, got $got)"
		check="sha512 ok"
		;;
	*)
		[ -n "$shasum" ] || die "$1 $ver: the registry gives no checksum"
		got=$(sha1sum "$tgz" | cut -d' ' -f1)
		[ "$shasum" = "$got" ] || die "$1 $ver: sha1 mismatch (want $shasum, got $got)"
		check="sha1 ok"
		;;
	esac
	rm -rf "$2"
	mkdir -p "$2"
	tar -xzf "$tgz" -C "$2" || die "$1 $ver: cannot unpack $tarball"
	say "$1 $ver: downloaded $(wc -c <"$tgz") bytes in $(($(date +%s) - start)) s, $check"
	rm -f "$tgz"
}

keep_licences() {   # PACKAGE SRCDIR
	lic=$dir/licences/$(echo "$1" | tr '@/' '_-' | sed 's/^_//')
	mkdir -p "$lic"
	for f in "$2"/README.md "$2"/*LICENSE* "$2"/MODIFICATIONS "$2"/package.json; do
		[ -f "$f" ] && cp "$f" "$lic/"
	done
	return 0
}

show_lookup() {     # FILE: a sanity line, when mmdblookup is installed
	command -v mmdblookup >/dev/null 2>&1 || return 0
	for ip in 8.8.8.8 1.1.1.1; do
		line=$(mmdblookup -f "$1" -i "$ip" 2>/dev/null | tr -s ' \n' ' ' | sed 's/<[a-z0-9_]*>//g')
		say "  $ip:${line:- not found}"
	done
}

# ---- country ------------------------------------------------------------

fetch_meta "$COUNTRY_PKG"
if [ "$force" -eq 0 ] && [ "$(installed_version "$COUNTRY_PKG")" = "$ver" ] && [ -s "$dir/$COUNTRY_FILE" ]; then
	say "$COUNTRY_PKG $ver already installed: $dir/$COUNTRY_FILE"
else
	fetch_tarball "$COUNTRY_PKG" "$work/country"
	src=$work/country/package/$COUNTRY_FILE
	[ -s "$src" ] || die "$COUNTRY_PKG $ver: no $COUNTRY_FILE in the package"
	cp "$src" "$dir/$COUNTRY_FILE.tmp"
	chmod 0644 "$dir/$COUNTRY_FILE.tmp"
	mv -f "$dir/$COUNTRY_FILE.tmp" "$dir/$COUNTRY_FILE"
	keep_licences "$COUNTRY_PKG" "$work/country/package"
	record_version "$COUNTRY_PKG" "$ver"
	say "installed $dir/$COUNTRY_FILE ($(wc -c <"$dir/$COUNTRY_FILE") bytes)"
	show_lookup "$dir/$COUNTRY_FILE"
fi

# ---- ASN ----------------------------------------------------------------

if [ "$with_asn" -eq 0 ]; then
	say "ASN database skipped (--no-asn)"
else
	fetch_meta "$ASN_PKG"
	if [ "$force" -eq 0 ] && [ "$(installed_version "$ASN_PKG")" = "$ver" ] && [ -s "$dir/$ASN_FILE" ]; then
		say "$ASN_PKG $ver already installed: $dir/$ASN_FILE"
	else
		apt_need perl libmaxmind-db-writer-perl
		fetch_tarball "$ASN_PKG" "$work/asn"
		for f in asn-ipv4.csv asn-ipv6.csv; do
			[ -s "$work/asn/package/$f" ] || die "$ASN_PKG $ver: no $f in the package"
		done
		say "converting $ASN_PKG $ver CSV to $ASN_FILE (takes a few seconds to a minute)"
		start=$(date +%s)
		perl "$here/asn-csv-to-mmdb.pl" \
			--description "AS numbers from ip-location-db asn $ver (RouteViews, NRO, DB-IP; CC BY 4.0)" \
			"$work/$ASN_FILE" "$work/asn/package/asn-ipv4.csv" "$work/asn/package/asn-ipv6.csv" |
			sed "s|^|$prog:   |"
		[ -s "$work/$ASN_FILE" ] || die "conversion of $ASN_PKG $ver failed"
		cp "$work/$ASN_FILE" "$dir/$ASN_FILE.tmp"
		chmod 0644 "$dir/$ASN_FILE.tmp"
		mv -f "$dir/$ASN_FILE.tmp" "$dir/$ASN_FILE"
		keep_licences "$ASN_PKG" "$work/asn/package"
		record_version "$ASN_PKG" "$ver"
		say "installed $dir/$ASN_FILE ($(wc -c <"$dir/$ASN_FILE") bytes, conversion $(($(date +%s) - start)) s)"
		show_lookup "$dir/$ASN_FILE"
	fi
fi

say "done; in zw-sensor.conf:"
say "  geoip.country_db = $dir/$COUNTRY_FILE"
[ "$with_asn" -eq 1 ] && say "  geoip.asn_db = $dir/$ASN_FILE"
exit 0
