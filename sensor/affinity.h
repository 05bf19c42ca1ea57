/*
 * affinity — CPU lists (capture.cpus, workers.cpus) and pinning threads to
 * them.
 *
 * A list is what taskset -c and /proc's Cpus_allowed_list write: CPU
 * numbers and ranges, comma-separated ("0", "1,3", "0-3,6").  Order is kept
 * and repeats are allowed: worker i goes to the i-th CPU of workers.cpus,
 * round robin when there are more workers than CPUs.
 */
#ifndef ZW_AFFINITY_H
#define ZW_AFFINITY_H

#include <pthread.h>
#include <stddef.h>

#define AFFINITY_MAX 64        /* CPUs in one list */

struct cpu_list {
	unsigned n;
	unsigned cpu[AFFINITY_MAX];
};

/* Parse text into out; 0, or -1 with the reason (naming the bad part). */
int cpu_list_parse(const char *text, struct cpu_list *out, char *err, size_t errlen);

/* Pin thread t to one CPU; 0, or -1 with the reason (an offline CPU, one
 * outside the process's own affinity, a CPU number the kernel refuses). */
int affinity_pin(pthread_t t, unsigned cpu, char *err, size_t errlen);

#endif
