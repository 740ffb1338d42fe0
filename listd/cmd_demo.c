/* listd/cmd_demo.c — `listd demo`: the live backscatter-free demonstration.
 *
 * The demonstration itself is tests/harness/demo.sh in the source tree: it
 * starts a private Postfix on loopback (postfix.sh), puts this build's
 * listd and listadm behind it, replays the backscatter scenarios and exits
 * 0 only when each ended as required, leaving nothing running. This
 * command runs it for the build it belongs to (paths fixed at build time,
 * config.h); no message data ever reaches the shell. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
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
	        "when every scenario ended as required.\n"
	        "\n"
	        "Script: %s\n"
	        "Build:  %s\n", LISTD_DEMO_SCRIPT, LISTD_BUILD_DIR);
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
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
	if (access(LISTD_DEMO_SCRIPT, R_OK) < 0) {
		fprintf(stderr, "listd demo: %s: %s (the demonstration runs from a build "
		        "of the source tree)\n", LISTD_DEMO_SCRIPT, strerror(errno));
		return EX_UNAVAILABLE;
	}
	fflush(NULL);
	execl("/bin/bash", "bash", LISTD_DEMO_SCRIPT, LISTD_BUILD_DIR, (char *)NULL);
	fprintf(stderr, "listd demo: /bin/bash: %s\n", strerror(errno));
	return EX_UNAVAILABLE;
}
