/* listd/core/config.h — listd.conf, the installation's global settings,
 * read by `listd deliver` and `listd run`. (Per-list settings live in the
 * store, see `listadm list set`.)
 *
 * Syntax: one "key = value" a line; blanks around key and value are ignored;
 * empty lines and lines whose first non-blank byte is '#' are comments, and
 * so is the rest of a line from a '#' that follows a blank or tab
 * ("relay = a:25   # note"); a '#' inside a word is part of the value
 * (no value of a key needs a blank before a '#'). CRLF line
 * ends are accepted. A line longer than LIMIT_LINE, a NUL or other control
 * byte, an unknown key, a key given twice, or a bad value refuses the whole
 * file with "line N: reason". Values are not quoted.
 *
 * The keys, their types, defaults and meanings are one table in config.c;
 * config_describe() prints it (e.g. for `listd help config`). Summary:
 *   relay = HOST[:PORT] [weight=N] [max_conn=N][, ...]   smarthosts,
 *        at most CONFIG_RELAYS_MAX; IPv6 as [::1]:25; port 25 by default;
 *        weight 1..100 (default 1), max_conn 1..64 (default: concurrency).
 *        Default: none (`listd run` refuses to start without one).
 *   relay_mode = failover | spread          (default failover)
 *        failover: the relays in order, the first up takes every
 *        transaction; spread: transactions shared by weight over the relays
 *        up (smtp_client.h). Either way a failed relay is set aside with a
 *        capped exponential back-off.
 *   relay_tls = none | opportunistic | starttls           (default starttls)
 *        none: never TLS. opportunistic: STARTTLS when offered, falling back
 *        to plain text, certificate not verified (only against passive
 *        eavesdropping). starttls: STARTTLS required (a relay that does not
 *        offer it fails), certificate verified unless tls_verify = no.
 *   tls_ca_file (/etc/ssl/certs/ca-certificates.crt), tls_verify (yes)
 *   relay_auth_user, relay_auth_password_file: AUTH PLAIN, both or neither,
 *        only with relay_tls = starttls (never sent in clear).
 *   helo_name (default empty: the system's host name)
 *   recipient_delimiter (+), bounce_suffix (-bounces), request_suffix
 *        (-request), owner_suffix (-owner): a longer bounce suffix leaves
 *        less room for the VERP token of long list names (bounce/verp.h).
 *        moderate_suffix (-moderate): LIST-moderate+TOKEN@ takes decisions.
 *   concurrency (4, 1..64), batch_size (1000, 1..100000)
 *   key_file (secret.key), verp_mode (per-recipient | xverp)
 *   token_max_age_days (30, 1..100), authserv_id (empty)
 *   trusted_daily_limit (3, 0..1000), confirm_max_age_days (3, 1..30)
 *   moderate_max_age_days (14, 1..365), moderate_notice_daily_limit (50,
 *        0..100000: held-post notices per list a day)
 *   policy_listen (empty = off; unix:PATH or HOST:PORT)
 *   unsubscribe_url (empty = off; https base URL of the one-click endpoint)
 *   http_listen (empty = off; loopback HOST:PORT of the one-click endpoint)
 *   policy_socket_mode (0660: octal mode of policy_listen's unix socket;
 *        kept as text here, `listd run` refuses a value that is not 0..0777)
 *   syslog (no), log_level (error | warning | info | debug; info), user
 *   smtp_timeout_seconds (300), retry_min_seconds (300),
 *   retry_max_seconds (14400), message_max_age_days (5)
 *   message_keep_days (30, 1..3650: the bytes of finished messages are
 *        deleted this long after arrival; held and waiting ones are kept)
 *   dns_resolver (empty = the nameservers of /etc/resolv.conf; up to 3
 *        IP[:PORT], IPv6 as [::1]:53, separated by commas, in failover
 *        order; read at each lookup: a value that is no address is logged
 *        there and means "no policy"), dns_timeout_seconds (2, 1..30: one
 *        try of one server), dns_lookup_timeout_seconds (10, 1..120: one
 *        name, all servers and tries),
 *        dmarc_cache_seconds (3600, 0..86400): DMARC lookups (listd/run/dmarc_lookup.c)
 *
 * Paths (key_file, tls_ca_file, relay_auth_password_file, the PATH of
 * policy_listen) that are relative are relative to the home directory:
 * config_load() resolves them; config_parse() keeps them as written.
 *
 * Ownership: every string in struct config is malloc'd and owned by the
 * struct; config_finish() frees them. A struct config may be moved by
 * assignment (the old copy must then not be finished). */
#ifndef LISTD_CORE_CONFIG_H
#define LISTD_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "limits.h"
#include "log.h"

#define CONFIG_FILE_NAME "listd.conf"
#define CONFIG_RELAYS_MAX 16
#define CONFIG_FILE_MAX LIMIT_CONFIG_FILE
#define CONFIG_SUFFIX_MAX 16

enum config_tls {
	CONFIG_TLS_NONE,
	CONFIG_TLS_OPPORTUNISTIC,
	CONFIG_TLS_STARTTLS,
};

enum config_verp {
	CONFIG_VERP_PER_RECIPIENT, /* one signed return path per member */
	CONFIG_VERP_XVERP,         /* the relay does the VERP (Postfix XVERP) */
};

