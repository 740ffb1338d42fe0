/* listd/cmd_token.c — `listd token ADDRESS...`: checks signed VERP return
 * paths the way the daemon does and prints what they name, one JSON object
 * per address. For administrators reading logs, and for tests that prove
 * every copy of a post carried its member's own valid return path. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/time.h>

#include "bounce/verp.h"
#include "listd/cmd.h"
#include "listd/core/addr.h"
#include "listd/core/config.h"
#include "listd/core/json.h"
#include "listd/core/keyfile.h"
#include "listd/core/listaddr.h"
#include "listd/core/log.h"
#include "listd/policy/recipient.h"
#include "storage/store.h"

static const char *verp_err_name(int r)
{
	switch (r) {
	case -ENOENT:
		return "not a bounce address of this list";
	case -EINVAL:
		return "malformed token";
	case -EBADMSG:
		return "signature does not verify";
	case -ETIME:
	case -ESTALE:
		return "token expired or from the future";
	default:
		return strerror(-r);
	}
}

/* Checks one address; appends its JSON object to out. 1 valid, 0 not. */
static int verp_check_one(struct store_txn *txn, const struct config *cfg,
                          const uint8_t key[KEYFILE_KEY_LEN], uint32_t today, const char *address,
                          struct buf *out)
{
	struct addr a;
	const char *why = NULL;
	struct recipient rc;
	struct verp_fields vf;
	int valid = 0, r;

	buf_addch(out, '{');
	json_kv_str(out, "address", address);
	if (recipient_parse(cfg, slice_cstr(address), &a, &why) < 0) {
		json_kv_bool(out, "valid", false);
		json_kv_str(out, "error", why ? why : "not an address");
		goto done;
	}
	/* the reading the daemon takes: the most specific existing list */
	r = recipient_lookup(txn, cfg, &a, &rc);
	if (r < 0 || rc.role != LISTADDR_ROLE_BOUNCES) {
		json_kv_bool(out, "valid", false);
		json_kv_str(out, "error",
		            r < 0 && r != -ENOENT ? store_strerror(r)
		                                  : "no list has this bounce address");
		goto done;
	}
	const struct store_list *l = &rc.list;
	struct buf ls = BUF_INIT;
	store_list_format_addr(l, &ls);
	json_kv_str(out, "list", ls.data);
	buf_finish(&ls);
	const char *at = strrchr(address, '@');
	struct store_member m;
	bool relay = false;
	r = recipient_bounce_member(txn, cfg, key, l, slice_make(address, (size_t)(at - address)),
	                            today, &vf, &m, &relay);
	if (r < 0 && r != -ENXIO) {
		why = verp_err_name(r);
		goto invalid;
	}
	static const char *const kinds[] = { "post", "probe", "warning" };
	json_kv_bool(out, "valid", true);
	json_kv_str(out, "kind", vf.kind <= VERP_KIND_WARNING ? kinds[vf.kind] : "?");
	json_kv_str(out, "form", relay ? "relay" : "member");
	if (!relay)
		json_kv_u64(out, "member_id", vf.member_id);
	if (r == 0) {
		struct buf ms = BUF_INIT;
		addr_format(&m.addr, &ms);
		json_kv_str(out, "member", ms.data);
		if (relay)
			json_kv_u64(out, "member_id", m.id);
		buf_finish(&ms);
	} else {
		json_kv_null(out, "member");
	}
	json_kv_u64(out, "message_low_bits", vf.msg);
	json_kv_u64(out, "day", vf.day);
	valid = 1;
	goto done;
invalid:
	json_kv_bool(out, "valid", false);
	json_kv_str(out, "error", why);
done:
	buf_adds(out, "}\n");
	return valid;
}

int cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = NULL, *why = NULL;
	char *conf_path = NULL;
	struct config cfg;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	uint8_t key[KEYFILE_KEY_LEN];
	int c, r, ex = EX_SOFTWARE, invalid = 0;

	config_defaults(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "H:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			home = optarg;
			break;
		case 'h':
			printf("usage: listd token [--home DIR] ADDRESS...\n\n"
			       "Verifies signed VERP return paths (LIST-bounces+TOKEN@DOMAIN) and\n"
			       "prints what each names, one JSON object per line. Exit 0 when all\n"
			       "verify, 1 when some do not.\n");
			ex = EX_OK;
			goto out;
		default:
			ex = EX_USAGE;
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: listd token [--home DIR] ADDRESS...\n");
		ex = EX_USAGE;
		goto out;
	}
	home = store_home_resolve(home);
	conf_path = config_path(NULL, home);
	if (config_load(conf_path, home, &cfg, &err) < 0) {
		log_warnx("%s", err.data);
		ex = EX_CONFIG;
		goto out;
	}
	r = keyfile_load(cfg.key_file, false, key, &why);
	if (r < 0) {
		log_warnx("key file %s: %s", log_escs(cfg.key_file), why ? why : strerror(-r));
		ex = EX_CONFIG;
		goto out;
	}
	r = store_open(home, STORE_OPEN_RDONLY, &store);
	if (r == 0)
		r = store_txn_begin(store, STORE_TXN_RDONLY, &txn);
	if (r < 0) {
		log_warnx("store in %s: %s", log_escs(home), store_strerror(r));
		ex = EX_TEMPFAIL;
		goto out;
	}
	const char *now = getenv("LISTD_NOW_MS");
	struct timeval tv;
	gettimeofday(&tv, NULL);
	uint64_t ms = now && *now ? strtoull(now, NULL, 10)
	                          : (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
	for (int i = optind; i < argc; i++)
		if (!verp_check_one(txn, &cfg, key, (uint32_t)(ms / 86400000u), argv[i], &out))
			invalid++;
	fwrite(out.data, 1, out.len, stdout);
	ex = invalid ? 1 : EX_OK;
out:
	store_txn_abort(txn);
	store_close(store);
	config_finish(&cfg);
	free(conf_path);
	buf_finish(&err);
	buf_finish(&out);
	return ex;
}
