/* affinity — see affinity.h. */
#include "affinity.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One CPU number at *p (digits only, below CPU_SETSIZE); advances *p. */
static int cpu_list_number(const char **p, unsigned *out)
{
	unsigned long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= CPU_SETSIZE)
			return -1;
		s++;
	}
	*out = (unsigned)v;
	*p = s;
	return 0;
}

int cpu_list_parse(const char *text, struct cpu_list *out, char *err, size_t errlen)
{
	const char *p = text;

	memset(out, 0, sizeof(*out));
	while (*p == ' ')
		p++;
	if (!*p) {
		snprintf(err, errlen, "empty CPU list");
		return -1;
	}
	for (;;) {
		const char *item = p;
		unsigned lo, hi;

		if (cpu_list_number(&p, &lo) < 0) {
			snprintf(err, errlen, "'%s': expected a CPU number (0-%d) at '%s'", text,
				 CPU_SETSIZE - 1, item);
			return -1;
		}
		hi = lo;
		if (*p == '-') {
			p++;
			if (cpu_list_number(&p, &hi) < 0 || hi < lo) {
				snprintf(err, errlen, "'%s': bad range at '%s'", text, item);
				return -1;
			}
		}
		for (unsigned c = lo; c <= hi; c++) {
			if (out->n == AFFINITY_MAX) {
				snprintf(err, errlen, "'%s': more than %d CPUs", text, AFFINITY_MAX);
				return -1;
			}
			out->cpu[out->n++] = c;
		}
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (*p != ',') {
			snprintf(err, errlen, "'%s': expected ',' at '%s'", text, p);
			return -1;
		}
		p++;
		while (*p == ' ')
			p++;
	}
}

int affinity_pin(pthread_t t, unsigned cpu, char *err, size_t errlen)
{
	cpu_set_t allowed, one;
	int rc;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && !CPU_ISSET(cpu, &allowed)) {
		snprintf(err, errlen, "CPU %u is not available to this process (%d CPUs allowed)", cpu,
			 CPU_COUNT(&allowed));
		return -1;
	}
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	rc = pthread_setaffinity_np(t, sizeof(one), &one);
	if (rc) {
		snprintf(err, errlen, "cannot pin to CPU %u: %s", cpu, strerror(rc));
		return -1;
	}
	return 0;
}
