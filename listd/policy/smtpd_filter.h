/* listd/policy/smtpd_filter.h — the OpenSMTPD filter protocol (smtpd.conf(5)
 * "filter ... proc-exec", protocol versions 0.5 to 0.7 as OpenSMTPD 6.7 to
 * 7.x speak it) as `listd smtpd-filter` reads it, and the removal of
 * Authentication-Results fields that carry the site's own authserv-id from
 * the header of incoming mail.
 *
 * smtpd writes one event a line on the filter's standard input:
 *   config|KEY|VALUE            ... then "config|ready"
 *   report|VERSION|TIME|SUBSYSTEM|EVENT|SESSION|PARAMS...
 *   filter|VERSION|TIME|SUBSYSTEM|PHASE|SESSION|TOKEN|PARAMS...
 * PARAMS is the rest of the line and may itself hold '|' (a data line, an
 * address). The filter answers each "filter" line exactly once:
 *   filter-result|SESSION|TOKEN|proceed
 *   filter-result|SESSION|TOKEN|reject|CODE TEXT
 *   filter-dataline|SESSION|TOKEN|LINE      (data-line phase, any number,
 *                                            the message ends with ".")
 * Protocol 0.4 and older put TOKEN before SESSION; they are refused.
 *
 * Pure: no I/O; the parser's slices point into the caller's line. */
#ifndef LISTD_POLICY_SMTPD_FILTER_H
#define LISTD_POLICY_SMTPD_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "listd/core/buf.h"
#include "listd/core/slice.h"

/* The longest event line read (smtpd's own SMTP line limit is 64 KiB). */
#define SMTPD_FILTER_LINE_MAX (1024u * 1024u)
/* An Authentication-Results field longer than this (folded lines
 * included) is removed whatever it says: listd trusts no such field from
 * outside, and a field it cannot judge must not reach it. */
#define SMTPD_FILTER_AR_MAX 16384u

enum smtpd_filter_kind {
	SMTPD_FILTER_CONFIG, /* name = KEY, params = VALUE ("" for ready) */
	SMTPD_FILTER_REPORT, /* version .. session, params */
	SMTPD_FILTER_QUERY,  /* version .. token, params */
};

struct smtpd_filter_event {
	enum smtpd_filter_kind kind;
	struct slice version;
	struct slice subsystem; /* "smtp-in" */
	struct slice name;      /* config key, report event or filter phase */
	struct slice session;
	struct slice token;  /* filter queries only */
	struct slice params; /* the rest of the line, may be empty */
};

/* Splits one line (without its LF) into *ret_event.
 * 0 on success; -EBADMSG for a line of no known kind, too few fields, an
 * empty session or token, or a protocol version before 0.5; -EMSGSIZE for a
 * line over SMTPD_FILTER_LINE_MAX. ret_event is written only on success. */
int smtpd_filter_parse(struct slice line, struct smtpd_filter_event *ret_event);

/* The client address of a link-connect report's params
 * ("RDNS|FCRDNS|SRC|DEST"): SRC without its port and brackets, e.g.
 * "192.0.2.1", "2001:db8::1"; empty for a local (unix socket) source.
 * The result points into params. */
struct slice smtpd_filter_connect_address(struct slice params);

/* Removing the site's Authentication-Results fields from one message's
 * header as it streams by, line by line. Fields are held back only from an
 * "Authentication-Results:" line to the next field (so that a folded
 * authserv-id is seen whole); every other line passes at once.
 * init/finish pair; the struct may be reused for the next message. */
struct smtpd_filter_arstrip {
	int state;       /* private */
	bool held_over;  /* private */
	struct buf held; /* private: held lines, each ended by LF */
};

void smtpd_filter_arstrip_init(struct smtpd_filter_arstrip *s);
void smtpd_filter_arstrip_finish(struct smtpd_filter_arstrip *s);

/* Takes one data line (without its line end; "." ends the message) and
 * appends to out the lines to pass on, each ended by LF: none while a
 * field is held, several when a held field is let through. A field whose
 * authserv-id equals authserv_id (ASCII case-insensitive), or that is over
 * SMTPD_FILTER_AR_MAX, is dropped; with an empty authserv_id nothing is.
 * Returns the number of fields dropped by this call (0 or 1). */
int smtpd_filter_arstrip_line(struct smtpd_filter_arstrip *s, const char *authserv_id,
                              struct slice line, struct buf *out);

#endif
