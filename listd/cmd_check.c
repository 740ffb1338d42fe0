/* listd/cmd_check.c — `listd check` and `listd config`.
 *
 * listd check [--home DIR] [--config FILE]: what would stop `listd run` or
 * `listd deliver`, found before they meet it: every problem of listd.conf
 * (all lines, not only the first), the account of `user =`, the owner and
 * mode of the home, listd.conf, the key file, the store and the run
 * directory, the files listd.conf names. One line per problem, each with
 * the command that fixes it; exit 0 (none) or 78 (EX_CONFIG).
 *
 * listd config [-n | -d] [--home DIR] [--config FILE] [KEY...]: every key
 * with its value ("key = value", listd.conf syntax), from the same table the
 * parser validates with; -n only the keys set in the file, -d the defaults.
 * Nothing here changes a file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "build_config.h"
#include "listd/cmd.h"
#include "listd/core/config.h"
#include "listd/core/homecheck.h"
#include "listd/core/keyfile.h"
#include "listd/core/log.h"
#include "listd/core/readall.h"
#include "storage/store.h"

/* The account listd runs as: user = ACCOUNT, else whoever runs this. */
struct owner {
	uid_t uid;
	gid_t gid;
	char name[64];
	bool known;
};

/* "chown -R listd: PATH" for a thing of the wrong owner. */
static void check_owner(struct buf *p, const char *what, const char *path, const struct stat *st,
                        const struct owner *o, bool recursive)
{
	if (!o->known || st->st_uid == o->uid)
		return;
	struct passwd *pw = getpwuid(st->st_uid);
	char uid[24];
	snprintf(uid, sizeof(uid), "%lu", (unsigned long)st->st_uid);
	homecheck_add(p,
	              "%s %s belongs to %s, but listd runs as %s and must own it "
	              "(fix: chown %s%s: %s)",
	              what, log_escs(path), pw ? log_escs(pw->pw_name) : uid, o->name,
	              recursive ? "-R " : "", o->name, log_escs(path));
}

static void check_store(struct buf *p, const char *home, const struct owner *o)
{
	struct buf path = BUF_INIT;
	struct stat st;
	buf_addf(&path, "%s/store", home);
	if (lstat(path.data, &st) < 0) {
		homecheck_add(p,
		              "no store in %s: the daemon has nothing to run "
		              "(fix: listadm --home %s list create LIST@DOMAIN)",
		              log_escs(home), log_escs(home));
		buf_finish(&path);
		return;
	}
	check_owner(p, "the store", path.data, &st, o, true);
	if (!S_ISDIR(st.st_mode)) {
		homecheck_add(p, "%s is not a directory (fix: move it away)", log_escs(path.data));
		buf_finish(&path);
		return;
	}
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	for (size_t i = 0; i < 2; i++) {
		struct buf f = BUF_INIT;
		buf_addf(&f, "%s/%s", path.data, files[i]);
		if (lstat(f.data, &st) == 0) {
			if (S_ISREG(st.st_mode))
				check_owner(p, "the store file", f.data, &st, o, false);
			else
				homecheck_add(p, "%s is not a regular file (fix: move it away)",
				              log_escs(f.data));
			if (st.st_mode & S_IWOTH)
				homecheck_add(p,
				              "%s is writable by every account (fix: chmod 600 %s)",
				              log_escs(f.data), log_escs(f.data));
		} else if (i == 0) {
			homecheck_add(p,
			              "no %s: the store is incomplete (fix: listadm --home %s "
			              "list create LIST@DOMAIN, or restore it)",
			              log_escs(f.data), log_escs(home));
		}
		buf_finish(&f);
	}
	buf_reset(&path);
	buf_addf(&path, "%s/run", home);
	if (lstat(path.data, &st) == 0)
		check_owner(p, "the run directory", path.data, &st, o, true);
	buf_finish(&path);
}

