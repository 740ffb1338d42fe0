/* tests/unit/test_config.c — the listd.conf reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "listd/core/config.h"

static void test_defaults(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	assert_int_equal(c.nrelays, 0);
	assert_int_equal(c.relay_tls, CONFIG_TLS_STARTTLS);
	assert_string_equal(c.tls_ca_file, "/etc/ssl/certs/ca-certificates.crt");
	assert_true(c.tls_verify);
	assert_int_equal(c.recipient_delimiter, '+');
	assert_string_equal(c.bounce_suffix, "-bounces");
	assert_string_equal(c.request_suffix, "-request");
	assert_string_equal(c.owner_suffix, "-owner");
	assert_int_equal(c.concurrency, 4);
	assert_int_equal(c.batch_size, 1000);
	assert_string_equal(c.key_file, "secret.key");
	assert_int_equal(c.verp_mode, CONFIG_VERP_PER_RECIPIENT);
	assert_int_equal(c.token_max_age_days, 30);
	assert_string_equal(c.authserv_id, "");
	assert_string_equal(c.policy_listen, "");
	assert_false(c.syslog);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_string_equal(c.user, "");
	assert_int_equal(c.smtp_timeout_seconds, 300);
	assert_int_equal(c.retry_min_seconds, 300);
	assert_int_equal(c.retry_max_seconds, 14400);
	assert_int_equal(c.message_max_age_days, 5);
	config_finish(&c);
	config_finish(NULL);
}

/* Renders the interesting fields of a parsed config. */
static char *render(const struct config *c)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < c->nrelays; i++)
		buf_addf(&b, "%s[%s]:%u", i ? "," : "", c->relays[i].host, c->relays[i].port);
	buf_addf(&b,
	         " tls=%s verify=%d delim=%c bs=%s rs=%s os=%s conc=%u batch=%u"
	         " key=%s verp=%d age=%u asid=%s listen=%s syslog=%d level=%d user=%s"
	         " auth=%s/%s helo=%s retry=%u-%u timeout=%u maxage=%u",
	         config_tls_name(c->relay_tls), c->tls_verify, c->recipient_delimiter,
	         c->bounce_suffix, c->request_suffix, c->owner_suffix, c->concurrency,
	         c->batch_size, c->key_file, c->verp_mode, c->token_max_age_days, c->authserv_id,
	         c->policy_listen, c->syslog, c->log_level, c->user, c->relay_auth_user,
	         c->relay_auth_password_file, c->helo_name, c->retry_min_seconds,
	         c->retry_max_seconds, c->smtp_timeout_seconds, c->message_max_age_days);
	return buf_detach(&b, NULL);
}

#define DFLT_TAIL \
	" tls=starttls verify=1 delim=+ bs=-bounces rs=-request os=-owner conc=4 batch=1000" \
	" key=secret.key verp=0 age=30 asid= listen= syslog=0 level=2 user=" \
	" auth=/ helo= retry=300-14400 timeout=300 maxage=5"

