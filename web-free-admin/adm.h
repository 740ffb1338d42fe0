/* web-free-admin/adm.h — shared between listadm's command groups.
 * Each command group lives in its own file (cmd_list.c, cmd_member.c,
 * cmd_log.c, cmd_bounce.c, ...) and returns a sysexits code; main.c parses
 * the global options and dispatches on the group's name. */
#ifndef LISTADM_ADM_H
#define LISTADM_ADM_H

#include <stdbool.h>

/* Exit codes beyond <sysexits.h>'s names, as listadm documents them. */
#define ADM_EX_NOLIST 67 /* unknown list or member (EX_NOUSER) */

struct adm_opts {
	const char *home;      /* resolved home directory (never NULL) */
	const char *conf_path; /* the listd.conf read (config_path), never NULL */
	bool json;             /* --json: one JSON object per line */
	bool quiet;            /* --quiet: no progress output */
};

/* argv[0] is the group's name ("list", "member", ...); argc >= 1. */
int cmd_list(const struct adm_opts *opts, int argc, char **argv);
int cmd_member(const struct adm_opts *opts, int argc, char **argv);
int cmd_log(const struct adm_opts *opts, int argc, char **argv);
/* `listadm check`: store consistency (in cmd_log.c). */
int cmd_check(const struct adm_opts *opts, int argc, char **argv);
int cmd_bounce(const struct adm_opts *opts, int argc, char **argv);
/* `listadm hold`: held posts (cmd_hold.c); `listadm report` (cmd_report.c). */
int cmd_hold(const struct adm_opts *opts, int argc, char **argv);
int cmd_report(const struct adm_opts *opts, int argc, char **argv);
int cmd_import(const struct adm_opts *opts, int argc, char **argv); /* cmd_import.c */
/* `bounce ls|show|reset|stats` (cmd_bounce_admin.c; cmd_bounce() hands them on). */
int cmd_bounce_admin(const struct adm_opts *opts, int argc, char **argv);
/* `listadm queue ls|show|retry|drop` (cmd_queue.c). */
int cmd_queue(const struct adm_opts *opts, int argc, char **argv);
/* `listadm status`: the daemon, its queue and fan-outs (cmd_status.c). */
int cmd_status(const struct adm_opts *opts, int argc, char **argv);
/* `listadm archive ls|show|export` (cmd_archive.c). */
int cmd_archive(const struct adm_opts *opts, int argc, char **argv);
/* `listadm template ls|show|set|reset` (cmd_template.c). */
int cmd_template(const struct adm_opts *opts, int argc, char **argv);

#endif
