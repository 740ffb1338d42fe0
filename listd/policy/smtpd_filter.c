/* listd/policy/smtpd_filter.c — the OpenSMTPD filter protocol reader and the
 * Authentication-Results remover (see smtpd_filter.h). */
#include <errno.h>
#include <string.h>

#include "listd/mail/transform.h"
#include "listd/core/ascii.h"
#include "listd/policy/smtpd_filter.h"

/* The next '|'-separated field of *rest; false when there is no '|' left
 * (then the whole rest is the last field and is not taken). */
static bool next_field(struct slice *rest, struct slice *ret_field)
{
	const char *bar = memchr(rest->p, '|', rest->len);
	if (!bar)
		return false;
	*ret_field = slice_make(rest->p, (size_t)(bar - rest->p));
	rest->len -= (size_t)(bar - rest->p) + 1;
	rest->p = bar + 1;
	return true;
}

/* "MAJOR.MINOR" with MAJOR > 0 or MINOR >= 5: the SESSION|TOKEN order. */
static bool version_ok(struct slice v)
{
	unsigned long major = 0, minor = 0;
	size_t i = 0;
	if (v.len == 0 || v.len > 8)
		return false;
	for (; i < v.len && ascii_is_digit(v.p[i]); i++)
		major = major * 10 + (unsigned long)(v.p[i] - '0');
	if (i == 0 || i >= v.len || v.p[i] != '.' || ++i >= v.len)
		return false;
	for (; i < v.len && ascii_is_digit(v.p[i]); i++)
		minor = minor * 10 + (unsigned long)(v.p[i] - '0');
	if (i != v.len)
		return false;
	return major > 0 || minor >= 5;
}

int smtpd_filter_parse(struct slice line, struct smtpd_filter_event *ret_event)
{
	struct smtpd_filter_event ev;
	struct slice rest = line, kind, time;

	if (line.len > SMTPD_FILTER_LINE_MAX)
		return -EMSGSIZE;
	memset(&ev, 0, sizeof(ev));
	if (!next_field(&rest, &kind))
		return -EBADMSG;
	if (slice_eq(kind, slice_cstr("config"))) {
		ev.kind = SMTPD_FILTER_CONFIG;
		if (!next_field(&rest, &ev.name)) {
			ev.name = rest; /* "config|ready" */
			rest = slice_make(line.p + line.len, 0);
		}
		if (ev.name.len == 0)
			return -EBADMSG;
		ev.params = rest;
		*ret_event = ev;
		return 0;
	}
	if (slice_eq(kind, slice_cstr("report")))
		ev.kind = SMTPD_FILTER_REPORT;
	else if (slice_eq(kind, slice_cstr("filter")))
		ev.kind = SMTPD_FILTER_QUERY;
	else
		return -EBADMSG;
	if (!next_field(&rest, &ev.version) || !version_ok(ev.version) ||
	    !next_field(&rest, &time) || !next_field(&rest, &ev.subsystem) ||
	    !next_field(&rest, &ev.name) || ev.name.len == 0)
		return -EBADMSG;
	if (!next_field(&rest, &ev.session)) {
		if (ev.kind == SMTPD_FILTER_QUERY)
			return -EBADMSG;
		ev.session = rest; /* a report with no parameters */
		rest = slice_make(line.p + line.len, 0);
	}
	if (ev.session.len == 0)
		return -EBADMSG;
	if (ev.kind == SMTPD_FILTER_QUERY) {
		if (!next_field(&rest, &ev.token)) {
			ev.token = rest; /* a phase with no parameters */
			rest = slice_make(line.p + line.len, 0);
		}
		if (ev.token.len == 0)
			return -EBADMSG;
	}
	ev.params = rest;
	*ret_event = ev;
	return 0;
}