static void check_key(struct buf *p, const char *key_file, const struct owner *o)
{
	struct stat st;
	uint8_t key[KEYFILE_KEY_LEN];
	const char *why = NULL;
	if (lstat(key_file, &st) < 0) {
		if (errno != ENOENT)
			homecheck_add(p, "key file %s: %s", log_escs(key_file), strerror(errno));
		return; /* created by the first `listd run` */
	}
	check_owner(p, "the key file", key_file, &st, o, false);
	int r = keyfile_load(key_file, false, key, &why);
	memset(key, 0, sizeof(key));
	if (r == -EPERM && S_ISREG(st.st_mode) && (st.st_mode & 077))
		homecheck_add(p,
		              "key file %s is readable or writable by group or other "
		              "(fix: chmod 600 %s)",
		              log_escs(key_file), log_escs(key_file));
	else if (r == -EINVAL)
		homecheck_add(p,
		              "key file %s does not hold exactly %d bytes (fix: restore the "
		              "installation's key, or remove it before the first post to make a "
		              "new one)",
		              log_escs(key_file), KEYFILE_KEY_LEN);
	else if (r < 0 && !(r == -EPERM && st.st_uid != o->uid && o->known))
		homecheck_add(p,
		              "key file %s %s (fix: make it a regular file of mode 600 "
		              "owned by %s)",
		              log_escs(key_file), why ? why : strerror(-r), o->name);
}

static void check_readable(struct buf *p, const char *key, const char *path)
{
	if (path[0] && access(path, R_OK) < 0)
		homecheck_add(p, "%s %s: %s (fix: create it, or correct %s)", key, log_escs(path),
		              strerror(errno), key);
}

static void check_usage(FILE *f)
{
	fprintf(f,
	        "usage: listd check [--home DIR] [--config FILE]\n"
	        "\n"
	        "Reads listd.conf and checks every key, the account of 'user =', the owner\n"
	        "and mode of the home, listd.conf, the key file and the store: one line per\n"
	        "problem with the command that fixes it. Exit 0: no problem; 78: problems.\n"
	        "  --home DIR      listd's home (default $LISTD_HOME or %s)\n"
	        "  --config FILE   listd.conf (default $LISTD_CONFIG, else DIR/listd.conf\n"
	        "                  when it exists, else for the default home %s)\n",
	        LISTD_DEFAULT_HOME, LISTD_DEFAULT_CONFIG);
}

