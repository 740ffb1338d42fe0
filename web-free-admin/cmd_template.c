/* web-free-admin/cmd_template.c — listadm template SUBCOMMAND: the texts
 * of the mails listd writes for a list (listd/core/template.h).
 *
 *   listadm template ls LIST           every template: name, own or
 *                                      default, what it is
 *   listadm template show LIST NAME    the text in use (the list's own, else
 *                                      the default), then its variables
 *   listadm template set LIST NAME [--file FILE]
 *                                      the list's own text, from FILE or
 *                                      standard input; checked first
 *                                      (variables, UTF-8, size): a refused
 *                                      text changes nothing (65)
 *   listadm template reset LIST NAME   back to the built-in default
 * set and reset are audited. An unknown NAME is refused with 64. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "listd/core/json.h"
#include "listd/core/log.h"
#include "listd/core/template.h"
#include "storage/store.h"
#include "storage/store_template.h"
#include "web-free-admin/internal.h"

static const char template_usage[] =
        "usage: listadm template ls LIST\n"
        "       listadm template show LIST NAME\n"
        "       listadm template set LIST NAME [--file FILE]   (else the text from stdin)\n"
        "       listadm template reset LIST NAME\n"
        "Texts use ${variable}; $$ is a dollar sign. `show` names the variables.\n";

static int find_def(const char *name, const struct template_def **ret_def)
{
	*ret_def = template_find(name);
	if (*ret_def)
		return 0;
	size_t n;
	const struct template_def *all = template_all(&n);
	struct buf names = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		buf_addf(&names, "%s%s", i ? ", " : "", all[i].name);
	int ex = adm_usage_error(template_usage, "no template \"%s\" (there are: %s)",
	                         log_escs(name), names.data);
	buf_finish(&names);
	return ex;
}

static int template_ls(const struct adm_opts *opts, int argc, char **argv)
{
	static const char *const heads[] = { "NAME", "TEXT", "WHAT" };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	struct table t;
	int ex, r = 0;
	size_t n;
	const struct template_def *all = template_all(&n);

	if (argc != 2)
		return adm_usage_error(template_usage, "template ls takes one LIST");
	if ((ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[1], &store, &txn, &l)))
		return ex;
	if (!opts->json)
		table_init(&t, stdout, 3, heads);
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct buf own = BUF_INIT;
		r = store_template_get(txn, l.id, all[i].name, &own);
		bool is_own = r == 0;
		if (r == -ENOENT)
			r = 0;
		const char *what = is_own ? "own" : all[i].text[0] ? "default" : "default (none)";
		if (r >= 0 && opts->json) {
			struct buf j = BUF_INIT;
			buf_addch(&j, '{');
			json_kv_str(&j, "name", all[i].name);
			json_kv_str(&j, "text", is_own ? "own" : "default");
			json_kv_str(&j, "what", all[i].desc);
			json_line_end(&j);
			buf_finish(&j);
		} else if (r >= 0) {
			const char *cells[] = { all[i].name, what, all[i].desc };
			table_add(&t, cells);
		}
		buf_finish(&own);
	}
	if (!opts->json)
		table_finish(&t);
	store_txn_abort(txn);
	if (r < 0)
		ex = adm_store_error(r, "reading the templates");
	store_close(store);
	return ex;
}

static int template_show(const struct adm_opts *opts, int argc, char **argv)
{
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct store_list l;
	const struct template_def *def;
	struct buf own = BUF_INIT;
	int ex, r;

	if (argc != 3)
		return adm_usage_error(template_usage, "template show takes LIST and NAME");
	if ((ex = find_def(argv[2], &def)))
		return ex;
	if ((ex = adm_open_list(opts, STORE_OPEN_RDONLY, argv[1], &store, &txn, &l)))
		return ex;
	r = store_template_get(txn, l.id, def->name, &own);
	store_txn_abort(txn);
	if (r < 0 && r != -ENOENT) {
		ex = adm_store_error(r, "reading the template");
		goto out;
	}
	bool is_own = r == 0;
	const char *text = is_own ? (own.data ? own.data : "") : def->text;
	if (opts->json) {
		struct buf j = BUF_INIT;
		buf_addch(&j, '{');
		json_kv_str(&j, "name", def->name);
		json_kv_bool(&j, "own", is_own);
		json_kv_str(&j, "variables", def->vars);
		json_kv_str(&j, "text", text);
		json_line_end(&j);
		buf_finish(&j);
	} else {
		fputs(text, stdout);
		if (!opts->quiet)
			fprintf(stderr, "(%s text of %s; variables: %s)\n",
			        is_own ? "the list's own" : "the default", def->name, def->vars);
	}
out:
	buf_finish(&own);
	store_close(store);
	return ex;
}

struct set_ctx {
	const struct store_list *l;
	const char *name;
	const struct buf *text; /* NULL: reset */
	bool had;               /* reset: there was an own text */
};

