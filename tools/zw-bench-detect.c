/*
 * zw-bench-detect — what the behavioural detectors cost per packet, alone.
 *
 *   zw-bench-detect CAPTURE [ROUNDS [MEMORY_MIB [ONLY]]]
 *
 * Reads the capture into memory, decodes every frame once, then for each
 * configuration (no detector, all of them, each one alone) feeds all
 * packets to detect_packet (with a tick every second of packet time, as
 * zw-sensor does) ROUNDS times (default 3) and prints the best thread CPU
 * time per packet.  No alert output: alerts are counted, not formatted.
 * The end-to-end comparison (zw-sensor with the detectors on and off) is
 * tests/bench/bench.sh; this says which detector the difference comes from.
 * ONLY (none, all or a detector's name) runs that configuration alone, for
 * a profiler.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "detect.h"

struct bench_pkt {
	uint64_t ts_us;
	struct decoded d;
	uint8_t *frame;
	int rc;
};

static double bench_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double bench_run(const struct detect_config *cfg, const struct bench_pkt *pk, size_t n)
{
	char err[256];
	struct detect *d = detect_new(cfg, "bench", NULL, 0, NULL, err, sizeof(err));
	uint64_t next_tick = 0;
	double t0;

	if (!d) {
		fprintf(stderr, "zw-bench-detect: %s\n", err);
		exit(1);
	}
	t0 = bench_cpu_s();
	for (size_t i = 0; i < n; i++) {
		struct detect_pkt p = { .ts_us = pk[i].ts_us, .d = &pk[i].d, .frame = pk[i].frame,
					.fragment = pk[i].rc == DECODE_FRAGMENT };
		if (pk[i].ts_us >= next_tick) {
			if (next_tick)
				detect_tick(d, pk[i].ts_us, NULL);
			next_tick = pk[i].ts_us + 1000000u;
		}
		detect_packet(d, &p, NULL);
	}
	detect_close(d, NULL, true);
	t0 = bench_cpu_s() - t0;
	detect_free(d);
	return t0;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "scan", "flood", "beacon", "dns", "transfer", "brute_force" };
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct bench_pkt *pk = NULL;
	size_t n = 0, cap = 0;
	int rounds = argc > 2 ? atoi(argv[2]) : 3, dlt, rc;
	struct detect_config base, c;
	pcap_t *p;

	if (argc < 2) {
		fprintf(stderr, "usage: zw-bench-detect CAPTURE [ROUNDS [MEMORY_MIB [ONLY]]]\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "zw-bench-detect: %s: %s\n", argv[1], errbuf);
		return 1;
	}
	dlt = pcap_datalink(p);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (n == cap) {
			struct bench_pkt *more;

			cap = cap ? cap * 2 : 65536;
			more = realloc(pk, cap * sizeof(*pk));
			if (!more) {
				fprintf(stderr, "zw-bench-detect: out of memory\n");
				return 1;
			}
			pk = more;
		}
		pk[n].ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		pk[n].frame = malloc(h->caplen ? h->caplen : 1);
		if (!pk[n].frame)
			return 1;
		memcpy(pk[n].frame, data, h->caplen);
		pk[n].rc = decode_frame(dlt, pk[n].frame, h->caplen, &pk[n].d);
		if (pk[n].rc != DECODE_OK && pk[n].rc != DECODE_FRAGMENT) {
			free(pk[n].frame);
			continue;
		}
		if (n && pk[n].ts_us < pk[n - 1].ts_us)
			pk[n].ts_us = pk[n - 1].ts_us;   /* as zw-sensor: time never goes back */
		n++;
	}
	pcap_close(p);
	if (!n)
		return 1;
	detect_config_defaults(&base);
	if (argc > 3)
		base.memory = (uint64_t)strtoull(argv[3], NULL, 10) << 20;
	printf("%zu decoded packets, detect.memory %llu MiB, best of %d rounds, CPU ns per packet:\n",
	       n, (unsigned long long)(base.memory >> 20), rounds);
	for (int cfgi = -2; cfgi < (int)(sizeof(names) / sizeof(names[0])); cfgi++) {
		const char *name = cfgi == -2 ? "none" : cfgi == -1 ? "all" : names[cfgi];
		double best = 1e9;

		if (argc > 4 && strcmp(argv[4], name) != 0)
			continue;
		c = base;
		if (cfgi != -1) {
			c.scan_on = c.flood_on = c.beacon_on = c.dns_on = c.xfer_on = c.brute_on = 0;
			c.first_on = 0;
		}
		switch (cfgi) {
		case 0: c.scan_on = 1; break;
		case 1: c.flood_on = 1; break;
		case 2: c.beacon_on = 1; break;
		case 3: c.dns_on = 1; break;
		case 4: c.xfer_on = 1; break;
		case 5: c.brute_on = 1; break;
		default: break;
		}
		for (int r = 0; r < rounds; r++) {
			double t = bench_run(&c, pk, n);
			if (t < best)
				best = t;
		}
		printf("  %-12s %7.1f\n", name, best * 1e9 / (double)n);
	}
	for (size_t i = 0; i < n; i++)
		free(pk[i].frame);
	free(pk);
	return 0;
}
