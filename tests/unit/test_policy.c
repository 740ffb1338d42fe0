/* tests/unit/test_policy.c — the policy service without sockets: the
 * request reader and reply writer (policy_proto.h), and every rule of
 * policy_decide() (policy.h) against a real store in a temporary
 * directory, with real signed VERP tokens. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "listd/mail/modtoken.h"
#include "listd/mail/unsub.h"
#include "bounce/verp.h"
#include "listd/core/addr.h"
#include "listd/core/buf.h"
#include "listd/core/config.h"
#include "listd/policy/policy.h"
#include "listd/net/policy_proto.h"
#include "listd/policy/recipient.h"
#include "storage/store.h"
#include "storage/store_mail.h"

#define DOMAIN "lists.example.org"
#define TODAY 20000u

/* ---- the request reader ---------------------------------------------- */

struct parse_case {
	const char *label;
	const char *in;
	size_t len;            /* 0: strlen(in) */
	int want;              /* > 0: bytes taken; 0: incomplete; -errno */
	const char *want_rcpt; /* for complete requests: recipient (NULL: skip) */
	const char *want_sender;
	size_t want_nattrs;
};

static char *repeat(const char *unit, size_t n, const char *tail)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		buf_adds(&b, unit);
	buf_adds(&b, tail);
	return buf_detach(&b, NULL);
}

static void check_parse(const struct parse_case *c)
{
	struct policy_request r;
	size_t len = c->len ? c->len : strlen(c->in);
	memset(&r, 0x5a, sizeof(r));
	int got = policy_request_parse(slice_make(c->in, len), &r);
	if (got != c->want)
		printf("# %s: got %d, want %d\n", c->label, got, c->want);
	assert_int_equal(got, c->want);
	if (got <= 0)
		return;
	if (c->want_rcpt) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%.*s", (int)r.recipient.len, r.recipient.p);
		if (strcmp(tmp, c->want_rcpt))
			printf("# %s: recipient got '%s', want '%s'\n", c->label, tmp,
			       c->want_rcpt);
		assert_string_equal(tmp, c->want_rcpt);
	}
	if (c->want_sender) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%.*s", (int)r.sender.len, r.sender.p ? r.sender.p : "");
		assert_string_equal(tmp, c->want_sender);
	}
	if (c->want_nattrs)
		assert_int_equal(r.nattrs, c->want_nattrs);
}

#define REQ "request=smtpd_access_policy\nprotocol_state=RCPT\n"