/* Reads the listd.conf of the command line: 0, or a sysexits code. */
static int read_conf(const char *opt_home, const char *opt_config, const char **ret_home,
                     char **ret_path, struct buf *ret_text, bool *ret_missing)
{
	*ret_home = store_home_resolve(opt_home);
	*ret_path = config_path(opt_config, *ret_home);
	*ret_missing = false;
	int fd = open(*ret_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			*ret_missing = true;
			return 0;
		}
		fprintf(stderr, "listd: %s: %s\n", log_escs(*ret_path), strerror(errno));
		return errno == EACCES ? EX_NOPERM : EX_CONFIG;
	}
	int r = readall_fd(fd, CONFIG_FILE_MAX, ret_text);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "listd: %s: %s\n", log_escs(*ret_path),
		        r == -EFBIG ? "too large" : strerror(-r));
		return EX_CONFIG;
	}
	return 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *opt_home = NULL, *opt_config = NULL, *home;
	struct buf text = BUF_INIT, p = BUF_INIT, err = BUF_INIT;
	struct config cfg;
	struct owner o = { 0 };
	char *path = NULL;
	bool missing, conf_ok = false;
	int c, ex;

	config_defaults(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "H:C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			opt_home = optarg;
			break;
		case 'C':
			opt_config = optarg;
			break;
		case 'h':
			check_usage(stdout);
			ex = EX_OK;
			goto out;
		default:
			check_usage(stderr);
			ex = EX_USAGE;
			goto out;
		}
	}
	if (optind != argc) {
		check_usage(stderr);
		ex = EX_USAGE;
		goto out;
	}
	ex = read_conf(opt_home, opt_config, &home, &path, &text, &missing);
	if (ex)
		goto out;

	/* 0. two candidate files: say which one is read */
	if (!opt_config && !getenv("LISTD_CONFIG") && !strcmp(home, LISTD_DEFAULT_HOME) &&
	    strcmp(path, LISTD_DEFAULT_CONFIG) && access(LISTD_DEFAULT_CONFIG, F_OK) == 0)
		homecheck_add(&p,
		              "both %s and %s exist: only %s is read (fix: merge it into %s "
		              "and remove it)",
		              log_escs(path), LISTD_DEFAULT_CONFIG, log_escs(path),
		              LISTD_DEFAULT_CONFIG);

	/* 1. listd.conf, every line */
	if (missing) {
		homecheck_add(&p,
		              "%s does not exist: every key has its default and no relay is "
		              "set (fix: write it; `listd config -d` shows the keys)",
		              log_escs(path));
	} else if (config_check_text(text.data, text.len, &err)) {
		const char *l = err.data;
		while (l && *l) {
			const char *nl = strchr(l, '\n');
			homecheck_add(&p, "%s: %.*s", log_escs(path),
			              nl ? (int)(nl - l) : (int)strlen(l), l);
			l = nl ? nl + 1 : NULL;
		}
	} else {
		buf_reset(&err);
		if (config_load(path, home, &cfg, &err) < 0)
			homecheck_add(&p, "%s", err.data);
		else
			conf_ok = true;
		if (conf_ok && cfg.nrelays == 0)
			homecheck_add(&p,
			              "%s: relay is not set: the daemon refuses to start "
			              "(fix: add 'relay = HOST:PORT', the MTA's loopback listener)",
			              log_escs(path));
	}

	/* 2. the account (as the file says: not judged from a refused file) */
	if (!missing && !conf_ok) {
		/* o.known stays false: no owner checks */
	} else if (cfg.user[0]) {
		struct passwd *pw = getpwnam(cfg.user);
		if (!pw) {
			homecheck_add(&p,
			              "user '%s' does not exist (fix: useradd --system "
			              "--home-dir %s --shell /usr/sbin/nologin %s, or "
			              "systemd-sysusers)",
			              log_escs(cfg.user), log_escs(home), log_escs(cfg.user));
		} else if (pw->pw_uid == 0) {
			homecheck_add(&p,
			              "user '%s' is root: the daemon runs as an unprivileged "
			              "account (fix: user = listd in %s)",
			              log_escs(cfg.user), log_escs(path));
		} else {
			o.uid = pw->pw_uid;
			o.gid = pw->pw_gid;
			snprintf(o.name, sizeof(o.name), "%s", pw->pw_name);
			o.known = true;
		}
	} else if (geteuid() == 0) {
		homecheck_add(&p,
		              "user is not set: `listd run` started as root refuses to run "
		              "(fix: add 'user = listd' to %s)",
		              log_escs(path));
	} else {
		struct passwd *pw = getpwuid(geteuid());
		o.uid = geteuid();
		o.gid = getegid();
		snprintf(o.name, sizeof(o.name), "%s", pw ? pw->pw_name : "this account");
		o.known = true;
	}

	/* 3. the home and listd.conf: who may change them */
	struct stat st;
	if (stat(home, &st) < 0) {
		homecheck_add(&p, "the home %s: %s (fix: install -d -m 0750 -o %s -g %s %s)",
		              log_escs(home), strerror(errno), o.known ? o.name : "listd",
		              o.known ? o.name : "listd", log_escs(home));
	} else if (!S_ISDIR(st.st_mode)) {
		homecheck_add(&p, "the home %s is not a directory", log_escs(home));
	} else {
		check_owner(&p, "the home", home, &st, &o, true);
		homecheck_unsafe(home, path, &p);
		/* 4. what lives in it */
		check_key(&p, cfg.key_file, &o);
		check_store(&p, home, &o);
	}
	if (!missing && stat(home, &st) < 0)
		homecheck_unsafe(home, path, &p);

	/* 5. the files listd.conf names */
	if (cfg.relay_tls == CONFIG_TLS_STARTTLS && cfg.tls_verify)
		check_readable(&p, "tls_ca_file", cfg.tls_ca_file);
	check_readable(&p, "relay_auth_password_file", cfg.relay_auth_password_file);
	if (cfg.policy_socket_mode[0]) {
		char *end;
		unsigned long m = strtoul(cfg.policy_socket_mode, &end, 8);
		if (*end || m > 0777)
			homecheck_add(&p,
			              "policy_socket_mode %s is not an octal mode 0..0777 "
			              "(fix: policy_socket_mode = 0660)",
			              log_escs(cfg.policy_socket_mode));
	}

	if (p.len) {
		const char *l = p.data;
		while (l && *l) {
			const char *nl = strchr(l, '\n');
			printf("listd check: %.*s\n", nl ? (int)(nl - l) : (int)strlen(l), l);
			l = nl ? nl + 1 : NULL;
		}
		ex = EX_CONFIG;
	} else {
		printf("listd check: %s and %s: no problem found\n", log_escs(path),
		       log_escs(home));
		ex = EX_OK;
	}
