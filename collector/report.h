/*
 * report — the self-inspection report of policy clause 第7 (自己点検) over a
 * time range: alerts per policy clause, per zone, per sensor, per day, per
 * severity, top rules and talkers, as one self-contained HTML file (charts
 * in inline SVG, no script, no network), as Markdown, or as CSV.  Labels in
 * Japanese, or English.  Numbers come from store_count_by (query.h), so a
 * query with the same filter gives the same counts.  Main thread.
 */
#ifndef ZW_REPORT_H
#define ZW_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "query.h"
#include "store.h"

enum report_format { REPORT_HTML, REPORT_MARKDOWN, REPORT_CSV };

struct report_opts {
	struct query_filter filter;   /* from_us/to_us required; tz_offset_s */
	enum report_format format;
	bool english;
	uint64_t top_n;               /* rows of each top table (10) */
	int64_t generated_us;         /* printed as the report's time */
	const char *title;            /* NULL: the default title */
};

int report_write(struct store *s, const struct report_opts *o, FILE *out, char *err, size_t errlen);

#endif