static void test_good(void **state)
{
	(void)state;
	static const struct {
		const char *label, *in, *want;
	} t[] = {
		{ "empty", "", DFLT_TAIL },
		{ "comments and blanks", "# comment\n\n   \n\t# indented\r\n", DFLT_TAIL },
		{ "relay list", "relay = mx1.example.org:587, [2001:db8::1]:25,10.0.0.1 ,[::1]\n",
		  "[mx1.example.org]:587,[2001:db8::1]:25,[10.0.0.1]:25,[::1]:25" DFLT_TAIL },
		{ "everything",
		  "relay=smtp.example.net:25\r\n"
		  "relay_tls = starttls\n"
		  "tls_ca_file = ca.pem\n"
		  "tls_verify = no\n"
		  "relay_auth_user = listd\n"
		  "relay_auth_password_file = /etc/listd/pw\n"
		  "helo_name = lists.example.org\n"
		  "recipient_delimiter = -\n"
		  "bounce_suffix = -b\n"
		  "request_suffix = -r\n"
		  "owner_suffix = -o\n"
		  "concurrency = 64\n"
		  "batch_size = 100000\n"
		  "key_file = keys/k\n"
		  "verp_mode = xverp\n"
		  "token_max_age_days = 100\n"
		  "authserv_id = mx.example.org\n"
		  "policy_listen = unix:policy.sock\n"
		  "syslog = yes\n"
		  "log_level = debug\n"
		  "user = listd\n"
		  "smtp_timeout_seconds = 60\n"
		  "retry_min_seconds = 60\n"
		  "retry_max_seconds = 60\n"
		  "message_max_age_days = 365\n",
		  "[smtp.example.net]:25 tls=starttls verify=0 delim=- bs=-b rs=-r os=-o conc=64"
		  " batch=100000 key=keys/k verp=1 age=100 asid=mx.example.org"
		  " listen=unix:policy.sock syslog=1 level=3 user=listd"
		  " auth=listd//etc/listd/pw helo=lists.example.org retry=60-60 timeout=60 "
		  "maxage=365" },
		{ "no final newline", "concurrency = 1", NULL },
		{ "value with '#' and '='", "authserv_id = a#b=c\n", NULL },
		{ "trailing comments",
		  "relay = 127.0.0.1:10026          # failover order: relay = a:25, b:25\n"
		  "relay_tls = none\t# none | opportunistic | starttls\n"
		  "user = listd                     # the daemon refuses to run as root otherwise\n"
		  "concurrency = 4 #SMTP connections\n"
		  "authserv_id = mx#1   # the only Authentication-Results trusted\n",
		  "[127.0.0.1]:10026 tls=none verify=1 delim=+ bs=-bounces rs=-request os=-owner "
		  "conc=4"
		  " batch=1000 key=secret.key verp=0 age=30 asid=mx#1 listen= syslog=0 level=2"
		  " user=listd auth=/ helo= retry=300-14400 timeout=300 maxage=5" },
		{ "policy host:port", "policy_listen = 127.0.0.1:10031\n", NULL },
		{ "opportunistic", "relay_tls = opportunistic\n", NULL },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct config c;
		struct buf err = BUF_INIT;
		config_defaults(&c);
		int r = config_parse(t[i].in, strlen(t[i].in), &c, &err);
		if (r != 0) {
			printf("# %s: got %d (%s), want 0\n", t[i].label, r, err.data);
			failed++;
		} else if (t[i].want) {
			char *got = render(&c);
			if (strcmp(got, t[i].want)) {
				printf("# %s: got\n#  %s\n# want\n#  %s\n", t[i].label, got,
				       t[i].want);
				failed++;
			}
			free(got);
		}
		config_finish(&c);
		buf_finish(&err);
	}
	assert_int_equal(failed, 0);
}

