#!/usr/bin/perl
# make-fixtures.pl — rebuild the two small synthetic databases of this folder
# that tests/unit/test_geo.c uses besides MaxMind's test files:
#
#   zw-country-Test.mmdb  country records in the layouts geo.c reads:
#                         country.iso_code, registered_country.iso_code only,
#                         a top-level country_code (ip-location-db), a
#                         lower-case code, and a malformed one
#   zw-asn-Test.mmdb      zw-asn-Test.csv through scripts/asn-csv-to-mmdb.pl
#                         (quoted names, no name, an unaligned range, names
#                         that end right at / across geo.h's GEO_ORG_MAX)
#
# Run from the top of the repository:  perl test-data/mmdb/make-fixtures.pl
# Needs Debian's libmaxmind-db-writer-perl.  The build epoch is fixed so the
# files come out the same every time.
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

my $dir = 'test-data/mmdb';
my $epoch = 1767225600;    # 2026-01-01

my %types = (
	country            => 'map',
	registered_country => 'map',
	iso_code           => 'utf8_string',
	country_code       => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version            => 6,
	record_size           => 24,
	database_type         => 'zonewatch-Test-Country',
	languages             => ['en'],
	description           => { en => 'zonewatch synthetic country test data' },
	alias_ipv6_to_ipv4    => 1,
	map_key_type_callback => sub { $types{ $_[0] } // die "unknown key $_[0]\n" },
);
$tree->_set_build_epoch($epoch);
$tree->insert_network('1.2.3.0/24', { country_code => 'AU' });
$tree->insert_network('1.2.4.0/24', { registered_country => { iso_code => 'DE' } });
$tree->insert_network('1.2.5.0/24',
	{ country => { iso_code => 'fr' }, registered_country => { iso_code => 'BE' } });
$tree->insert_network('1.2.6.0/24', { country_code => 'XYZ' });
$tree->insert_network('2a00:1450::/32', { country_code => 'IE' });
open my $fh, '>:raw', "$dir/zw-country-Test.mmdb" or die "$dir/zw-country-Test.mmdb: $!\n";
$tree->write_tree($fh);
close $fh or die "$!\n";
print "$dir/zw-country-Test.mmdb: ", -s "$dir/zw-country-Test.mmdb", " bytes\n";

$ENV{SOURCE_DATE_EPOCH} = $epoch;
system('perl', 'scripts/asn-csv-to-mmdb.pl', '--type', 'zonewatch-Test-ASN',
	'--description', 'zonewatch synthetic AS number test data',
	"$dir/zw-asn-Test.mmdb", "$dir/zw-asn-Test.csv") == 0
	or die "asn-csv-to-mmdb.pl failed\n";
