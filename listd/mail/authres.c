/* listd/mail/authres.c — Authentication-Results and sender trust (authres.h).
 *
 * A field value is first cleaned into a bounded local copy: folds become
 * blanks, comments (nested, with quoted pairs) become one blank, quoted
 * strings are kept with their quotes. The copy is then split at ';' outside
 * quotes: the first piece holds the authserv-id (and an optional version),
 * every other piece one result: "method[/version] = result" followed by
 * "reason = value" and "ptype.property = value" pairs. */
#include <errno.h>
#include <string.h>

#include "listd/mail/authres.h"
#include "listd/core/ascii.h"
#include "listd/core/buf.h"
#include "listd/core/header.h"

/* Cleans v into ret_value (at most cap - 1 bytes, NUL-terminated); returns the
 * length. Input past the bound is ignored. */
static size_t clean_value(struct slice v, char *ret_value, size_t cap)
{
	size_t n = 0, depth = 0;
	bool quoted = false;
	size_t lim = v.len < AUTHRES_FIELD_MAX ? v.len : AUTHRES_FIELD_MAX;
	for (size_t i = 0; i < lim && n + 2 < cap; i++) {
		char c = v.p[i];
		if (c == '\r' || c == '\n' || c == '\t' || c == '\0')
			c = ' ';
		if (depth > 0) {
			if (c == '\\' && i + 1 < lim)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				ret_value[n++] = ' ';
			continue;
		}
		if (quoted) {
			if (c == '\\' && i + 1 < lim) {
				ret_value[n++] = c;
				c = v.p[++i];
				if (c == '\r' || c == '\n' || c == '\0')
					c = ' ';
			} else if (c == '"') {
				quoted = false;
			}
			ret_value[n++] = c;
			continue;
		}
		if (c == '(') {
			depth = 1;
			continue;
		}
		if (c == '"')
			quoted = true;
		ret_value[n++] = c;
	}
	ret_value[n] = '\0';
	return n;
}

struct cursor {
	const char *p;
	size_t len, i;
};

static void skip_ws(struct cursor *c)
{
	while (c->i < c->len && c->p[c->i] == ' ')
		c->i++;
}

/* A word: a quoted string (unquoted into ret_word) or a run of bytes other than
 * blanks, '=', '/' and '"'. Returns its length (0: none); at most cap - 1
 * bytes are kept, the rest skipped. */
static size_t read_word(struct cursor *c, char *ret_word, size_t cap, bool value)
{
	size_t n = 0;
	if (c->i < c->len && c->p[c->i] == '"') {
		c->i++;
		while (c->i < c->len && c->p[c->i] != '"') {
			if (c->p[c->i] == '\\' && c->i + 1 < c->len)
				c->i++;
			if (n + 1 < cap)
				ret_word[n++] = c->p[c->i];
			c->i++;
		}
		if (c->i < c->len)
			c->i++;
		ret_word[n] = '\0';
		return n ? n : 1; /* "" is a word, if an empty one */
	}
	while (c->i < c->len) {
		char ch = c->p[c->i];
		if (ch == ' ' || ch == '"' || (!value && (ch == '=' || ch == '/')))
			break;
		if (n + 1 < cap)
			ret_word[n++] = ch;
		c->i++;
	}
	ret_word[n] = '\0';
	return n;
}

/* The domain of v ("user@dom", "@dom" or "dom"), normalised into ret_domain, or
 * "". */
static void take_domain(const char *v, char ret_domain[LIMIT_ADDR_DOMAIN + 1])
{
	const char *at = strrchr(v, '@');
	const char *d = at ? at + 1 : v;
	size_t n = strlen(d);
	const char *why;
	ret_domain[0] = '\0';
	while (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > LIMIT_ADDR_DOMAIN)
		return;
	char tmp[LIMIT_ADDR_DOMAIN + 1];
	if (addr_domain_normalize(slice_make(d, n), tmp, &why) == 0)
		memcpy(ret_domain, tmp, sizeof(tmp));
}

static enum authres_method method_of(const char *name)
{
	if (!strcasecmp(name, "spf"))
		return AUTHRES_METHOD_SPF;
	if (!strcasecmp(name, "dkim"))
		return AUTHRES_METHOD_DKIM;
	if (!strcasecmp(name, "dmarc"))
		return AUTHRES_METHOD_DMARC;
	return AUTHRES_METHOD_OTHER;
}

