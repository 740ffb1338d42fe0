/* listd/mail/digest_build.c — MIME and RFC 1153 digests, mbox form
 * (digest_build.h). */
#include "listd/mail/digest_build.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bounce/mime.h"
#include "listd/core/header.h"
#include "listd/core/limits.h"

#define BOUNDARY_TRIES 64
#define PLAIN_TOC_RULE "----------------------------------------------------------------------"
#define PLAIN_MSG_RULE "------------------------------"

/* Skips an mbox "From " line at the start of a stored post. */
static void post_trim(const char **p, size_t *n)
{
	if (*n >= 5 && memcmp(*p, "From ", 5) == 0) {
		const char *nl = memchr(*p, '\n', *n);
		size_t skip = nl ? (size_t)(nl - *p) + 1 : *n;
		*p += skip;
		*n -= skip;
	}
}

void digest_field(const char *data, size_t len, const char *name, char *ret_value, size_t size)
{
	struct header_field f;
	struct buf b;
	size_t n = 0;

	if (size == 0)
		return;
	ret_value[0] = '\0';
	if (header_find(data, len, name, &f) != 1)
		return;
	buf_init(&b, 0);
	mime_decode_words(f.value, &b, LIMIT_LINE);
	const char *v = b.data;
	size_t vl = b.len;
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	n = vl < size - 1 ? vl : size - 1;
	/* do not cut a UTF-8 sequence */
	if (n < vl)
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		ret_value[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	ret_value[n] = '\0';
	buf_finish(&b);
}

static void date_format(int64_t t, struct buf *out)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));
	buf_addf(out, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
	         months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* True when "--" boundary occurs at the start of a line of a post. */
static bool boundary_clashes(const char *boundary, const struct digest_post *posts, size_t n)
{
	size_t bl = strlen(boundary);
	for (size_t i = 0; i < n; i++) {
		const char *p = posts[i].data, *end = p + posts[i].len;
		while (p < end) {
			const char *hit = memmem(p, (size_t)(end - p), boundary, bl);
			if (!hit)
				break;
			if (hit - posts[i].data >= 2 && hit[-1] == '-' && hit[-2] == '-')
				return true;
			p = hit + 1;
		}
	}
	return false;
}

static int boundary_pick(const struct digest_params *p, const char *tag,
                         const struct digest_post *posts, size_t n, char *ret_boundary, size_t size)
{
	for (unsigned i = 0; i < BOUNDARY_TRIES; i++) {
		snprintf(ret_boundary, size, "=_%s_%016" PRIx64 "_%u_%u", tag, p->seed, p->issue,
		         i);
		if (!boundary_clashes(ret_boundary, posts, n))
			return 0;
	}
	return -ELOOP;
}

static void toc_line(const struct digest_post *post, const char *indent, struct buf *out)
{
	char subject[201], from[201];
	const char *d = post->data;
	size_t n = post->len;
	post_trim(&d, &n);
	digest_field(d, n, "Subject", subject, sizeof(subject));
	digest_field(d, n, "From", from, sizeof(from));
	buf_addf(out, "%s#%" PRIu32 "  %s (%s)\n", indent, post->number,
	         subject[0] ? subject : "(no subject)", from[0] ? from : "unknown sender");
}

static void header_common(const struct digest_params *p, const char *kind, struct buf *out)
{
	buf_addf(out, "From: %s%s@%s\n", p->list_local, p->request_suffix, p->domain);
	buf_addf(out, "To: %s@%s\n", p->list_local, p->domain);
	buf_addf(out, "Subject: %s Digest, Vol %" PRIu32 ", Issue %" PRIu32 "\n", p->list_local,
	         p->volume, p->issue);
	buf_adds(out, "Date: ");
	date_format(p->date, out);
	buf_addch(out, '\n');
	buf_addf(out, "Message-ID: <digest.%" PRIu32 ".%" PRIu32 ".%016" PRIx64 "@%s>\n", p->volume,
	         p->issue, p->seed, p->domain);
	buf_adds(out, "MIME-Version: 1.0\n");
	buf_addf(out, "X-Digest: %s\n", kind);
}

/* Appends the post, line ends as stored, making sure it ends in LF. */
static void post_copy(const struct digest_post *post, struct buf *out)
{
	const char *d = post->data;
	size_t n = post->len;
	post_trim(&d, &n);
	buf_add(out, d, n);
	if (n == 0 || d[n - 1] != '\n')
		buf_addch(out, '\n');
}

static int build_mime(const struct digest_params *p, const struct digest_post *posts, size_t n,
                      struct buf *out)
{
	char outer[96], inner[96];
	int r = boundary_pick(p, "o", posts, n, outer, sizeof(outer));
	if (r == 0)
		r = boundary_pick(p, "d", posts, n, inner, sizeof(inner));
	if (r < 0)
		return r;
	header_common(p, "mime", out);
	buf_addf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\n\n", outer);
	buf_adds(out, "This is a MIME digest.\n");
	buf_addf(out,
	         "\n--%s\nContent-Type: text/plain; charset=utf-8\n"
	         "Content-Transfer-Encoding: 8bit\n\n",
	         outer);
	buf_addf(out,
	         "%s Digest, Vol %" PRIu32 ", Issue %" PRIu32 "\n\n"
	         "Today's Topics:\n\n",
	         p->list_local, p->volume, p->issue);
	for (size_t i = 0; i < n; i++)
		toc_line(&posts[i], "  ", out);
	buf_addf(out, "\nTo get post N again, send \"get N\" to %s%s@%s.\n", p->list_local,
	         p->request_suffix, p->domain);
	buf_addf(out, "\n--%s\nContent-Type: multipart/digest; boundary=\"%s\"\n\n", outer, inner);
	for (size_t i = 0; i < n; i++) {
		buf_addf(out, "--%s\nContent-Type: message/rfc822\n\n", inner);
		post_copy(&posts[i], out);
		buf_addch(out, '\n');
	}
	buf_addf(out, "--%s--\n\n--%s--\n", inner, outer);
	return 0;
}

/* The body of a post with lines of exactly 30 hyphens escaped. */
static void plain_body(const char *d, size_t n, struct buf *out)
{
	size_t rl = sizeof(PLAIN_MSG_RULE) - 1;
	const char *end = d + n;
	while (d < end) {
		const char *nl = memchr(d, '\n', (size_t)(end - d));
		size_t ll = nl ? (size_t)(nl - d) : (size_t)(end - d);
		size_t content = ll > 0 && d[ll - 1] == '\r' ? ll - 1 : ll;
		if (content == rl && memcmp(d, PLAIN_MSG_RULE, rl) == 0)
			buf_addch(out, ' ');
		buf_add(out, d, content);
		buf_addch(out, '\n');
		d += nl ? ll + 1 : ll;
	}
}

static void build_plain(const struct digest_params *p, const struct digest_post *posts, size_t n,
                        struct buf *out)
{
	static const char *const fields[] = { "Date", "From", "Subject", "Message-ID" };
	char v[201];

	header_common(p, "plain", out);
	buf_adds(out,
	         "Content-Type: text/plain; charset=utf-8\n"
	         "Content-Transfer-Encoding: 8bit\n\n");
	buf_addf(out, "%s Digest    ", p->list_local);
	date_format(p->date, out);
	buf_addf(out,
	         "    Volume %" PRIu32 " : Issue %" PRIu32 "\n\n"
	         "Today's Topics:\n\n",
	         p->volume, p->issue);
	for (size_t i = 0; i < n; i++)
		toc_line(&posts[i], "    ", out);
	buf_addf(out, "\nTo get post N again, send \"get N\" to %s%s@%s.\n", p->list_local,
	         p->request_suffix, p->domain);
	buf_adds(out, "\n" PLAIN_TOC_RULE "\n\n");
	for (size_t i = 0; i < n; i++) {
		const char *d = posts[i].data;
		size_t len = posts[i].len;
		post_trim(&d, &len);
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			digest_field(d, len, fields[f], v, sizeof(v));
			if (v[0])
				buf_addf(out, "%s: %s\n", fields[f], v);
		}
		buf_addf(out, "X-Archive-Number: %" PRIu32 "\n\n", posts[i].number);
		size_t body = header_body_offset(d, len);
		plain_body(d + body, len - body, out);
		buf_adds(out, "\n" PLAIN_MSG_RULE "\n\n");
	}
	size_t mark = out->len;
	buf_addf(out, "End of %s Digest, Vol %" PRIu32 ", Issue %" PRIu32, p->list_local, p->volume,
	         p->issue);
	size_t stars = out->len - mark;
	buf_addch(out, '\n');
	for (size_t i = 0; i < stars; i++)
		buf_addch(out, '*');
	buf_addch(out, '\n');
}

