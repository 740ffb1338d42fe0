/* listd/main.c — the listd program: one entry point, one subcommand a job.
 *   listd deliver   the MTA's pipe entry (store a message durably, exit 0/75)
 *   listd run       the daemon (queue, fan-out, bounces, policy service):
 *                   replaced by the listd-run program (run_exec below)
 *   listd check     what would stop run or deliver, with the fixes (cmd_check.c)
 *   listd config    every listd.conf key with its value (cmd_check.c)
 *   listd token     what a return path names
 *   listd demo      the live demonstration (cmd_demo.c)
 * Errors become sysexits here and nowhere deeper. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "build_config.h"
#include "listd/core/log.h"
#include "listd/cmd.h"

static char **main_argv;

/* listd run: execv the daemon program with this process's own arguments
 * (same pid, same command line, so supervisors and pgrep -f see no
 * difference). It is looked for beside this executable first (a build
 * tree, a staged copy), then in LIBEXECDIR/listd where `meson install`
 * puts it. Neither path comes from the environment. */
static int run_exec(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 16] = "";
	const char *slash = NULL;
	ssize_t n;
	(void)argc;
	(void)argv;
	n = readlink("/proc/self/exe", self, sizeof(self));
	if (n > 0)
		slash = memrchr(self, '/', (size_t)n);
	if (slash) {
		snprintf(path, sizeof(path), "%.*s/listd-run", (int)(slash - self), self);
		execv(path, main_argv);
	}
	if (!slash || errno == ENOENT || errno == EACCES) { /* the installed one */
		snprintf(path, sizeof(path), "%s/listd-run", LISTD_LIBEXEC_DIR);
		execv(path, main_argv);
	}
	fprintf(stderr, "listd: cannot start the daemon program %s: %s\n", log_escs(path),
	        strerror(errno));
	return errno == ENOENT ? EX_OSFILE : EX_OSERR;
}

static const struct listd_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "deliver", cmd_deliver, "store one message from the MTA (pipe entry)" },
	{ "run", run_exec, "run the daemon" },
	{ "check", cmd_check, "check listd.conf, the account and the home; one line per problem" },
	{ "config", cmd_config, "print every listd.conf key with its value (-n set, -d defaults)" },
	{ "token", cmd_token, "verify VERP return paths and show what they name" },
	{ "smtpd-filter", cmd_smtpd_filter,
	  "OpenSMTPD filter: listd's RCPT refusals, A-R removal" },
	{ "demo", cmd_demo, "run the live backscatter-free demonstration (root)" },
	{ "version", cmd_version, "print the version" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: listd COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'listd COMMAND --help' describes each command.\n");
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("listd %s\n", LISTD_VERSION);
	return EX_OK;
}

int main(int argc, char **argv)
{
	log_init("listd", 0);
	main_argv = argv;
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EX_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(0, NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "listd: unknown command '%s'\n", log_escs(argv[1]));
	usage(stderr);
	return EX_USAGE;
}