/* One "method = result *(key = value)" piece. True when it parsed. */
static bool parse_result(struct cursor *c, struct authres_result *ret_result)
{
	char key[64], val[LIMIT_ADDR_MAILBOX + 2];
	char dkim_i[LIMIT_ADDR_DOMAIN + 1] = "";
	struct authres_result r;
	memset(&r, 0, sizeof(r));

	skip_ws(c);
	if (read_word(c, key, sizeof(key), false) == 0 || key[0] == '"')
		return false;
	skip_ws(c);
	if (c->i < c->len && c->p[c->i] == '/') { /* method version */
		c->i++;
		skip_ws(c);
		if (read_word(c, val, sizeof(val), false) == 0)
			return false;
		skip_ws(c);
	}
	if (c->i >= c->len || c->p[c->i] != '=')
		return false;
	c->i++;
	skip_ws(c);
	if (read_word(c, val, sizeof(val), true) == 0)
		return false;
	r.method = method_of(key);
	r.pass = !strcasecmp(val, "pass");
	r.fail = !strcasecmp(val, "fail");

	for (;;) {
		skip_ws(c);
		if (c->i >= c->len)
			break;
		if (read_word(c, key, sizeof(key), false) == 0) {
			c->i++; /* a stray '=' or '/': skip it */
			continue;
		}
		skip_ws(c);
		if (c->i >= c->len || c->p[c->i] != '=')
			continue; /* a bare word: ignored */
		c->i++;
		skip_ws(c);
		val[0] = '\0';
		read_word(c, val, sizeof(val), true);
		if (r.method == AUTHRES_METHOD_SPF && !strcasecmp(key, "smtp.mailfrom"))
			take_domain(val, r.domain);
		else if (r.method == AUTHRES_METHOD_DKIM && !strcasecmp(key, "header.d"))
			take_domain(val, r.domain);
		else if (r.method == AUTHRES_METHOD_DKIM && !strcasecmp(key, "header.i"))
			take_domain(val, dkim_i);
		else if (r.method == AUTHRES_METHOD_DMARC && !strcasecmp(key, "header.from"))
			take_domain(val, r.domain);
	}
	if (r.method == AUTHRES_METHOD_DKIM && r.domain[0] == '\0')
		memcpy(r.domain, dkim_i, sizeof(dkim_i));
	*ret_result = r;
	return true;
}

int authres_parse(struct slice value, struct authres_field *ret_field)
{
	char clean[AUTHRES_FIELD_MAX + 2];
	size_t n = clean_value(value, clean, sizeof(clean));
	struct authres_field f;
	size_t start = 0, piece = 0;
	bool quoted = false;

	f.authserv_id[0] = '\0';
	f.n = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n) {
			if (quoted && clean[i] == '\\') {
				i++;
				continue;
			}
			if (clean[i] == '"')
				quoted = !quoted;
			if (quoted || clean[i] != ';')
				continue;
		}
		struct cursor c = { clean + start, i - start, 0 };
		if (piece == 0) {
			skip_ws(&c);
			if (read_word(&c, f.authserv_id, sizeof(f.authserv_id), true) == 0)
				return -EINVAL;
			if (f.authserv_id[0] == '\0')
				return -EINVAL;
		} else if (f.n < AUTHRES_MAX_RESULTS) {
			if (parse_result(&c, &f.r[f.n]))
				f.n++;
		}
		piece++;
		start = i + 1;
	}
	if (piece == 0)
		return -EINVAL;
	memcpy(ret_field, &f, sizeof(f));
	return 0;
}

static bool is_subdomain(const char *sub, size_t sl, const char *parent, size_t pl)
{
	return sl > pl && sub[sl - pl - 1] == '.' && memcmp(sub + sl - pl, parent, pl) == 0;
}

bool authres_aligned(const char *domain, const char *from_domain)
{
	size_t dl = strlen(domain), fl = strlen(from_domain);
	if (dl == 0 || fl == 0)
		return false;
	if (!strchr(domain, '.') || !strchr(from_domain, '.'))
		return false;
	if (dl == fl)
		return memcmp(domain, from_domain, dl) == 0;
	return is_subdomain(domain, dl, from_domain, fl) ||
	        is_subdomain(from_domain, fl, domain, dl);
}

bool authres_automatic(const char *msg, size_t len, const char *envelope_sender,
                       enum bounce_kind kind, const char **ret_why)
{
	struct header_scan hs;
	struct header_field f;
	const char *why = NULL;

	if (!envelope_sender || !*envelope_sender)
		why = "null envelope sender";
	else if (kind != BOUNCE_KIND_NOT_BOUNCE)
		why = "a bounce, auto-reply, challenge or report";
	header_scan_init(&hs, msg, len);
	while (!why && header_scan_next(&hs, &f) == 1) {
		struct slice v = slice_trim(f.value);
		if (slice_case_eq_cstr(f.name, "Auto-Submitted")) {
			/* "no", possibly followed by parameters or a comment */
			if (!(slice_case_starts(v, "no") &&
			      (v.len == 2 || v.p[2] == ';' || v.p[2] == ' ' || v.p[2] == '\t' ||
			       v.p[2] == '(')))
				why = "Auto-Submitted";
		} else if (slice_case_eq_cstr(f.name, "Precedence")) {
			if (slice_case_starts(v, "bulk") || slice_case_starts(v, "junk") ||
			    slice_case_starts(v, "list"))
				why = "Precedence bulk, junk or list";
		} else if (slice_case_eq_cstr(f.name, "X-Autoreply") ||
		           slice_case_eq_cstr(f.name, "X-Autorespond")) {
			why = "auto-reply header";
		}
	}
	if (why && ret_why)
		*ret_why = why;
	return why != NULL;
}

