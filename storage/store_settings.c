/* storage/store_settings.c — the settings tables of lists and members:
 * names, types, defaults, parsing and formatting, so `listadm list set`,
 * `list show`, `member set` and `member show` are table-driven. */
#include "storage/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "listd/core/ascii.h"

_Static_assert(sizeof(enum store_nonmember) == sizeof(unsigned) &&
                       sizeof(enum store_member_state) == sizeof(unsigned) &&
                       sizeof(enum store_delivery) == sizeof(unsigned) &&
                       sizeof(enum store_probe) == sizeof(unsigned) &&
                       sizeof(enum store_digest_format) == sizeof(unsigned) &&
                       sizeof(enum store_dmarc_mitigation) == sizeof(unsigned) &&
                       sizeof(enum store_dmarc_action) == sizeof(unsigned) &&
                       sizeof(enum store_subscribe_policy) == sizeof(unsigned),
               "enums are stored through unsigned pointers");

static const char *const nonmember_names[] = {
	"hold",
	"discard",
	"accept",
	"reject",
};
static const char *const state_names[] = {
	"enabled",
	"disabled-admin",
	"disabled-user",
	"disabled-bounce",
};
static const char *const delivery_names[] = {
	"normal",
	"digest",
	"nomail",
};
static const char *const probe_names[] = {
	"none",
	"probing",
};
static const char *const digest_format_names[] = {
	"mime",
	"plain",
};
static const char *const dmarc_mitigation_names[] = {
	"off",
	"auto",
	"always",
};
static const char *const dmarc_action_names[] = {
	"munge",
	"wrap",
};
/* indexed by enum store_subscribe_policy */
static const char *const subscribe_policy_names[] = {
	"confirm",
	"open",
	"approve",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *store_nonmember_name(enum store_nonmember v)
{
	return (unsigned)v < N(nonmember_names) ? nonmember_names[v] : "?";
}

const char *store_member_state_name(enum store_member_state v)
{
	return (unsigned)v < N(state_names) ? state_names[v] : "?";
}

const char *store_delivery_name(enum store_delivery v)
{
	return (unsigned)v < N(delivery_names) ? delivery_names[v] : "?";
}

const char *store_probe_name(enum store_probe v)
{
	return (unsigned)v < N(probe_names) ? probe_names[v] : "?";
}

const char *store_digest_format_name(enum store_digest_format v)
{
	return (unsigned)v < N(digest_format_names) ? digest_format_names[v] : "?";
}

const char *store_dmarc_mitigation_name(enum store_dmarc_mitigation v)
{
	return (unsigned)v < N(dmarc_mitigation_names) ? dmarc_mitigation_names[v] : "?";
}

const char *store_dmarc_action_name(enum store_dmarc_action v)
{
	return (unsigned)v < N(dmarc_action_names) ? dmarc_action_names[v] : "?";
}

const char *store_subscribe_policy_name(enum store_subscribe_policy v)
{
	return (unsigned)v < N(subscribe_policy_names) ? subscribe_policy_names[v] : "?";
}

/* How each entry of a public table is stored; same order as the table. */
enum field_kind {
	FIELD_PLAIN,          /* handled by type at off */
	FIELD_LIST_ADDRESS,   /* read-only "local@domain" of a list */
	FIELD_MEMBER_ADDRESS, /* read-only address of a member */
	FIELD_OWNERS,
	FIELD_MODERATORS,
};

struct field {
	enum field_kind kind;
	size_t off;               /* offset in the struct */
	size_t size;              /* TEXT: array size */
	uint32_t min, max;        /* UINT, SIZE, SCORE */
	const char *const *names; /* ENUM */
	size_t n_names;
};

#define LOFF(f) offsetof(struct store_list, f)
#define MOFF(f) offsetof(struct store_member, f)

static const struct store_setting list_settings[] = {
	{ "id", STORE_SETTING_UINT, true, NULL, NULL, "the list's number" },
	{ "address", STORE_SETTING_TEXT, true, NULL, NULL, "the posting address" },
	{ "created", STORE_SETTING_TIME, true, NULL, NULL, "when the list was created" },
	{ "owners", STORE_SETTING_ADDRS, false, NULL, "",
	  "addresses of the owners, comma-separated" },
	{ "description", STORE_SETTING_TEXT, false, NULL, "", "one line about the list" },
	{ "subject_tag", STORE_SETTING_TEXT, false, NULL, "",
	  "prefix added to the subject of posts, e.g. [dev]; empty for none" },
	{ "moderated", STORE_SETTING_BOOL, false, NULL, "no", "hold every post for the owners" },
	{ "nonmember_action", STORE_SETTING_ENUM, false, "hold|discard|accept|reject", "hold",
	  "what happens to posts from non-members (reject: refused at SMTP time)" },
	{ "max_size", STORE_SETTING_SIZE, false, NULL, "1M",
	  "posts larger than this are held (k, M suffixes)" },
	{ "reply_to_list", STORE_SETTING_BOOL, false, NULL, "no", "add Reply-To: the list" },
	{ "archive", STORE_SETTING_BOOL, false, NULL, "yes", "keep posts in the archive" },
	{ "bounce_score_threshold", STORE_SETTING_SCORE, false, NULL, "5",
	  "bounce score at which delivery is disabled and a probe sent" },
	{ "bounce_stale_days", STORE_SETTING_UINT, false, NULL, "14",
	  "days without a bounce after which the score is forgotten" },
	{ "bounce_probe_warnings", STORE_SETTING_UINT, false, NULL, "3",
	  "unanswered warnings before a disabled member is removed" },
	{ "bounce_probe_interval_days", STORE_SETTING_UINT, false, NULL, "7",
	  "days between warnings" },
	{ "bounce_hard_weight", STORE_SETTING_SCORE, false, NULL, "1",
	  "score added for a day with a hard bounce" },
	{ "bounce_soft_weight", STORE_SETTING_SCORE, false, NULL, "0.5",
	  "score added for a day with a soft bounce" },
	{ "digest_format", STORE_SETTING_ENUM, false, "mime|plain", "mime",
	  "digests as MIME multipart/digest (RFC 2046) or plain text (RFC 1153)" },
	{ "digest_max_bytes", STORE_SETTING_SIZE, false, NULL, "100k",
	  "a digest is sent once its posts reach this size (k, M suffixes)" },
	{ "digest_period_hours", STORE_SETTING_UINT, false, NULL, "24",
	  "a digest is sent this many hours after its first post at the latest" },
	{ "dmarc_mitigation", STORE_SETTING_ENUM, false, "off|auto|always", "off",
	  "rewrite posts for DMARC: never, when the author's domain has p=reject or "
	  "p=quarantine, or always" },
	{ "dmarc_action", STORE_SETTING_ENUM, false, "munge|wrap", "munge",
	  "munge: From: the list, author in Reply-To; wrap: post attached as message/rfc822" },
	{ "moderators", STORE_SETTING_ADDRS, false, NULL, "",
	  "who decides held posts and subscriptions by mail, comma-separated; empty: the owners" },
	{ "subscribe_policy", STORE_SETTING_ENUM, false, "confirm|open|approve", "confirm",
	  "subscribe by mail: confirm the address; open: trusted senders join at once; "
	  "approve: confirmed, then a moderator decides" },
};

static const struct field list_fields[] = {
	{ FIELD_PLAIN, LOFF(id), 0, 0, 0, NULL, 0 },
	{ FIELD_LIST_ADDRESS, 0, 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, LOFF(created), 0, 0, 0, NULL, 0 },
	{ FIELD_OWNERS, 0, 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, LOFF(description), sizeof(((struct store_list *)0)->description), 0, 0, NULL,
	  0 },
	{ FIELD_PLAIN, LOFF(subject_tag), sizeof(((struct store_list *)0)->subject_tag), 0, 0, NULL,
	  0 },
	{ FIELD_PLAIN, LOFF(moderated), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, LOFF(nonmember_action), 0, 0, 0, nonmember_names, N(nonmember_names) },
	{ FIELD_PLAIN, LOFF(max_size), 0, 1024, LIMIT_MESSAGE_HARD, NULL, 0 },
	{ FIELD_PLAIN, LOFF(reply_to_list), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, LOFF(archive), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, LOFF(bounce_score_threshold), 0, 1, 100000, NULL, 0 },
	{ FIELD_PLAIN, LOFF(bounce_stale_days), 0, 1, 3650, NULL, 0 },
	{ FIELD_PLAIN, LOFF(bounce_probe_warnings), 0, 0, 100, NULL, 0 },
	{ FIELD_PLAIN, LOFF(bounce_probe_interval_days), 0, 1, 365, NULL, 0 },
	{ FIELD_PLAIN, LOFF(bounce_hard_weight), 0, 0, 100000, NULL, 0 },
	{ FIELD_PLAIN, LOFF(bounce_soft_weight), 0, 0, 100000, NULL, 0 },
	{ FIELD_PLAIN, LOFF(digest_format), 0, 0, 0, digest_format_names, N(digest_format_names) },
	{ FIELD_PLAIN, LOFF(digest_max_bytes), 0, 1024, LIMIT_MESSAGE_HARD, NULL, 0 },
	{ FIELD_PLAIN, LOFF(digest_period_hours), 0, 1, 24 * 366, NULL, 0 },
	{ FIELD_PLAIN, LOFF(dmarc_mitigation), 0, 0, 0, dmarc_mitigation_names,
	  N(dmarc_mitigation_names) },
	{ FIELD_PLAIN, LOFF(dmarc_action), 0, 0, 0, dmarc_action_names, N(dmarc_action_names) },
	{ FIELD_MODERATORS, 0, 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, LOFF(subscribe_policy), 0, 0, 0, subscribe_policy_names,
	  N(subscribe_policy_names) },
};
_Static_assert(N(list_settings) == N(list_fields), "list tables differ");

static const struct store_setting member_settings[] = {
	{ "id", STORE_SETTING_UINT, true, NULL, NULL, "the member's number (in VERP tokens)" },
	{ "address", STORE_SETTING_TEXT, true, NULL, NULL, "the address as first written" },
	{ "name", STORE_SETTING_TEXT, false, NULL, "", "display name" },
	{ "state", STORE_SETTING_ENUM, false,
	  "enabled|disabled-admin|disabled-user|disabled-bounce", "enabled",
	  "whether mail is delivered (\"disabled\" means disabled-admin)" },
	{ "delivery", STORE_SETTING_ENUM, false, "normal|digest|nomail", "normal",
	  "every post, a digest, or nothing" },
	{ "moderated", STORE_SETTING_BOOL, false, NULL, "no",
	  "hold this member's posts for the owners" },
	{ "joined", STORE_SETTING_TIME, true, NULL, NULL, "when the member was added" },
	{ "bounce_score", STORE_SETTING_SCORE, true, NULL, NULL, "current bounce score" },
	{ "bounce_count", STORE_SETTING_UINT, true, NULL, NULL, "bounces counted" },
	{ "bounce_last_day", STORE_SETTING_UINT, true, NULL, NULL,
	  "unix day of the last bounce (0: never)" },
	{ "probe", STORE_SETTING_ENUM, true, "none|probing", NULL, "probe state" },
	{ "probe_sent_day", STORE_SETTING_UINT, true, NULL, NULL,
	  "unix day the probe went out (0: never)" },
	{ "warnings_sent", STORE_SETTING_UINT, true, NULL, NULL, "probe warnings sent" },
};

static const struct field member_fields[] = {
	{ FIELD_PLAIN, MOFF(id), 0, 0, 0, NULL, 0 },
	{ FIELD_MEMBER_ADDRESS, 0, 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, MOFF(display), sizeof(((struct store_member *)0)->display), 0, 0, NULL, 0 },
	{ FIELD_PLAIN, MOFF(state), 0, 0, 0, state_names, N(state_names) },
	{ FIELD_PLAIN, MOFF(delivery), 0, 0, 0, delivery_names, N(delivery_names) },
	{ FIELD_PLAIN, MOFF(moderated), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, MOFF(joined), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, MOFF(bounce.score), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, MOFF(bounce.count), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, MOFF(bounce.last_day), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, MOFF(bounce.probe), 0, 0, 0, probe_names, N(probe_names) },
	{ FIELD_PLAIN, MOFF(bounce.probe_sent_day), 0, 0, 0, NULL, 0 },
	{ FIELD_PLAIN, MOFF(bounce.warnings_sent), 0, 0, 0, NULL, 0 },
};
_Static_assert(N(member_settings) == N(member_fields), "member tables differ");

const struct store_setting *store_list_settings(size_t *ret_n)
{
	*ret_n = N(list_settings);
	return list_settings;
}

const struct store_setting *store_member_settings(size_t *ret_n)
{
	*ret_n = N(member_settings);
	return member_settings;
}

/* ---- Parsing ------------------------------------------------------------ */

static int parse_bool(const char *s, bool *ret_value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < N(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret_value = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret_value = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Decimal digits into *ret_value (no sign, no blanks); -EINVAL or -ERANGE. */
static int parse_digits(const char **sp, uint64_t *ret_value)
{
	const char *s = *sp;
	uint64_t v = 0;
	if (!ascii_is_digit(*s))
		return -EINVAL;
	for (; ascii_is_digit(*s); s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*sp = s;
	*ret_value = v;
	return 0;
}

static int parse_uint(const char *s, uint64_t *ret_value)
{
	int r = parse_digits(&s, ret_value);
	if (r < 0)
		return r;
	return *s ? -EINVAL : 0;
}

static int parse_size(const char *s, uint64_t *ret_value)
{
	uint64_t v;
	int r = parse_digits(&s, &v);
	if (r < 0)
		return r;
	if (*s == 'k' || *s == 'K') {
		v <<= 10;
		s++;
	} else if (*s == 'm' || *s == 'M') {
		v <<= 20;
		s++;
	}
	if (*s == 'b' || *s == 'B')
		s++;
	if (*s)
		return -EINVAL;
	if (v > UINT32_MAX)
		return -ERANGE;
	*ret_value = v;
	return 0;
}

/* "5", "2.5", "0.25" into hundredths. */
static int parse_score(const char *s, uint64_t *ret_value)
{
	uint64_t whole, frac = 0;
	int r = parse_digits(&s, &whole);
	if (r < 0)
		return r;
	if (*s == '.') {
		s++;
		if (!ascii_is_digit(s[0]))
			return -EINVAL;
		frac = (uint64_t)(s[0] - '0') * 10;
		s++;
		if (ascii_is_digit(s[0])) {
			frac += (uint64_t)(s[0] - '0');
			s++;
		}
	}
	if (*s)
		return -EINVAL;
	if (whole > UINT32_MAX / 100)
		return -ERANGE;
	*ret_value = whole * 100 + frac;
	return 0;
}

/* Well-formed UTF-8 without control characters. */
static bool text_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		size_t extra;
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80)
			extra = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			extra = 1;
		else if (c >= 0xe0 && c <= 0xef)
			extra = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			extra = 3;
		else
			return false;
		p++;
		for (size_t i = 0; i < extra; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* Parses comma-separated addresses into list (LIMIT_OWNERS entries),
 * *ret_n how many; what names them in the error. */
static int parse_addrs(struct addr *list, size_t *ret_n, const char *value, const char *too_many,
                       const char **ret_why)
{
	struct addr owners[LIMIT_OWNERS];
	size_t n = 0;
	const char *p = value;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		struct slice item = slice_trim(slice_make(p, len));
		p += len + (comma ? 1 : 0);
		if (item.len == 0)
			continue;
		struct addr a;
		const char *why;
		if (addr_parse(item, &a, &why) < 0) {
			*ret_why = why;
			return -EINVAL;
		}
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = addr_eq(&owners[i], &a);
		if (dup)
			continue;
		if (n == LIMIT_OWNERS) {
			*ret_why = too_many;
			return -EINVAL;
		}
		owners[n++] = a;
	}
	memcpy(list, owners, n * sizeof(owners[0]));
	*ret_n = n;
	return 0;
}

/* Sets a FIELD_PLAIN of base from value. */
static int field_set(void *base, const struct store_setting *st, const struct field *f,
                     const char *value, const char **ret_why)
{
	char *at = (char *)base + f->off;
	uint64_t v = 0;
	int r;
	switch (st->type) {
	case STORE_SETTING_BOOL: {
		bool b;
		if (parse_bool(value, &b) < 0) {
			*ret_why = "expected yes or no";
			return -EINVAL;
		}
		*(bool *)at = b;
		return 0;
	}
	case STORE_SETTING_UINT:
		r = parse_uint(value, &v);
		if (r < 0) {
			*ret_why = "expected a whole number";
			return -EINVAL;
		}
		break;
	case STORE_SETTING_SIZE:
		r = parse_size(value, &v);
		if (r < 0) {
			*ret_why = "expected a size in bytes (suffixes k, M)";
			return -EINVAL;
		}
		break;
	case STORE_SETTING_SCORE:
		r = parse_score(value, &v);
		if (r < 0) {
			*ret_why = "expected a number with at most two decimals";
			return -EINVAL;
		}
		break;
	case STORE_SETTING_TEXT:
		if (strlen(value) >= f->size) {
			*ret_why = "too long";
			return -EINVAL;
		}
		if (!text_valid(value)) {
			*ret_why = "not valid UTF-8 text or holds control characters";
			return -EINVAL;
		}
		memcpy(at, value, strlen(value) + 1);
		return 0;
	case STORE_SETTING_ENUM:
		for (size_t i = 0; i < f->n_names; i++) {
			if (strcasecmp(value, f->names[i]) == 0) {
				*(unsigned *)at = (unsigned)i;
				return 0;
			}
		}
		if (f->names == state_names && strcasecmp(value, "disabled") == 0) {
			*(unsigned *)at = STORE_MEMBER_DISABLED_ADMIN;
			return 0;
		}
		*ret_why = "not one of the allowed values";
		return -EINVAL;
	default:
		*ret_why = "cannot be set";
		return -EINVAL;
	}
	if (v < f->min || v > f->max) {
		*ret_why = "out of range";
		return -EINVAL;
	}
	*(uint32_t *)at = (uint32_t)v;
	return 0;
}

static int setting_find(const struct store_setting *table, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, key) == 0)
			return (int)i;
	return -1;
}

int store_list_setting_set(struct store_list *l, const char *key, const char *value,
                           const char **ret_why)
{
	const char *why_dummy;
	if (!ret_why)
		ret_why = &why_dummy;
	int i = setting_find(list_settings, N(list_settings), key);
	if (i < 0) {
		*ret_why = "unknown setting";
		return -ENOENT;
	}
	if (list_settings[i].readonly) {
		*ret_why = "read-only";
		return -EINVAL;
	}
	if (list_fields[i].kind == FIELD_OWNERS)
		return parse_addrs(l->owners, &l->n_owners, value, "too many owners (at most 32)",
		                   ret_why);
	if (list_fields[i].kind == FIELD_MODERATORS)
		return parse_addrs(l->moderators, &l->n_moderators, value,
		                   "too many moderators (at most 32)", ret_why);
	return field_set(l, &list_settings[i], &list_fields[i], value, ret_why);
}

int store_member_setting_set(struct store_member *m, const char *key, const char *value,
                             const char **ret_why)
{
	const char *why_dummy;
	if (!ret_why)
		ret_why = &why_dummy;
	int i = setting_find(member_settings, N(member_settings), key);
	if (i < 0) {
		*ret_why = "unknown setting";
		return -ENOENT;
	}
	if (member_settings[i].readonly) {
		*ret_why = "read-only";
		return -EINVAL;
	}
	return field_set(m, &member_settings[i], &member_fields[i], value, ret_why);
}

/* ---- Formatting ------------------------------------------------------- */

static void format_score(uint32_t v, struct buf *out)
{
	if (v % 100 == 0)
		buf_addf(out, "%" PRIu32, v / 100);
	else if (v % 10 == 0)
		buf_addf(out, "%" PRIu32 ".%" PRIu32, v / 100, v % 100 / 10);
	else
		buf_addf(out, "%" PRIu32 ".%02" PRIu32, v / 100, v % 100);
}

static void format_size(uint32_t v, struct buf *out)
{
	if (v && v % (1u << 20) == 0)
		buf_addf(out, "%" PRIu32 "M", v >> 20);
	else if (v && v % 1024 == 0)
		buf_addf(out, "%" PRIu32 "k", v >> 10);
	else
		buf_addf(out, "%" PRIu32, v);
}

static void format_time(int64_t t, struct buf *out)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];
	if (!gmtime_r(&tt, &tm) || !strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		buf_addf(out, "%" PRId64, t);
		return;
	}
	buf_adds(out, s);
}