static void test_parse_table(void **state)
{
	(void)state;
	static const char nul_value[] = REQ "sender=a\0b@x\n\n";
	const struct parse_case cases[] = {
		{ "complete", REQ "sender=a@b.test\nrecipient=dev@" DOMAIN "\n\n", 0,
		  (int)strlen(REQ "sender=a@b.test\nrecipient=dev@" DOMAIN "\n\n"), "dev@" DOMAIN,
		  "a@b.test", 4 },
		{ "CRLF lines", "request=smtpd_access_policy\r\nrecipient=x@y\r\n\r\n", 0,
		  (int)strlen("request=smtpd_access_policy\r\nrecipient=x@y\r\n\r\n"), "x@y", NULL,
		  2 },
		{ "null sender", REQ "sender=\nrecipient=x@y\n\n", 0,
		  (int)strlen(REQ "sender=\nrecipient=x@y\n\n"), "x@y", "", 4 },
		{ "value with '='", REQ "recipient=a=b@y\n\n", 0,
		  (int)strlen(REQ "recipient=a=b@y\n\n"), "a=b@y", NULL, 3 },
		{ "unknown attributes ignored, counted",
		  REQ "ccert_subject=x y\npolicy_context=\nrecipient=r@y\n\n", 0,
		  (int)strlen(REQ "ccert_subject=x y\npolicy_context=\nrecipient=r@y\n\n"), "r@y",
		  NULL, 5 },
		{ "unknown attribute twice is fine", REQ "foo=1\nfoo=2\n\n", 0,
		  (int)strlen(REQ "foo=1\nfoo=2\n\n"), NULL, NULL, 4 },
		{ "two requests: the first", REQ "recipient=one@y\n\n" REQ "recipient=two@y\n\n", 0,
		  (int)strlen(REQ "recipient=one@y\n\n"), "one@y", NULL, 3 },
		{ "empty request", "\n", 0, 1, NULL, NULL, 0 },
		{ "UTF-8 value", REQ "recipient=j\xc3\xb8rn@y\n\n", 0,
		  (int)strlen(REQ "recipient=j\xc3\xb8rn@y\n\n"), "j\xc3\xb8rn@y", NULL, 3 },
		{ "incomplete: no empty line", REQ "recipient=x@y\n", 0, 0, NULL, NULL, 0 },
		{ "incomplete: half a line", REQ "recipi", 0, 0, NULL, NULL, 0 },
		{ "incomplete: nothing", "", 0, 0, NULL, NULL, 0 },
		{ "garbage: no '='", REQ "hello\n\n", 0, -EBADMSG, NULL, NULL, 0 },
		{ "garbage: empty name", REQ "=x\n\n", 0, -EBADMSG, NULL, NULL, 0 },
		{ "garbage: blank in name", REQ "a b=x\n\n", 0, -EBADMSG, NULL, NULL, 0 },
		{ "garbage: SMTP instead", "EHLO x\r\n", 0, -EBADMSG, NULL, NULL, 0 },
		{ "garbage: CR inside a value", REQ "recipient=a\rb@y\n\n", 0, -EBADMSG, NULL, NULL,
		  0 },
		{ "garbage: NUL in a value", nul_value, sizeof(nul_value) - 1, -EBADMSG, NULL, NULL,
		  0 },
		{ "garbage: known attribute twice", REQ "recipient=a@y\nrecipient=b@y\n\n", 0,
		  -EBADMSG, NULL, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_parse(&cases[i]);
}

static void test_parse_limits(void **state)
{
	(void)state;
	/* a line of POLICY_LINE_MAX bytes without its LF */
	char *longline = repeat("a", POLICY_LINE_MAX, "");
	struct parse_case c1 = {
		"line over the limit, unfinished", longline, 0, -EMSGSIZE, NULL, NULL, 0
	};
	check_parse(&c1);
	free(longline);
	/* the longest line that fits (LF included) */
	char *fits = repeat("a", POLICY_LINE_MAX - 3, "");
	fits[0] = 'x';
	fits[1] = '=';
	char *req = NULL;
	{
		struct buf b = BUF_INIT;
		buf_adds(&b, fits);
		buf_adds(&b, "\n\n");
		req = buf_detach(&b, NULL);
	}
	struct parse_case c2 = { "line at the limit", req, 0, (int)strlen(req), NULL, NULL, 1 };
	check_parse(&c2);
	free(fits);
	free(req);
	/* too many attributes */
	char *many = repeat("x_attr=1\n", POLICY_ATTR_MAX + 1, "\n");
	struct parse_case c3 = { "too many attributes", many, 0, -EMSGSIZE, NULL, NULL, 0 };
	check_parse(&c3);
	free(many);
	char *max = repeat("x_attr=1\n", POLICY_ATTR_MAX, "\n");
	struct parse_case c4 = {
		"attributes at the limit", max, 0, (int)strlen(max), NULL, NULL, POLICY_ATTR_MAX
	};
	check_parse(&c4);
	free(max);
	/* over the total size with short lines (few attributes, long values) */
	char *unit = repeat("v", 1500, "\n");
	unit[0] = 'k';
	unit[1] = '=';
	char *big = repeat(unit, POLICY_REQUEST_MAX / 1501 + 1, "");
	struct parse_case c5 = {
		"request over the size limit, unfinished", big, 0, -EMSGSIZE, NULL, NULL, 0
	};
	check_parse(&c5);
	struct buf b = BUF_INIT;
	buf_adds(&b, big);
	buf_adds(&b, "\n");
	struct parse_case c6 = {
		"request over the size limit, finished", b.data, 0, -EMSGSIZE, NULL, NULL, 0
	};
	check_parse(&c6);
	buf_finish(&b);
	free(unit);
	free(big);
}

static void test_reply_format(void **state)
{
	(void)state;
	const struct {
		const char *label, *text, *want;
	} cases[] = {
		{ "dunno", "DUNNO", "action=DUNNO\n\n" },
		{ "reject", "550 5.1.1 <x@y>: no such list address",
		  "action=550 5.1.1 <x@y>: no such list address\n\n" },
		{ "CR and LF never split the answer", "550 a\r\nb\n", "action=550 a??b?\n\n" },
		{ "UTF-8 is masked", "550 <j\xc3\xb8rn@y>", "action=550 <j??rn@y>\n\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out = BUF_INIT;
		policy_reply_format(&out, cases[i].text);
		if (strcmp(out.data, cases[i].want))
			printf("# %s: got '%s', want '%s'\n", cases[i].label, out.data,
			       cases[i].want);
		assert_string_equal(out.data, cases[i].want);
		buf_finish(&out);
	}
	struct buf out = BUF_INIT;
	char *longtext = repeat("x", 5000, "");
	policy_reply_format(&out, longtext);
	assert_int_equal(out.len, strlen("action=") + POLICY_REPLY_TEXT_MAX + 2);
	buf_finish(&out);
	free(longtext);
}

/* ---- the decisions --------------------------------------------------- */

struct fx {
	char dir[64];
	struct store *s;
	struct config cfg;
	uint8_t key[TOKEN_KEY_LEN];
	uint32_t alice_id, bob_id, dev_id;
	char tok_valid[128], tok_stale[128], tok_future[128], tok_badmac[128], tok_other_list[128],
	        tok_probe[128];
	char uns_valid[128], uns_old[128], uns_badmac[128], uns_other_list[128], uns_gone[128];
	uint32_t held_id, done_id; /* a held post of dev, a distributed one */
	char mod_valid[128], mod_decided[128], mod_expired[128], mod_badmac[128],
	        mod_other_list[128], mod_kind[128];
};

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct addr A(const char *s) {
	struct addr a;
	const char *why = NULL;
	int r = addr_parse(slice_cstr(s), &a, &why);
	if (r < 0)
		printf("# addr_parse %s: %s\n", s, why);
	assert_int_equal(r, 0);
	return a;
}

struct populate {
	uint32_t alice_id, bob_id, dev_id, held_id, done_id;
};

static int populate_cb(struct store_txn *txn, void *ctx)
{
	struct populate *p = ctx;
	struct store_list l, init;
	struct store_member m;
	struct addr a;
	int r;

	a = A("dev@" DOMAIN);
	if ((r = store_list_create(txn, &a, NULL, &l)) < 0)
		return r;
	p->dev_id = l.id;
	a = A("alice@members.test");
	if ((r = store_member_add(txn, l.id, &a, NULL, &m)) < 0)
		return r;
	p->alice_id = m.id;
	/* a held post and a distributed one, for moderation tokens */
	struct store_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.role = STORE_MSG_ROLE_POST;
	msg.state = STORE_MSG_HELD;
	msg.list_id = l.id;
	if ((r = store_msg_add(txn, &msg, "Subject: x\n\nx\n", 14, &p->held_id)) < 0)
		return r;
	msg.state = STORE_MSG_DISTRIBUTED;
	if ((r = store_msg_add(txn, &msg, "Subject: y\n\ny\n", 14, &p->done_id)) < 0)
		return r;

	store_list_defaults(&init);
	init.nonmember_action = STORE_NONMEMBER_REJECT;
	a = A("closed@" DOMAIN);
	if ((r = store_list_create(txn, &a, &init, &l)) < 0)
		return r;
	a = A("bob@members.test");
	if ((r = store_member_add(txn, l.id, &a, NULL, &m)) < 0)
		return r;
	p->bob_id = m.id;

	/* a list whose name ends like a role: its own posting address wins */
	a = A("team-owner@" DOMAIN);
	if ((r = store_list_create(txn, &a, &init, &l)) < 0)
		return r;
	return 0;
}

static void make_token_sfx(struct fx *f, enum verp_kind kind, uint32_t member, uint32_t day,
                           const char *list, const char *suffix, char *ret_token, size_t size)
{
	struct verp_fields vf = { kind, member, 7, day };
	struct buf b = BUF_INIT;
	int r = verp_encode(f->key, &vf, list, suffix, '+', DOMAIN, &b);
	assert_int_equal(r, 0);
	assert_true(b.len < size);
	memcpy(ret_token, b.data, b.len + 1);
	buf_finish(&b);
}

static void make_token(struct fx *f, enum verp_kind kind, uint32_t member, uint32_t day,
                       const char *list, char *ret_token, size_t size)
{
	make_token_sfx(f, kind, member, day, list, "-bounces", ret_token, size);
}

/* LIST-request+unsub-TOKEN@DOMAIN for member on list_id, made on day */
static void make_unsub(struct fx *f, const char *list, uint32_t member, uint32_t list_id,
                       uint32_t day, char *ret_addr, size_t size)
{
	struct buf t = BUF_INIT;
	assert_int_equal(unsub_token_make(f->key, member, list_id, day, &t), 0);
	snprintf(ret_addr, size, "%s-request+unsub-%s@" DOMAIN, list, t.data);
	buf_finish(&t);
}

/* LIST-moderate+TOKEN@DOMAIN */
static void make_mod(struct fx *f, const char *list, uint32_t list_id, enum modtoken_kind kind,
                     uint32_t msg, uint32_t expiry, char ret_addr[128])
{
	struct modtoken t = { .kind = kind, .msg_id = msg, .expiry_day = expiry };
	struct buf b = BUF_INIT;
	assert_int_equal(modtoken_make(f->key, list_id, &t, &b), 0);
	snprintf(ret_addr, 128, "%s-moderate+%s@" DOMAIN, list, b.data);
	buf_finish(&b);
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/listd-test-policy-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (store_open(f->dir, STORE_OPEN_CREATE, &f->s) < 0)
		return -1;
	struct populate p = { 0, 0, 0, 0, 0 };
	int r = store_write(f->s, populate_cb, &p);
	if (r < 0) {
		printf("# populate: %s\n", store_strerror(r));
		return -1;
	}
	f->alice_id = p.alice_id;
	f->bob_id = p.bob_id;
	f->dev_id = p.dev_id;
	f->held_id = p.held_id;
	f->done_id = p.done_id;
	config_defaults(&f->cfg);
	memset(f->key, 0x42, sizeof(f->key));
	*state = f;
	make_token(f, VERP_KIND_POST, f->alice_id, TODAY, "dev", f->tok_valid,
	           sizeof(f->tok_valid));
	make_token(f, VERP_KIND_PROBE, f->alice_id, TODAY - 2, "dev", f->tok_probe,
	           sizeof(f->tok_probe));
	make_token(f, VERP_KIND_POST, f->alice_id, TODAY - f->cfg.token_max_age_days - 1, "dev",
	           f->tok_stale, sizeof(f->tok_stale));
	make_token(f, VERP_KIND_POST, f->alice_id, TODAY + 3, "dev", f->tok_future,
	           sizeof(f->tok_future));
	/* the valid token with its last character changed */
	strcpy(f->tok_badmac, f->tok_valid);
	char *at = strchr(f->tok_badmac, '@');
	at[-1] = at[-1] == 'a' ? 'b' : 'a';
	/* dev's token body under closed's bounce address */
	const char *plus = strchr(f->tok_valid, '+');
	snprintf(f->tok_other_list, sizeof(f->tok_other_list), "closed-bounces%s", plus);

	make_unsub(f, "dev", f->alice_id, f->dev_id, TODAY - 10, f->uns_valid,
	           sizeof(f->uns_valid));
	make_unsub(f, "dev", f->alice_id, f->dev_id, TODAY - UNSUB_LINK_DAYS - 1, f->uns_old,
	           sizeof(f->uns_old));
	make_unsub(f, "closed", f->alice_id, f->dev_id, TODAY, f->uns_other_list,
	           sizeof(f->uns_other_list));
	make_unsub(f, "dev", 999999, f->dev_id, TODAY, f->uns_gone, sizeof(f->uns_gone));
	strcpy(f->uns_badmac, f->uns_valid);
	at = strchr(f->uns_badmac, '@');
	at[-1] = at[-1] == 'a' ? 'b' : 'a';

	make_mod(f, "dev", f->dev_id, MODTOKEN_POST, f->held_id, TODAY + 5, f->mod_valid);
	make_mod(f, "dev", f->dev_id, MODTOKEN_POST, f->done_id, TODAY + 5, f->mod_decided);
	make_mod(f, "dev", f->dev_id, MODTOKEN_POST, f->held_id, TODAY - 1, f->mod_expired);
	/* a held post named as a subscription request: not waiting as that */
	make_mod(f, "dev", f->dev_id, MODTOKEN_SUBSCRIBE, f->held_id, TODAY + 5, f->mod_kind);
	strcpy(f->mod_badmac, f->mod_valid);
	at = strchr(f->mod_badmac, '@');
	at[-1] = at[-1] == 'a' ? 'b' : 'a';
	const char *mplus = strchr(f->mod_valid, '+');
	snprintf(f->mod_other_list, sizeof(f->mod_other_list), "closed-moderate%s", mplus);
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	config_finish(&f->cfg);
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

struct decide_case {
	const char *label;
	const char *request; /* "smtpd_access_policy" unless set */
	const char *state;   /* "RCPT" unless set */
	const char *sender;
	const char *rcpt; /* "@TOKEN_..." picks a token of the fixture */
	enum policy_verdict want;
	enum policy_rule want_rule;
	const char *want_action; /* exact, with "%s" for the recipient; NULL: skip */
};

static const char *fx_rcpt(const struct fx *f, const char *r)
{
	if (!strcmp(r, "@valid"))
		return f->tok_valid;
	if (!strcmp(r, "@probe"))
		return f->tok_probe;
	if (!strcmp(r, "@stale"))
		return f->tok_stale;
	if (!strcmp(r, "@future"))
		return f->tok_future;
	if (!strcmp(r, "@badmac"))
		return f->tok_badmac;
	if (!strcmp(r, "@otherlist"))
		return f->tok_other_list;
	if (!strcmp(r, "@unsub"))
		return f->uns_valid;
	if (!strcmp(r, "@unsub-old"))
		return f->uns_old;
	if (!strcmp(r, "@unsub-badmac"))
		return f->uns_badmac;
	if (!strcmp(r, "@unsub-otherlist"))
		return f->uns_other_list;
	if (!strcmp(r, "@unsub-gone"))
		return f->uns_gone;
	if (!strcmp(r, "@mod"))
		return f->mod_valid;
	if (!strcmp(r, "@mod-decided"))
		return f->mod_decided;
	if (!strcmp(r, "@mod-expired"))
		return f->mod_expired;
	if (!strcmp(r, "@mod-badmac"))
		return f->mod_badmac;
	if (!strcmp(r, "@mod-otherlist"))
		return f->mod_other_list;
	if (!strcmp(r, "@mod-kind"))
		return f->mod_kind;
	return r;
}

#define NOLIST "550 5.1.1 no such list address"
#define BADTOK "550 5.1.1 bounce address does not verify"
#define STALE "550 5.7.1 bounce address is stale"
#define NULLS "550 5.7.1 no bounces or automatic replies to this address"
#define NONMEM "550 5.7.1 only members may post to this list"
#define UNSBAD "550 5.1.1 unsubscribe address does not verify"
#define UNSOLD "550 5.7.1 unsubscribe address has expired"
#define MODBAD "550 5.1.1 moderation address does not verify"
#define MODOLD "550 5.7.1 moderation address has expired"
#define MODDONE "550 5.7.1 already decided"
#define DUNNO POLICY_VERDICT_DUNNO, POLICY_RULE_NONE, "DUNNO"
#define REJ(rule, act) POLICY_VERDICT_REJECT, POLICY_RULE_##rule, act

/* tmpl with its "%s" (if any) replaced by rcpt */
static void subst(char *ret_text, size_t size, const char *tmpl, const char *rcpt)
{
	const char *p = strstr(tmpl, "%s");
	if (!p)
		snprintf(ret_text, size, "%s", tmpl);
	else
		snprintf(ret_text, size, "%.*s%s%s", (int)(p - tmpl), tmpl, rcpt, p + 2);
}

static void test_decide_table(void **state)
{
	struct fx *f = *state;
	const struct decide_case cases[] = {
		/* rule 1: domains without lists are none of our business */
		{ "other domain", NULL, NULL, "a@b.test", "someone@elsewhere.test", DUNNO },
		{ "other domain, null sender", NULL, NULL, "", "someone@elsewhere.test", DUNNO },
		/* rule 2: unknown addresses under a list domain */
		{ "unknown list", NULL, NULL, "a@b.test", "nolist@" DOMAIN,
		  REJ(UNKNOWN_ADDRESS, NOLIST) },
		{ "unknown role", NULL, NULL, "a@b.test", "dev-admin@" DOMAIN,
		  REJ(UNKNOWN_ADDRESS, NOLIST) },
		{ "unknown, null sender", NULL, NULL, "", "nolist@" DOMAIN,
		  REJ(UNKNOWN_ADDRESS, NOLIST) },
		{ "unparsable, under a list domain", NULL, NULL, "a@b.test", "a..b@" DOMAIN,
		  REJ(UNKNOWN_ADDRESS, NOLIST) },
		{ "unparsable, elsewhere", NULL, NULL, "a@b.test", "a..b@elsewhere.test", DUNNO },
		{ "list domain in capitals", NULL, NULL, "a@b.test", "nolist@LISTS.Example.ORG",
		  REJ(UNKNOWN_ADDRESS, NOLIST) },
		/* valid addresses */
		{ "post by a member", NULL, NULL, "alice@members.test", "dev@" DOMAIN, DUNNO },
		{ "post by a non-member (list holds)", NULL, NULL, "eve@forged.test", "dev@" DOMAIN,
		  DUNNO },
		{ "post, capitals", NULL, NULL, "eve@forged.test", "DEV@Lists.Example.Org", DUNNO },
		{ "post with an extension", NULL, NULL, "eve@forged.test", "dev+topic@" DOMAIN,
		  DUNNO },
		{ "request address", NULL, NULL, "eve@forged.test", "dev-request@" DOMAIN, DUNNO },
		{ "owner address", NULL, NULL, "eve@forged.test", "dev-owner@" DOMAIN, DUNNO },
		{ "list named like a role", NULL, NULL, "bob@members.test", "team-owner@" DOMAIN,
		  REJ(NON_MEMBER, NONMEM) },
		/* rule 3: bounce addresses */
		{ "valid token, null sender", NULL, NULL, "", "@valid", DUNNO },
		{ "valid token, any sender", NULL, NULL, "postmaster@x.test", "@valid", DUNNO },
		{ "valid probe token", NULL, NULL, "", "@probe", DUNNO },
		{ "stale token", NULL, NULL, "", "@stale", REJ(STALE_TOKEN, STALE) },
		{ "token from the future", NULL, NULL, "", "@future", REJ(STALE_TOKEN, STALE) },
		{ "forged MAC", NULL, NULL, "", "@badmac", REJ(BAD_TOKEN, BADTOK) },
		{ "token of another list", NULL, NULL, "", "@otherlist", REJ(BAD_TOKEN, BADTOK) },
		{ "made-up token", NULL, NULL, "", "dev-bounces+aaaaaaaaaaaaaaaaaaaaaaaa@" DOMAIN,
		  REJ(BAD_TOKEN, BADTOK) },
		{ "malformed token", NULL, NULL, "", "dev-bounces+1@" DOMAIN,
		  REJ(BAD_TOKEN, BADTOK) },
		{ "no token", NULL, NULL, "", "dev-bounces@" DOMAIN, REJ(BAD_TOKEN, BADTOK) },
		{ "bounce address of an unknown list", NULL, NULL, "", "nolist-bounces+abc@" DOMAIN,
		  REJ(UNKNOWN_ADDRESS, NOLIST) },
		/* rule 4: null sender */
		{ "null sender to the posting address", NULL, NULL, "", "dev@" DOMAIN,
		  REJ(NULL_SENDER, NULLS) },
		{ "null sender to -request", NULL, NULL, "", "dev-request@" DOMAIN,
		  REJ(NULL_SENDER, NULLS) },
		{ "null sender to -owner", NULL, NULL, "", "dev-owner@" DOMAIN,
		  REJ(NULL_SENDER, NULLS) },
		{ "null sender to a closed list", NULL, NULL, "", "closed@" DOMAIN,
		  REJ(NULL_SENDER, NULLS) },
		/* rule 5: nonmember_action=reject */
		{ "closed list, member", NULL, NULL, "bob@members.test", "closed@" DOMAIN, DUNNO },
		{ "closed list, member in capitals", NULL, NULL, "Bob@MEMBERS.test",
		  "closed@" DOMAIN, DUNNO },
		{ "closed list, member of another list", NULL, NULL, "alice@members.test",
		  "closed@" DOMAIN, REJ(NON_MEMBER, NONMEM) },
		{ "closed list, non-member", NULL, NULL, "eve@forged.test", "closed@" DOMAIN,
		  REJ(NON_MEMBER, NONMEM) },
		{ "closed list, non-member, extension", NULL, NULL, "eve@forged.test",
		  "closed+x@" DOMAIN, REJ(NON_MEMBER, NONMEM) },
		{ "closed list, unparsable sender", NULL, NULL, "not an address", "closed@" DOMAIN,
		  REJ(NON_MEMBER, NONMEM) },
		{ "closed list, -request from a non-member", NULL, NULL, "eve@forged.test",
		  "closed-request@" DOMAIN, DUNNO },
		{ "closed list, -owner from a non-member", NULL, NULL, "eve@forged.test",
		  "closed-owner@" DOMAIN, DUNNO },
		/* rule 5b: one-click unsubscribe addresses (RFC 8058 by mail) */
		{ "unsubscribe token", NULL, NULL, "alice@members.test", "@unsub", DUNNO },
		{ "unsubscribe token, other sender", NULL, NULL, "webmail@provider.test", "@unsub",
		  DUNNO },
		{ "unsubscribe token, null sender", NULL, NULL, "", "@unsub",
		  REJ(NULL_SENDER, NULLS) },
		{ "unsubscribe token of a member gone", NULL, NULL, "a@b.test", "@unsub-gone",
		  DUNNO },
		{ "unsubscribe token, a year old", NULL, NULL, "a@b.test", "@unsub-old",
		  REJ(STALE_TOKEN, UNSOLD) },
		{ "unsubscribe token, forged MAC", NULL, NULL, "a@b.test", "@unsub-badmac",
		  REJ(BAD_TOKEN, UNSBAD) },
		{ "unsubscribe token, other list", NULL, NULL, "a@b.test", "@unsub-otherlist",
		  REJ(BAD_TOKEN, UNSBAD) },
		{ "unsubscribe token, made up", NULL, NULL, "a@b.test",
		  "dev-request+unsub-aaaaaaaaaaaaaaaaaaaaaaaa@" DOMAIN, REJ(BAD_TOKEN, UNSBAD) },
		{ "unsubscribe token, malformed", NULL, NULL, "a@b.test",
		  "dev-request+unsub-1@" DOMAIN, REJ(BAD_TOKEN, UNSBAD) },
		/* moderation by mail: LIST-moderate+TOKEN@ */
		{ "moderation token, held post", NULL, NULL, "mod@members.test", "@mod", DUNNO },
		{ "moderation token, null sender", NULL, NULL, "", "@mod",
		  REJ(NULL_SENDER, NULLS) },
		{ "moderation token, decided already", NULL, NULL, "mod@members.test",
		  "@mod-decided", REJ(STALE_TOKEN, MODDONE) },
		{ "moderation token, expired", NULL, NULL, "mod@members.test", "@mod-expired",
		  REJ(STALE_TOKEN, MODOLD) },
		{ "moderation token, forged MAC", NULL, NULL, "mod@members.test", "@mod-badmac",
		  REJ(BAD_TOKEN, MODBAD) },
		{ "moderation token, other list", NULL, NULL, "mod@members.test", "@mod-otherlist",
		  REJ(BAD_TOKEN, MODBAD) },
		{ "moderation token, other kind", NULL, NULL, "mod@members.test", "@mod-kind",
		  REJ(STALE_TOKEN, MODDONE) },
		{ "moderation address without a token", NULL, NULL, "mod@members.test",
		  "dev-moderate@" DOMAIN, REJ(BAD_TOKEN, MODBAD) },
		{ "request extension other than unsub-", NULL, NULL, "a@b.test",
		  "dev-request+x@" DOMAIN, DUNNO },
		/* rule 6: only RCPT of smtpd_access_policy is judged */
		{ "DATA state", NULL, "DATA", "", "nolist@" DOMAIN, DUNNO },
		{ "END-OF-MESSAGE state", NULL, "END-OF-MESSAGE", "", "nolist@" DOMAIN, DUNNO },
		{ "state in lower case", NULL, "rcpt", "", "nolist@" DOMAIN, DUNNO },
		{ "other request type", "junk_policy", NULL, "", "nolist@" DOMAIN, DUNNO },
		{ "no recipient", NULL, NULL, "a@b.test", "", DUNNO },
	};
	const struct policy_env env = { &f->cfg, f->key, TODAY };
	struct store_txn *txn;

	assert_int_equal(store_txn_begin(f->s, STORE_TXN_RDONLY, &txn), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decide_case *c = &cases[i];
		const char *rcpt = fx_rcpt(f, c->rcpt);
		struct buf in = BUF_INIT;
		struct policy_request req;
		struct policy_decision d;

		buf_addf(&in,
		         "request=%s\nprotocol_state=%s\nprotocol_name=ESMTP\n"
		         "client_address=127.0.0.1\nsender=%s\nrecipient=%s\ninstance=1.2\n\n",
		         c->request ? c->request : "smtpd_access_policy",
		         c->state ? c->state : "RCPT", c->sender, rcpt);
		int n = policy_request_parse(slice_make(in.data, in.len), &req);
		assert_int_equal(n, (int)in.len);
		policy_decide(txn, &env, &req, &d);

		char want[POLICY_REPLY_TEXT_MAX + 1];
		subst(want, sizeof(want), c->want_action, rcpt);
		if (d.verdict != c->want || d.rule != c->want_rule || strcmp(d.action, want))
			printf("# %s (%s): got %d %s '%s', want %d %s '%s'\n", c->label, rcpt,
			       d.verdict, policy_rule_name(d.rule), d.action, c->want,
			       policy_rule_name(c->want_rule), want);
		assert_int_equal(d.verdict, c->want);
		assert_int_equal(d.rule, c->want_rule);
		assert_string_equal(d.action, want);
		buf_finish(&in);
	}
	store_txn_abort(txn);
}

/* The settings that move the rules: another delimiter and suffix, a
 * shorter token age. */
static void test_decide_config(void **state)
{
	struct fx *f = *state;
	struct config cfg;
	struct buf err = BUF_INIT;
	const char *text = "token_max_age_days = 1\nbounce_suffix = -bounce\n";
	config_defaults(&cfg);
	assert_int_equal(config_parse(text, strlen(text), &cfg, &err), 0);
	const struct policy_env env = { &cfg, f->key, TODAY };
	struct store_txn *txn;
	assert_int_equal(store_txn_begin(f->s, STORE_TXN_RDONLY, &txn), 0);

	const struct {
		const char *rcpt;
		const char *sender;
		enum policy_rule rule;
	} cases[] = {
		/* -bounces is not a role any more: an unknown address */
		{ f->tok_valid, "", POLICY_RULE_UNKNOWN_ADDRESS },
		{ "dev-bounce@" DOMAIN, "", POLICY_RULE_BAD_TOKEN },
		{ "dev@" DOMAIN, "alice@members.test", POLICY_RULE_NONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf in = BUF_INIT;
		struct policy_request req;
		struct policy_decision d;
		buf_addf(&in, REQ "sender=%s\nrecipient=%s\n\n", cases[i].sender, cases[i].rcpt);
		assert_int_equal(policy_request_parse(slice_make(in.data, in.len), &req),
		                 (int)in.len);
		policy_decide(txn, &env, &req, &d);
		if (d.rule != cases[i].rule)
			printf("# %s: got %s, want %s\n", cases[i].rcpt, policy_rule_name(d.rule),
			       policy_rule_name(cases[i].rule));
		assert_int_equal(d.rule, cases[i].rule);
		buf_finish(&in);
	}

	/* under token_max_age_days = 1: yesterday's token is fresh, one of
	 * two days ago is stale */
	const struct {
		uint32_t day;
		enum policy_rule rule;
	} ages[] = {
		{ TODAY - 1, POLICY_RULE_NONE },
		{ TODAY - 2, POLICY_RULE_STALE_TOKEN },
	};
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		char rcpt[128];
		struct buf in = BUF_INIT;
		struct policy_request req;
		struct policy_decision d;
		make_token_sfx(f, VERP_KIND_POST, f->alice_id, ages[i].day, "dev", "-bounce", rcpt,
		               sizeof(rcpt));
		buf_addf(&in, REQ "sender=\nrecipient=%s\n\n", rcpt);
		assert_int_equal(policy_request_parse(slice_make(in.data, in.len), &req),
		                 (int)in.len);
		policy_decide(txn, &env, &req, &d);
		if (d.rule != ages[i].rule)
			printf("# age %u: got %s, want %s\n", TODAY - ages[i].day,
			       policy_rule_name(d.rule), policy_rule_name(ages[i].rule));
		assert_int_equal(d.rule, ages[i].rule);
		buf_finish(&in);
	}

	store_txn_abort(txn);
	config_finish(&cfg);
	buf_finish(&err);
}

/* recipient_classify(): the role, list and extension `listd deliver`
 * stores for an envelope recipient; nothing a list has: UNKNOWN. */
static void test_classify_table(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *rcpt;
		enum store_msg_role role;
		bool dev; /* list dev (else none) */
		const char *ext;
	} t[] = {
		{ "dev@" DOMAIN, STORE_MSG_ROLE_POST, true, "" },
		{ "DEV@" DOMAIN, STORE_MSG_ROLE_POST, true, "" },
		{ "dev-request@" DOMAIN, STORE_MSG_ROLE_REQUEST, true, "" },
		{ "dev-request+unsub-x@" DOMAIN, STORE_MSG_ROLE_REQUEST, true, "unsub-x" },
		{ "dev-owner@" DOMAIN, STORE_MSG_ROLE_OWNER, true, "" },
		{ "dev-bounces+abc@" DOMAIN, STORE_MSG_ROLE_BOUNCES, true, "abc" },
		{ "dev-moderate+tok@" DOMAIN, STORE_MSG_ROLE_MODERATE, true, "tok" },
		{ "nosuch@" DOMAIN, STORE_MSG_ROLE_UNKNOWN, false, "" },
		{ "dev@elsewhere.example", STORE_MSG_ROLE_UNKNOWN, false, "" },
		{ "not an address", STORE_MSG_ROLE_UNKNOWN, false, "" },
		{ "", STORE_MSG_ROLE_UNKNOWN, false, "" },
	};
	struct store_txn *txn;
	assert_int_equal(store_txn_begin(f->s, STORE_TXN_RDONLY, &txn), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct store_msg rec;
		struct store_list l;
		memset(&rec, 0x5a, sizeof(rec));
		int got = recipient_classify(txn, &f->cfg, t[i].rcpt, &rec, &l);
		if (got != (t[i].dev ? 1 : 0) || rec.role != t[i].role || strcmp(rec.ext, t[i].ext))
			printf("# <%s>: got %d, role %d, ext '%s'; want %d, role %d, ext '%s'\n",
			       t[i].rcpt, got, rec.role, rec.ext, t[i].dev ? 1 : 0, t[i].role,
			       t[i].ext);
		assert_int_equal(got, t[i].dev ? 1 : 0);
		assert_int_equal(rec.role, t[i].role);
		assert_int_equal(rec.list_id, t[i].dev ? f->dev_id : 0);
		assert_string_equal(rec.ext, t[i].ext);
		if (t[i].dev)
			assert_int_equal(l.id, f->dev_id);
	}
	store_txn_abort(txn);
}

/* recipient_bounce_msg(): the 12 bits a token carries name every 4096th
 * message; the list, the role and the day pick the right one. Runs last:
 * it writes thousands of messages into the shared store. */
static void test_bounce_msg(void **state)
{
	struct fx *f = *state;
	struct store_txn *txn;
	struct store_msg m;
	uint32_t id, first = 0, post = 0, bounce = 0, other = 0, last = 0;

	assert_int_equal(store_txn_begin(f->s, 0, &txn), 0);
	memset(&m, 0, sizeof(m));
	m.state = STORE_MSG_DISTRIBUTED;
	/* dev's post, then 4095 messages of another list, then a bounce to
	 * dev with the post's low bits, then more */
	m.role = STORE_MSG_ROLE_POST;
	m.list_id = f->dev_id;
	assert_int_equal(store_msg_add(txn, &m, "x", 1, &post), 0);
	for (int i = 0; i < 4095; i++) {
		m.list_id = f->dev_id + 1;
		assert_int_equal(store_msg_add(txn, &m, "x", 1, &id), 0);
		if (!first)
			first = id;
	}
	m.role = STORE_MSG_ROLE_BOUNCES;
	m.list_id = f->dev_id;
	assert_int_equal(store_msg_add(txn, &m, "x", 1, &bounce), 0);
	assert_int_equal(bounce, post + 4096);
	/* another list's post with the bits of `first` + 4096 */
	m.role = STORE_MSG_ROLE_POST;
	m.list_id = f->dev_id + 1;
	for (uint32_t n = bounce + 1; n <= first + 4096; n++)
		assert_int_equal(store_msg_add(txn, &m, "x", 1, &other), 0);
	assert_int_equal(other, first + 4096);
	last = other;

	uint32_t today = (uint32_t)(time(NULL) / 86400);
	struct verp_fields vf = { VERP_KIND_POST, f->alice_id, post & VERP_MSG_MASK, today };
	/* the bounce with the same bits is skipped: dev's post is meant */
	assert_int_equal(recipient_bounce_msg(txn, &vf, last, f->dev_id), post);
	/* the same bits for the other list: its own message, not dev's */
	vf.msg = other & VERP_MSG_MASK;
	assert_int_equal(recipient_bounce_msg(txn, &vf, last, f->dev_id + 1), other);
	/* a token day before the message was stored: nothing fits, the newest
	 * number with the bits */
	vf.msg = post & VERP_MSG_MASK;
	vf.day = today - 5;
	assert_int_equal(recipient_bounce_msg(txn, &vf, last, f->dev_id), bounce);
	/* a list that sent nothing with those bits: the newest number */
	vf.day = today;
	assert_int_equal(recipient_bounce_msg(txn, &vf, last, 9999), bounce);
	store_txn_abort(txn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),   cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_reply_format),  cmocka_unit_test(test_decide_table),
		cmocka_unit_test(test_decide_config), cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_bounce_msg),
	};
	/* one group: TAP allows one plan per run */
	return cmocka_run_group_tests_name("policy", tests, group_setup, group_teardown);
}
