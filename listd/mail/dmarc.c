/* listd/mail/dmarc.c — see dmarc.h. */
#include "listd/mail/dmarc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "listd/core/ascii.h"
#include "listd/core/header.h"

/* ---- DMARC records ------------------------------------------------------- */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static enum dmarc_disposition disposition_value(struct slice v, bool *ok)
{
	*ok = true;
	if (slice_case_eq_cstr(v, "none"))
		return DMARC_DISPOSITION_NONE;
	if (slice_case_eq_cstr(v, "quarantine"))
		return DMARC_DISPOSITION_QUARANTINE;
	if (slice_case_eq_cstr(v, "reject"))
		return DMARC_DISPOSITION_REJECT;
	*ok = false;
	return DMARC_DISPOSITION_NONE;
}

int dmarc_record_parse(struct slice txt, struct dmarc_record *ret_record)
{
	struct dmarc_record rec = { DMARC_DISPOSITION_NONE, DMARC_DISPOSITION_NONE };
	bool have_p = false, have_sp = false, first = true;
	size_t i = 0;

	if (txt.len > DMARC_RECORD_MAX)
		return -EINVAL;
	while (i <= txt.len) {
		/* one tag: [wsp] name [wsp] '=' [wsp] value [wsp] (';' | end) */
		size_t end = i;
		while (end < txt.len && txt.p[end] != ';')
			end++;
		struct slice tag = slice_trim(slice_make(txt.p + i, end - i));
		i = end + 1;
		if (tag.len == 0) {
			if (first)
				return -EINVAL;
			continue; /* empty tag between ';;' or a final ';' */
		}
		const char *eq = memchr(tag.p, '=', tag.len);
		if (!eq) {
			if (first)
				return -EINVAL;
			continue; /* malformed tag: ignored, like an unknown one */
		}
		struct slice name = slice_make(tag.p, (size_t)(eq - tag.p));
		struct slice val = slice_make(eq + 1, tag.len - name.len - 1);
		while (name.len && is_wsp(name.p[name.len - 1]))
			name.len--;
		while (val.len && is_wsp(val.p[0])) {
			val.p++;
			val.len--;
		}
		if (first) {
			if (!slice_eq(name, slice_cstr("v")) ||
			    !slice_eq(val, slice_cstr("DMARC1")))
				return -EINVAL;
			first = false;
			continue;
		}
		bool ok;
		if (slice_case_eq_cstr(name, "p") && !have_p) {
			enum dmarc_disposition v = disposition_value(val, &ok);
			if (ok) {
				rec.p = v;
				have_p = true;
			}
		} else if (slice_case_eq_cstr(name, "sp") && !have_sp) {
			enum dmarc_disposition v = disposition_value(val, &ok);
			if (ok) {
				rec.sp = v;
				have_sp = true;
			}
		}
	}
	if (first)
		return -EINVAL;
	if (!have_sp)
		rec.sp = rec.p;
	*ret_record = rec;
	return 0;
}

int dmarc_record_select(const struct slice *txts, size_t n, struct dmarc_record *ret_record)
{
	struct dmarc_record rec, found;
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (dmarc_record_parse(txts[i], &rec) == 0) {
			found = rec;
			count++;
		}
	}
	if (count != 1)
		return -ENOENT;
	*ret_record = found;
	return 0;
}

const char *dmarc_org_domain(const psl_ctx_t *psl, const char *domain)
{
	char low[LIMIT_ADDR_DOMAIN + 1];
	size_t n = strlen(domain);

	if (!psl || n == 0 || n > LIMIT_ADDR_DOMAIN)
		return domain;
	for (size_t i = 0; i <= n; i++)
		low[i] = ascii_lower(domain[i]);
	/* NULL for a public suffix itself, and for what libpsl cannot read */
	const char *reg = psl_registrable_domain(psl, low);
	if (!reg || reg < low || reg > low + n)
		return domain;
	return domain + (reg - low);
}

enum dmarc_disposition dmarc_disposition_for(const struct dmarc_record *rec, bool from_org)
{
	return from_org ? rec->sp : rec->p;
}

bool dmarc_disposition_strict(enum dmarc_disposition p)
{
	return p == DMARC_DISPOSITION_QUARANTINE || p == DMARC_DISPOSITION_REJECT;
}

