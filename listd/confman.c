/* listd/confman.c — writes, from the key table (listd/core/config.c), at
 * build time: listd.conf(5) in roff, or with --sample a listd.conf that
 * sets what a Postfix host needs (relay, relay_tls, policy_listen, user)
 * and has every other key commented out at its default. */
#include <stdio.h>
#include <string.h>

#include "build_config.h"
#include "listd/core/config.h"

static void sample(void)
{
	struct buf b = BUF_INIT;
	printf("# listd.conf — the settings of listd (listd.conf(5); `listd config -d`).\n"
	       "# Copy to %s, set relay, policy_listen and user, then `listd check`.\n"
	       "# A '#' after a blank starts a comment.\n\n"
	       "relay = 127.0.0.1:10026         # the MTA's loopback listener for the fan-out\n"
	       "relay_tls = none                # loopback: no TLS needed\n"
	       "policy_listen = 127.0.0.1:10040 # the MTA asks here at RCPT (listd-postconf's -p)\n"
	       "user = listd                    # the account that owns %s\n",
	       LISTD_DEFAULT_CONFIG, LISTD_DEFAULT_HOME);
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *name = config_key_name(i);
		if (!strcmp(name, "relay") || !strcmp(name, "relay_tls") || !strcmp(name, "user") ||
		    !strcmp(name, "policy_listen"))
			continue;
		buf_reset(&b);
		config_key_syntax(i, &b);
		printf("\n# %s\n# %s\n#%s = %s\n", config_key_help(i), b.data, name,
		       config_key_default(i));
	}
	buf_finish(&b);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--sample"))
		sample();
	else
		config_write_man(stdout, LISTD_VERSION, LISTD_DEFAULT_CONFIG, LISTD_DEFAULT_HOME);
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
