/* web-free-admin/main.c — listadm, the administrator's command line:
 * global options, dispatch to the command groups, and the small helpers
 * they share. */
#include "internal.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "build_config.h"
#include "listd/core/config.h"
#include "listd/core/homecheck.h"
#include "listd/core/log.h"
#include "listd/core/slice.h"
#include "storage/store.h"

static const char usage_text[] =
        "usage: listadm [--home DIR] [--json] [--quiet] GROUP SUBCOMMAND [ARGS...]\n"
        "(the global options may also come anywhere after the group)\n"
        "\n"
        "groups:\n"
        "  list    create | delete | ls | show | set     lists and their settings\n"
        "  member  add | remove | ls | show | set | import | export\n"
        "  log     LIST [--since DATE]                   the audit log of a list\n"
        "  check                                         verify the store's consistency\n"
        "  bounce  parse | ls | show | reset | stats     bounces: parse messages, member scores\n"
        "  hold    ls | show | approve | reject | discard  held posts\n"
        "  report  LIST [--since DATE]                   who listd mailed and why; what it "
        "refused\n"
        "  import  mlmmj LISTDIR | mailman3 LIST FILE    migrate a list (--dry-run shows the "
        "changes)\n"
        "  archive ls | show | export                    the numbered posts of a list (mbox out)\n"
        "  queue   ls | show | retry | drop              the daemon's queue and quarantined jobs\n"
        "  status                                        the daemon, queue, fan-outs, held posts\n"
        "  template ls | show | set | reset LIST [NAME]  the texts of the mails listd writes\n"
        "\n"
        "global options:\n"
        "  --home DIR   the store's home (else $LISTD_HOME, else " LISTD_DEFAULT_HOME ")\n"
        "  --json       one JSON object per line instead of tables\n"
        "  -q, --quiet  no progress bar, no summaries on success\n"
        "  -h, --help   this text; GROUP --help and GROUP SUBCOMMAND --help also work\n"
        "  -V, --version\n"
        "\n"
        "exit status: 0 ok, 64 usage, 65 bad data, 67 unknown list or member,\n"
        "75 temporary failure (store busy, full or I/O error), 77 the home belongs to\n"
        "another account, 78 an unsafe home or listd.conf. See listadm(1).\n";

const char *adm_actor(void)
{
	static char actor[128];
	if (!actor[0]) {
		struct passwd *pw = getpwuid(getuid());
		if (pw && pw->pw_name && pw->pw_name[0])
			snprintf(actor, sizeof(actor), "listadm:%s", pw->pw_name);
		else
			snprintf(actor, sizeof(actor), "listadm:%lu", (unsigned long)getuid());
	}
	return actor;
}

int adm_exit_from_errno(int err)
{
	switch (err) {
	case 0:
		return EX_OK;
	case -ENOENT:
		return ADM_EX_NOLIST;
	case -EINVAL:
	case -EEXIST:
	case -ENAMETOOLONG:
	case -ERANGE:
	case -EBADMSG:
	case -EPROTO:
		return EX_DATAERR;
	case -EACCES:
	case -EPERM:
		return EX_NOPERM;
	default:
		return store_error_is_temporary(err) ? EX_TEMPFAIL : EX_SOFTWARE;
	}
}

int adm_split_kv(char *s, char **ret_key, char **ret_value)
{
	char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return -EINVAL;
	*eq = 0;
	*ret_key = s;
	*ret_value = eq + 1;
	return 0;
}

int adm_parse_addr_arg(const char *arg, struct addr *ret_addr, struct buf *ret_name)
{
	const char *why = NULL;
	struct buf scratch = BUF_INIT;
	struct buf *name = ret_name ? ret_name : &scratch;
	int rc;

	buf_reset(name);
	rc = addr_parse_entry(slice_cstr(arg), ret_addr, name, &why);
	buf_finish(&scratch);
	if (rc < 0) {
		log_errx("invalid address \"%s\": %s", log_escs(arg), why ? why : "unparsable");
		return EX_DATAERR;
	}
	return 0;
}

