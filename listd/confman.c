/* listd/confman.c — writes listd.conf(5) to stdout from the key table
 * (config_write_man), at build time. */
#include <stdio.h>

#include "config.h"
#include "listd/core/config.h"

int main(void)
{
	config_write_man(stdout, LISTD_VERSION, LISTD_DEFAULT_CONFIG, LISTD_DEFAULT_HOME);
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