struct slice smtpd_filter_connect_address(struct slice params)
{
	struct slice rest = params, f, src;
	if (!next_field(&rest, &f) || !next_field(&rest, &f))
		return slice_make(params.p, 0);
	if (!next_field(&rest, &src))
		src = rest;
	if (src.len == 0 || slice_case_starts(src, "unix:") || src.p[0] == '/')
		return slice_make(src.p, 0);
	if (src.p[0] == '[') { /* [2001:db8::1]:port */
		const char *close = memchr(src.p, ']', src.len);
		if (!close)
			return slice_make(src.p, 0);
		return slice_make(src.p + 1, (size_t)(close - src.p - 1));
	}
	const char *colon = memchr(src.p, ':', src.len);
	const char *last = NULL;
	for (size_t i = 0; i < src.len; i++)
		if (src.p[i] == ':')
			last = src.p + i;
	if (colon && colon == last) /* 192.0.2.1:port */
		return slice_make(src.p, (size_t)(colon - src.p));
	return src; /* a bare address */
}

/* ---- Authentication-Results removal ---- */

enum {
	ARSTRIP_START,   /* before the first line of a message */
	ARSTRIP_HEADER,  /* in the header, nothing held */
	ARSTRIP_HOLDING, /* in the header, an A-R field held */
	ARSTRIP_BODY,
};

void smtpd_filter_arstrip_init(struct smtpd_filter_arstrip *s)
{
	s->state = ARSTRIP_START;
	s->held_over = false;
	buf_init(&s->held, 0);
}

void smtpd_filter_arstrip_finish(struct smtpd_filter_arstrip *s)
{
	if (s)
		buf_finish(&s->held);
}

static void add_line(struct buf *out, struct slice line)
{
	buf_add(out, line.p, line.len);
	buf_addch(out, '\n');
}

static bool is_ar_start(struct slice line)
{
	static const char name[] = "Authentication-Results";
	size_t n = sizeof(name) - 1, i;
	if (line.len <= n || !slice_case_starts(line, name))
		return false;
	for (i = n; i < line.len && (line.p[i] == ' ' || line.p[i] == '\t'); i++)
		;
	return i < line.len && line.p[i] == ':';
}

/* Ends the held field: passes it on or drops it. 1 when dropped. */
static int release(struct smtpd_filter_arstrip *s, const char *authserv_id, struct buf *out)
{
	int dropped = 1;
	if (!s->held_over) {
		struct slice all = slice_make(s->held.data, s->held.len), id;
		const char *colon = memchr(all.p, ':', all.len);
		struct slice value = slice_make(colon + 1, all.len - (size_t)(colon + 1 - all.p));
		if (transform_authserv_id(value, &id) < 0 || !slice_case_eq_cstr(id, authserv_id)) {
			buf_add(out, s->held.data, s->held.len);
			dropped = 0;
		}
	}
	buf_reset(&s->held);
	s->held_over = false;
	s->state = ARSTRIP_HEADER;
	return dropped;
}

int smtpd_filter_arstrip_line(struct smtpd_filter_arstrip *s, const char *authserv_id,
                              struct slice line, struct buf *out)
{
	int dropped = 0;
	bool end = line.len == 1 && line.p[0] == '.';

	if (!authserv_id || !*authserv_id) {
		add_line(out, line);
		return 0;
	}
	if (s->state == ARSTRIP_START)
		s->state = ARSTRIP_HEADER;
	if (s->state == ARSTRIP_HOLDING) {
		bool more = line.len > 0 && (line.p[0] == ' ' || line.p[0] == '\t');
		if (more && !end) {
			if (s->held.len + line.len + 1 > SMTPD_FILTER_AR_MAX)
				s->held_over = true;
			if (!s->held_over)
				add_line(&s->held, line);
			return 0;
		}
		dropped = release(s, authserv_id, out);
	}
	if (end) {
		add_line(out, line);
		s->state = ARSTRIP_START;
		return dropped;
	}
	if (s->state == ARSTRIP_HEADER) {
		if (line.len == 0) {
			s->state = ARSTRIP_BODY;
		} else if (is_ar_start(line)) {
			s->state = ARSTRIP_HOLDING;
			if (line.len + 1 > SMTPD_FILTER_AR_MAX)
				s->held_over = true;
			else
				add_line(&s->held, line);
			return dropped;
		}
	}
	add_line(out, line);
	return dropped;
}