struct config_relay {
	char host[LIMIT_ADDR_DOMAIN + 1]; /* name or address, no brackets */
	uint16_t port;
	unsigned weight;   /* 1..100; 0 = not given (1) */
	unsigned max_conn; /* 1..64; 0 = not given (concurrency) */
};

enum config_relay_mode {
	CONFIG_RELAY_FAILOVER, /* the first relay up takes all */
	CONFIG_RELAY_SPREAD,   /* shared by weight */
};

struct config {
	struct config_relay relays[CONFIG_RELAYS_MAX];
	size_t nrelays;
	enum config_relay_mode relay_mode;
	enum config_tls relay_tls;
	char *tls_ca_file;
	bool tls_verify;
	char *relay_auth_user;          /* "" = no AUTH */
	char *relay_auth_password_file; /* "" = no AUTH */
	char *helo_name;                /* "" = system host name */
	char recipient_delimiter;
	char *bounce_suffix;
	char *request_suffix;
	char *owner_suffix;
	char *moderate_suffix;
	unsigned concurrency;
	unsigned batch_size;
	char *key_file;
	enum config_verp verp_mode;
	unsigned token_max_age_days;
	char *authserv_id;                    /* "" = none trusted */
	unsigned trusted_daily_limit;         /* automatic messages per address a day */
	unsigned confirm_max_age_days;        /* confirmation tokens expire after */
	unsigned moderate_max_age_days;       /* moderation tokens expire after */
	unsigned moderate_notice_daily_limit; /* held-post notices per list a day */
	char *policy_listen;                  /* "" = off */
	char *policy_socket_mode;             /* octal text, "0660"; checked by listd run */
	char *unsubscribe_url;                /* "" = List-Unsubscribe mailto only */
	char *http_listen;                    /* "" = off; loopback HOST:PORT */
	bool syslog;
	enum log_level log_level;
	char *user; /* "" = do not change user */
	unsigned smtp_timeout_seconds;
	unsigned retry_min_seconds;
	unsigned retry_max_seconds;
	unsigned message_max_age_days;
	unsigned message_keep_days;
	char *dns_resolver; /* "" = /etc/resolv.conf; IP[:PORT], ... */
	unsigned dns_timeout_seconds;
	unsigned dns_lookup_timeout_seconds;
	unsigned dmarc_cache_seconds;
	uint64_t set_keys; /* bit i: key i was in the file */
};

/* Fills *ret_config with the defaults. Always succeeds; finish with
 * config_finish(). */
void config_defaults(struct config *ret_config);
/* Frees the strings and leaves the defaults' zero state; NULL is a no-op. */
void config_finish(struct config *cfg);

/* Parses text (len bytes, any content) over the defaults. On success the
 * old contents of *cfg (which must be initialised, e.g. by config_defaults)
 * are finished and replaced, and 0 is returned. On failure *cfg is
 * untouched, -EINVAL is returned and "line N: reason" is appended to
 * ret_err (may be NULL). */
int config_parse(const char *text, size_t len, struct config *cfg, struct buf *ret_err);

/* Reads path (at most CONFIG_FILE_MAX bytes) and parses it, then makes
 * relative paths relative to home. A missing file means the defaults.
 * Same contract as config_parse(); errors read "PATH: line N: reason" or
 * "PATH: reason" and are -EINVAL, or -errno for an unreadable file. */
int config_load(const char *path, const char *home, struct config *cfg, struct buf *ret_err);
/* The listd.conf a program reads (malloc'd): opt_config when not NULL
 * (--config), else $LISTD_CONFIG when set and non-empty, else
 * HOME/listd.conf when it exists, else, for the installed default home
 * (LISTD_DEFAULT_HOME, /var/lib/listd), the installed default
 * LISTD_DEFAULT_CONFIG (/etc/listd/listd.conf), else HOME/listd.conf
 * (missing: the defaults). Both defaults are meson options. */
char *config_path(const char *opt_config, const char *home);
/* config_load() of HOME/listd.conf. */
int config_load_home(const char *home, struct config *cfg, struct buf *ret_err);

/* Like config_parse() but goes on after a bad line: appends every problem
 * to ret_problems as "line N: reason", separated by '\n' (no final one),
 * and returns how many there are (0: the text is good). The checks between
 * keys run only when every line is good. */
unsigned config_check_text(const char *text, size_t len, struct buf *ret_problems);

/* The key table, the one source of the keys' names, defaults, syntax and
 * meaning (listd config, listd.conf(5), the parser). i < config_key_count();
 * the strings are static. */
size_t config_key_count(void);
const char *config_key_name(size_t i);
const char *config_key_default(size_t i);
const char *config_key_help(size_t i);
void config_key_syntax(size_t i, struct buf *out); /* "number 1..64" */
/* Appends key i's value in cfg as it would be written in listd.conf. */
void config_key_value(const struct config *cfg, size_t i, struct buf *out);
/* Whether key i was given in the text cfg was parsed from. */
bool config_key_is_set(const struct config *cfg, size_t i);
/* Writes listd.conf(5) in roff, from the table. */
void config_write_man(FILE *out, const char *version, const char *config_file, const char *home);

/* Writes the table of keys (key, default, description) to out. */
void config_describe(FILE *out);

const char *config_tls_name(enum config_tls tls);

#endif