out:
	config_finish(&cfg);
	free(path);
	buf_finish(&text);
	buf_finish(&p);
	buf_finish(&err);
	return ex;
}

static void config_usage(FILE *f)
{
	fprintf(f,
	        "usage: listd config [-n | -d] [--home DIR] [--config FILE] [KEY...]\n"
	        "\n"
	        "Prints every key of listd.conf with its value, as 'key = value'.\n"
	        "  -n              only the keys set in the file\n"
	        "  -d              the defaults\n"
	        "  -v              each key's syntax, default and meaning as a comment\n"
	        "  --home DIR      listd's home (default $LISTD_HOME or %s)\n"
	        "  --config FILE   listd.conf (default $LISTD_CONFIG, else DIR/listd.conf\n"
	        "                  with --home or $LISTD_HOME, else %s)\n"
	        "Exit 0, 64 for an unknown KEY, 78 when the file is refused (listd check).\n",
	        LISTD_DEFAULT_HOME, LISTD_DEFAULT_CONFIG);
}

int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *opt_home = NULL, *opt_config = NULL, *home;
	struct buf text = BUF_INIT, err = BUF_INIT, v = BUF_INIT, syn = BUF_INIT;
	struct config cfg;
	char *path = NULL;
	bool only_set = false, defaults = false, verbose = false, missing;
	int c, ex;

	config_defaults(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "ndvH:C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			only_set = true;
			break;
		case 'd':
			defaults = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'H':
			opt_home = optarg;
			break;
		case 'C':
			opt_config = optarg;
			break;
		case 'h':
			config_usage(stdout);
			ex = EX_OK;
			goto out;
		default:
			config_usage(stderr);
			ex = EX_USAGE;
			goto out;
		}
	}
	if (only_set && defaults) {
		fprintf(stderr, "listd config: -n and -d exclude each other\n");
		ex = EX_USAGE;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		size_t k;
		for (k = 0; k < config_key_count(); k++)
			if (!strcmp(argv[i], config_key_name(k)))
				break;
		if (k == config_key_count()) {
			fprintf(stderr, "listd config: unknown key '%s'\n", log_escs(argv[i]));
			ex = EX_USAGE;
			goto out;
		}
	}
	if (!defaults) {
		ex = read_conf(opt_home, opt_config, &home, &path, &text, &missing);
		if (ex)
			goto out;
		if (!missing && config_load(path, home, &cfg, &err) < 0) {
			fprintf(stderr, "listd config: %s (listd check lists every problem)\n",
			        err.data);
			ex = EX_CONFIG;
			goto out;
		}
	}
	for (size_t k = 0; k < config_key_count(); k++) {
		bool wanted = optind == argc;
		for (int i = optind; i < argc; i++)
			wanted |= !strcmp(argv[i], config_key_name(k));
		if (!wanted || (only_set && !config_key_is_set(&cfg, k)))
			continue;
		buf_reset(&v);
		config_key_value(&cfg, k, &v);
		if (verbose) {
			buf_reset(&syn);
			config_key_syntax(k, &syn);
			printf("# %s\n# %s; default \"%s\"\n", config_key_help(k), syn.data,
			       config_key_default(k));
		}
		printf("%s = %s\n", config_key_name(k), v.data);
	}
	ex = EX_OK;
out:
	config_finish(&cfg);
	free(path);
	buf_finish(&text);
	buf_finish(&err);
	buf_finish(&v);
	buf_finish(&syn);
	return ex;
}
