/* tests/bench/digest_bench.c — the work of one digest of N posts, as the
 * daemon does it: N posts archived in a fresh store (timed apart), then,
 * in one read transaction, every post read back from the archive and the
 * digest built (listd/mail/digest_build.h). Prints one line of key=value
 * figures; peak RSS is the process's (getrusage), so run one form per
 * process; the peak after archiving is printed too, since the write
 * transaction that fills the store holds its dirty pages in memory.
 *
 *   digest_bench mime|plain N [POST_BYTES]      (default 10000 posts of 2 KiB) */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "listd/mail/digest_build.h"
#include "listd/core/buf.h"
#include "storage/store.h"
#include "storage/store_archive.h"

struct fill {
	uint32_t n;
	size_t post_bytes;
};

static int fill_cb(struct store_txn *txn, void *ctx)
{
	struct fill *f = ctx;
	struct buf post = BUF_INIT;
	struct store_archive_entry e;
	int r = 0;
	for (uint32_t i = 0; i < f->n && r == 0; i++) {
		buf_reset(&post);
		buf_addf(&post,
		         "From: Member %u <m%07u@members.bench.test>\n"
		         "Subject: post number %u about something\nDate: Sat, 28 Nov 2026 10:00:00 "
		         "+0000\n"
		         "Message-ID: <p%u@members.bench.test>\n\n",
		         i, i, i, i);
		while (post.len < f->post_bytes)
			buf_adds(&post, "Some words of the post, on a line of ordinary length.\n");
		memset(&e, 0, sizeof(e));
		e.list_id = 1;
		e.msg_id = i + 1;
		e.date = 1795860000 + i;
		snprintf(e.from, sizeof(e.from), "m%07u@members.bench.test", i);
		snprintf(e.subject, sizeof(e.subject), "post number %u about something", i);
		r = store_archive_add(txn, &e, post.data, post.len, NULL);
	}
	buf_finish(&post);
	return r;
}

struct collect {
	struct store_txn *txn;
	struct buf data;
	size_t *offs, *lens;
	uint32_t *nums;
	size_t n;
};

static int collect_cb(const struct store_archive_entry *e, void *ctx)
{
	struct collect *c = ctx;
	size_t before = c->data.len;
	int r = store_archive_data(c->txn, e->list_id, e->number, &c->data);
	if (r < 0)
		return r;
	c->offs[c->n] = before;
	c->lens[c->n] = c->data.len - before;
	c->nums[c->n] = e->number;
	c->n++;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/listd-digest-bench-XXXXXX", home[64];
	struct store *s = NULL;
	struct store_txn *txn = NULL;
	struct fill f = { 10000, 2048 };
	struct buf out = BUF_INIT;
	struct rusage ru;
	int r;

	if (argc < 2 || (strcmp(argv[1], "mime") && strcmp(argv[1], "plain"))) {
		fprintf(stderr, "usage: digest_bench mime|plain [N [POST_BYTES]]\n");
		return 64;
	}
	if (argc > 2)
		f.n = (uint32_t)strtoul(argv[2], NULL, 10);
	if (argc > 3)
		f.post_bytes = strtoul(argv[3], NULL, 10);
	if (f.n == 0 || f.n > 1000000 || f.post_bytes > (1u << 20)) {
		fprintf(stderr, "digest_bench: N in 1..1000000, POST_BYTES up to 1 MiB\n");
		return 64;
	}
	if (!mkdtemp(dir))
		return 70;
	snprintf(home, sizeof(home), "%s/home", dir);
	r = store_open(home, STORE_OPEN_CREATE, &s);
	if (r < 0)
		goto fail;
	double t0 = now_s();
	r = store_write(s, fill_cb, &f);
	if (r < 0)
		goto fail;
	double t1 = now_s();
	getrusage(RUSAGE_SELF, &ru);
	long rss_fill = ru.ru_maxrss;

	struct collect c = { .data = BUF_INIT };
	c.offs = calloc(f.n, sizeof(*c.offs));
	c.lens = calloc(f.n, sizeof(*c.lens));
	c.nums = calloc(f.n, sizeof(*c.nums));
	struct digest_post *posts = calloc(f.n, sizeof(*posts));
	if (!c.offs || !c.lens || !c.nums || !posts)
		return 70;
	r = store_txn_begin(s, STORE_TXN_RDONLY, &txn);
	if (r < 0)
		goto fail;
	c.txn = txn;
	r = store_archive_foreach(txn, 1, 1, collect_cb, &c);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < c.n; i++)
		posts[i] = (struct digest_post){ c.nums[i], c.data.data + c.offs[i], c.lens[i] };
	struct digest_params p = {
		.list_local = "bench",
		.domain = "lists.bench.test",
		.request_suffix = "-request",
		.volume = 1,
		.issue = 1,
		.date = 1795860000,
		.seed = 42,
	};
	r = digest_build(strcmp(argv[1], "mime") ? DIGEST_FORM_PLAIN : DIGEST_FORM_MIME, &p, posts,
	                 c.n, &out);
	if (r < 0)
		goto fail;
	double t2 = now_s();
	store_txn_abort(txn);
	txn = NULL;
	getrusage(RUSAGE_SELF, &ru);
	printf("form=%s posts=%zu post_bytes=%zu posts_total_bytes=%zu digest_bytes=%zu "
	       "archive_s=%.3f build_s=%.3f peak_rss_after_archive_kib=%ld peak_rss_kib=%ld\n",
	       argv[1], c.n, f.post_bytes, c.data.len, out.len, t1 - t0, t2 - t1, rss_fill,
	       ru.ru_maxrss);
	buf_finish(&out);
	buf_finish(&c.data);
	free(c.offs);
	free(c.lens);
	free(c.nums);
	free(posts);
	store_close(s);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
fail:
	fprintf(stderr, "digest_bench: %s\n", store_strerror(r));
	store_txn_abort(txn);
	store_close(s);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 70;
}