static void test_bad(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "nonsense\n", "line 1: expected key = value" },
		{ "# ok\n\nfoo = 1\n",
		  "line 3: unknown key 'foo' (`listd config -d` lists every key)" },
		{ "Relay = x\n",
		  "line 1: unknown key 'Relay' (`listd config -d` lists every key)" },
		{ "concurrency = 0\n", "line 1: concurrency: out of range 1..64: \"0\"" },
		{ "concurrency = 65\n", "line 1: concurrency: out of range 1..64: \"65\"" },
		{ "concurrency = 99999999999999999999999\n",
		  "line 1: concurrency: out of range 1..64: \"99999999999999999999999\"" },
		{ "concurrency = -1\n", "line 1: concurrency: expected a number: \"-1\"" },
		{ "concurrency =\n", "line 1: concurrency: expected a number: \"\"" },
		{ "batch_size = 100001\n",
		  "line 1: batch_size: out of range 1..100000: \"100001\"" },
		{ "batch_size = 1k\n", "line 1: batch_size: expected a number: \"1k\"" },
		{ "concurrency = 2\nconcurrency = 3\n",
		  "line 2: concurrency set twice (first on line 1)" },
		{ "relay_tls = required\n",
		  "line 1: relay_tls: not one of the allowed values (none, opportunistic, "
		  "starttls): \"required\"" },
		{ "tls_verify = maybe\n", "line 1: tls_verify: expected yes or no: \"maybe\"" },
		{ "relay = mx:0\n", "line 1: relay: port out of range 1..65535: \"mx:0\"" },
		{ "relay = mx:65536\n", "line 1: relay: port out of range 1..65535: \"mx:65536\"" },
		{ "relay = mx:\n", "line 1: relay: bad port: \"mx:\"" },
		{ "relay = mx:25x\n", "line 1: relay: bad port: \"mx:25x\"" },
		{ "relay = ::1\n",
		  "line 1: relay: an IPv6 address must be written in brackets, as [::1]:25: "
		  "\"::1\"" },
		{ "relay = [::1\n", "line 1: relay: missing ']' after an IPv6 address: \"[::1\"" },
		{ "relay = [zz::1]:25\n", "line 1: relay: bad IPv6 address: \"[zz::1]:25\"" },
		{ "relay = [::1]25\n", "line 1: relay: expected ':PORT' after ']': \"[::1]25\"" },
		{ "relay = a, ,b\n", "line 1: relay: empty relay in the list: \"a, ,b\"" },
		{ "relay = a,\n", "line 1: relay: empty relay in the list: \"a,\"" },
		{ "relay = bad_host!:25\n", "line 1: relay: bad host name: \"bad_host!:25\"" },
		{ "relay = -mx:25\n", "line 1: relay: bad host name: \"-mx:25\"" },
		{ "relay = a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n",
		  "line 1: relay: more than 16 relays: \"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\"" },
		{ "relay = a weight=0\n",
		  "line 1: relay: relay attribute out of range: \"a weight=0\"" },
		{ "relay = a weight=101\n",
		  "line 1: relay: relay attribute out of range: \"a weight=101\"" },
		{ "relay = a weight=99999999999999999999\n",
		  "line 1: relay: relay attribute out of range: \"a "
		  "weight=99999999999999999999\"" },
		{ "relay = a max_conn=65\n",
		  "line 1: relay: relay attribute out of range: \"a max_conn=65\"" },
		{ "relay = a weight=2x\n",
		  "line 1: relay: relay attribute: expected a number: \"a weight=2x\"" },
		{ "relay = a weight=\n",
		  "line 1: relay: unknown relay attribute (weight=N or max_conn=N): \"a "
		  "weight=\"" },
		{ "relay = a weight=1 weight=2\n",
		  "line 1: relay: relay attribute given twice: \"a weight=1 weight=2\"" },
		{ "relay = a maxconn=2\n",
		  "line 1: relay: unknown relay attribute (weight=N or max_conn=N): \"a "
		  "maxconn=2\"" },
		{ "relay = a:25 b:25\n",
		  "line 1: relay: unknown relay attribute (weight=N or max_conn=N): \"a:25 "
		  "b:25\"" },
		{ "relay_mode = roundrobin\n",
		  "line 1: relay_mode: not one of the allowed values (failover, spread): "
		  "\"roundrobin\"" },
		{ "recipient_delimiter = ++\n",
		  "line 1: recipient_delimiter: expected one punctuation character such as + or -: "
		  "\"++\"" },
		{ "recipient_delimiter = a\n",
		  "line 1: recipient_delimiter: expected one punctuation character such as + or -: "
		  "\"a\"" },
		{ "recipient_delimiter = @\n",
		  "line 1: recipient_delimiter: expected one punctuation character such as + or -: "
		  "\"@\"" },
		{ "bounce_suffix =\n", "line 1: bounce_suffix: expected 1 to 16 characters: \"\"" },
		{ "bounce_suffix = -bounces-bounces-x\n",
		  "line 1: bounce_suffix: expected 1 to 16 characters: \"-bounces-bounces-x\"" },
		{ "bounce_suffix = -b@\n",
		  "line 1: bounce_suffix: only letters, digits and - _ . = are allowed: \"-b@\"" },
		{ "owner_suffix = -request\n",
		  "line 1: bounce_suffix, request_suffix, owner_suffix and moderate_suffix must "
		  "differ" },
		{ "moderate_suffix = -owner\n",
		  "line 1: bounce_suffix, request_suffix, owner_suffix and moderate_suffix must "
		  "differ" },
		{ "log_level = verbose\n",
		  "line 1: log_level: not one of the allowed values (error, warning, info, debug): "
		  "\"verbose\"" },
		{ "verp_mode = both\n",
		  "line 1: verp_mode: not one of the allowed values (per-recipient, xverp): "
		  "\"both\"" },
		{ "token_max_age_days = 101\n",
		  "line 1: token_max_age_days: out of range 1..100: \"101\"" },
		{ "authserv_id = a b\n",
		  "line 1: authserv_id: no blanks, quotes, parentheses or ';' allowed: \"a b\"" },
		{ "policy_listen = unix:\n",
		  "line 1: policy_listen: unix: needs a path: \"unix:\"" },
		{ "policy_listen = 127.0.0.1\n",
		  "line 1: policy_listen: missing :PORT: \"127.0.0.1\"" },
		{ "user = -x\n",
		  "line 1: user: bad user name (at most 32 characters, not starting with '-'): "
		  "\"-x\"" },
		{ "user = a/b\n",
		  "line 1: user: bad user name (letters, digits, '.', '_' and '-' only): \"a/b\"" },
		{ "helo_name = a..b\n", "line 1: helo_name: bad host name: \"a..b\"" },
		{ "relay_auth_user = u\n",
		  "line 1: relay_auth_user needs relay_auth_password_file" },
		{ "relay_auth_password_file = p\n",
		  "line 1: relay_auth_password_file needs relay_auth_user" },
		{ "relay_tls = none\nrelay_auth_user = u\nrelay_auth_password_file = p\n",
		  "line 2: relay_auth_user needs relay_tls = starttls (no password in clear)" },
		{ "retry_min_seconds = 500\nretry_max_seconds = 400\n",
		  "line 2: retry_min_seconds is above retry_max_seconds" },
		{ "retry_min_seconds = 20000\n",
		  "line 1: retry_min_seconds is above retry_max_seconds" },
		{ "a = b\0c\n", "line 1: control character or NUL byte" },
		{ "helo_name = x\x1b[31m\n", "line 1: control character or NUL byte" },
		{ "\n\n\n\n\n\n\n\n\n# 9\nsyslog = perhaps\n",
		  "line 11: syslog: expected yes or no: \"perhaps\"" },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct config c;
		struct buf err = BUF_INIT;
		size_t len = strlen(t[i].in);
		if (!strcmp(t[i].in, "a = b"))
			len = 8; /* the NUL case */
		config_defaults(&c);
		free(c.key_file);
		c.key_file = strdup("marker");
		int r = config_parse(t[i].in, len, &c, &err);
		if (r != -EINVAL || strcmp(err.data, t[i].want)) {
			printf("# \"%s\": got %d \"%s\", want -EINVAL \"%s\"\n", t[i].in, r,
			       err.data, t[i].want);
			failed++;
		}
		/* the config is untouched on failure */
		if (strcmp(c.key_file, "marker")) {
			printf("# \"%s\": config changed on failure\n", t[i].in);
			failed++;
		}
		config_finish(&c);
		buf_finish(&err);
	}
	assert_int_equal(failed, 0);

	/* a line longer than LIMIT_LINE */
	struct buf in = BUF_INIT, err = BUF_INIT;
	struct config c;
	buf_adds(&in, "# fine\nhelo_name = ");
	for (int i = 0; i < LIMIT_LINE; i++)
		buf_addch(&in, 'a');
	buf_addch(&in, '\n');
	config_defaults(&c);
	assert_int_equal(config_parse(in.data, in.len, &c, &err), -EINVAL);
	assert_string_equal(err.data, "line 2: line too long");
	config_finish(&c);
	buf_finish(&in);
	buf_finish(&err);
}

