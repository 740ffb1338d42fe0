/* web-free-admin/main.c — listadm, the administrator's command line. */
#include <stdio.h>
#include <sysexits.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "usage: listadm COMMAND ...\n");
	return EX_USAGE;
}
