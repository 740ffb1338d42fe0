/* listd/run/outcome.c — see outcome.h. */
#include <stdarg.h>
#include <stdio.h>

#include "listd/run/outcome.h"

void request_outcome_set(struct request_outcome *o, bool processed, const char *stat,
                         const char *fmt, ...)
{
	va_list ap;
	o->processed = processed;
	snprintf(o->stat, sizeof(o->stat), "%s", stat);
	va_start(ap, fmt);
	vsnprintf(o->note, sizeof(o->note), fmt, ap);
	va_end(ap);
}
