/* web-free-admin/output.c — aligned human tables and JSON lines. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listd/core/ascii.h"
#include "listd/core/xalloc.h"

#define TABLE_BATCH 1000

/* Columns on a terminal: UTF-8 code points, not bytes. */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void table_init(struct table *t, FILE *out, size_t ncols, const char *const *heads)
{
	if (ncols == 0 || ncols > TABLE_MAX_COLS)
		abort();
	memset(t, 0, sizeof(*t));
	t->out = out;
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		t->heads[i] = heads[i];
		t->width[i] = text_width(heads[i]);
	}
}

/* Copies s with control characters shown as '?' so that a hostile name
 * cannot move the cursor or break the table. */
static char *cell_dup(const char *s)
{
	char *d = xstrdup(s ? s : "-");
	for (char *p = d; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return d;
}

static void table_print_row(struct table *t, const char *const *cells)
{
	for (size_t i = 0; i < t->ncols; i++) {
		bool last = i + 1 == t->ncols;
		fputs(cells[i], t->out);
		if (!last) {
			size_t w = text_width(cells[i]);
			for (; w < t->width[i] + 2; w++)
				fputc(' ', t->out);
		}
	}
	fputc('\n', t->out);
}

static void table_flush(struct table *t)
{
	if (!t->head_done) {
		table_print_row(t, t->heads);
		t->head_done = true;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		char **row = t->cells + r * t->ncols;
		table_print_row(t, (const char *const *)row);
		for (size_t i = 0; i < t->ncols; i++)
			free(row[i]);
	}
	t->nrows = 0;
}

void table_add(struct table *t, const char *const *cells)
{
	if (t->nrows == TABLE_BATCH)
		table_flush(t);
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols, sizeof(*t->cells));
	}
	char **row = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		row[i] = cell_dup(cells[i]);
		size_t w = text_width(row[i]);
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
}

void table_finish(struct table *t)
{
	table_flush(t);
	free(t->cells);
	t->cells = NULL;
	t->cap = 0;
}

void json_line_end(struct buf *j)
{
	buf_adds(j, "}\n");
	fwrite(j->data, 1, j->len, stdout);
	buf_reset(j);
}

void adm_time_format(int64_t t, char ret_text[32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || !strftime(ret_text, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(ret_text, 32, "@%lld", (long long)t);
}

/* Reads n digits at *p into *ret_value; advances p. */
static bool digits(const char **p, int n, int *ret_value)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!ascii_is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret_value = v;
	return true;
}

int adm_time_parse(const char *s, int64_t *ret_time)
{
	if (s[0] == '@') {
		char *end;
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || *end)
			return -EINVAL;
		*ret_time = v;
		return 0;
	}
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return -EINVAL;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return -EINVAL;
		}
		if (*p == 'Z')
			p++;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	struct tm tm = { .tm_year = y - 1900,
		         .tm_mon = mo - 1,
		         .tm_mday = d,
		         .tm_hour = h,
		         .tm_min = mi,
		         .tm_sec = sec };
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret_time = (int64_t)t;
	return 0;
}