static int set_txn_cb(struct store_txn *txn, void *ctx_)
{
	struct set_ctx *c = ctx_;
	char detail[LIMIT_AUDIT_DETAIL];
	int r;
	if (c->text) {
		r = store_template_put(txn, c->l->id, c->name, c->text->data ? c->text->data : "",
		                       c->text->len);
		snprintf(detail, sizeof(detail), "%s: %zu bytes", c->name, c->text->len);
	} else {
		r = store_template_del(txn, c->l->id, c->name);
		c->had = r == 0;
		if (r == -ENOENT)
			return 0; /* the default already: nothing to change */
		snprintf(detail, sizeof(detail), "%s: back to the default", c->name);
	}
	if (r < 0)
		return r;
	return store_audit_add(txn, c->l->id, adm_actor(),
	                       c->text ? "template.set" : "template.reset", detail);
}

static int read_all(FILE *f, struct buf *out)
{
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		buf_add(out, tmp, n);
		if (out->len > TEMPLATE_TEXT_MAX)
			return -EFBIG;
	}
	return ferror(f) ? -EIO : 0;
}

static int template_change(const struct adm_opts *opts, int argc, char **argv, bool set)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *store = NULL;
	struct store_list l;
	const struct template_def *def;
	const char *file = NULL;
	struct buf text = BUF_INIT, err = BUF_INIT;
	int ch, ex, r;

	optind = 0;
	while ((ch = adm_getopt(argc, argv, set ? "f:" : "", longopts, template_usage)) != -1) {
		switch (ch) {
		case 'h':
			return EX_OK;
		case 'f':
			if (!set)
				return adm_usage_error(template_usage, "--file goes with set only");
			file = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (argc - optind != 2)
		return adm_usage_error(template_usage, "template %s takes LIST and NAME",
		                       set ? "set" : "reset");
	if ((ex = find_def(argv[optind + 1], &def)))
		return ex;
	if (set) {
		FILE *f = file ? fopen(file, "r") : stdin;
		if (!f) {
			log_warn("%s", log_escs(file));
			return EX_NOINPUT;
		}
		r = read_all(f, &text);
		if (file)
			fclose(f);
		if (r == -EFBIG) {
			log_warnx("template %s: longer than %u bytes: nothing changed", def->name,
			          TEMPLATE_TEXT_MAX);
			ex = EX_DATAERR;
			goto out;
		}
		if (r < 0) {
			log_warnx("reading the text: %s", strerror(-r));
			ex = EX_IOERR;
			goto out;
		}
		/* CRLF files: the texts are kept with LF line ends */
		size_t w = 0;
		for (size_t i = 0; i < text.len; i++)
			if (!(text.data[i] == '\r' && i + 1 < text.len && text.data[i + 1] == '\n'))
				text.data[w++] = text.data[i];
		if (text.len)
			buf_truncate(&text, w);
		if (template_check(def, text.data ? text.data : "", text.len, &err) < 0) {
			log_warnx("template %s: %s: nothing changed", def->name, err.data);
			ex = EX_DATAERR;
			goto out;
		}
	}
	if ((ex = adm_open_list(opts, 0, argv[optind], &store, NULL, &l)))
		goto out;
	struct set_ctx c = { .l = &l, .name = def->name, .text = set ? &text : NULL };
	r = store_write(store, set_txn_cb, &c);
	if (r < 0) {
		ex = adm_store_error(r, "storing the template");
		goto out;
	}
	if (!opts->quiet)
		printf("%s@%s: template %s %s\n", l.local, l.domain, def->name,
		       set             ? "set"
		               : c.had ? "back to the default"
		                       : "was the default already");
out:
	buf_finish(&text);
	buf_finish(&err);
	store_close(store);
	return ex;
}

static int template_set(const struct adm_opts *opts, int argc, char **argv)
{
	return template_change(opts, argc, argv, true);
}

static int template_reset(const struct adm_opts *opts, int argc, char **argv)
{
	return template_change(opts, argc, argv, false);
}

int cmd_template(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct adm_cmd cmds[] = {
		{ "ls", template_ls, "usage: listadm template ls LIST\n" },
		{ "show", template_show, "usage: listadm template show LIST NAME\n" },
		{ "set", template_set, "usage: listadm template set LIST NAME [--file FILE]\n" },
		{ "reset", template_reset, "usage: listadm template reset LIST NAME\n" },
	};
	return adm_dispatch(opts, template_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
