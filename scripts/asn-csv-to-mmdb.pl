#!/usr/bin/perl
# asn-csv-to-mmdb.pl — build a MaxMind DB file in the GeoLite2-ASN layout
# from CSV files of inclusive address ranges:
#
#   ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization
#
# (the layout of ip-location-db's asn-ipv4.csv and asn-ipv6.csv; fields may be
# quoted, "" inside quotes is a quote).  Each record is a map with
# autonomous_system_number (uint32) and, when not empty,
# autonomous_system_organization (utf8_string).  The tree is IPv6 with IPv4
# at ::/96 and the usual IPv4 aliases (::ffff:0:0/96, 2001::/32, 2002::/16),
# like MaxMind's own files.  Reserved networks are left out by the writer.
#
#   scripts/asn-csv-to-mmdb.pl [options] OUT.mmdb IN.csv [IN.csv ...]
#     --type NAME          database_type in the metadata (default ip-location-db-ASN)
#     --description TEXT   English description in the metadata
#
# SOURCE_DATE_EPOCH, when set, is written as the build epoch (reproducible
# output).  Needs Debian's libmaxmind-db-writer-perl.  The output is written
# to OUT.mmdb.tmp and renamed, so a reader never sees half a file.
use strict;
use warnings;

use Encode qw(decode FB_DEFAULT);
use Getopt::Long qw(GetOptions);
use MaxMind::DB::Writer::Tree;
use Time::HiRes qw(time);

my $type = 'ip-location-db-ASN';
my $description = 'AS numbers and organisations converted from CSV address ranges';
GetOptions(
	'type=s'        => \$type,
	'description=s' => \$description,
) or usage();
usage() if @ARGV < 2;
my ($out, @inputs) = @ARGV;

sub usage {
	print STDERR "usage: $0 [--type NAME] [--description TEXT] OUT.mmdb IN.csv [IN.csv ...]\n";
	exit 2;
}

# One CSV line into its fields (RFC 4180 quoting, no line breaks in fields).
sub csv_fields {
	my ($line) = @_;
	my @f;
	my $pos = 0;
	my $len = length $line;
	while (1) {
		my $field = '';
		if ($pos < $len && substr($line, $pos, 1) eq '"') {
			$pos++;
			while (1) {
				my $q = index($line, '"', $pos);
				return undef if $q < 0;    # unterminated quote
				$field .= substr($line, $pos, $q - $pos);
				$pos = $q + 1;
				if ($pos < $len && substr($line, $pos, 1) eq '"') {
					$field .= '"';
					$pos++;
					next;
				}
				last;
			}
			return undef if $pos < $len && substr($line, $pos, 1) ne ',';
		} else {
			my $c = index($line, ',', $pos);
			$c = $len if $c < 0;
			$field = substr($line, $pos, $c - $pos);
			$pos = $c;
		}
		push @f, $field;
		last if $pos >= $len;
		$pos++;    # the comma
		if ($pos >= $len) {
			push @f, '';
			last;
		}
	}
	return \@f;
}

my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version               => 6,
	record_size              => 28,
	database_type            => $type,
	languages                => ['en'],
	description              => { en => $description },
	alias_ipv6_to_ipv4       => 1,
	remove_reserved_networks => 1,
	merge_strategy           => 'none',
	map_key_type_callback    => sub {
		my %t = (
			autonomous_system_number       => 'uint32',
			autonomous_system_organization => 'utf8_string',
		);
		return $t{ $_[0] } // die "unknown key $_[0]\n";
	},
);
$tree->_set_build_epoch($ENV{SOURCE_DATE_EPOCH})
	if defined $ENV{SOURCE_DATE_EPOCH} && $ENV{SOURCE_DATE_EPOCH} =~ /^\d+$/;

my $t0 = time;
my ($rows, $inserted, $bad, $skipped) = (0, 0, 0, 0);
my %seen_record;    # one hash per (asn, org) saves memory; the writer dedups stored data anyway
for my $in (@inputs) {
	open my $fh, '<:raw', $in or die "$0: $in: $!\n";
	my $first = 1;
	while (my $line = <$fh>) {
		$line =~ s/\r?\n\z//;
		next if $line eq '' || $line =~ /^#/;
		$rows++;
		my $f = csv_fields($line);
		if (!$f || @$f < 3) {
			$bad++;
			next;
		}
		my ($start, $end, $asn, @rest) = @$f;
		my $org = join ',', @rest;    # an unquoted comma in a name
		my $header = $first;
		$first = 0;
		next if $header && $asn !~ /^\d+$/;    # a header line
		if ($start !~ /^[0-9a-fA-F:.]+$/ || $end !~ /^[0-9a-fA-F:.]+$/) {
			$bad++;
			next;
		}
		if ($asn !~ /^\d+$/ || $asn == 0 || $asn > 4294967295) {
			$bad++;
			next;
		}
		$org = decode('UTF-8', $org, FB_DEFAULT);
		$org =~ s/^\s+|\s+$//g;
		my $rec = $seen_record{"$asn\0$org"} //= {
			autonomous_system_number => $asn + 0,
			($org ne '' ? (autonomous_system_organization => $org) : ()),
		};
		# Ranges inside an aliased IPv4 location (2001::/32, 2002::/16,
		# ::ffff:0:0/96) cannot be stored; the writer dies on them, as on
		# a bad address or a backwards range.
		if (eval { $tree->insert_range($start, $end, $rec); 1 }) {
			$inserted++;
		} elsif ($@ =~ /aliased network/) {
			$skipped++;
		} else {
			$bad++;
			warn "$0: $in line $.: $@" if $bad <= 5;
		}
	}
	close $fh;
}
my $t1 = time;
die "$0: no usable rows in @inputs\n" if $inserted == 0;

my $tmp = "$out.tmp";
open my $ofh, '>:raw', $tmp or die "$0: $tmp: $!\n";
$tree->write_tree($ofh);
close $ofh or die "$0: $tmp: $!\n";
rename $tmp, $out or die "$0: rename $tmp to $out: $!\n";
my $t2 = time;

printf "%s: %d rows, %d ranges inserted, %d skipped (aliased IPv4 space), %d malformed; "
	. "insert %.1f s, write %.1f s, %d bytes\n",
	$out, $rows, $inserted, $skipped, $bad, $t1 - $t0, $t2 - $t1, -s $out;
