/* tests/unit/test_net_server.c — the server skeleton (listd/net/server.h)
 * on a real libuv loop and a unix socket in a temporary directory, with a
 * small line protocol: "PING\n" is answered "PONG\n", "BYE\n" is answered
 * "BYE\n" and finishes the connection. The clients are plain non-blocking
 * sockets; each test runs the loop until what it waits for happened (or a
 * bound passed), counts the callbacks, and drains the loop at the end so no
 * handle or allocation is left behind. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "listd/net/server.h"

#define WAIT_MS 3000 /* bound on every wait; tests take far less */

struct proto {
	unsigned data_calls, deadlines, closes;
	size_t last_buffered; /* deadline_cb's */
	uint64_t deadline_at; /* loop ms of the last deadline */
};

static struct proto P;
static uv_loop_t loop;
static char dir[64], sock_path[96];

static size_t data_cb(struct net_conn *c, const char *data, size_t len)
{
	size_t used = 0;

	P.data_calls++;
	while (net_conn_reading(c)) {
		const char *nl = memchr(data + used, '\n', len - used);
		if (!nl)
			break;
		size_t n = (size_t)(nl - (data + used)) + 1;
		if (n == 5 && !memcmp(data + used, "PING\n", 5)) {
			net_conn_write(c, "PONG\n", 5);
		} else if (n == 4 && !memcmp(data + used, "BYE\n", 4)) {
			net_conn_write(c, "BYE\n", 4);
			net_conn_finish(c);
		} else {
			net_conn_close(c);
		}
		used += n;
	}
	return used;
}

static void deadline_cb(struct net_conn *c, size_t buffered)
{
	P.deadlines++;
	P.last_buffered = buffered;
	P.deadline_at = uv_now(&loop);
	net_conn_close(c);
}

static void close_cb(struct net_conn *c)
{
	(void)c;
	P.closes++;
}

static struct net_server_config base_cfg(void)
{
	struct net_server_config cfg = {
		.name = "test",
		.setting = "test_listen",
		.backlog = 16,
		.conn_max = 8,
		.conn_per_uid = 0,
		.read_max = 64,
		.write_max = 0,
		.idle_ms = 5000,
		.request_ms = 5000,
		.ops = { .data_cb = data_cb, .deadline_cb = deadline_cb, .close_cb = close_cb },
	};
	return cfg;
}

static int setup(void **state)
{
	(void)state;
	memset(&P, 0, sizeof(P));
	snprintf(dir, sizeof(dir), "/tmp/listd-net-server.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/s", dir);
	return uv_loop_init(&loop);
}

static int teardown(void **state)
{
	(void)state;
	unlink(sock_path);
	rmdir(dir);
	return uv_loop_close(&loop) == 0 ? 0 : -1; /* -EBUSY: a handle was left */
}

static struct net_server *start(const struct net_server_config *cfg)
{
	struct net_server *srv = net_server_create(&loop, cfg, &P);
	assert_ptr_equal(net_server_data(srv), &P);
	assert_int_equal(net_server_bind_unix(srv, sock_path, 0600), 0);
	assert_int_equal(net_server_listen(srv), 0);
	return srv;
}

/* Destroys the server and runs the loop until every handle is closed. */
static void stop(struct net_server *srv)
{
	net_server_destroy(srv);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(access(sock_path, F_OK), -1); /* socket file removed */
}

static void spin(unsigned ms)
{
	uint64_t end = uv_now(&loop) + ms;
	while (uv_now(&loop) < end) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
		uv_update_time(&loop);
	}
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	spin(20); /* accepted */
	return fd;
}

static void say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Runs the loop until the client has want (returns 1), sees EOF or a reset
 * (0, with what came before in got), or WAIT_MS pass (-1). */
