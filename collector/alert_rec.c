/*
 * alert_rec — the record's owned strings.  See alert_rec.h.
 */
#include <stdlib.h>
#include <string.h>

#include "alert_rec.h"

void alert_rec_fini(struct alert_rec *r)
{
	if (r == NULL)
		return;
	free(r->sensor);
	free(r->signature);
	free(r->signature_en);
	free(r->category);
	free(r->clause);
	free(r->threat);
	free(r->in_iface);
	free(r->proto);
	free(r->app_proto);
	free(r->src.text);
	free(r->dest.text);
	free(r->src_zone);
	free(r->dest_zone);
	free(r->src_zone_name);
	free(r->dest_zone_name);
	free(r->src_country);
	free(r->dest_country);
	free(r->health_condition);
	free(r->health_state);
	free(r->behaviour_detector);
	free(r->behaviour_kind);
	free(r->json);
	/* zeroed again: a second fini, or a fini of a record that a failed
	 * alert_parse left, frees nothing twice */
	memset(r, 0, sizeof(*r));
}