const char *dmarc_disposition_name(enum dmarc_disposition p)
{
	switch (p) {
	case DMARC_DISPOSITION_ABSENT:
		return "absent";
	case DMARC_DISPOSITION_NONE:
		return "none";
	case DMARC_DISPOSITION_QUARANTINE:
		return "quarantine";
	case DMARC_DISPOSITION_REJECT:
		return "reject";
	}
	return "?";
}

/* ---- the author ------------------------------------------------------------ */

int dmarc_author(const char *msg, size_t len, struct addr *ret_addr, struct buf *ret_display)
{
	struct header_field f;
	struct buf v = BUF_INIT, disp = BUF_INIT;
	struct addr a;
	const char *why;
	int r;

	if (header_find(msg, len, "From", &f) != 1)
		return -ENOENT;
	header_unfold(f.value, &v);
	r = addr_parse_entry(slice_make(v.data, v.len), &a, &disp, &why);
	if (r == 0) {
		*ret_addr = a;
		if (ret_display)
			buf_add(ret_display, disp.data, disp.len);
	} else {
		r = -EINVAL;
	}
	buf_finish(&v);
	buf_finish(&disp);
	return r;
}

/* ---- rewrites -------------------------------------------------------------- */

static bool param_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f || *s == '"' || *s == '<' || *s == '>' ||
		    *s == '\\')
			return false;
	return true;
}

/* Encoded words written outside quotes: printable ASCII atoms only. */
static bool encoded_phrase_ok(struct slice s)
{
	if (!slice_case_find(s, "=?"))
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == '@' || c == ',' || c == ';' || c == ':' || c == '\\' ||
		    c == '(' || c == ')' || c == '[' || c == ']')
			return false;
	}
	return true;
}

static bool quotable(struct slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return false;
	}
	return true;
}

static void add_quoted(struct buf *b, struct slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i] == '\t' ? ' ' : s.p[i];
		if (c == '"' || c == '\\')
			buf_addch(b, '\\');
		buf_addch(b, c);
	}
}

/* Appends "From: NAME via LIST <LIST@DOMAIN>\r\n". */
static void add_from(struct buf *b, const char *msg, size_t len,
                     const struct dmarc_rewrite_params *p)
{
	struct addr a;
	struct buf disp = BUF_INIT;
	int r = dmarc_author(msg, len, &a, &disp);
	struct slice name = slice_trim(slice_make(disp.data, disp.len));

	if (name.len > DMARC_NAME_MAX)
		name.len = DMARC_NAME_MAX;
	buf_adds(b, "From: ");
	if (r == 0 && name.len && encoded_phrase_ok(name)) {
		buf_add(b, name.p, name.len);
		buf_addf(b, " via %s", p->list_local);
	} else {
		buf_addch(b, '"');
		if (r == 0 && name.len && quotable(name)) {
			add_quoted(b, name);
		} else if (r == 0) {
			struct buf who = BUF_INIT;
			addr_format(&a, &who);
			/* "alice at example.org"; an 8-bit local part is not quoted here */
			struct slice w = slice_make(who.data, who.len);
			const char *at = memchr(w.p, '@', w.len);
			struct slice local = slice_make(w.p, at ? (size_t)(at - w.p) : w.len);
			if (local.len > DMARC_NAME_MAX)
				local.len = DMARC_NAME_MAX;
			if (quotable(local))
				add_quoted(b, local);
			else
				buf_adds(b, "author");
			buf_addf(b, " at %s", a.domain);
			buf_finish(&who);
		} else {
			buf_adds(b, "unknown author");
		}
		buf_addf(b, " via %s\"", p->list_local);
	}
	buf_addf(b, " <%s@%s>\r\n", p->list_local, p->domain);
	buf_finish(&disp);
}

static void add_field(struct buf *b, const char *name, struct slice value)
{
	buf_adds(b, name);
	buf_addch(b, ':');
	buf_add(b, value.p, value.len);
	buf_adds(b, "\r\n");
}

