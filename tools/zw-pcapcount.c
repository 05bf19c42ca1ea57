/*
 * zw-pcapcount — the bare libpcap read loop, as a baseline for benchmarks.
 *
 *   zw-pcapcount CAPTURE...
 *
 * Opens each capture (pcap or pcapng) with pcap_open_offline, reads every
 * packet with pcap_next_ex and prints, per capture,
 *
 *   packets N caplen_bytes B wire_bytes W FILE
 *
 * Nothing else is done with the packets: the time it takes is the floor
 * under any tool that reads the same file through libpcap.  Exit status 1
 * if a capture cannot be opened or read to its end.
 */

#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

static int pcapcount_file(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, caplen = 0, wire = 0;
	pcap_t *p;
	int rc, ret = -1;

	errbuf[0] = '\0';
	p = pcap_open_offline(path, errbuf);
	if (!p) {
		fprintf(stderr, "zw-pcapcount: cannot open %s: %s\n", path, errbuf);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		caplen += h->caplen;
		wire += h->len;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "zw-pcapcount: %s: read error after %" PRIu64 " packets: %s\n",
		        path, packets, pcap_geterr(p));
		goto out;
	}
	printf("packets %" PRIu64 " caplen_bytes %" PRIu64 " wire_bytes %" PRIu64 " %s\n",
	       packets, caplen, wire, path);
	ret = 0;
out:
	pcap_close(p);
	return ret;
}

int main(int argc, char **argv)
{
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: zw-pcapcount CAPTURE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (pcapcount_file(argv[i]) < 0)
			ret = 1;
	return ret;
}
