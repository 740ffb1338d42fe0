/* listd/core/log.c — see log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static const char *log_prog = "listd";
static int log_syslog;
static bool log_journal; /* stderr is the journal: <N> prefixes */
static bool log_tool;    /* "prog: level: msg" */
static enum log_level log_level = LOG_LEVEL_INFO;

/* sd-daemon(3): $JOURNAL_STREAM is "DEVICE:INODE" of the stream the
 * journal reads; it names stderr when both match. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;
	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *prog, int use_syslog)
{
	log_prog = prog;
	log_syslog = use_syslog;
	log_journal = stderr_is_journal();
	if (use_syslog)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_init_tool(const char *prog)
{
	log_init(prog, 0);
	log_tool = !log_journal;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}
enum log_level log_get_level(void)
{
	return log_level;
}

static void log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

static void log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[2048];

	if (level > log_level)
		return;
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));
	if (log_journal && !log_syslog)
		fprintf(stderr, "<%d>%s: %s\n", prio[level], names[level], msg);
	else if (log_tool)
		fprintf(stderr, "%s: %s: %s\n", log_prog, names[level], msg);
	else if (!log_journal)
		fprintf(stderr, "%s[%ld]: %s: %s\n", log_prog, (long)getpid(), names[level], msg);
	if (log_syslog)
		syslog(prio[level], "%s", msg);
}

#define LOG_FN(name, level, with_errno) \
	void name(const char *fmt, ...) \
	{ \
		int e = errno; \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(level, with_errno ? e : 0, fmt, ap); \
		va_end(ap); \
		errno = e; \
	}

LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FN(log_err, LOG_LEVEL_ERR, 1)
LOG_FN(log_errx, LOG_LEVEL_ERR, 0)

void fatal(int code, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, e, fmt, ap);
	va_end(ap);
	exit(code);
}

void fatalx(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(code);
}

const char *log_esc(const char *s, size_t n)
{
	static char ring[8][1024];
	static unsigned slot;
	char *out = ring[slot++ % 8];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o > 200) {
			memcpy(out + o, "...", 4);
			return out;
		}
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, 8, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

const char *log_escs(const char *s)
{
	return s ? log_esc(s, strlen(s)) : "(null)";
}
