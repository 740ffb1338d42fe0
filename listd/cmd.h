/* listd/cmd.h — the listd subcommands; each returns a sysexits code.
 * argv[0] is the subcommand's name. */
#ifndef LISTD_CMD_H
#define LISTD_CMD_H

int cmd_version(int argc, char **argv);
int cmd_deliver(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_smtpd_filter(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_demo(int argc, char **argv);

#endif
