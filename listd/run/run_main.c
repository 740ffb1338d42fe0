/* listd/run/run_main.c — the listd-run program: the daemon behind `listd run`.
 *
 * `listd run ARGS` execs this program with its own argument vector, so
 * argv[1] is "run" here too. It is a program of its own so that `listd`,
 * started by the MTA for every message, loads neither libuv nor GnuTLS. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "listd/cmd.h"
#include "listd/core/log.h"

int main(int argc, char **argv)
{
	log_init("listd", 0);
	if (argc < 2 || strcmp(argv[1], "run")) {
		fprintf(stderr,
		        "listd-run: the daemon program; start it as 'listd run [OPTIONS]'\n");
		return EX_USAGE;
	}
	return cmd_run(argc - 1, argv + 1);
}
