/* listd/core/config.c — see config.h. */
#include "listd/core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ascii.h"
#include "slice.h"
#include "xalloc.h"

enum config_type {
	T_STRING, /* printable text, may be empty */
	T_PATH,   /* a file name; relative = relative to the home */
	T_BOOL,
	T_UINT,
	T_ENUM,
	T_DELIM,
	T_SUFFIX,
	T_HOST,  /* host name, may be empty */
	T_TOKEN, /* no blanks or ';', may be empty */
	T_USER,
	T_RELAYS,
	T_LISTEN,
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *dflt;
	unsigned min, max;        /* T_UINT */
	const char *const *names; /* T_ENUM: NULL-terminated, index = value */
	const char *help;
};

static const char *const tls_names[] = { "none", "opportunistic", "starttls", NULL };
static const char *const relay_mode_names[] = { "failover", "spread", NULL };
static const char *const verp_names[] = { "per-recipient", "xverp", NULL };
static const char *const level_names[] = { "error", "warning", "info", "debug", NULL };

#define OFF(f) offsetof(struct config, f)

static const struct config_key keys[] = {
	{ "relay", T_RELAYS, OFF(relays), "", 0, 0, NULL,
	  "smarthosts, port 25 by default; weight 1..100 (default 1) is the relay's "
	  "share with relay_mode = spread; max_conn 1..64 caps its connections "
	  "(default: concurrency), a relay at its cap is skipped" },
	{ "relay_mode", T_ENUM, OFF(relay_mode), "failover", 0, 0, relay_mode_names,
	  "failover: the first relay up takes all; spread: transactions shared by "
	  "weight over the relays up (a failed relay is set aside with back-off)" },
	{ "relay_tls", T_ENUM, OFF(relay_tls), "starttls", 0, 0, tls_names,
	  "none, opportunistic (STARTTLS if offered, unverified) or starttls (required, "
	  "verified)" },
	{ "tls_ca_file", T_PATH, OFF(tls_ca_file), "/etc/ssl/certs/ca-certificates.crt", 0, 0, NULL,
	  "CA bundle for verifying relays" },
	{ "tls_verify", T_BOOL, OFF(tls_verify), "yes", 0, 0, NULL,
	  "verify the relay's certificate and name with relay_tls = starttls" },
	{ "relay_auth_user", T_STRING, OFF(relay_auth_user), "", 0, 0, NULL,
	  "AUTH PLAIN user name (requires relay_tls = starttls)" },
	{ "relay_auth_password_file", T_PATH, OFF(relay_auth_password_file), "", 0, 0, NULL,
	  "file holding the AUTH password" },
	{ "helo_name", T_HOST, OFF(helo_name), "", 0, 0, NULL,
	  "name given in EHLO (empty: the system's host name)" },
	{ "recipient_delimiter", T_DELIM, OFF(recipient_delimiter), "+", 0, 0, NULL,
	  "the MTA's recipient delimiter" },
	{ "bounce_suffix", T_SUFFIX, OFF(bounce_suffix), "-bounces", 0, 0, NULL,
	  "LIST<suffix>+TOKEN@ receives bounces" },
	{ "request_suffix", T_SUFFIX, OFF(request_suffix), "-request", 0, 0, NULL,
	  "LIST<suffix>@ receives commands" },
	{ "owner_suffix", T_SUFFIX, OFF(owner_suffix), "-owner", 0, 0, NULL,
	  "LIST<suffix>@ reaches the owners" },
	{ "moderate_suffix", T_SUFFIX, OFF(moderate_suffix), "-moderate", 0, 0, NULL,
	  "LIST<suffix>+TOKEN@ receives the moderators' decisions by mail" },
	{ "concurrency", T_UINT, OFF(concurrency), "4", 1, 64, NULL,
	  "transactions in flight over all relays, one SMTP connection each" },
	{ "batch_size", T_UINT, OFF(batch_size), "1000", 1, 100000, NULL,
	  "recipients per checkpointed batch" },
	{ "key_file", T_PATH, OFF(key_file), "secret.key", 0, 0, NULL,
	  "32-byte secret signing VERP tokens (created, mode 0600)" },
	{ "verp_mode", T_ENUM, OFF(verp_mode), "per-recipient", 0, 0, verp_names,
	  "per-recipient (signed per member) or xverp (the relay does the VERP)" },
	{ "token_max_age_days", T_UINT, OFF(token_max_age_days), "30", 1, 100, NULL,
	  "bounces to return paths older than this are dropped" },
	{ "authserv_id", T_TOKEN, OFF(authserv_id), "", 0, 0, NULL,
	  "the MTA's Authentication-Results authserv-id (empty: trust none)" },
	{ "trusted_daily_limit", T_UINT, OFF(trusted_daily_limit), "3", 0, 1000, NULL,
	  "automatic messages (confirmations, help, notices) one address may get a day" },
	{ "confirm_max_age_days", T_UINT, OFF(confirm_max_age_days), "3", 1, 30, NULL,
	  "a subscription or unsubscription confirmation expires after this" },
	{ "moderate_max_age_days", T_UINT, OFF(moderate_max_age_days), "14", 1, 365, NULL,
	  "a held-post or subscription notice can be answered for this long" },
	{ "moderate_notice_daily_limit", T_UINT, OFF(moderate_notice_daily_limit), "50", 0, 100000,
	  NULL,
	  "held-post notices one list sends its moderators a day (beyond: held all the same, "
	  "listed in the held summary only)" },
	{ "policy_listen", T_LISTEN, OFF(policy_listen), "", 0, 0, NULL,
	  "MTA policy service: unix:PATH or HOST:PORT (empty: off)" },
	{ "policy_socket_mode", T_TOKEN, OFF(policy_socket_mode), "0660", 0, 0, NULL,
	  "octal mode of the policy_listen unix socket (0..0777; the MTA's account must be able to "
	  "connect)" },
	{ "unsubscribe_url", T_STRING, OFF(unsubscribe_url), "", 0, 0, NULL,
	  "one-click unsubscribe (RFC 8058): https base URL, copies get <URL/TOKEN> (empty: mailto "
	  "only)" },
	{ "http_listen", T_LISTEN, OFF(http_listen), "", 0, 0, NULL,
	  "one-click unsubscribe endpoint: loopback HOST:PORT behind the site's proxy (empty: "
	  "off)" },
	{ "syslog", T_BOOL, OFF(syslog), "no", 0, 0, NULL, "also log to syslog" },
	{ "log_level", T_ENUM, OFF(log_level), "info", 0, 0, level_names,
	  "error, warning, info or debug" },
	{ "user", T_USER, OFF(user), "", 0, 0, NULL,
	  "account `listd run` drops to when started as root" },
	{ "smtp_timeout_seconds", T_UINT, OFF(smtp_timeout_seconds), "300", 1, 3600, NULL,
	  "SMTP reply timeout" },
	{ "retry_min_seconds", T_UINT, OFF(retry_min_seconds), "300", 1, 604800, NULL,
	  "first retry delay after a temporary failure" },
	{ "retry_max_seconds", T_UINT, OFF(retry_max_seconds), "14400", 1, 604800, NULL,
	  "longest retry delay (back-off doubles up to it)" },
	{ "message_max_age_days", T_UINT, OFF(message_max_age_days), "5", 1, 365, NULL,
	  "stop retrying a message after this" },
	{ "message_keep_days", T_UINT, OFF(message_keep_days), "30", 1, 3650, NULL,
	  "delete the bytes of finished messages this long after arrival" },
	{ "dns_resolver", T_STRING, OFF(dns_resolver), "", 0, 0, NULL,
	  "DMARC lookups: DNS servers in failover order, IP[:PORT] ([::1]:53 for IPv6), "
	  "up to 3 separated by commas; empty = the nameservers of /etc/resolv.conf" },
	{ "dns_timeout_seconds", T_UINT, OFF(dns_timeout_seconds), "2", 1, 30, NULL,
	  "DMARC lookups: wait per try of one server (each server is tried twice in turn)" },
	{ "dns_lookup_timeout_seconds", T_UINT, OFF(dns_lookup_timeout_seconds), "10", 1, 120, NULL,
	  "DMARC lookups: longest wait for one name, all servers and tries; "
	  "a failed lookup means no policy" },
	{ "dmarc_cache_seconds", T_UINT, OFF(dmarc_cache_seconds), "3600", 0, 86400, NULL,
	  "DMARC lookups: longest time an answer is cached (TTL capped; also negative answers)" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= 64, "struct config.set_keys has one bit a key");

/* ---- value parsers: 0, or -EINVAL with *why ---- */

static char **str_at(struct config *c, const struct config_key *k)
{
	return (char **)((char *)c + k->offset);
}

static bool printable(struct slice v)
{
	for (size_t i = 0; i < v.len; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return false;
	}
	return true;
}

static bool host_valid(struct slice h)
{
	size_t label = 0;
	if (h.len == 0 || h.len > 253)
		return false;
	for (size_t i = 0; i < h.len; i++) {
		char c = h.p[i];
		if (c == '.') {
			if (label == 0 || h.p[i - 1] == '-')
				return false;
			label = 0;
		} else if (ascii_is_alnum(c) || c == '-' || c == '_') {
			if (c == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return h.p[h.len - 1] != '-';
}

static int parse_port(struct slice p, uint16_t *ret_port, const char **why)
{
	unsigned v = 0;
	if (p.len == 0 || p.len > 5) {
		*why = "bad port";
		return -EINVAL;
	}
	for (size_t i = 0; i < p.len; i++) {
		if (!ascii_is_digit(p.p[i])) {
			*why = "bad port";
			return -EINVAL;
		}
		v = v * 10 + (unsigned)(p.p[i] - '0');
	}
	if (v == 0 || v > 65535) {
		*why = "port out of range 1..65535";
		return -EINVAL;
	}
	*ret_port = (uint16_t)v;
	return 0;
}

/* HOST[:PORT] or [IPV6][:PORT]; port_required for policy_listen. */
static int parse_hostport(struct slice s, bool port_required, struct config_relay *ret_relay,
                          const char **why)
{
	struct config_relay r;
	struct slice host, port = { NULL, 0 };
	bool has_port = false;

	memset(&r, 0, sizeof(r));
	if (s.len && s.p[0] == '[') {
		const char *close = memchr(s.p, ']', s.len);
		if (!close) {
			*why = "missing ']' after an IPv6 address";
			return -EINVAL;
		}
		host = slice_make(s.p + 1, (size_t)(close - s.p) - 1);
		size_t rest = s.len - (size_t)(close - s.p) - 1;
		if (rest) {
			if (close[1] != ':') {
				*why = "expected ':PORT' after ']'";
				return -EINVAL;
			}
			port = slice_make(close + 2, rest - 1);
			has_port = true;
		}
		char tmp[64];
		unsigned char bin[16];
		if (host.len == 0 || host.len >= sizeof(tmp)) {
			*why = "bad IPv6 address";
			return -EINVAL;
		}
		memcpy(tmp, host.p, host.len);
		tmp[host.len] = 0;
		if (inet_pton(AF_INET6, tmp, bin) != 1) {
			*why = "bad IPv6 address";
			return -EINVAL;
		}
	} else {
		const char *colon = memchr(s.p, ':', s.len);
		host = s;
		if (colon) {
			host = slice_make(s.p, (size_t)(colon - s.p));
			port = slice_make(colon + 1, s.len - host.len - 1);
			has_port = true;
			if (memchr(port.p, ':', port.len)) {
				*why = "an IPv6 address must be written in brackets, as [::1]:25";
				return -EINVAL;
			}
		}
		if (!host_valid(host)) {
			*why = "bad host name";
			return -EINVAL;
		}
	}
	r.port = 25;
	if (has_port && parse_port(port, &r.port, why) < 0)
		return -EINVAL;
	if (!has_port && port_required) {
		*why = "missing :PORT";
		return -EINVAL;
	}
	memcpy(r.host, host.p, host.len);
	r.host[host.len] = 0;
	*ret_relay = r;
	return 0;
}

/* NAME=N with N in min..max, N decimal. */
static int parse_attr_uint(struct slice a, const char *name, unsigned min, unsigned max,
                           unsigned *ret_value, const char **why)
{
	size_t nl = strlen(name);
	unsigned long n = 0;

	if (a.len <= nl + 1 || memcmp(a.p, name, nl) != 0 || a.p[nl] != '=')
		return 0;
	if (*ret_value) {
		*why = "relay attribute given twice";
		return -EINVAL;
	}
	for (size_t i = nl + 1; i < a.len; i++) {
		if (!ascii_is_digit(a.p[i]) || n > max) {
			*why = ascii_is_digit(a.p[i]) ? "relay attribute out of range"
			                              : "relay attribute: expected a number";
			return -EINVAL;
		}
		n = n * 10 + (unsigned)(a.p[i] - '0');
	}
	if (n < min || n > max) {
		*why = "relay attribute out of range";
		return -EINVAL;
	}
	*ret_value = (unsigned)n;
	return 1;
}

/* One relay of the list: HOST[:PORT] then blank-separated attributes
 * weight=1..100 and max_conn=1..64 (0 in *ret_relay: not given). */
static int parse_relay_item(struct slice item, struct config_relay *ret_relay, const char **why)
{
	size_t i = 0;

	while (i < item.len && item.p[i] != ' ' && item.p[i] != '\t')
		i++;
	if (parse_hostport(slice_make(item.p, i), false, ret_relay, why) < 0)
		return -EINVAL;
	ret_relay->weight = ret_relay->max_conn = 0;
	while (i < item.len) {
		size_t start;
		int r;

		while (i < item.len && (item.p[i] == ' ' || item.p[i] == '\t'))
			i++;
		start = i;
		while (i < item.len && item.p[i] != ' ' && item.p[i] != '\t')
			i++;
		struct slice a = slice_make(item.p + start, i - start);
		if ((r = parse_attr_uint(a, "weight", 1, 100, &ret_relay->weight, why)) == 0)
			r = parse_attr_uint(a, "max_conn", 1, 64, &ret_relay->max_conn, why);
		if (r < 0)
			return -EINVAL;
		if (r == 0) {
			*why = "unknown relay attribute (weight=N or max_conn=N)";
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_value(struct config *c, const struct config_key *k, struct slice v,
                       const char **why)
{
	switch (k->type) {
	case T_STRING:
	case T_PATH:
		if (v.len > 4095) {
			*why = "value too long";
			return -EINVAL;
		}
		break;
	case T_BOOL: {
		bool *b = (bool *)((char *)c + k->offset);
		if (slice_case_eq_cstr(v, "yes") || slice_case_eq_cstr(v, "true") ||
		    slice_case_eq_cstr(v, "on")) {
			*b = true;
		} else if (slice_case_eq_cstr(v, "no") || slice_case_eq_cstr(v, "false") ||
		           slice_case_eq_cstr(v, "off")) {
			*b = false;
		} else {
			*why = "expected yes or no";
			return -EINVAL;
		}
		return 0;
	}
	case T_UINT: {
		unsigned long long n = 0;
		if (v.len == 0) {
			*why = "expected a number";
			return -EINVAL;
		}
		for (size_t i = 0; i < v.len; i++) {
			if (!ascii_is_digit(v.p[i])) {
				*why = "expected a number";
				return -EINVAL;
			}
			n = n * 10 + (unsigned)(v.p[i] - '0');
			if (n > k->max)
				break;
		}
		if (n < k->min || n > k->max) {
			*why = "out of range"; /* config_parse() gives the range */
			return -EINVAL;
		}
		*(unsigned *)((char *)c + k->offset) = (unsigned)n;
		return 0;
	}
	case T_ENUM:
		for (int i = 0; k->names[i]; i++) {
			if (slice_case_eq_cstr(v, k->names[i])) {
				/* every enum here is int-sized, starting at 0 */
				*(int *)((char *)c + k->offset) = i;
				return 0;
			}
		}
		*why = "not one of the allowed values"; /* config_parse() names them */
		return -EINVAL;
	case T_DELIM:
		if (v.len != 1 || !ascii_is_print(v.p[0]) || ascii_is_alnum(v.p[0]) ||
		    strchr(" @\"\\<>,;:()[]", v.p[0])) {
			*why = "expected one punctuation character such as + or -";
			return -EINVAL;
		}
		c->recipient_delimiter = v.p[0];
		return 0;
	case T_SUFFIX:
		if (v.len == 0 || v.len > CONFIG_SUFFIX_MAX) {
			*why = "expected 1 to 16 characters";
			return -EINVAL;
		}
		for (size_t i = 0; i < v.len; i++) {
			if (!ascii_is_alnum(v.p[i]) && !strchr("-_.=", v.p[i])) {
				*why = "only letters, digits and - _ . = are allowed";
				return -EINVAL;
			}
		}
		break;
	case T_HOST:
		if (v.len && !host_valid(v)) {
			*why = "bad host name";
			return -EINVAL;
		}
		break;
	case T_TOKEN:
		for (size_t i = 0; i < v.len; i++) {
			if (!ascii_is_print(v.p[i]) || v.p[i] == ' ' || v.p[i] == ';' ||
			    v.p[i] == '"' || v.p[i] == '(' || v.p[i] == ')') {
				*why = "no blanks, quotes, parentheses or ';' allowed";
				return -EINVAL;
			}
		}
		if (v.len > 255) {
			*why = "value too long";
			return -EINVAL;
		}
		break;
	case T_USER:
		if (v.len > 32 || (v.len && v.p[0] == '-')) {
			*why = "bad user name (at most 32 characters, not starting with '-')";
			return -EINVAL;
		}
		for (size_t i = 0; i < v.len; i++) {
			if (!ascii_is_alnum(v.p[i]) && !strchr("._-", v.p[i])) {
				*why = "bad user name (letters, digits, '.', '_' and '-' only)";
				return -EINVAL;
			}
		}
		break;
	case T_RELAYS: {
		struct config_relay relays[CONFIG_RELAYS_MAX];
		size_t n = 0, i = 0;
		if (v.len == 0) {
			c->nrelays = 0;
			return 0;
		}
		while (i <= v.len) {
			const char *comma = memchr(v.p + i, ',', v.len - i);
			size_t end = comma ? (size_t)(comma - v.p) : v.len;
			struct slice item = slice_trim(slice_make(v.p + i, end - i));
			if (item.len == 0) {
				*why = "empty relay in the list";
				return -EINVAL;
			}
			if (n == CONFIG_RELAYS_MAX) {
				*why = "more than 16 relays";
				return -EINVAL;
			}
			if (parse_relay_item(item, &relays[n], why) < 0)
				return -EINVAL;
			n++;
			i = end + 1;
		}
		memcpy(c->relays, relays, n * sizeof(relays[0]));
		c->nrelays = n;
		return 0;
	}
	case T_LISTEN:
		if (v.len == 0)
			break;
		if (slice_case_starts(v, "unix:")) {
			if (v.len == 5) {
				*why = "unix: needs a path";
				return -EINVAL;
			}
			if (v.len - 5 > 100) { /* sun_path */
				*why = "socket path too long";
				return -EINVAL;
			}
		} else {
			struct config_relay hp;
			if (parse_hostport(v, true, &hp, why) < 0)
				return -EINVAL;
		}
		break;
	}
	char **s = str_at(c, k);
	free(*s);
	*s = xmemdup0(v.p, v.len);
	return 0;
}

/* ---- the whole file ---- */

static void zero(struct config *c)
{
	memset(c, 0, sizeof(*c));
}

static void apply_defaults(struct config *c)
{
	const char *why;
	zero(c);
	for (size_t i = 0; i < NKEYS; i++) {
		if (parse_value(c, &keys[i], slice_cstr(keys[i].dflt), &why) < 0) {
			fprintf(stderr, "config: bad default for %s: %s\n", keys[i].name, why);
			abort();
		}
	}
}

void config_defaults(struct config *ret_config)
{
	apply_defaults(ret_config);
}

void config_finish(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		enum config_type t = keys[i].type;
		if (t == T_STRING || t == T_PATH || t == T_SUFFIX || t == T_HOST || t == T_TOKEN ||
		    t == T_USER || t == T_LISTEN)
			free(*str_at(cfg, &keys[i]));
	}
	zero(cfg);
}

static int fail(struct buf *err, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(struct buf *err, unsigned line, const char *fmt, ...)
{
	va_list ap;
	if (err) {
		buf_addf(err, "line %u: ", line);
		va_start(ap, fmt);
		buf_vaddf(err, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Checks between keys, once all are read. */
static int cross_check(const struct config *c, const unsigned *lines, struct buf *err)
{
	size_t user = 0, pass = 0, rmin = 0, rmax = 0, bs = 0, rs = 0, os = 0, ms = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		if (!strcmp(keys[i].name, "relay_auth_user"))
			user = i;
		if (!strcmp(keys[i].name, "relay_auth_password_file"))
			pass = i;
		if (!strcmp(keys[i].name, "retry_min_seconds"))
			rmin = i;
		if (!strcmp(keys[i].name, "retry_max_seconds"))
			rmax = i;
		if (!strcmp(keys[i].name, "bounce_suffix"))
			bs = i;
		if (!strcmp(keys[i].name, "request_suffix"))
			rs = i;
		if (!strcmp(keys[i].name, "owner_suffix"))
			os = i;
		if (!strcmp(keys[i].name, "moderate_suffix"))
			ms = i;
	}
	bool has_user = c->relay_auth_user[0], has_pass = c->relay_auth_password_file[0];
	if (has_user && !has_pass)
		return fail(err, lines[user], "%s",
		            "relay_auth_user needs relay_auth_password_file");
	if (has_pass && !has_user)
		return fail(err, lines[pass], "%s",
		            "relay_auth_password_file needs relay_auth_user");
	if (has_user && c->relay_tls != CONFIG_TLS_STARTTLS)
		return fail(err, lines[user], "%s%s",
		            "relay_auth_user needs relay_tls = starttls (no password in clear)",
		            "");
	if (c->retry_min_seconds > c->retry_max_seconds)
		return fail(err, lines[rmax] > lines[rmin] ? lines[rmax] : lines[rmin], "%s%s",
		            "retry_min_seconds is above retry_max_seconds", "");
	if (!strcasecmp(c->bounce_suffix, c->request_suffix) ||
	    !strcasecmp(c->bounce_suffix, c->owner_suffix) ||
	    !strcasecmp(c->request_suffix, c->owner_suffix) ||
	    !strcasecmp(c->moderate_suffix, c->bounce_suffix) ||
	    !strcasecmp(c->moderate_suffix, c->request_suffix) ||
	    !strcasecmp(c->moderate_suffix, c->owner_suffix)) {
		unsigned l = lines[bs];
		if (lines[rs] > l)
			l = lines[rs];
		if (lines[os] > l)
			l = lines[os];
		if (lines[ms] > l)
			l = lines[ms];
		return fail(err, l, "%s",
		            "bounce_suffix, request_suffix, owner_suffix and moderate_suffix must "
		            "differ");
	}
	return 0;
}

/* Cuts a trailing comment: a '#' preceded by a blank starts one ("relay =
 * a:25   # the first"); a '#' inside a word stays part of the value. */
static struct slice strip_comment(struct slice line)
{
	for (size_t i = 1; i < line.len; i++)
		if (line.p[i] == '#' && (line.p[i - 1] == ' ' || line.p[i - 1] == '\t'))
			return slice_trim(slice_make(line.p, i));
	return line;
}

/* Appends the reason a value of key k was refused, with what is allowed. */
static void value_error(struct buf *err, unsigned line, const struct config_key *k,
                        struct slice val, const char *why)
{
	if (!err)
		return;
	buf_addf(err, "line %u: %s: %s", line, k->name, why);
	if (k->type == T_ENUM) {
		buf_adds(err, " (");
		for (int i = 0; k->names[i]; i++)
			buf_addf(err, "%s%s", i ? ", " : "", k->names[i]);
		buf_adds(err, ")");
	} else if (k->type == T_UINT && !strcmp(why, "out of range")) {
		buf_addf(err, " %u..%u", k->min, k->max);
	}
	buf_addf(err, ": \"%s\"", log_esc(val.p, val.len));
}

/* The parser behind config_parse() and config_check_text(): with all, it
 * goes on after a bad line and reports every one, one per line. Returns
 * the number of problems; *c holds the result (finish it either way). */
static unsigned parse_text(const char *text, size_t len, struct config *c, struct buf *err,
                           bool all)
{
	unsigned lines[NKEYS] = { 0 };
	unsigned lineno = 0, problems = 0;
	size_t pos = 0;

	/* one problem: report it, then the next line (all) or stop */
#define PROBLEM(...) \
	{ \
		if (err && problems) \
			buf_addch(err, '\n'); \
		fail(err, __VA_ARGS__); \
		problems++; \
		if (!all) \
			return problems; \
		continue; \
	}

	apply_defaults(c);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct slice line = slice_make(text + pos, end - pos);
		const char *why = NULL;

		pos = nl ? end + 1 : len;
		lineno++;
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len > LIMIT_LINE)
			PROBLEM(lineno, "%s", "line too long");
		if (!printable(line))
			PROBLEM(lineno, "%s", "control character or NUL byte");
		line = slice_trim(line);
		if (line.len == 0 || line.p[0] == '#')
			continue;
		line = strip_comment(line);
		const char *eq = memchr(line.p, '=', line.len);
		if (!eq)
			PROBLEM(lineno, "%s", "expected key = value");
		struct slice key = slice_trim(slice_make(line.p, (size_t)(eq - line.p)));
		struct slice val =
		        slice_trim(slice_make(eq + 1, (size_t)(line.p + line.len - eq - 1)));
		size_t k;
		for (k = 0; k < NKEYS; k++)
			if (slice_eq(key, slice_cstr(keys[k].name)))
				break;
		if (k == NKEYS) {
			char name[64];
			size_t n = key.len < sizeof(name) - 1 ? key.len : sizeof(name) - 1;
			memcpy(name, key.p, n);
			name[n] = 0;
			PROBLEM(lineno, "unknown key '%s'%s (`listd config -d` lists every key)",
			        log_escs(name), key.len > n ? "..." : "");
		}
		if (lines[k])
			PROBLEM(lineno, "%s set twice (first on line %u)", keys[k].name, lines[k]);
		lines[k] = lineno;
		if (parse_value(c, &keys[k], val, &why) < 0) {
			if (err && problems)
				buf_addch(err, '\n');
			value_error(err, lineno, &keys[k], val, why);
			problems++;
			if (!all)
				return problems;
			continue;
		}
		c->set_keys |= 1ULL << k;
	}
#undef PROBLEM
	if (problems == 0 && cross_check(c, lines, err) < 0)
		problems++;
	return problems;
}

int config_parse(const char *text, size_t len, struct config *cfg, struct buf *ret_err)
{
	struct config c;
	if (parse_text(text, len, &c, ret_err, false)) {
		config_finish(&c);
		return -EINVAL;
	}
	config_finish(cfg);
	*cfg = c;
	return 0;
}

unsigned config_check_text(const char *text, size_t len, struct buf *ret_problems)
{
	struct config c;
	unsigned n = parse_text(text, len, &c, ret_problems, true);
	config_finish(&c);
	return n;
}

static void resolve(char **path, const char *home)
{
	if (!**path || (*path)[0] == '/' || !home || !*home)
		return;
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s", home, *path);
	free(*path);
	*path = buf_detach(&b, NULL);
}

static void resolve_paths(struct config *c, const char *home)
{
	resolve(&c->key_file, home);
	resolve(&c->tls_ca_file, home);
	resolve(&c->relay_auth_password_file, home);
	if (slice_case_starts(slice_cstr(c->policy_listen), "unix:") &&
	    c->policy_listen[5] != '/' && home && *home) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "unix:%s/%s", home, c->policy_listen + 5);
		free(c->policy_listen);
		c->policy_listen = buf_detach(&b, NULL);
	}
}

int config_load(const char *path, const char *home, struct config *cfg, struct buf *ret_err)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct config c;
	int fd, r;

	apply_defaults(&c);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT) {
			r = 0;
			goto done;
		}
		if (ret_err)
			buf_addf(ret_err, "%s: %s", path, strerror(-r));
		goto out;
	}
	for (;;) {
		buf_grow(&text, 4096);
		ssize_t n = read(fd, text.data + text.len, text.cap - text.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			if (ret_err)
				buf_addf(ret_err, "%s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		text.len += (size_t)n;
		text.data[text.len] = 0;
		if (text.len > CONFIG_FILE_MAX) {
			close(fd);
			r = -EINVAL;
			if (ret_err)
				buf_addf(ret_err, "%s: larger than %u bytes", path,
				         CONFIG_FILE_MAX);
			goto out;
		}
	}
	close(fd);
	r = config_parse(text.data, text.len, &c, &err);
	if (r < 0) {
		if (ret_err)
			buf_addf(ret_err, "%s: %s", path, err.data);
		goto out;
	}
done:
	resolve_paths(&c, home);
	config_finish(cfg);
	*cfg = c;
	buf_finish(&text);
	buf_finish(&err);
	return 0;
out:
	config_finish(&c);
	buf_finish(&text);
	buf_finish(&err);
	return r;
}

char *config_path(const char *opt_config, const char *home)
{
	struct buf b = BUF_INIT;
	const char *env = getenv("LISTD_CONFIG");
	if (opt_config) {
		buf_adds(&b, opt_config);
	} else if (env && *env) {
		buf_adds(&b, env);
	} else {
		buf_addf(&b, "%s/%s", home, CONFIG_FILE_NAME);
		if (access(b.data, F_OK) < 0 && errno == ENOENT &&
		    !strcmp(home, LISTD_DEFAULT_HOME)) {
			buf_reset(&b);
			buf_adds(&b, LISTD_DEFAULT_CONFIG);
		}
	}
	return buf_detach(&b, NULL);
}

int config_load_home(const char *home, struct config *cfg, struct buf *ret_err)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", home, CONFIG_FILE_NAME);
	int r = config_load(path.data, home, cfg, ret_err);
	buf_finish(&path);
	return r;
}

size_t config_key_count(void)
{
	return NKEYS;
}

const char *config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

const char *config_key_default(size_t i)
{
	return i < NKEYS ? keys[i].dflt : NULL;
}

const char *config_key_help(size_t i)
{
	return i < NKEYS ? keys[i].help : NULL;
}

void config_key_syntax(size_t i, struct buf *out)
{
	const struct config_key *k = &keys[i];
	switch (k->type) {
	case T_STRING:
		buf_adds(out, "text");
		break;
	case T_PATH:
		buf_adds(out, "file name (relative: to the home)");
		break;
	case T_BOOL:
		buf_adds(out, "yes | no");
		break;
	case T_UINT:
		buf_addf(out, "number %u..%u", k->min, k->max);
		break;
	case T_ENUM:
		for (int j = 0; k->names[j]; j++)
			buf_addf(out, "%s%s", j ? " | " : "", k->names[j]);
		break;
	case T_DELIM:
		buf_adds(out, "one punctuation character");
		break;
	case T_SUFFIX:
		buf_adds(out, "1 to 16 of letters, digits, - _ . =");
		break;
	case T_HOST:
		buf_adds(out, "host name");
		break;
	case T_TOKEN:
		buf_adds(out, "text without blanks, quotes, parentheses or ;");
		break;
	case T_USER:
		buf_adds(out, "account name");
		break;
	case T_RELAYS:
		buf_adds(out, "HOST[:PORT] [weight=N] [max_conn=N], [IPV6]:PORT, ... (at most 16)");
		break;
	case T_LISTEN:
		buf_adds(out, "unix:PATH | HOST:PORT");
		break;
	}
}

bool config_key_is_set(const struct config *cfg, size_t i)
{
	return i < NKEYS && (cfg->set_keys >> i & 1);
}

void config_key_value(const struct config *cfg, size_t i, struct buf *out)
{
	const struct config_key *k = &keys[i];
	const char *base = (const char *)cfg + k->offset;
	switch (k->type) {
	case T_BOOL:
		buf_adds(out, *(const bool *)base ? "yes" : "no");
		break;
	case T_UINT:
		buf_addf(out, "%u", *(const unsigned *)base);
		break;
	case T_ENUM:
		buf_adds(out, k->names[*(const int *)base]);
		break;
	case T_DELIM:
		buf_addch(out, cfg->recipient_delimiter);
		break;
	case T_RELAYS:
		for (size_t r = 0; r < cfg->nrelays; r++) {
			const struct config_relay *rl = &cfg->relays[r];
			buf_addf(out, strchr(rl->host, ':') ? "%s[%s]:%u" : "%s%s:%u",
			         r ? ", " : "", rl->host, rl->port);
			if (rl->weight)
				buf_addf(out, " weight=%u", rl->weight);
			if (rl->max_conn)
				buf_addf(out, " max_conn=%u", rl->max_conn);
		}
		break;
	default:
		buf_adds(out, *(char *const *)base ? *(char *const *)base : "");
		break;
	}
}

/* roff: a leading '.' or '\'' would be a request; backslashes escape. */
static void roff(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void config_write_man(FILE *out, const char *version, const char *config_file, const char *home)
{
	struct buf b = BUF_INIT;
	fprintf(out, ".\\\" generated from the key table in listd/core/config.c\n");
	fprintf(out, ".TH LISTD.CONF 5 \"\" \"listd %s\" \"File Formats\"\n", version);
	fputs(".SH NAME\nlistd.conf \\- settings of the listd mailing\\-list manager\n"
	      ".SH SYNOPSIS\n",
	      out);
	roff(out, config_file);
	fputs("\n.SH DESCRIPTION\n"
	      "The installation's global settings, read by \\fBlistd deliver\\fR and "
	      "\\fBlistd run\\fR (per\\-list settings live in the store: "
	      "\\fBlistadm list set\\fR).\n"
	      "The file read is the one \\fB\\-\\-config\\fR or \\fBLISTD_CONFIG\\fR names, "
	      "else \\fIHOME\\fB/listd.conf\\fR when it exists (the home of \\fB\\-\\-home\\fR "
	      "or \\fBLISTD_HOME\\fR), else, for the default home, the file above.\n"
	      ".PP\n"
	      "One \\fIkey\\fB = \\fIvalue\\fR a line; blanks around key and value are ignored. "
	      "Empty lines and lines whose first non\\-blank character is \\fB#\\fR are "
	      "comments, and so is the rest of a line from a \\fB#\\fR that follows a blank "
	      "(a \\fB#\\fR inside a word is part of the value). Values are not quoted. "
	      "An unknown key, a key given twice or a bad value refuses the whole file; "
	      "\\fBlistd check\\fR lists every problem with its line.\n"
	      ".PP\n"
	      "Relative file names are relative to the home directory, ",
	      out);
	roff(out, home);
	fputs(".\n.SH KEYS\n", out);
	for (size_t i = 0; i < NKEYS; i++) {
		fprintf(out, ".TP\n.B %s\n", keys[i].name);
		buf_reset(&b);
		config_key_syntax(i, &b);
		roff(out, b.data);
		fputs("; default: ", out);
		if (keys[i].dflt[0]) {
			fputs("\\fB", out);
			roff(out, keys[i].dflt);
			fputs("\\fR", out);
		} else {
			fputs("empty", out);
		}
		fputs(".\n.br\n", out);
		roff(out, keys[i].help);
		fputs(".\n", out);
	}
	fputs(".SH EXAMPLE\n.nf\n"
	      "relay = 127.0.0.1:10026      # the MTA's loopback listener\n"
	      "relay_tls = none\n"
	      "user = listd\n"
	      "authserv_id = mx.example.org\n"
	      ".fi\n"
	      ".SH SEE ALSO\n"
	      ".BR listd (8),\n.BR listadm (1)\n",
	      out);
	buf_finish(&b);
}

void config_describe(FILE *out)
{
	for (size_t i = 0; i < NKEYS; i++)
		fprintf(out, "%-26s default \"%s\"\n%26s %s\n", keys[i].name, keys[i].dflt, "",
		        keys[i].help);
}

const char *config_tls_name(enum config_tls tls)
{
	return (unsigned)tls < 3 ? tls_names[tls] : "?";
}