int adm_parse_bool(const char *s, bool *ret_value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
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

int adm_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fputs("listadm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(usage, stderr);
	return EX_USAGE;
}

int adm_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *usage)
{
	static const struct option help_only[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char spec[64];
	snprintf(spec, sizeof(spec), ":h%s", shortopts ? shortopts : "");
	int c = getopt_long(argc, argv, spec, longopts ? longopts : help_only, NULL);
	switch (c) {
	case 'h':
		fputs(usage, stdout);
		return 'h';
	case ':':
		adm_usage_error(usage, "option %s needs a value", argv[optind - 1]);
		return '?';
	case '?':
		if (optopt)
			adm_usage_error(usage, "unknown option -%c", optopt);
		else
			adm_usage_error(usage, "unknown option %s", argv[optind - 1]);
		return '?';
	default:
		return c;
	}
}

int adm_dispatch(const struct adm_opts *opts, const char *group_usage, const struct adm_cmd *cmds,
                 size_t ncmds, int argc, char **argv)
{
	if (argc < 2) {
		fputs(group_usage, stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(group_usage, stdout);
		return EX_OK;
	}
	for (size_t i = 0; i < ncmds; i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			optind = 0;
			return cmds[i].fn(opts, argc - 1, argv + 1);
		}
	}
	return adm_usage_error(group_usage, "unknown subcommand \"%s %s\"", argv[0],
	                       log_escs(argv[1]));
}

int adm_open(const struct adm_opts *opts, unsigned flags, struct store **ret_store)
{
	int rc = store_open(opts->home, flags, ret_store);
	if (rc == 0)
		return EX_OK;
	if (rc == -ENOENT) {
		log_errx("no list store in %s (create a list first, or check --home)",
		         log_escs(opts->home));
		return ADM_EX_NOLIST;
	}
	log_errx("cannot open the store in %s: %s", log_escs(opts->home), store_strerror(rc));
	return adm_exit_from_errno(rc);
}

int adm_open_list(const struct adm_opts *opts, unsigned flags, const char *name,
                  struct store **ret_store, struct store_txn **ret_txn, struct store_list *ret_list)
{
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	int ex = adm_open(opts, flags, &store);
	int rc;

	if (ex)
		return ex;
	rc = store_txn_begin(store, STORE_TXN_RDONLY, &txn);
	if (rc < 0) {
		store_close(store);
		return adm_store_error(rc, "reading the store");
	}
	rc = store_list_get(txn, name, ret_list);
	if (rc < 0) {
		store_txn_abort(txn);
		store_close(store);
		return adm_list_error(rc, name);
	}
	if (ret_txn)
		*ret_txn = txn;
	else
		store_txn_abort(txn);
	*ret_store = store;
	return EX_OK;
}

int adm_list_error(int err, const char *name)
{
	switch (err) {
	case -ENOENT:
		log_errx("unknown list \"%s\"", log_escs(name));
		return ADM_EX_NOLIST;
	case -ENOTUNIQ:
		log_errx("list name \"%s\" is ambiguous: give LIST@DOMAIN", log_escs(name));
		return EX_DATAERR;
	case -EINVAL:
		log_errx("invalid list name \"%s\"", log_escs(name));
		return EX_DATAERR;
	default:
		return adm_store_error(err, "looking up the list");
	}
}

int adm_store_error(int err, const char *what)
{
	log_errx("%s: %s", what, store_strerror(err));
	return adm_exit_from_errno(err);
}

/* Values of the groups' options that take one, so that a value is never
 * taken for a global option ("--reason --json" keeps its reason). */
static bool takes_value(const char *a)
{
	static const char *const longs[] = {
		"--batch", "--description", "--file",   "--format",
		"--list",  "--owner",       "--reason", "--since",
	};
	if (a[0] == '-' && a[1] && a[1] != '-' && !a[2])
		return strchr("fblodrs", a[1]) != NULL;
	for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
		if (!strcmp(a, longs[i]))
			return true;
	return false;
}

/* Takes the global options (--home DIR, --home=DIR, --json, -q, --quiet)
 * out of argv wherever they are, before "--"; the rest keeps its order.
 * Returns the new argc, or -1 after a usage error. */
static int take_globals(int argc, char **argv, struct adm_opts *opts, const char **home)
{
	int out = 1;
	bool rest = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (rest || a[0] != '-') {
			argv[out++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			rest = true;
			argv[out++] = argv[i];
		} else if (!strcmp(a, "--json")) {
			opts->json = true;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			opts->quiet = true;
		} else if (!strncmp(a, "--home=", 7)) {
			*home = a + 7;
		} else if (!strcmp(a, "--home")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "listadm: option --home needs a value\n");
				return -1;
			}
			*home = argv[++i];
		} else {
			argv[out++] = argv[i];
			if (takes_value(a) && i + 1 < argc)
				argv[out++] = argv[++i];
		}
	}
	argv[out] = NULL;
	return out;
}

/* Who listadm acts as (R10). The store must keep one owner, the account
 * the daemon runs as; root acting on a home another account owns becomes
 * that account, and any other mismatch is refused with the fix. Also
 * refuses a home or listd.conf any account may change. 0 or an exit code. */