static int hear(int fd, const char *want, char *got, size_t gotsz)
{
	size_t n = 0;
	uint64_t end = uv_now(&loop) + WAIT_MS;

	got[0] = '\0';
	while (uv_now(&loop) < end) {
		uv_run(&loop, UV_RUN_NOWAIT);
		ssize_t r = read(fd, got + n, gotsz - 1 - n);
		if (r > 0) {
			n += (size_t)r;
			got[n] = '\0';
			if (want && !strcmp(got, want))
				return 1;
			continue;
		}
		if (r == 0 || (r < 0 && errno != EAGAIN))
			return 0;
		usleep(1000);
		uv_update_time(&loop);
	}
	return -1;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_requests_and_buffer(void **state)
{
	struct net_server_config cfg = base_cfg();
	struct net_server *srv = start(&cfg);
	char got[64];
	(void)state;

	int fd = client();
	say(fd, "PING\nPI"); /* one request and the start of the next */
	assert_int_equal(hear(fd, "PONG\n", got, sizeof(got)), 1);
	say(fd, "NG\n"); /* the rest stayed in the buffer */
	assert_int_equal(hear(fd, "PONG\n", got, sizeof(got)), 1);
	say(fd, "BYE\n");
	assert_int_equal(hear(fd, NULL, got, sizeof(got)), 0); /* answered, then EOF */
	assert_string_equal(got, "BYE\n");
	assert_int_equal(P.deadlines, 0);
	assert_int_equal(P.closes, 1);
	close(fd);
	stop(srv);
}

static void test_request_deadline_is_absolute(void **state)
{
	struct net_server_config cfg = base_cfg();
	cfg.request_ms = 300;
	struct net_server *srv = start(&cfg);
	char got[64];
	(void)state;

	int fd = client();
	spin(150); /* idle time does not count */
	uint64_t first = uv_now(&loop);
	say(fd, "P");
	for (int i = 0; i < 6 && P.deadlines == 0; i++) {
		spin(100); /* a byte every 100 ms does not extend it */
		if (P.deadlines == 0)
			say(fd, "I");
	}
	assert_int_equal(P.deadlines, 1);
	assert_true(P.last_buffered >= 2);
	uint64_t took = P.deadline_at - first;
	print_message("# deadline after %llu ms (request_ms 300)\n", (unsigned long long)took);
	assert_true(took >= 290 && took < 600);
	assert_int_equal(hear(fd, NULL, got, sizeof(got)), 0);
	assert_int_equal(P.closes, 1);
	close(fd);
	stop(srv);
}

static void test_idle_deadline(void **state)
{
	struct net_server_config cfg = base_cfg();
	cfg.idle_ms = 200;
	struct net_server *srv = start(&cfg);
	char got[64];
	(void)state;

	int fd = client();
	spin(100);
	say(fd, "PING\n"); /* an answered request re-arms the idle deadline */
	assert_int_equal(hear(fd, "PONG\n", got, sizeof(got)), 1);
	uint64_t answered = uv_now(&loop);
	assert_int_equal(hear(fd, NULL, got, sizeof(got)), 0);
	assert_int_equal(P.deadlines, 1);
	assert_int_equal(P.last_buffered, 0);
	assert_true(P.deadline_at - answered >= 150);
	close(fd);
	stop(srv);
}

static void test_no_request_deadline(void **state)
{
	/* request_ms 0: the deadline armed at accept stands, bytes or not */
	struct net_server_config cfg = base_cfg();
	cfg.idle_ms = 300;
	cfg.request_ms = 0;
	struct net_server *srv = start(&cfg);
	char got[64];
	(void)state;

	int fd = client();
	uint64_t accepted = uv_now(&loop);
	spin(200);
	say(fd, "PI");
	assert_int_equal(hear(fd, NULL, got, sizeof(got)), 0);
	assert_int_equal(P.deadlines, 1);
	assert_int_equal(P.last_buffered, 2);
	assert_true(P.deadline_at - accepted < 450);
	close(fd);
	stop(srv);
}

static void test_read_max(void **state)
{
	struct net_server_config cfg = base_cfg();
	cfg.read_max = 16;
	struct net_server *srv = start(&cfg);
	char got[64];
	(void)state;

	int fd = client();
	say(fd, "0123456789abcdef"); /* fills the buffer: no request in it */
	say(fd, "x");
	assert_int_equal(hear(fd, NULL, got, sizeof(got)), 0);
	assert_int_equal(P.closes, 1);
	assert_int_equal(P.deadlines, 0);
	close(fd);
	stop(srv);
}

static void test_conn_max_evicts_longest_waiting(void **state)
{
	struct net_server_config cfg = base_cfg();
	cfg.conn_max = 2;
	struct net_server *srv = start(&cfg);
	char got[64];
	(void)state;

	int a = client();
	spin(30);
	int b = client();
	spin(30);
	say(a, "PING\n"); /* a's idle spell now began after b's */
	assert_int_equal(hear(a, "PONG\n", got, sizeof(got)), 1);
	int c = client(); /* the third: b waited longest */
	assert_int_equal(hear(b, NULL, got, sizeof(got)), 0);
	say(a, "PING\n");
	assert_int_equal(hear(a, "PONG\n", got, sizeof(got)), 1);
	say(c, "PING\n");
	assert_int_equal(hear(c, "PONG\n", got, sizeof(got)), 1);
	assert_int_equal(P.closes, 1);
	close(a);
	close(b);
	close(c);
	spin(20);
	assert_int_equal(P.closes, 3); /* the clients' EOF closes the others */
	stop(srv);
}

static void test_per_uid_cap(void **state)
{
	struct net_server_config cfg = base_cfg();
	cfg.conn_per_uid = 2;
	struct net_server *srv = start(&cfg);
	char got[64];
	(void)state;

	int a = client(), b = client(), c = client();
	assert_int_equal(hear(c, NULL, got, sizeof(got)), 0); /* one too many */
	say(a, "PING\n");
	assert_int_equal(hear(a, "PONG\n", got, sizeof(got)), 1);
	say(b, "PING\n");
	assert_int_equal(hear(b, "PONG\n", got, sizeof(got)), 1);
	assert_int_equal(P.closes, 1);
	close(c);
	stop(srv); /* closes a and b: close_cb for each */
	assert_int_equal(P.closes, 3);
	close(a);
	close(b);
}

static void test_bind_unix(void **state)
{
	struct net_server_config cfg = base_cfg();
	struct stat st;
	(void)state;

	/* a regular file at the path is refused and left alone */
	int fd = open(sock_path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	struct net_server *srv = net_server_create(&loop, &cfg, NULL);
	assert_int_equal(net_server_bind_unix(srv, sock_path, 0600), -EEXIST);
	net_server_destroy(srv);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(sock_path);

	/* a stale socket is replaced; the mode is applied */
	srv = start(&cfg);
	net_server_destroy(NULL); /* a no-op */
	struct net_server *again = net_server_create(&loop, &cfg, NULL);
	assert_int_equal(net_server_bind_unix(again, sock_path, 0640), 0);
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0640);
	net_server_destroy(again); /* the path is removed */
	net_server_destroy(srv);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

struct loopback_case {
	const char *spec;
	int want;
	int family;
	unsigned port;
};

static void test_loopback_parse(void **state)
{
	static const struct loopback_case cases[] = {
		{ "127.0.0.1:10025", 0, AF_INET, 10025 },
		{ "127.1.2.3:1", 0, AF_INET, 1 },
		{ "[::1]:65535", 0, AF_INET6, 65535 },
		{ "10.0.0.1:25", -EADDRNOTAVAIL, 0, 0 },
		{ "0.0.0.0:25", -EADDRNOTAVAIL, 0, 0 },
		{ "localhost:25", -EADDRNOTAVAIL, 0, 0 },
		{ "[::2]:25", -EADDRNOTAVAIL, 0, 0 },
		{ "[127.0.0.1]:25", -EADDRNOTAVAIL, 0, 0 },
		{ "127.0.0.1:0", -EINVAL, 0, 0 },
		{ "127.0.0.1:65536", -EINVAL, 0, 0 },
		{ "127.0.0.1:99999999999999999999", -EINVAL, 0, 0 },
		{ "127.0.0.1:", -EINVAL, 0, 0 },
		{ "127.0.0.1:2a", -EINVAL, 0, 0 },
		{ "127.0.0.1", -EINVAL, 0, 0 },
		{ "[::1]25", -EINVAL, 0, 0 },
		{ "[::1", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct loopback_case *c = &cases[i];
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof(ss));
		int got = net_loopback_parse(c->spec, &ss);
		if (got != c->want)
			fail_msg("%s: got %d, want %d", c->spec, got, c->want);
		if (got < 0)
			continue;
		assert_int_equal(ss.ss_family, c->family);
		unsigned port =
		        ntohs(c->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		                                   : ((struct sockaddr_in6 *)&ss)->sin6_port);
		assert_int_equal(port, c->port);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_requests_and_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_deadline_is_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_request_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_max_evicts_longest_waiting, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_per_uid_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_unix, setup, teardown),
		cmocka_unit_test(test_loopback_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
