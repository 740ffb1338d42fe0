/* listd/cmd_demo.c — `listd demo`: the live backscatter-free demonstration.
 *
 * The demonstration is a bash script (tests/harness/demo.sh with the
 * harness scripts it uses): it starts a private Postfix on loopback
 * (postfix.sh), puts listd and listadm behind it, replays the backscatter
 * scenarios and exits 0 only when each ended as required, leaving nothing
 * running. The scripts are copied beside this program in a build tree
 * (BUILD/listd/demo.sh) and installed in LIBEXECDIR/listd/demo/; this
 * command runs the copy that belongs to it, with LISTD and LISTADM naming
 * the programs of the same tree. No source or build path is compiled in;
 * no message data ever reaches the shell. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "build_config.h"
#include "listd/cmd.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: listd demo\n"
	        "\n"
	        "Runs the live demonstration (as root): a private Postfix on a loopback\n"
	        "port with listd behind it, a list with members, a legitimate post, then\n"
	        "the backscatter scenarios (forged senders, unknown addresses, forged\n"
	        "bounces and unsubscriptions, vacation replies, DSNs, challenge-response,\n"
	        "a real bounce from a dead mailbox), a moderator approving a held post\n"
	        "by mail, each with what happened to it, and\n"
	        "the number of messages that reached a non-member (zero). Exit 0 only\n"
	        "when every scenario ended as required. Needs Postfix installed (its\n"
	        "system instance is never touched).\n");
}

static bool executable(const char *p)
{
	return access(p, X_OK) == 0;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char self[PATH_MAX], script[PATH_MAX + 32], adm[PATH_MAX + 32];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EX_OK;
		}
		usage(stderr);
		return EX_USAGE;
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash = n > 0 ? memrchr(self, '/', (size_t)n) : NULL;
	if (!slash) {
		fprintf(stderr, "listd demo: cannot tell where this program is\n");
		return EX_OSERR;
	}
	self[n] = 0;
	int dir = (int)(slash - self);
	/* a build tree: BUILD/listd/{listd,demo.sh}, BUILD/web-free-admin/listadm */
	snprintf(script, sizeof(script), "%.*s/demo.sh", dir, self);
	snprintf(adm, sizeof(adm), "%.*s/../web-free-admin/listadm", dir, self);
	if (access(script, R_OK) < 0 || !executable(adm)) {
		/* installed: BINDIR/{listd,listadm}, LIBEXECDIR/listd/demo/demo.sh */
		snprintf(script, sizeof(script), "%s/demo/demo.sh", LISTD_LIBEXEC_DIR);
		snprintf(adm, sizeof(adm), "%.*s/listadm", dir, self);
	}
	if (access(script, R_OK) < 0) {
		fprintf(stderr, "listd demo: %s: %s\n", script, strerror(errno));
		return EX_UNAVAILABLE;
	}
	if (setenv("LISTD", self, 1) < 0 || setenv("LISTADM", adm, 1) < 0) {
		fprintf(stderr, "listd demo: %s\n", strerror(errno));
		return EX_OSERR;
	}
	fflush(NULL);
	execl("/bin/bash", "bash", script, (char *)NULL);
	fprintf(stderr, "listd demo: /bin/bash: %s\n", strerror(errno));
	return EX_UNAVAILABLE;
}