static int adm_account(const char *home, const char *conf_path)
{
	struct buf p = BUF_INIT;
	struct stat st;
	int ex = EX_OK;

	if (homecheck_unsafe(home, conf_path, &p)) {
		const char *l = p.data;
		while (l && *l) {
			const char *nl = strchr(l, '\n');
			log_errx("%.*s", nl ? (int)(nl - l) : (int)strlen(l), l);
			l = nl ? nl + 1 : NULL;
		}
		buf_finish(&p);
		return EX_CONFIG;
	}
	bool have = stat(home, &st) == 0;
	if (geteuid() == 0) {
		if (have && st.st_uid != 0) {
			struct passwd *pw = getpwuid(st.st_uid);
			gid_t gid = pw ? pw->pw_gid : st.st_gid;
			if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) < 0 ||
			    setgid(gid) < 0 || setuid(st.st_uid) < 0) {
				log_err("cannot act as the owner of %s (uid %lu)", log_escs(home),
				        (unsigned long)st.st_uid);
				return EX_OSERR;
			}
			return EX_OK;
		}
		/* a home of root's (or none yet): fine unless the daemon runs as
		 * another account, which could then not open what is written */
		struct config cfg;
		config_defaults(&cfg);
		if (config_load(conf_path, home, &cfg, NULL) == 0 && cfg.user[0]) {
			struct passwd *pw = getpwnam(cfg.user);
			if (pw && pw->pw_uid != 0) {
				if (have)
					log_errx("the home %s belongs to root, but %s runs listd "
					         "as %s, "
					         "who could not open what listadm writes there "
					         "(fix: chown -R %s: %s)",
					         log_escs(home), log_escs(conf_path),
					         log_escs(cfg.user), log_escs(cfg.user),
					         log_escs(home));
				else
					log_errx("the home %s does not exist (fix: install -d -m "
					         "0750 "
					         "-o %s -g %s %s)",
					         log_escs(home), log_escs(cfg.user),
					         log_escs(cfg.user), log_escs(home));
				ex = EX_CONFIG;
			}
		}
		config_finish(&cfg);
		return ex;
	}
	if (have && st.st_uid != geteuid()) {
		struct passwd *pw = getpwuid(st.st_uid);
		const char *who = pw ? pw->pw_name : "another account";
		log_errx("the home %s belongs to %s: run listadm as %s or as root, so the store "
		         "keeps one owner (sudo -u %s listadm ...)",
		         log_escs(home), log_escs(who), log_escs(who), log_escs(who));
		return EX_NOPERM;
	}
	return EX_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		int (*fn)(const struct adm_opts *, int, char **);
	} groups[] = {
		{ "list", cmd_list },         { "member", cmd_member }, { "log", cmd_log },
		{ "check", cmd_check },       { "bounce", cmd_bounce }, { "hold", cmd_hold },
		{ "template", cmd_template }, { "report", cmd_report }, { "import", cmd_import },
		{ "archive", cmd_archive },   { "queue", cmd_queue },   { "status", cmd_status },
	};
	struct adm_opts opts = { 0 };
	const char *home = NULL;
	char *conf_path;
	int c, ex;

	log_init_tool("listadm");
	argc = take_globals(argc, argv, &opts, &home);
	if (argc < 0) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		case 'V':
			printf("listadm %s\n", LISTD_VERSION);
			return EX_OK;
		default:
			fputs(usage_text, stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	opts.home = store_home_resolve(home);
	conf_path = config_path(NULL, opts.home);
	opts.conf_path = conf_path;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcmp(argv[optind], groups[i].name) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			bool help = false;
			for (int j = 1; j < sub_argc && strcmp(sub_argv[j], "--"); j++)
				help |= !strcmp(sub_argv[j], "--help") ||
				        !strcmp(sub_argv[j], "-h");
			/* bounce parse reads files, not the store */
			bool store =
			        !help && !(i == 4 && sub_argc > 1 && !strcmp(sub_argv[1], "parse"));
			if (store && (ex = adm_account(opts.home, conf_path)) != EX_OK) {
				free(conf_path);
				return ex;
			}
			optind = 0; /* let the group restart getopt */
			ex = groups[i].fn(&opts, sub_argc, sub_argv);
			free(conf_path);
			return ex;
		}
	}
	log_errx("unknown command group \"%s\" (try listadm --help)", log_escs(argv[optind]));
	free(conf_path);
	return EX_USAGE;
}