static void munge(const char *msg, size_t len, const struct dmarc_rewrite_params *p,
                  struct buf *ret_msg)
{
	struct header_scan hs;
	struct header_field f;
	struct slice from = { NULL, 0 };
	bool have_from = false, have_reply_to = false, done_from = false;

	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1) {
		if (!have_from && slice_case_eq_cstr(f.name, "From")) {
			have_from = true;
			from = f.value;
		} else if (slice_case_eq_cstr(f.name, "Reply-To")) {
			have_reply_to = true;
		}
	}
	if (!have_from) {
		add_from(ret_msg, msg, len, p);
		done_from = true;
	}
	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1) {
		if (slice_case_eq_cstr(f.name, "X-Original-From"))
			continue;
		if (!done_from && slice_case_eq_cstr(f.name, "From")) {
			done_from = true;
			add_from(ret_msg, msg, len, p);
			add_field(ret_msg, "X-Original-From", from);
			if (!have_reply_to)
				add_field(ret_msg, "Reply-To", from);
			continue;
		}
		buf_add(ret_msg, msg + f.start, f.end - f.start);
		/* a last field without a line break still needs one */
		if (f.end == f.start || (msg[f.end - 1] != '\n' && msg[f.end - 1] != '\r'))
			buf_adds(ret_msg, "\r\n");
	}
	buf_adds(ret_msg, "\r\n");
	if (hs.body < len)
		buf_add(ret_msg, msg + hs.body, len - hs.body);
}

static uint64_t fnv1a(const char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void wrap(const char *msg, size_t len, const struct dmarc_rewrite_params *p,
                 struct buf *ret_msg)
{
	static const char *const copied[] = {
		"To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
	};
	struct header_field f;
	struct addr a;
	char boundary[64];
	size_t start = 0;
	bool eightbit = false;

	/* the post without a leading mbox "From " line */
	if (len >= 5 && memcmp(msg, "From ", 5) == 0) {
		const char *nl = memchr(msg, '\n', len);
		start = nl ? (size_t)(nl - msg) + 1 : len;
	}
	for (size_t i = start; i < len && !eightbit; i++)
		eightbit = (unsigned char)msg[i] >= 0x80;

	uint64_t h = fnv1a(msg, len, 0xcbf29ce484222325ull);
	for (unsigned tries = 0;; tries++) {
		snprintf(boundary, sizeof(boundary), "=_listd-wrap-%016llx-%u",
		         (unsigned long long)h, tries);
		if (!memmem(msg, len, boundary, strlen(boundary)))
			break;
		h = fnv1a(boundary, strlen(boundary), h); /* bounded by the odds */
	}

	add_from(ret_msg, msg, len, p);
	if (header_find(msg, len, "Reply-To", &f) == 1 || header_find(msg, len, "From", &f) == 1)
		add_field(ret_msg, "Reply-To", f.value);
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (header_find(msg, len, copied[i], &f) == 1)
			add_field(ret_msg, copied[i], f.value);
	buf_addf(ret_msg,
	         "MIME-Version: 1.0\r\n"
	         "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
	         "\r\n"
	         "This is a MIME message: the list's post is attached.\r\n"
	         "--%s\r\n"
	         "Content-Type: text/plain; charset=us-ascii\r\n"
	         "\r\n",
	         boundary, boundary);
	if (dmarc_author(msg, len, &a, NULL) == 0 && !a.utf8)
		buf_addf(ret_msg, "The attached message from %s@%s", a.local, a.domain);
	else
		buf_adds(ret_msg, "The attached message");
	buf_addf(ret_msg,
	         " was posted to %s@%s.\r\n"
	         "It is forwarded unchanged as an attachment so that its sender's\r\n"
	         "DMARC policy is respected.\r\n"
	         "--%s\r\n"
	         "Content-Type: message/rfc822\r\n"
	         "Content-Disposition: inline\r\n"
	         "%s"
	         "\r\n",
	         p->list_local, p->domain, boundary,
	         eightbit ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	buf_add(ret_msg, msg + start, len - start);
	buf_addf(ret_msg, "\r\n--%s--\r\n", boundary);
}

int dmarc_rewrite(const char *msg, size_t len, const struct dmarc_rewrite_params *p,
                  struct buf *ret_msg)
{
	if (!param_ok(p->list_local) || !param_ok(p->domain) || strchr(p->list_local, '@') ||
	    strchr(p->domain, '@'))
		return -EINVAL;
	if (p->action == DMARC_ACTION_WRAP)
		wrap(msg, len, p, ret_msg);
	else
		munge(msg, len, p, ret_msg);
	return 0;
}
