/* Unit tests: sensor/affinity.h — CPU lists as taskset -c writes them
 * (numbers, ranges, order kept, repeats allowed), the errors naming the bad
 * part, and pinning a thread (checked with sched_getaffinity). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "affinity.h"
#include "check.h"

static int parses(const char *text, const unsigned *want, unsigned n)
{
	struct cpu_list l;
	char err[256];

	if (cpu_list_parse(text, &l, err, sizeof(err)) != 0 || l.n != n)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (l.cpu[i] != want[i])
			return 0;
	return 1;
}

static int refused(const char *text, const char *reason_part)
{
	struct cpu_list l;
	char err[256] = "";

	return cpu_list_parse(text, &l, err, sizeof(err)) == -1 && strstr(err, reason_part) != NULL;
}

int main(void)
{
	static const unsigned a[] = { 0 }, b[] = { 1, 3 }, c[] = { 0, 1, 2, 3, 6 }, d[] = { 2, 0, 2 };
	cpu_set_t set, saved;
	char err[256];

	CHECK(parses("0", a, 1), "0");
	CHECK(parses("1,3", b, 2), "1,3");
	CHECK(parses(" 0-3, 6 ", c, 5), "0-3,6 with spaces");
	CHECK(parses("2,0,2", d, 3), "order and repeats kept");
	CHECK(refused("", "empty"), "empty list");
	CHECK(refused("a", "expected a CPU number"), "not a number");
	CHECK(refused("1,", "expected a CPU number"), "trailing comma");
	CHECK(refused("3-1", "bad range"), "backwards range");
	CHECK(refused("1;2", "expected ','"), "bad separator");
	CHECK(refused("99999", "expected a CPU number"), "beyond CPU_SETSIZE");
	CHECK(refused("0-100", "more than"), "over AFFINITY_MAX CPUs");

	/* pin this thread to the first CPU it may use, check, restore */
	CHECK(sched_getaffinity(0, sizeof(saved), &saved) == 0, "sched_getaffinity");
	for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &saved))
			continue;
		CHECK(affinity_pin(pthread_self(), cpu, err, sizeof(err)) == 0, "pin to %u: %s", cpu, err);
		CHECK(sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1 &&
		      CPU_ISSET(cpu, &set), "pinned to CPU %u alone", cpu);
		break;
	}
	CHECK(sched_setaffinity(0, sizeof(saved), &saved) == 0, "restore");
	CHECK(affinity_pin(pthread_self(), CPU_SETSIZE - 1, err, sizeof(err)) == -1 &&
	      strstr(err, "not available"), "a CPU outside the process's set: %s", err);
	return check_done();
}