static bool from_address(const char *msg, size_t len, struct addr *ret_addr)
{
	struct header_scan hs;
	struct header_field f;
	size_t seen = 0;
	struct addr a;
	bool ok = false;

	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1) {
		if (!slice_case_eq_cstr(f.name, "From"))
			continue;
		if (++seen > 1)
			return false;
		struct buf v = BUF_INIT;
		const char *why;
		header_unfold(f.value, &v);
		ok = v.len <= LIMIT_LINE &&
		        addr_parse_entry(slice_make(v.data, v.len), &a, NULL, &why) == 0;
		buf_finish(&v);
	}
	if (ok)
		*ret_addr = a;
	return ok;
}

/* What the fields of ours in one block of the header say. */
struct authres_block {
	size_t n;              /* fields of ours */
	bool dmarc, spf, dkim; /* an aligned pass */
	bool dmarc_fail;       /* dmarc=fail for an aligned domain */
	/* per method: some field said pass; some field reported it without */
	bool said_pass[AUTHRES_METHOD_DMARC + 1], said_other[AUTHRES_METHOD_DMARC + 1];
};

static void block_add(struct authres_block *b, const struct authres_field *af,
                      const struct authres_sender *s)
{
	bool has[AUTHRES_METHOD_DMARC + 1] = { false }, pass[AUTHRES_METHOD_DMARC + 1] = { false };
	b->n++;
	for (size_t i = 0; i < af->n; i++) {
		const struct authres_result *r = &af->r[i];
		has[r->method] = true;
		pass[r->method] |= r->pass;
		if (!s->have_from)
			continue;
		bool aligned = authres_aligned(r->domain, s->from.domain);
		if (r->method == AUTHRES_METHOD_DMARC && r->fail && aligned)
			b->dmarc_fail = true;
		if (!r->pass || !aligned)
			continue;
		if (r->method == AUTHRES_METHOD_DMARC)
			b->dmarc = true;
		else if (r->method == AUTHRES_METHOD_SPF)
			b->spf = true;
		else if (r->method == AUTHRES_METHOD_DKIM)
			b->dkim = true;
	}
	for (int m = AUTHRES_METHOD_SPF; m <= AUTHRES_METHOD_DMARC; m++) {
		if (has[m] && pass[m])
			b->said_pass[m] = true;
		else if (has[m])
			b->said_other[m] = true;
	}
}

int authres_sender_check(const char *msg, size_t len, const char *authserv_id,
                         struct authres_sender *ret_sender)
{
	struct header_scan hs;
	struct header_field f;
	struct authres_sender s;
	struct authres_field af;
	struct authres_block blocks[2]; /* above the 1st Received:, then up to the 2nd */
	size_t fields = 0, received = 0;

	memset(&s, 0, sizeof(s));
	memset(blocks, 0, sizeof(blocks));
	s.have_from = from_address(msg, len, &s.from);
	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1 && fields < AUTHRES_MAX_FIELDS) {
		if (slice_case_eq_cstr(f.name, "Received")) {
			received++;
			continue;
		}
		if (!slice_case_eq_cstr(f.name, "Authentication-Results"))
			continue;
		fields++;
		if (authres_parse(f.value, &af) < 0)
			continue;
		if (!authserv_id || !*authserv_id || strcasecmp(af.authserv_id, authserv_id)) {
			s.fields_foreign++;
			continue;
		}
		if (received < 2)
			block_add(&blocks[received], &af, &s);
		else
			s.fields_below++;
	}
	/* the MTA's own fields stand above its Received: (RFC 8601 section
	 * 7.1); only when there are none there, the ones right below its
	 * Received: count (filters that insert after the MTA's first header,
	 * as the milters of Debian 12 do) */
	const struct authres_block *b = &blocks[blocks[0].n ? 0 : 1];
	s.fields_below += blocks[0].n ? blocks[1].n : 0;
	s.fields_ours = b->n;
	for (int m = AUTHRES_METHOD_SPF; m <= AUTHRES_METHOD_DMARC; m++)
		if (b->said_pass[m] && b->said_other[m])
			s.disagree = true;
	s.dmarc_fail = b->dmarc_fail;
	s.trust = s.disagree ? AUTHRES_TRUST_NONE
	        : b->dmarc   ? AUTHRES_TRUST_DMARC
	        : b->spf     ? AUTHRES_TRUST_SPF
	        : b->dkim    ? AUTHRES_TRUST_DKIM
	                     : AUTHRES_TRUST_NONE;
	*ret_sender = s;
	return 0;
}

const char *authres_trust_name(enum authres_trust t)
{
	switch (t) {
	case AUTHRES_TRUST_DMARC:
		return "dmarc";
	case AUTHRES_TRUST_SPF:
		return "spf";
	case AUTHRES_TRUST_DKIM:
		return "dkim";
	default:
		return "none";
	}
}
