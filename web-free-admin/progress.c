/* web-free-admin/progress.c — a one-line progress bar on stderr, drawn only
 * when stderr is a terminal and --quiet is not given. */
#include "internal.h"

#include <time.h>
#include <unistd.h>

#define PROGRESS_WIDTH 30

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void progress_init(struct progress *p, bool quiet)
{
	p->on = !quiet && isatty(2);
	p->last_ms = 0;
	p->drawn = 0;
}

void progress_update(struct progress *p, uint64_t done, uint64_t total, uint64_t count)
{
	if (!p->on)
		return;
	uint64_t t = now_ms();
	if (p->last_ms && t - p->last_ms < 100)
		return;
	p->last_ms = t;

	char line[128];
	int n;
	if (total > 0) {
		if (done > total)
			done = total;
		unsigned fill = (unsigned)(done * PROGRESS_WIDTH / total);
		char bar[PROGRESS_WIDTH + 1];
		for (unsigned i = 0; i < PROGRESS_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[PROGRESS_WIDTH] = 0;
		n = snprintf(line, sizeof(line), "\r[%s] %3u%%  %llu entries", bar,
		             (unsigned)(done * 100 / total), (unsigned long long)count);
	} else {
		n = snprintf(line, sizeof(line), "\r%llu entries, %llu bytes",
		             (unsigned long long)count, (unsigned long long)done);
	}
	if (n < 0)
		return;
	fputs(line, stderr);
	p->drawn = (size_t)n;
	fflush(stderr);
}

void progress_finish(struct progress *p)
{
	if (!p->on || p->drawn == 0)
		return;
	fputc('\r', stderr);
	for (size_t i = 1; i < p->drawn; i++)
		fputc(' ', stderr);
	fputc('\r', stderr);
	fflush(stderr);
	p->drawn = 0;
}