int digest_build(enum digest_form form, const struct digest_params *p,
                 const struct digest_post *posts, size_t n, struct buf *out)
{
	if (n == 0 || !p->list_local || !p->domain || !p->request_suffix)
		return -EINVAL;
	/* one allocation for the whole digest rather than doubling copies:
	 * the posts, a table-of-contents line and part headers each */
	size_t need = 4096;
	for (size_t i = 0; i < n; i++)
		need += posts[i].len + 640;
	buf_grow(out, need);
	if (form == DIGEST_FORM_MIME)
		return build_mime(p, posts, n, out);
	build_plain(p, posts, n, out);
	return 0;
}

static bool is_from_line(const char *d, size_t ll)
{
	size_t i = 0;
	while (i < ll && d[i] == '>')
		i++;
	return ll - i >= 5 && memcmp(d + i, "From ", 5) == 0;
}

void digest_mbox_append(const char *sender, int64_t date, const char *data, size_t len,
                        struct buf *out)
{
	char when[32];
	struct tm tm;
	time_t tt = (time_t)date;
	if (!gmtime_r(&tt, &tm) || !strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm))
		snprintf(when, sizeof(when), "Thu Jan  1 00:00:00 1970");
	buf_addf(out, "From %s %s\n", sender && sender[0] ? sender : "MAILER-DAEMON", when);
	post_trim(&data, &len);
	const char *d = data, *end = data + len;
	while (d < end) {
		const char *nl = memchr(d, '\n', (size_t)(end - d));
		size_t ll = nl ? (size_t)(nl - d) : (size_t)(end - d);
		size_t content = ll > 0 && d[ll - 1] == '\r' ? ll - 1 : ll;
		if (is_from_line(d, content))
			buf_addch(out, '>');
		buf_add(out, d, content);
		buf_addch(out, '\n');
		d += nl ? ll + 1 : ll;
	}
	buf_addch(out, '\n');
}