static void test_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_config.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct config c;
	struct buf err = BUF_INIT, path = BUF_INIT;

	/* missing file: defaults, paths made absolute */
	config_defaults(&c);
	assert_int_equal(config_load_home(dir, &c, &err), 0);
	buf_addf(&path, "%s/secret.key", dir);
	assert_string_equal(c.key_file, path.data);
	assert_string_equal(c.tls_ca_file, "/etc/ssl/certs/ca-certificates.crt");
	config_finish(&c);

	/* a file */
	buf_reset(&path);
	buf_addf(&path, "%s/listd.conf", dir);
	FILE *f = fopen(path.data, "w");
	assert_non_null(f);
	fputs("relay = [::1]:2525\npolicy_listen = unix:run/policy\nkey_file = /abs/key\n", f);
	fclose(f);
	config_defaults(&c);
	assert_int_equal(config_load_home(dir, &c, &err), 0);
	assert_int_equal(c.nrelays, 1);
	assert_string_equal(c.relays[0].host, "::1");
	assert_int_equal(c.relays[0].port, 2525);
	assert_string_equal(c.key_file, "/abs/key");
	struct buf want = BUF_INIT;
	buf_addf(&want, "unix:%s/run/policy", dir);
	assert_string_equal(c.policy_listen, want.data);
	config_finish(&c);

	/* a bad file names itself and the line */
	f = fopen(path.data, "w");
	fputs("concurrency = 4\nbogus = 1\n", f);
	fclose(f);
	config_defaults(&c);
	assert_int_equal(config_load_home(dir, &c, &err), -EINVAL);
	buf_reset(&want);
	buf_addf(&want, "%s: line 2: unknown key 'bogus' (`listd config -d` lists every key)",
	         path.data);
	assert_string_equal(err.data, want.data);
	config_finish(&c);

	unlink(path.data);
	rmdir(dir);
	buf_finish(&want);
	buf_finish(&path);
	buf_finish(&err);
}

