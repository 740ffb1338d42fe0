/* web-free-admin/cmd_bounce.c — listadm bounce SUBCOMMAND.
 *
 *   listadm bounce parse [FILE|-]...
 *     Classifies each message (a file, or standard input for "-" or no
 *     argument) and prints one JSON object per line for each failed
 *     recipient: {"file","kind","recipient","status","hard","reason"};
 *     a message with no recipient prints one object with "recipient":null.
 *     Exit 0 whatever was found; 65 when an input cannot be read (the
 *     others are still processed); 64 on a usage error.
 *
 * Reading is bounded: at most LIMIT_MESSAGE_HARD bytes of each input are
 * read; a longer message is classified on its first LIMIT_MESSAGE_HARD
 * bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "bounce/bounce.h"
#include "listd/core/buf.h"
#include "listd/core/json.h"
#include "listd/core/limits.h"
#include "web-free-admin/adm.h"

static int read_bounded(FILE *f, struct buf *out)
{
	char tmp[65536];
	size_t n;
	while (out->len < LIMIT_MESSAGE_HARD && (n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (n > LIMIT_MESSAGE_HARD - out->len)
			n = LIMIT_MESSAGE_HARD - out->len;
		buf_add(out, tmp, n);
	}
	return ferror(f) ? -EIO : 0;
}

static void print_result(const char *name, const struct bounce_result *res)
{
	struct buf line = BUF_INIT;
	size_t n = res->nrcpts ? res->nrcpts : 1;

	for (size_t i = 0; i < n; i++) {
		const struct bounce_recipient *r = res->nrcpts ? &res->rcpts[i] : NULL;
		buf_reset(&line);
		buf_addch(&line, '{');
		json_kv_str(&line, "file", name);
		json_kv_str(&line, "kind", bounce_kind_name(res->kind));
		json_kv_str(&line, "recipient", r && r->addr[0] ? r->addr : NULL);
		json_kv_str(&line, "status", r && r->status[0] ? r->status : NULL);
		if (r && r->hard >= 0)
			json_kv_bool(&line, "hard", r->hard == 1);
		else
			json_kv_null(&line, "hard");
		json_kv_str(&line, "reason", r ? bounce_reason_name(r->reason) : NULL);
		buf_adds(&line, "}\n");
		fwrite(line.data, 1, line.len, stdout);
	}
	buf_finish(&line);
}

static int parse_one(const char *name)
{
	struct buf msg = BUF_INIT;
	struct bounce_result res;
	FILE *f;
	int rc = EX_OK;
	bool is_stdin = !strcmp(name, "-");

	f = is_stdin ? stdin : fopen(name, "rb");
	if (!f) {
		fprintf(stderr, "listadm: bounce parse: %s: %s\n", name, strerror(errno));
		rc = EX_DATAERR;
		goto out;
	}
	if (read_bounded(f, &msg) < 0) {
		fprintf(stderr, "listadm: bounce parse: %s: read error\n", name);
		rc = EX_DATAERR;
		goto out_close;
	}
	bounce_parse(msg.data, msg.len, &res);
	print_result(name, &res);
	bounce_result_finish(&res);
out_close:
	if (!is_stdin)
		fclose(f);
out:
	buf_finish(&msg);
	return rc;
}

static int bounce_parse_cmd(int argc, char **argv)
{
	int rc = EX_OK;
	if (argc < 2)
		return parse_one("-");
	for (int i = 1; i < argc; i++)
		if (parse_one(argv[i]) != EX_OK)
			rc = EX_DATAERR;
	fflush(stdout);
	return rc;
}

struct bounce_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct bounce_cmd bounce_cmds[] = {
	{ "parse", bounce_parse_cmd },
};

int cmd_bounce(const struct adm_opts *opts, int argc, char **argv)
{
	(void)opts;
	if (argc < 2) {
		fprintf(stderr, "usage: listadm bounce parse [FILE|-]...\n");
		return EX_USAGE;
	}
	if (strcmp(argv[1], "parse"))
		return cmd_bounce_admin(opts, argc, argv); /* ls, show, reset, stats */
	for (size_t i = 0; i < sizeof(bounce_cmds) / sizeof(bounce_cmds[0]); i++)
		if (!strcmp(argv[1], bounce_cmds[i].name))
			return bounce_cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "listadm: bounce: unknown subcommand \"%s\"\n", argv[1]);
	return EX_USAGE;
}