static void field_format(const void *base, const struct store_setting *st, const struct field *f,
                         struct buf *out)
{
	const char *at = (const char *)base + f->off;
	switch (st->type) {
	case STORE_SETTING_BOOL:
		buf_adds(out, *(const bool *)at ? "yes" : "no");
		break;
	case STORE_SETTING_UINT:
		buf_addf(out, "%" PRIu32, *(const uint32_t *)at);
		break;
	case STORE_SETTING_SIZE:
		format_size(*(const uint32_t *)at, out);
		break;
	case STORE_SETTING_SCORE:
		format_score(*(const uint32_t *)at, out);
		break;
	case STORE_SETTING_TEXT:
		buf_adds(out, at);
		break;
	case STORE_SETTING_ENUM: {
		unsigned v = *(const unsigned *)at;
		buf_adds(out, v < f->n_names ? f->names[v] : "?");
		break;
	}
	case STORE_SETTING_TIME:
		format_time(*(const int64_t *)at, out);
		break;
	case STORE_SETTING_ADDRS:
		break;
	}
}

int store_list_setting_format(const struct store_list *l, const char *key, struct buf *out)
{
	int i = setting_find(list_settings, N(list_settings), key);
	if (i < 0)
		return -ENOENT;
	switch (list_fields[i].kind) {
	case FIELD_LIST_ADDRESS:
		store_list_format_addr(l, out);
		break;
	case FIELD_OWNERS:
		for (size_t j = 0; j < l->n_owners && j < LIMIT_OWNERS; j++) {
			if (j)
				buf_addch(out, ',');
			addr_format(&l->owners[j], out);
		}
		break;
	case FIELD_MODERATORS:
		for (size_t j = 0; j < l->n_moderators && j < LIMIT_OWNERS; j++) {
			if (j)
				buf_addch(out, ',');
			addr_format(&l->moderators[j], out);
		}
		break;
	default:
		field_format(l, &list_settings[i], &list_fields[i], out);
		break;
	}
	return 0;
}

int store_member_setting_format(const struct store_member *m, const char *key, struct buf *out)
{
	int i = setting_find(member_settings, N(member_settings), key);
	if (i < 0)
		return -ENOENT;
	if (member_fields[i].kind == FIELD_MEMBER_ADDRESS)
		addr_format(&m->addr, out);
	else
		field_format(m, &member_settings[i], &member_fields[i], out);
	return 0;
}