static void test_relay_attributes(void **state)
{
	(void)state;
	struct config c;
	struct buf err = BUF_INIT;
	static const char in[] = "relay = mx1.example:2525 weight=3 max_conn=2,"
	                         "\t[::1] \t max_conn=64  weight=100 , mx3\n"
	                         "relay_mode = spread\n";

	config_defaults(&c);
	assert_int_equal(c.relay_mode, CONFIG_RELAY_FAILOVER);
	assert_int_equal(config_parse(in, sizeof(in) - 1, &c, &err), 0);
	assert_int_equal(c.relay_mode, CONFIG_RELAY_SPREAD);
	assert_int_equal(c.nrelays, 3);
	assert_string_equal(c.relays[0].host, "mx1.example");
	assert_int_equal(c.relays[0].port, 2525);
	assert_int_equal(c.relays[0].weight, 3);
	assert_int_equal(c.relays[0].max_conn, 2);
	assert_string_equal(c.relays[1].host, "::1");
	assert_int_equal(c.relays[1].port, 25);
	assert_int_equal(c.relays[1].weight, 100);
	assert_int_equal(c.relays[1].max_conn, 64);
	assert_string_equal(c.relays[2].host, "mx3");
	assert_int_equal(c.relays[2].weight, 0); /* not given */
	assert_int_equal(c.relays[2].max_conn, 0);
	config_finish(&c);
	buf_finish(&err);
}

static void test_describe(void **state)
{
	(void)state;
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	config_describe(f);
	fclose(f);
	assert_non_null(strstr(text, "relay_tls"));
	assert_non_null(strstr(text, "relay_mode"));
	assert_non_null(strstr(text, "max_conn"));
	assert_non_null(strstr(text, "message_max_age_days"));
	free(text);
}

/* Every problem of a file, one a line; then the table's view of a config. */
static void test_check_and_table(void **state)
{
	(void)state;
	static const char text[] = "relay = mx:0\n"
	                           "concurrency = 4\n"
	                           "colour = blue\n"
	                           "concurrency = 5\n"
	                           "relay_tls = maybe   # not a value\n"
	                           "just words\n";
	struct buf err = BUF_INIT, v = BUF_INIT;
	assert_int_equal(config_check_text(text, strlen(text), &err), 5);
	assert_string_equal(err.data,
	                    "line 1: relay: port out of range 1..65535: \"mx:0\"\n"
	                    "line 3: unknown key 'colour' (`listd config -d` lists every key)\n"
	                    "line 4: concurrency set twice (first on line 2)\n"
	                    "line 5: relay_tls: not one of the allowed values (none, "
	                    "opportunistic, starttls): \"maybe\"\n"
	                    "line 6: expected key = value");
	buf_reset(&err);
	assert_int_equal(config_check_text("concurrency = 2\n", 16, &err), 0);
	assert_int_equal(err.len, 0);
	/* the checks between keys once every line is good */
	assert_int_equal(config_check_text("retry_min_seconds = 20000\n", 26, &err), 1);
	assert_string_equal(err.data, "line 1: retry_min_seconds is above retry_max_seconds");

	struct config c;
	static const char good[] = "relay = mx:26, [::1]:25\nconcurrency = 9\nsyslog = on\n";
	config_defaults(&c);
	assert_int_equal(config_parse(good, strlen(good), &c, NULL), 0);
	size_t n = config_key_count(), seen = 0;
	assert_true(n > 30);
	for (size_t i = 0; i < n; i++) {
		const char *name = config_key_name(i);
		buf_reset(&v);
		config_key_value(&c, i, &v);
		if (!strcmp(name, "relay")) {
			assert_string_equal(v.data, "mx:26, [::1]:25");
			assert_true(config_key_is_set(&c, i));
			seen++;
		} else if (!strcmp(name, "concurrency")) {
			assert_string_equal(v.data, "9");
			assert_true(config_key_is_set(&c, i));
			seen++;
		} else if (!strcmp(name, "syslog")) {
			assert_string_equal(v.data, "yes");
			seen++;
		} else {
			/* every other key shows its default, and reads back */
			assert_false(config_key_is_set(&c, i));
			assert_string_equal(v.data, config_key_default(i));
		}
		assert_non_null(config_key_help(i));
	}
	assert_int_equal(seen, 3);
	/* the printed values parse back to the same config */
	struct buf again = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		buf_addf(&again, "%s = ", config_key_name(i));
		config_key_value(&c, i, &again);
		buf_addch(&again, '\n');
	}
	struct config d;
	config_defaults(&d);
	assert_int_equal(config_parse(again.data, again.len, &d, &err), 0);
	char *a = render(&c), *b = render(&d);
	assert_string_equal(a, b);
	free(a);
	free(b);
	config_finish(&c);
	config_finish(&d);
	buf_finish(&again);
	buf_finish(&err);
	buf_finish(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_relay_attributes),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_check_and_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
