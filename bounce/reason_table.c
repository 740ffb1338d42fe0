/* bounce/reason_table.c — see reason_table.h.
 *
 * Origins, written beside every entry:
 *   RFC3463 RFC5321 RFC7505 RFC3464 RFC7372 — the RFC defining the code
 *           or the wording;
 *   POSTFIX EXIM SENDMAIL QMAIL COURIER EXCHANGE DOMINO — the wording that
 *           MTA's own messages use (its documentation or message catalogue);
 *   GOOGLE MICROSOFT YAHOO ORANGE — the provider's documentation for
 *           senders (error code pages);
 *   SISIMAI — the reason tables of the Sisimai project (lib/Sisimai/Reason,
 *           Copyright (c) azumakuniyuki and the sisimai development team,
 *           BSD 2-Clause licence: facts re-expressed, no code taken);
 *   COMMON  — wording several MTAs use for the same condition (seen across
 *           the formats above), kept general.
 *
 * Phrases are lower case. Keep each one a statement of its reason: a
 * phrase that only one message ever wrote does not belong here.
 *
 * The entries marked SISIMAI, the order of reason_order_first and
 * reason_order_second and the pseudo-code numbers (status.c) are facts
 * about Sisimai's behaviour, re-expressed; for them:
 *   Copyright (C) 2014-2024 azumakuniyuki and sisimai development team.
 *   Redistribution and use in source and binary forms, with or without
 *   modification, are permitted provided that the following conditions are
 *   met: 1. Redistributions of source code must retain the above copyright
 *   notice, this list of conditions and the following disclaimer.
 *   2. Redistributions in binary form must reproduce the above copyright
 *   notice, this list of conditions and the following disclaimer in the
 *   documentation and/or other materials provided with the distribution.
 *   THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS
 *   IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED
 *   TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A
 *   PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
 *   HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
 *   SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED
 *   TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR
 *   PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF
 *   LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
 *   NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS
 *   SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE. */
#include <string.h>

#include "bounce/reason_table.h"

#define RFC3463 "RFC 3463"
#define RFC5321 "RFC 5321"
#define RFC7505 "RFC 7505"
#define RFC3464 "RFC 3464"
#define RFC7372 "RFC 7372"
#define RFC8461 "RFC 8461"
#define POSTFIX "Postfix"
#define EXIM "Exim"
#define SENDMAIL "Sendmail"
#define QMAIL "qmail"
#define COURIER "Courier"
#define EXCHANGE "Exchange"
#define DOMINO "Lotus Domino"
#define GOOGLE "Google sender docs"
#define MICROSOFT "Microsoft NDR docs"
#define YAHOO "Yahoo sender docs"
#define ORANGE "Orange/La Poste sender docs"
#define SISIMAI "Sisimai reason table"
#define COMMON "common MTA wording"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The mailbox is over its quota: soft, it may empty. */
static const struct reason_phrase p_mailboxfull[] = {
	{ "mailbox full", SISIMAI },
	{ "mailbox is full", SISIMAI },
	{ "mailbox has exceeded", COMMON },
	{ "mailbox size limit", POSTFIX },
	{ "mailbox is over", COMMON },
	{ "mailbox quota", COMMON },
	{ "mailbox exceeds", COMMON },
	{ "mailbox would exceed", COMMON },
	{ "mail box full", COMMON },
	{ "mailfolder is full", COMMON },
	{ "over quota", SISIMAI },
	{ "overquota", COMMON },
	{ "over the quota", COMMON },
	{ "quota exceeded", SISIMAI },
	{ "exceeded storage allocation", SENDMAIL },
	{ "exceeds storage", COMMON },
	{ "exceed the quota", COMMON },
	{ "exceeds the quota", COMMON },
	{ "exceeded the quota", COMMON },
	{ "exceeded its quota", COMMON },
	{ "disk quota", COMMON },
	{ "quota violation", COMMON },
	{ "account is full", COMMON },
	{ "account is over", COMMON },
	{ "user is over", COMMON },
	{ "does not have enough space", SISIMAI },
	{ "not enough storage space", EXCHANGE },
	{ "insufficient storage for mailbox", COMMON },
	{ "too much mail data", COMMON },
	{ "full mailbox", COMMON },
	{ "inbox is full", COMMON },
	{ "out of storage", GOOGLE },
	{ "storage quota", COMMON },
	{ "quota full", COMMON },
	{ "maildir over", COURIER },
	{ "mailbox exceeded", COMMON },
	{ "exceeded the space", COMMON },
	{ "too many messages on", COMMON },
	{ "boite du destinataire pleine", SISIMAI },
	{ "\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\xe3\x83\x9c\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"
	  "\xe3\x81\x8c\xe4\xb8\x80\xe6\x9d\xaf",
	  COMMON }, /* mailbox is full (ja) */
	{ "account is exceeding their quota", SISIMAI },
	{ "account is over quota", SISIMAI },
	{ "account is temporarily over quota", SISIMAI },
	{ "delivery failed: over quota", SISIMAI },
	{ "disc quota exceeded", SISIMAI },
	{ "exceeding its mailbox quota", SISIMAI },
	{ "is over disk quota", SISIMAI },
	{ "is over quota temporarily", SISIMAI },
	{ "mail quota exceeded", SISIMAI },
	{ "mailbox exceeded the local limit", SISIMAI },
	{ "mailbox has exceeded its disk space limit", SISIMAI },
	{ "mailbox over quota", SISIMAI },
	{ "mailbox quota usage exceeded", SISIMAI },
	{ "mailbox size limit exceeded", SISIMAI },
	{ "maildir over quota", SISIMAI },
	{ "maildir delivery failed: userdisk quota", SISIMAI },
	{ "not enough storage space in", SISIMAI },
	{ "over the allowed quota", SISIMAI },
	{ "recipient reached disk quota", SISIMAI },
	{ "mailbox would exceed maximum allowed storage", SISIMAI },
	{ "the user's space has been used up", SISIMAI },
	{ "user has exceeded quota", SISIMAI },
	{ "user has too many messages on the server", SISIMAI },
	{ "user is over the quota", SISIMAI },
	{ "user over quota", SISIMAI },
	{ "would be over the allowed quota", SISIMAI },
};

/* The message is larger than the receiving system takes. */
static const struct reason_phrase p_mesgtoobig[] = {
	{ "message too large", COMMON },
	{ "message is too large", COMMON },
	{ "message too big", COMMON },
	{ "message is too big", COMMON },
	{ "message size exceeds", COMMON },
	{ "exceeds size limit", COMMON },
	{ "size limit exceeded", COMMON },
	{ "exceeds maximum message size", COMMON },
	{ "exceeds the maximum size", COMMON },
	{ "maximum message size", RFC5321 },
	{ "message length exceeds", COMMON },
	{ "message file too big", POSTFIX },
	{ "too large for", COMMON },
	{ "message exceeds", COMMON },
	{ "exceeded maximum inbound message size", SISIMAI },
	{ "line limit exceeded", SISIMAI },
	{ "max message size exceeded", SISIMAI },
	{ "message length exceeds administrative limit", SISIMAI },
	{ "message size exceeds fixed limit", SISIMAI },
	{ "message size exceeds maximum value", SISIMAI },
	{ "taille limite du message atteinte", SISIMAI },
};

/* The message is larger than this recipient's own limit. */
static const struct reason_phrase p_exceedlimit[] = {
	{ "exceeds the size limit of the recipient", COMMON },
	{ "message size exceeds recipient", COMMON },
	{ "message size limit for this recipient", COMMON },
};

/* The account exists and is disabled or suspended. */
static const struct reason_phrase p_suspend[] = {
	{ "account is blocked", COMMON },
	{ "temporarily locked", COMMON },
	{ "temporary locked", COMMON },
	{ "mailbox disabled", COMMON },
	{ "mailbox has been disabled", COMMON },
	{ "account disabled", COMMON },
	{ "account has been disabled", SISIMAI },
	{ "account is disabled", COMMON },
	{ "account is inactive", COMMON },
	{ "mailbox is inactive", COMMON },
	{ "mailbox inactive", COMMON },
	{ "inactive account", SISIMAI },
	{ "account inactive", COMMON },
	{ "account suspended", COMMON },
	{ "mailbox suspended", COMMON },
	{ "user suspended", COMMON },
	{ "has been suspended", SISIMAI },
	{ "is suspended", COMMON },
	{ "account expired", COMMON },
	{ "account has expired", COMMON },
	{ "account is locked", COMMON },
	{ "account locked", COMMON },
	{ "temporarily disabled", COMMON },
	{ "disabled mailbox", COMMON },
	{ "mailbox unavailable or disabled", COMMON },
	{ "user disabled", COMMON },
	{ "recipient suspended", COMMON },
	{ "is a deactivated mailbox", SISIMAI },
	{ "deactivated", COMMON },
	{ "archived recipient", SISIMAI },
	{ "email account that you tried to reach is disabled", GOOGLE },
	{ "account that you tried to reach is inactive", GOOGLE },
	{ "mailbox is disabled", COMMON },
	{ "not active", COMMON },
	{ " is currently suspended", SISIMAI },
	{ "boite du destinataire archivee", SISIMAI },
	{ "invalid/inactive user", SISIMAI },
	{ "mailbox currently suspended", SISIMAI },
	{ "mailbox is frozen", SISIMAI },
	{ "recipient rejected: temporarily inactive", SISIMAI },
	{ "recipient suspend the service", SISIMAI },
	{ "this account has been disabled or discontinued", SISIMAI },
	{ "this mailbox is disabled", SISIMAI },
	{ "account is locked email bounced", SISIMAI },
};

/* The person has moved to another address. */
static const struct reason_phrase p_hasmoved[] = {
	{ "has moved", SISIMAI },  { "address has changed", COMMON }, { "no longer with", COMMON },
	{ "new address", COMMON }, { "user has moved", RFC3463 },
};

/* The receiving host does not relay for us. */
static const struct reason_phrase p_norelaying[] = {
	{ "relay access denied", POSTFIX },
	{ "relaying denied", SENDMAIL },
	{ "relay denied", COMMON },
	{ "relaying not permitted", COMMON },
	{ "relay not permitted", COMMON },
	{ "not permitted to relay", SISIMAI },
	{ "unable to relay", EXCHANGE },
	{ "we do not relay", COMMON },
	{ "no relaying", SISIMAI },
	{ "relaying mail to", COMMON },
	{ "not allowed to relay", COMMON },
	{ "relay prohibited", COMMON },
	{ "not a gateway", COMMON },
	{ "configured to relay", COMMON },
	{ "relay not allowed", COMMON },
	{ "relaying is prohibited", COMMON },
	{ "as a relay", SISIMAI },
	{ "is not permitted to relay through this server", SISIMAI },
	{ "requires authentication when attempting to send to a non-local", SISIMAI },
	{ "not allowed to relay through this machine", SISIMAI },
	{ "not an open relay", SISIMAI },
	{ "not local host", SISIMAI },
	{ "that domain isn't in my list of allowed rcpthost", SISIMAI },
	{ "this system is not configured to relay mail", SISIMAI },
	{ "we don't handle mail for", SISIMAI },
};

/* SPF, DKIM or DMARC failed for the sender's domain. */
static const struct reason_phrase p_authfailure[] = {
	{ "dmarc", SISIMAI },
	{ "spf check", COMMON },
	{ "spf fail", COMMON },
	{ "spf record", COMMON },
	{ "sender policy framework", COMMON },
	{ "spf validation", COMMON },
	{ "spf: ", COMMON },
	{ "dkim fail", COMMON },
	{ "dkim check", COMMON },
	{ "dkim verification", COMMON },
	{ "dkim signature", COMMON },
	{ "not authorized to send on behalf", COMMON },
	{ "unauthenticated email", GOOGLE },
	{ "not pass authentication checks", COMMON },
	{ "authentication checks", COMMON },
};

/* The address does not exist at the receiving domain. */
static const struct reason_phrase p_userunknown[] = {
	{ "user unknown", SISIMAI },
	{ "unknown user", COMMON },
	{ "no such user", SISIMAI },
	{ "no such mailbox", COMMON },
	{ "no such recipient", COMMON },
	{ "no such address", COMMON },
	{ "no such account", COMMON },
	{ "no such person", COMMON },
	{ "unknown recipient", SISIMAI },
	{ "recipient unknown", COMMON },
	{ "unknown address", COMMON },
	{ "unknown local part", EXIM },
	{ "unknown or illegal alias", SENDMAIL },
	{ "unknown mailbox", COMMON },
	{ "mailbox unknown", COMMON },
	{ "mailbox not found", SISIMAI },
	{ "mailbox does not exist", COMMON },
	{ "mailbox unavailable", RFC5321 },
	{ "mailbox is unavailable", COMMON },
	{ "mailbox not available", COMMON },
	{ "invalid mailbox", COMMON },
	{ "invalid recipient", SISIMAI },
	{ "invalid address", COMMON },
	{ "invalid user", COMMON },
	{ "recipient not found", COMMON },
	{ "user not found", COMMON },
	{ "address not found", COMMON },
	{ "account not found", COMMON },
	{ "user doesn't exist", COMMON },
	{ "user does not exist", COMMON },
	{ "address does not exist", COMMON },
	{ "account does not exist", COMMON },
	{ "recipient does not exist", COMMON },
	{ "\tuser \t does not exist", SISIMAI },
	{ "\tuser \t doesn't exist", SISIMAI },
	{ "\tmailbox \t does not exist", SISIMAI },
	{ "\taddress \t does not exist", SISIMAI },
	{ "does not have an account", COMMON },
	{ "doesn't have a", YAHOO },
	{ "not a valid user", COMMON },
	{ "not a valid mailbox", COMMON },
	{ "not a valid recipient", COMMON },
	{ "is not a known user", COMMON },
	{ "not known here", COMMON },
	{ "addressee unknown", COMMON },
	{ "unroutable address", COMMON },
	{ "bad destination mailbox", COMMON },
	{ "recipient rejected", COMMON },
	{ "recipient invalid", COMMON },
	{ "no valid recipients", COMMON },
	{ "rejected recipient", COMMON },
	{ "user invalid", COMMON },
	{ "undeliverable address", COMMON },
	{ "bad address", COMMON },
	{ "address unknown", COMMON },
	{ "no mail box", COMMON },
	{ "no mailbox here by that name", QMAIL },
	{ "email account that you tried to reach does not exist", GOOGLE },
	{ "resolver.adr.recipientnotfound", MICROSOFT },
	{ "recipient address rejected: user unknown", POSTFIX },
	{ "recipient address rejected: access denied", MICROSOFT },
	{ "address couldn't be found", MICROSOFT },
	{ "check if address is correct", COMMON },
	{ "invalid final delivery", COMMON },
	{ "not listed in", COMMON },
	{ "utilisateur inconnu", SISIMAI },
	{ "no existe dicha persona", SISIMAI },
	{ "nessun utente simile", SISIMAI },
	{ "box not found", COMMON },
	{ "user not exist", COMMON },
	{ "\xe8\xa6\x8b\xe3\x81\xa4\xe3\x81\x8b\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93",
	  DOMINO }, /* not found (ja) */
	{ "\xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa\xe3\x81\xae"
	  "\xe3\x83\xaa\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xab\xe3\x81\x82\xe3\x82\x8a\xe3\x81\xbe"
	  "\xe3\x81\x9b\xe3\x82\x93",
	  DOMINO }, /* not in the directory list (ja) */
	{ "550 address invalid", SISIMAI },
	{ "5.1.0 address rejected.", SISIMAI },
	{ "address not present in directory", SISIMAI },
	{ "bad recipient", SISIMAI },
	{ "bad-recipient", SISIMAI },
	{ "can't accept user", SISIMAI },
	{ "destination addresses were unknown", SISIMAI },
	{ "destination server rejected recipients", SISIMAI },
	{ "email address does not exist", SISIMAI },
	{ "email address could not be found", SISIMAI },
	{ "is not an active address at this host", SISIMAI },
	{ "no account by that name here", SISIMAI },
	{ "no existe ese usuario", SISIMAI },
	{ "no mail box available for this user", SISIMAI },
	{ "no mailbox by that name is currently available", SISIMAI },
	{ "no mailbox found", SISIMAI },
	{ "no matches to nameserver query", SISIMAI },
	{ "no such address here", SISIMAI },
	{ "no such person at this address", SISIMAI },
	{ "no valid recipients, bye", SISIMAI },
	{ "non-existent user", SISIMAI },
	{ "nonexistent user", SISIMAI },
	{ "not a valid user here", SISIMAI },
	{ "not a local address", SISIMAI },
	{ "recipient address rejected: invalid user", SISIMAI },
	{ "recipient address rejected: invalid-recipient", SISIMAI },
	{ "recipient address rejected: unknown user", SISIMAI },
	{ "recipient is not local", SISIMAI },
	{ "recipient not exist", SISIMAI },
	{ "recipient not ok", SISIMAI },
	{ "recipient refuses to accept your mail", SISIMAI },
	{ "requested action not taken: mailbox unavailable", SISIMAI },
	{ "sorry, badrcptto", SISIMAI },
	{ "your envelope recipient has been denied", SISIMAI },
	{ "the user's email name is not found", SISIMAI },
	{ "there is no one at this address", SISIMAI },
	{ "this address no longer accepts mail", SISIMAI },
	{ "email address is wrong or no longer valid", SISIMAI },
	{ "recipient is in my badrecipientto list", SISIMAI },
	{ "recipient is not in my validrcptto list", SISIMAI },
	{ "unknown e-mail address", SISIMAI },
	{ "unknown email address", SISIMAI },
};

/* The address exists; the recipient's own rules refused the message. */
static const struct reason_phrase p_filtered[] = {
	{ "user reject", SISIMAI },
	{ "refused due to recipient preferences", SISIMAI },
	{ "resolver.rst.notauthorized", MICROSOFT },
	{ "message rejected due to user rules", SISIMAI },
	{ "rejected by recipient", COMMON },
	{ "recipient's filter", COMMON },
	{ "refused to receive", COMMON },
	{ "due to the recipient's policy", COMMON },
	{ "not authorized to send to this", COMMON },
	{ "message filtered", COMMON },
	{ "is only accepting mail from specific email addresses", SISIMAI },
	{ "due to extended inactivity new mail is not currently being accepted", SISIMAI },
	{ "has restricted sms e-mail", SISIMAI },
	{ "is not accepting any mail", SISIMAI },
	{ "not found recipient account", SISIMAI },
	{ "this account is protected by", SISIMAI },
	{ "refuse to receive mail", SISIMAI },
	{ "you have been blocked by the recipient", SISIMAI },
};

/* The sending host has no usable reverse DNS. */
static const struct reason_phrase p_requireptr[] = {
	{ "reverse dns", COMMON },
	{ "reverse lookup", COMMON },
	{ "ptr record", SISIMAI },
	{ "no ptr", COMMON },
	{ "reverse-dns", COMMON },
	{ "cannot find your hostname", SISIMAI },
	{ "cannot resolve your address", COMMON },
	{ "hostname lookup failed", COMMON },
	{ "client host rejected: cannot find your", POSTFIX },
	{ "ip name lookup failed", COMMON },
	{ "no reverse", COMMON },
	{ "fix reverse dns", SISIMAI },
	{ "rdns", COMMON },
	{ "domain name of your ip", COMMON },
	/* the sending IP is not among the addresses its claimed name has */
	{ "unverifyable sending ip", SISIMAI },
	{ "unverifiable sending ip", COMMON },
	{ "mismatches client ip", COMMON }, /* "domain [d] mismatches client ip a" */
};

/* The message does not follow the message format (RFC 5322). */
static const struct reason_phrase p_notcompliantrfc[] = {
	{ "rfc 5322", COMMON },
	{ "rfc5322", COMMON },
	{ "rfc 2822", COMMON },
	{ "rfc2822", COMMON },
	{ "multiple addresses in from", GOOGLE },
	{ "not compliant with", COMMON },
};

/* The sending IP or domain has a poor reputation. */
static const struct reason_phrase p_badreputation[] = {
	{ "poor reputation", SISIMAI },
	{ "ip reputation", SISIMAI },
	{ "reputation", COMMON },
	{ "user complaints", YAHOO },
};

/* The sender (envelope address or its domain) is refused. */
static const struct reason_phrase p_rejected[] = {
	{ "sender rejected", SISIMAI },
	/* the sender's own outbound relay (Gmail's "Send mail as" account,
	 * support.google.com/mail/?p=CustomFromDenied) refused to send */
	{ "'send mail as' account", GOOGLE },
	{ "sender verify failed", EXIM },
	{ "sender address rejected", POSTFIX },
	{ "sender was rejected", COMMON },
	{ "domain of sender address", SENDMAIL },
	{ "sender domain", COMMON },
	{ "sender is not", COMMON },
	{ "invalid sender", COMMON },
	{ "unknown sender", COMMON },
	{ "sender unknown", COMMON },
	{ "bad sender", COMMON },
	{ "reject sender", COMMON },
	{ "sender denied", COMMON },
	{ "null sender is not allowed", SISIMAI },
	/* Sender ID could not tell who sent it (RFC 4407) */
	{ "purported responsible address", "RFC 4407" },
	{ "unroutable sender", COMMON },
	{ "unrouteable sender", EXIM },
	{ "not allowed to post", SISIMAI },
	{ "permission to post", COMMON },
	{ "not a member of this", COMMON },
	{ "access denied", COMMON },
	{ "\xe6\x8a\x95\xe7\xa8\xbf\xe3\x81\x99\xe3\x82\x8b\xe6\xa8\xa9\xe9\x99\x90", COMMON },
	{ "access denied (in reply to mail from command)", SISIMAI },
	{ "access denied (sender blacklisted)", SISIMAI },
	{ "administrative prohibition", SISIMAI },
	{ "batv failed to verify", SISIMAI },
	{ "batv validation failure", SISIMAI },
	{ "backscatter protection detected an invalid or expired email address", SISIMAI },
	{ "because the sender isn't on the recipient's list of senders", SISIMAI },
	{ "bogus mail from", SISIMAI },
	{ "connections not accepted from servers without a valid sender domain", SISIMAI },
	{ "denied [bouncedeny]", SISIMAI },
	{ "delivery not authorized, message refused", SISIMAI },
	{ "email address is on senderfilterconfig list", SISIMAI },
	{ "emetteur invalide", SISIMAI },
	{ "empty envelope senders not allowed", SISIMAI },
	{ "error: no third-party dsns", SISIMAI },
	{ "from: domain is invalid", SISIMAI },
	{ "fully qualified email address required", SISIMAI },
	{ "is not a registered gateway user", SISIMAI },
	{ "mail from not owned by user", SISIMAI },
	{ "email address is not verified", SISIMAI },
	{ "recipient addresses rejected : access denied", SISIMAI },
	{ "recipient not accepted. (batv: no tag", SISIMAI },
	{ "sender address has been blacklisted", SISIMAI },
	{ "sender email address rejected", SISIMAI },
	{ "sender is in my black list", SISIMAI },
	{ "sender is spammer", SISIMAI },
	{ "sender not pre-approved", SISIMAI },
	{ "sender domain is empty", SISIMAI },
	{ "syntax error: empty email address", SISIMAI },
	{ "rejected by batv defense", SISIMAI },
	{ "this server does not accept mail from", SISIMAI },
	{ "transaction failed unsigned dsn for", SISIMAI },
	{ "unroutable sender address", SISIMAI },
	{ "you are not allowed to post to this mailing list", SISIMAI },
	{ "sending to/from an address that has been blacklisted", SISIMAI },
	{ "your access to submit messages to this e-mail system has been rejected", SISIMAI },
};

/* The recipient's domain has no mail host, or does not exist. */
static const struct reason_phrase p_hostunknown[] = {
	{ "host unknown", SISIMAI },
	{ "unknown host", COMMON },
	{ "host not found", COMMON },
	{ "domain not found", COMMON },
	{ "no such domain", SISIMAI },
	{ "unknown domain", COMMON },
	{ "domain unknown", COMMON },
	{ "domain does not exist", SISIMAI },
	{ "domain name not found", COMMON },
	{ "domain is not valid", COMMON },
	{ "unrouteable mail domain", EXIM },
	{ "unroutable mail domain", COMMON },
	{ "name or service not known", SISIMAI },
	{ "host or domain name not found", POSTFIX },
	{ "illegal host", COMMON },
	{ "mx records point to non-existent", COMMON },
	{ "non-existent domain", COMMON },
	{ "nonexistent domain", COMMON },
	{ "domain could not be found", COMMON },
	{ "hostname not found", COMMON },
	{ "not a valid domain", COMMON },
	{ "unknown mail domain", COMMON },
	{ "unrouteable address", EXIM },
	{ "all relevant mx records point to non-existent hosts", EXIM },
	{ "domain is not reachable", COMMON },
	{ "dns lookup failure: host", COMMON },
	{ "account or domain may not exist", EXIM }, /* cPanel's Exim */
	{ "domain must exist", SISIMAI },
	{ "mail domain mentioned in email address is unknown", SISIMAI },
	{ "recipient address rejected: unknown domain name", SISIMAI },
};

/* Spam verdicts on the message content. */
static const struct reason_phrase p_spamdetected[] = {
	{ "spam", COMMON },
	{ "junk mail", COMMON },
	{ "unsolicited", SISIMAI },
	{ "bulk mail", COMMON },
	{ "content filter", COMMON },
	{ "message content rejected", COMMON },
	{ "uribl", COMMON },
	{ "surbl", COMMON },
	{ "blacklisted url in message", SISIMAI },
	{ "url in message", COMMON },
	{ "scored too high", COMMON },
	{ "score too high", COMMON },
	{ "high probability of being", COMMON },
	{ "rejected by the content", COMMON },
	{ "contains suspicious", COMMON },
	{ "appears to be unsolicited", SISIMAI },
	{ "block for spam", SISIMAI },
	{ "blocked by spamassassin", SISIMAI },
	{ "bulk email", SISIMAI },
	{ "considered unsolicited bulk e-mail", SISIMAI },
	{ "content filter rejection", SISIMAI },
	{ "denied due to spam list", SISIMAI },
	{ "high probability of spam", SISIMAI },
	{ "may consider spam", SISIMAI },
	{ "message considered as spam", SISIMAI },
	{ "message contains spam", SISIMAI },
	{ "message detected as spam", SISIMAI },
	{ "seems to be a spam", SISIMAI },
	{ "rejected as spam", SISIMAI },
	{ "rejected because of unacceptable content", SISIMAI },
	{ "due to suspected spam content", SISIMAI },
	{ "email server thinks this email is spam", SISIMAI },
	{ "probability of being spam", SISIMAI },
	{ "detected that this message is likely unsolicited", SISIMAI },
};

/* The sender is sending too fast. */
static const struct reason_phrase p_speeding[] = {
	{ "rate limited", SISIMAI },
	{ "please try again slower", SISIMAI },
	{ "too many messages", COMMON },
	{ "too many emails", COMMON },
	{ "sending rate", COMMON },
	{ "ratelimit", COMMON },
	/* a limit on the rate of messages (a limit on connections is
	 * toomanyconn: "connection rate limit", reason.c keeps it there) */
	{ "rate limit", COMMON },
	{ "receiving mail at a rate", GOOGLE },
};

/* Too many connections or recipients at once. */
static const struct reason_phrase p_toomanyconn[] = {
	{ "too many connections", SISIMAI },
	{ "connection rate limit exceeded", SISIMAI },
	{ "too many simultaneous", COMMON },
	{ "too many concurrent", COMMON },
	{ "connection limit", COMMON },
	{ "too many sessions", COMMON },
	{ "too many recipients", RFC5321 },
	{ "frequency limited", COMMON },
	{ "all available ips are at maximum connection limit", SISIMAI },
	{ "exceeds per-domain connection limit for", SISIMAI },
	{ "has exceeded the max emails per hour", SISIMAI },
	{ "daily message quota exceeded", SISIMAI },
	{ "maximum sending rate exceeded", SISIMAI },
	{ "too many errors from your ip", SISIMAI },
	{ "too many smtp sessions for this host", SISIMAI },
	{ "trop de connexions", SISIMAI },
};

/* The sending host (its IP, name or network) is refused. Not the bare word
 * "blocked": a message, an attachment or a sender is blocked too. */
static const struct reason_phrase p_blocked[] = {
	{ "blacklist", COMMON },
	{ "blocklist", COMMON },
	{ "block list", COMMON },
	{ "black list", COMMON },
	{ "dnsbl", COMMON },
	{ "spamhaus", SISIMAI },
	{ "spamcop", COMMON },
	{ "blocked using", SISIMAI },
	{ "rbl", COMMON },
	{ "listed in", SISIMAI },
	{ "listed at", COMMON },
	{ "listed on", COMMON },
	{ "client host rejected", POSTFIX },
	{ "client host blocked", COMMON },
	{ "helo command rejected", POSTFIX },
	{ "your ip", SISIMAI },
	{ "ip address", COMMON },
	{ "your host", COMMON },
	{ "your server", COMMON },
	{ "your network", COMMON },
	{ "dynamic ip", COMMON },
	{ "dial-up", COMMON },
	{ "dialup", COMMON },
	{ "residential", COMMON },
	{ "connection refused", SISIMAI },
	{ "connection rejected", COMMON },
	{ "refused to talk to me", SENDMAIL },
	{ "not currently accepting mail from your ip", SISIMAI },
	{ "invalid ip", COMMON },
	{ "banned", COMMON },
	{ "not allowed to send", COMMON },
	{ "after initial connection", EXIM },
	/* a 554 greeting: the server will not talk to this client at all */
	{ "no smtp service here", RFC5321 },
	{ "not accepting connections", COMMON },
	/* mail straight from a dial-up or residential host: send it through
	 * the provider's relay instead */
	{ "smtp server of your isp", COMMON },
	{ "mail server of your isp", COMMON },
	{ "use your isp", COMMON },
	{ "through your isp", COMMON },
	{ "your isp's smtp", COMMON },
	{ "your isp's mail server", COMMON },
};

/* -- Second list: reached only when none of the first matched. -- */

static const struct reason_phrase p_virusdetected[] = {
	{ "virus", SISIMAI },
	{ "malware", COMMON },
	{ "infected", SISIMAI },
	{ "trojan", COMMON },
	{ "potentially executable attachment", SISIMAI },
	{ "prohibited virus or spam content", SISIMAI },
	{ "has been used by recent viruses or other malware", SISIMAI },
	{ "virus detected", SISIMAI },
	{ "infected with a virus", SISIMAI },
};

static const struct reason_phrase p_policyviolation[] = {
	{ "denied by policy", SISIMAI },
	{ "local policy violation", SISIMAI },
	{ "closed mailing list", SISIMAI },
	{ "an illegal attachment", SISIMAI },
	{ "violation", COMMON },
	{ "policy", COMMON },
	{ "prohibited", COMMON },
	{ "because the recipient is not accepting mail with", SISIMAI },
	{ "by non-member to a members-only list", SISIMAI },
	{ "email not accepted for policy reasons", SISIMAI },
	{ "email rejected due to security policies", SISIMAI },
	{ "header are not accepted", SISIMAI },
	{ "message bounced due to organizational settings", SISIMAI },
	{ "message not accepted for policy reasons", SISIMAI },
	{ "message rejected due to local policy", SISIMAI },
	{ "rejected for policy reasons", SISIMAI },
	{ "protocol violation", SISIMAI },
	{ "is not subscribed to this group", SISIMAI },
	{ "rejected by organization policy", SISIMAI },
	{ "content presents a potential", SISIMAI },
	{ "we do not accept messages containing images or other attachments", SISIMAI },
};

static const struct reason_phrase p_systemerror[] = {
	{ "system error", COMMON },
	{ "local error", COMMON },
	{ "configuration error", COMMON },
	{ "internal error", COMMON },
	{ "server error", COMMON },
	{ "temporarily unavailable", COMMON },
	{ "service unavailable", RFC5321 },
	{ "i/o error", COMMON },
	{ "could not load", COMMON },
	{ "currently unavailable", COMMON },
	{ "queue file write error", POSTFIX },
	{ "aliasing/forwarding loop broken", SISIMAI },
	{ "can't create user output file", SISIMAI },
	{ "internal error reading data", SISIMAI },
	{ "interrupted system call", SISIMAI },
	{ "encountered an error while being processed", SISIMAI },
	{ "local configuration error", SISIMAI },
	{ "local error in processing", SISIMAI },
	{ "mail system configuration error", SISIMAI },
	{ "remote server is misconfigured", SISIMAI },
	{ "system config error", SISIMAI },
	{ "temporary local problem", SISIMAI },
	{ "timeout waiting for input", SISIMAI },
};

static const struct reason_phrase p_networkerror[] = {
	{ "no route to host", COMMON },
	{ "network is unreachable", COMMON },
	{ "malformed or unexpected name server", SENDMAIL },
	{ "name server: ", SENDMAIL },
	{ "dns lookup", COMMON },
	{ "dns error", COMMON },
	{ "dns query failed", EXCHANGE },
	{ "host unreachable", COMMON },
	{ "no answer from", COMMON },
	/* loops are routing failures (RFC 3463 X.4.6) */
	{ "mail loop", COMMON },
	{ "loops back to myself", SENDMAIL },
	{ "loop detected", COMMON },
	{ "too many hops", COMMON },
	{ "hop count", COMMON },
	{ "routing loop", RFC3463 },
	{ "could not connect and send the mail to", SISIMAI },
	{ "dns records for the destination computer could not be found", SISIMAI },
	{ "host name lookup failure", SISIMAI },
	{ "host not found, try again", SISIMAI },
	{ "mail forwarding loop for ", SISIMAI },
	{ "malformed name server reply", SISIMAI },
	{ "maximum forwarding loop count exceeded", SISIMAI },
	{ "message looping", SISIMAI },
	{ "probably in a routing loop", SISIMAI },
	{ "unable to resolve route ", SISIMAI },
};

static const struct reason_phrase p_contenterror[] = {
	{ "duplicate header", COMMON },
	{ "header error", COMMON },
	{ "headers too long", COMMON },
	{ "improper use of 8-bit", COMMON },
	{ "message header size", COMMON },
	{ "content error", COMMON },
	{ "illegal attachment", COMMON },
	{ "attachment", COMMON },
	{ "message contains", COMMON },
	{ "header size exceeds maximum permitted", SISIMAI },
	{ "message mime complexity exceeds the policy maximum", SISIMAI },
	{ "contain invalid mime headers", SISIMAI },
	{ "contain improperly-formatted binary content", SISIMAI },
	{ "unnecessary base64 encoding", SISIMAI },
};

static const struct reason_phrase p_systemfull[] = {
	{ "insufficient system storage", RFC5321 },
	{ "disk full", COMMON },
	{ "insufficient disk space", COMMON }, /* the system's disk, not a mailbox's */
	{ "file system full", COMMON },
	{ "out of disk", COMMON },
	{ "disk space", COMMON },
	{ "mail system full", SISIMAI },
	{ "requested mail action aborted: exceeded storage allocation", SISIMAI },
};

static const struct reason_phrase p_notaccept[] = {
	{ "does not accept mail", SISIMAI },
	{ "null mx", RFC7505 },
	{ "not accepting mail", COMMON },
	{ "accepts no mail", COMMON },
	{ "couldn't find a mail exchanger", COMMON },
	{ "indicated no smtp service", COMMON },
	{ "no mx record", COMMON },
	{ "not accepting network messages", COMMON },
	{ "doesn't receive email", GOOGLE }, /* its null MX report */
	{ "does not receive email", GOOGLE },
	{ "host/domain does not accept mail", SISIMAI },
	{ "host does not accept mail", SISIMAI },
	{ "no mx record found for domain=", SISIMAI },
	{ "no route for current request", SISIMAI },
};

static const struct reason_phrase p_expired[] = {
	{ "delivery time expired", SISIMAI },
	{ "connection timed out", SISIMAI },
	{ "giving up on", SISIMAI },
	{ "has been delayed", SISIMAI },
	{ "timed out", COMMON },
	{ "retry time", EXIM },
	{ "retry timeout", EXIM },
	{ "time expired", COMMON },
	{ "timeout exceeded", COMMON },
	{ "message expired", COMMON },
	{ "has expired", COMMON },
	{ "expired", COMMON },
	{ "giving up", COMMON },
	{ "gave up", COMMON },
	{ "too long", COMMON },
	{ "could not be delivered for", COMMON },
	{ "not been delivered", COMMON },
	{ "delivery attempts will continue", POSTFIX },
	{ "will retry", COMMON },
	{ "will be retried", COMMON },
	{ "still trying", COMMON },
	{ "still undelivered", COMMON },
	{ "delayed", COMMON },
	{ "in the queue", COMMON },
	{ "did not accept our requests to connect", COMMON },
	{ "failing for a long time", COMMON },
	{ "could not find a gateway for", SISIMAI },
	{ "failed to deliver to domain ", SISIMAI },
	{ "it has not been collected after", SISIMAI },
	{ "message expired after sitting in queue for", SISIMAI },
	{ "message timed out", SISIMAI },
	{ "server did not respond", SISIMAI },
	{ "this message has been in the queue too long", SISIMAI },
	{ "unable to deliver message after multiple retries", SISIMAI },
	{ "was not reachable within the allowed queue period", SISIMAI },
	{ "your message could not be delivered for more than", SISIMAI },
	/* the attempts were counted and gave out: a give-up after retries,
	 * what RFC 3463 calls X.4.7, delivery time expired ("delivery failed
	 * 20 attempts", "failed after 5 attempts") */
	{ "\tdelivery failed \t attempts", COMMON },
	{ "\tfailed after \t attempts", COMMON },
	{ "delivery attempts exhausted", COMMON },
	{ "maximum number of delivery attempts", COMMON },
	/* the time allowed for delivery ran out (X.4.7) */
	{ "not delivered within", COMMON },
	/* a delay notice: the report says the delivery is still pending
	 * (Exim's warning "has not yet been delivered"), as Action: delayed */
	{ "yet to be delivered", COMMON },
	{ "not yet been delivered", EXIM },
};

static const struct reason_phrase p_securityerror[] = {
	{ "authentication required", RFC5321 },
	{ "authentication is required", COMMON },
	{ "must issue a starttls", POSTFIX },
	{ "starttls", COMMON },
	{ "tls required", COMMON },
	{ "encryption required", COMMON },
	{ "not authorized", COMMON },
	{ "unauthorized", COMMON },
	{ "authentication failed", COMMON },
	{ "auth required", COMMON },
	{ "smtp auth", COMMON },
	{ "certificate", COMMON },
	{ "unauthenticated sender", COMMON },
	{ "security", COMMON },
	{ "account not subscribed to ses", SISIMAI },
	{ "authentication credentials invalid", SISIMAI },
	{ "authentication failure", SISIMAI },
	{ "insecure mail relay", SISIMAI },
	{ "tls required but not supported", SISIMAI },
	{ "unauthenticated senders not allowed", SISIMAI },
	{ "verification failure", SISIMAI },
};

static const struct reason_phrase p_mailererror[] = {
	{ "mailer error", COMMON },
	{ "x-unix", RFC3464 },
	{ "command died", POSTFIX },
	{ "command failed", COMMON },
	{ "pipe to", EXIM },
	{ "child process of", EXIM },
	{ "procmail", SISIMAI },
	{ "exit code", COMMON },
	{ "exited with", COMMON },
	{ "program", COMMON },
	/* a local delivery agent failing on its files */
	{ "couldn't create", COMMON },
	{ "can't create", COMMON },
	{ "cannot create", COMMON },
	{ "couldn't open", COMMON },
	{ "can't open", COMMON },
	{ "cannot open", COMMON },
	{ "permission denied", COMMON },
	{ "couldn't write", COMMON },
};

static const struct reason_phrase p_syntaxerror[] = {
	{ "syntax error", RFC5321 },        { "command unrecognized", RFC5321 },
	{ "unrecognized command", COMMON }, { "bad sequence", RFC5321 },
	{ "not implemented", RFC5321 },     { "malformed address", COMMON },
};

static const struct reason_phrase p_onhold[] = {
	{ "on hold", COMMON },
};

#define GROUP(r, a) \
	{ \
		r, a, N(a) \
	}
static const struct reason_group groups[] = {
	GROUP(BOUNCE_REASON_MAILBOXFULL, p_mailboxfull),
	GROUP(BOUNCE_REASON_MESGTOOBIG, p_mesgtoobig),
	GROUP(BOUNCE_REASON_EXCEEDLIMIT, p_exceedlimit),
	GROUP(BOUNCE_REASON_SUSPEND, p_suspend),
	GROUP(BOUNCE_REASON_HASMOVED, p_hasmoved),
	GROUP(BOUNCE_REASON_NORELAYING, p_norelaying),
	GROUP(BOUNCE_REASON_AUTHFAILURE, p_authfailure),
	GROUP(BOUNCE_REASON_USERUNKNOWN, p_userunknown),
	GROUP(BOUNCE_REASON_FILTERED, p_filtered),
	GROUP(BOUNCE_REASON_REQUIREPTR, p_requireptr),
	GROUP(BOUNCE_REASON_NOTCOMPLIANTRFC, p_notcompliantrfc),
	GROUP(BOUNCE_REASON_BADREPUTATION, p_badreputation),
	GROUP(BOUNCE_REASON_REJECTED, p_rejected),
	GROUP(BOUNCE_REASON_HOSTUNKNOWN, p_hostunknown),
	GROUP(BOUNCE_REASON_SPAMDETECTED, p_spamdetected),
	GROUP(BOUNCE_REASON_SPEEDING, p_speeding),
	GROUP(BOUNCE_REASON_TOOMANYCONN, p_toomanyconn),
	GROUP(BOUNCE_REASON_BLOCKED, p_blocked),
	GROUP(BOUNCE_REASON_VIRUSDETECTED, p_virusdetected),
	GROUP(BOUNCE_REASON_POLICYVIOLATION, p_policyviolation),
	GROUP(BOUNCE_REASON_SYSTEMERROR, p_systemerror),
	GROUP(BOUNCE_REASON_NETWORKERROR, p_networkerror),
	GROUP(BOUNCE_REASON_CONTENTERROR, p_contenterror),
	GROUP(BOUNCE_REASON_SYSTEMFULL, p_systemfull),
	GROUP(BOUNCE_REASON_NOTACCEPT, p_notaccept),
	GROUP(BOUNCE_REASON_EXPIRED, p_expired),
	GROUP(BOUNCE_REASON_SECURITYERROR, p_securityerror),
	GROUP(BOUNCE_REASON_MAILERERROR, p_mailererror),
	GROUP(BOUNCE_REASON_SYNTAXERROR, p_syntaxerror),
	GROUP(BOUNCE_REASON_ONHOLD, p_onhold),
};

/* The order of the guarded rules: the specific conditions of the mailbox
 * (full, too big, suspended, moved) before "unknown", the recipient's
 * fate before the sender's, and the broad host refusals last (the order
 * Sisimai established, SISIMAI: Reason.pm). */
const enum bounce_reason reason_order_first[] = {
	BOUNCE_REASON_MAILBOXFULL,  BOUNCE_REASON_MESGTOOBIG,      BOUNCE_REASON_EXCEEDLIMIT,
	BOUNCE_REASON_SUSPEND,      BOUNCE_REASON_HASMOVED,        BOUNCE_REASON_NORELAYING,
	BOUNCE_REASON_AUTHFAILURE,  BOUNCE_REASON_USERUNKNOWN,     BOUNCE_REASON_FILTERED,
	BOUNCE_REASON_REQUIREPTR,   BOUNCE_REASON_NOTCOMPLIANTRFC, BOUNCE_REASON_BADREPUTATION,
	BOUNCE_REASON_REJECTED,     BOUNCE_REASON_NOTACCEPT,       BOUNCE_REASON_HOSTUNKNOWN,
	BOUNCE_REASON_SPAMDETECTED, BOUNCE_REASON_SPEEDING,        BOUNCE_REASON_TOOMANYCONN,
	BOUNCE_REASON_BLOCKED,
};
const size_t reason_order_first_n = N(reason_order_first);

const enum bounce_reason reason_order_second[] = {
	BOUNCE_REASON_MAILBOXFULL,     BOUNCE_REASON_AUTHFAILURE,  BOUNCE_REASON_BADREPUTATION,
	BOUNCE_REASON_SPEEDING,        BOUNCE_REASON_SPAMDETECTED, BOUNCE_REASON_VIRUSDETECTED,
	BOUNCE_REASON_POLICYVIOLATION, BOUNCE_REASON_NORELAYING,   BOUNCE_REASON_SYSTEMERROR,
	BOUNCE_REASON_NETWORKERROR,    BOUNCE_REASON_SUSPEND,      BOUNCE_REASON_CONTENTERROR,
	BOUNCE_REASON_SYSTEMFULL,      BOUNCE_REASON_NOTACCEPT,    BOUNCE_REASON_EXPIRED,
	BOUNCE_REASON_SECURITYERROR,   BOUNCE_REASON_MAILERERROR,  BOUNCE_REASON_SYNTAXERROR,
	BOUNCE_REASON_ONHOLD,
};
const size_t reason_order_second_n = N(reason_order_second);

static bool phrase_in(const struct bounce_text *t, const char *ph)
{
	if (ph[0] != '\t')
		return bounce_text_find(t, ph) != NULL;
	/* an ordered pair: the first part, then the second after it */
	ph++;
	const char *tab = strchr(ph, '\t');
	if (!tab)
		return false;
	char first[64];
	size_t n = (size_t)(tab - ph);
	if (n >= sizeof(first))
		return false;
	memcpy(first, ph, n);
	first[n] = '\0';
	const char *a = bounce_text_find(t, first);
	if (!a)
		return false;
	size_t off = (size_t)(a - t->low.data) + n;
	return bounce_memfind(t->low.data + off, t->low.len - off, tab + 1, strlen(tab + 1)) !=
	        NULL;
}

bool reason_text_says(enum bounce_reason r, const struct bounce_text *t)
{
	if (!t || t->low.len == 0)
		return false;
	for (size_t g = 0; g < N(groups); g++) {
		if (groups[g].reason != r)
			continue;
		for (size_t i = 0; i < groups[g].n; i++)
			if (phrase_in(t, groups[g].v[i].text))
				return true;
		return false;
	}
	return false;
}

bool reason_rejected_excluded(const struct bounce_text *t)
{
	static const struct reason_phrase not_sender[] = {
		{ "recipient address rejected", POSTFIX },
		{ "5.1.0 address rejected", SISIMAI },
		{ "sender ip address rejected", SISIMAI },
	};
	for (size_t i = 0; i < N(not_sender); i++)
		if (bounce_text_find(t, not_sender[i].text))
			return true;
	return false;
}

/* What an enhanced status code means, by class.subject.detail. A 4.x.x
 * code not listed reads as its 5.x.x twin. */
static const struct {
	const char *code;
	enum bounce_reason reason;
	const char *origin;
} status_table[] = {
	{ "5.1.0", BOUNCE_REASON_USERUNKNOWN, RFC3463 }, /* other address status */
	{ "5.1.1", BOUNCE_REASON_USERUNKNOWN, RFC3463 }, /* bad destination mailbox */
	{ "5.1.2", BOUNCE_REASON_HOSTUNKNOWN, RFC3463 }, /* bad destination system */
	{ "5.1.3", BOUNCE_REASON_USERUNKNOWN, RFC3463 }, /* bad destination syntax */
	{ "5.1.4", BOUNCE_REASON_FILTERED, SISIMAI },    /* ambiguous destination */
	{ "5.1.6", BOUNCE_REASON_HASMOVED, RFC3463 },    /* mailbox has moved */
	{ "5.1.7", BOUNCE_REASON_REJECTED, RFC3463 },    /* bad sender's mailbox */
	{ "5.1.8", BOUNCE_REASON_REJECTED, RFC3463 },    /* bad sender's system */
	{ "5.1.10", BOUNCE_REASON_NOTACCEPT, RFC7505 },  /* null MX */
	{ "5.2.0", BOUNCE_REASON_FILTERED, RFC3463 },    /* other mailbox status */
	{ "5.2.1", BOUNCE_REASON_FILTERED, RFC3463 },    /* mailbox disabled */
	{ "5.2.2", BOUNCE_REASON_MAILBOXFULL, RFC3463 }, /* mailbox full */
	{ "5.2.3", BOUNCE_REASON_EXCEEDLIMIT, RFC3463 }, /* message too long for mailbox */
	{ "5.2.4", BOUNCE_REASON_FILTERED, RFC3463 },    /* list expansion problem */
	{ "5.3.0", BOUNCE_REASON_SYSTEMERROR, RFC3463 },
	{ "5.3.1", BOUNCE_REASON_SYSTEMFULL, RFC3463 }, /* mail system full */
	{ "5.3.2", BOUNCE_REASON_NOTACCEPT, RFC3463 },  /* not accepting messages */
	{ "5.3.3", BOUNCE_REASON_SYSTEMERROR, RFC3463 },
	{ "5.3.4", BOUNCE_REASON_MESGTOOBIG, RFC3463 }, /* message too big for system */
	{ "5.3.5", BOUNCE_REASON_SYSTEMERROR, RFC3463 },
	{ "5.4.0", BOUNCE_REASON_NETWORKERROR, RFC3463 },
	{ "5.4.3", BOUNCE_REASON_SYSTEMERROR, RFC3463 },  /* directory server failure */
	{ "5.4.4", BOUNCE_REASON_HOSTUNKNOWN, RFC3463 },  /* unable to route */
	{ "5.4.6", BOUNCE_REASON_NETWORKERROR, RFC3463 }, /* routing loop */
	{ "5.4.7", BOUNCE_REASON_EXPIRED, RFC3463 },      /* delivery time expired */
	{ "5.5.2", BOUNCE_REASON_SYNTAXERROR, RFC3463 },
	{ "5.5.3", BOUNCE_REASON_TOOMANYCONN, RFC3463 }, /* too many recipients */
	{ "5.5.4", BOUNCE_REASON_SYSTEMERROR, RFC3463 },
	{ "5.5.6", BOUNCE_REASON_SYNTAXERROR, RFC3463 },
	{ "5.6.0", BOUNCE_REASON_CONTENTERROR, RFC3463 },
	{ "5.6.1", BOUNCE_REASON_CONTENTERROR, RFC3463 },
	{ "5.6.2", BOUNCE_REASON_CONTENTERROR, RFC3463 },
	{ "5.6.3", BOUNCE_REASON_CONTENTERROR, RFC3463 },
	{ "5.6.5", BOUNCE_REASON_CONTENTERROR, RFC3463 },
	{ "5.7.1", BOUNCE_REASON_SECURITYERROR, RFC3463 }, /* delivery not authorized */
	{ "5.7.2", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.3", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.4", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.5", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.6", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.7", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.8", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.9", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.10", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.13", BOUNCE_REASON_SUSPEND, RFC3463 }, /* user account disabled */
	{ "5.7.14", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.15", BOUNCE_REASON_SECURITYERROR, RFC3463 },
	{ "5.7.17", BOUNCE_REASON_HASMOVED, RFC3463 },    /* mailbox owner has changed */
	{ "5.7.18", BOUNCE_REASON_HASMOVED, RFC3463 },    /* domain owner has changed */
	{ "5.7.20", BOUNCE_REASON_AUTHFAILURE, RFC7372 }, /* no passing DKIM signature */
	{ "5.7.21", BOUNCE_REASON_AUTHFAILURE, RFC7372 },
	{ "5.7.22", BOUNCE_REASON_AUTHFAILURE, RFC7372 },
	{ "5.7.23", BOUNCE_REASON_AUTHFAILURE, RFC7372 }, /* SPF validation failed */
	{ "5.7.24", BOUNCE_REASON_AUTHFAILURE, RFC7372 },
	{ "5.7.25", BOUNCE_REASON_REQUIREPTR, RFC7372 },   /* reverse DNS failed */
	{ "5.7.26", BOUNCE_REASON_AUTHFAILURE, RFC7372 },  /* multiple checks failed */
	{ "5.7.27", BOUNCE_REASON_NOTACCEPT, RFC7505 },    /* sender address has null MX */
	{ "5.7.28", BOUNCE_REASON_SPAMDETECTED, RFC3463 }, /* mail flood (IANA registry) */
	{ "5.7.29", BOUNCE_REASON_AUTHFAILURE, RFC3463 },  /* ARC validation failure */
	{ "5.7.30", BOUNCE_REASON_AUTHFAILURE, RFC8461 },  /* REQUIRETLS */
	{ "4.2.1", BOUNCE_REASON_SUSPEND, SISIMAI },       /* mailbox disabled, for now */
	{ "4.3.1", BOUNCE_REASON_SYSTEMFULL, RFC3463 },
	{ "4.3.2", BOUNCE_REASON_NOTACCEPT, RFC3463 },
	{ "4.4.1", BOUNCE_REASON_EXPIRED, RFC3463 },      /* no answer from host */
	{ "4.4.2", BOUNCE_REASON_NETWORKERROR, RFC3463 }, /* bad connection */
	{ "4.4.4", BOUNCE_REASON_NETWORKERROR, RFC3463 }, /* unable to route, for now */
	{ "4.4.5", BOUNCE_REASON_SYSTEMFULL, RFC3463 },   /* system congestion */
	{ "4.4.6", BOUNCE_REASON_NETWORKERROR, RFC3463 },
	{ "4.4.7", BOUNCE_REASON_EXPIRED, RFC3463 },
	{ "4.4.8", BOUNCE_REASON_NETWORKERROR, RFC3463 },
	{ "4.7.1", BOUNCE_REASON_BLOCKED, SISIMAI },
	{ "4.7.2", BOUNCE_REASON_BLOCKED, SISIMAI },
	/* too generic to mean anything by themselves */
	{ "4.3.0", BOUNCE_REASON_UNDEFINED, RFC3463 },
	{ "4.4.0", BOUNCE_REASON_UNDEFINED, RFC3463 },
	{ "4.5.0", BOUNCE_REASON_UNDEFINED, RFC3463 },
	{ "4.7.0", BOUNCE_REASON_UNDEFINED, RFC3463 },
};

enum bounce_reason reason_of_status(const char *status)
{
	if (!status || (status[0] != '4' && status[0] != '5') || status[1] != '.')
		return BOUNCE_REASON_UNDEFINED;
	for (size_t i = 0; i < N(status_table); i++)
		if (!strcmp(status_table[i].code, status))
			return status_table[i].reason;
	if (status[0] == '4')
		for (size_t i = 0; i < N(status_table); i++)
			if (status_table[i].code[0] == '5' &&
			    !strcmp(status_table[i].code + 1, status + 1))
				return status_table[i].reason;
	return BOUNCE_REASON_UNDEFINED;
}

/* -- The reporting MTA's own messages -- */

/* Each MTA writes a fixed set of messages for the failures it finds
 * itself (not relayed from a remote server); their meaning is the MTA's.
 * An entry applies only to a report whose text carries the MTA's marker
 * (NULL: the message identifies its MTA by itself). The mapping of these
 * messages was learned from Sisimai's decoders (SISIMAI); the messages are
 * the MTAs' (file names of their sources in the comments). */
struct mta_rule {
	const char *marker;
	const char *phrase;
	enum bounce_reason reason;
	const char *origin;
};

#define EXIM_MARK "this message was created automatically by mail delivery software"
#define QMAIL_MARK "this is the qmail-send program"
#define OPENSMTPD_MARK "this is the mailer-daemon, please do not reply"
#define COURIER_MARK "undeliverable mail"

static const struct mta_rule mta_rules[] = {
	/* Exim: route.c, routers/dnslookup.c, transports/smtp.c */
	{ EXIM_MARK, "all host address lookups failed permanently", BOUNCE_REASON_HOSTUNKNOWN,
	  EXIM },
	{ EXIM_MARK, "all relevant mx records point to non-existent hosts",
	  BOUNCE_REASON_HOSTUNKNOWN, EXIM },
	{ EXIM_MARK, "unrouteable address", BOUNCE_REASON_HOSTUNKNOWN, EXIM },
	/* transports/appendfile.c */
	{ EXIM_MARK, "mailbox is full", BOUNCE_REASON_MAILBOXFULL, EXIM },
	{ EXIM_MARK, "error: quota exceed", BOUNCE_REASON_MAILBOXFULL, EXIM },
	{ EXIM_MARK, "an mx or srv record indicated no smtp service", BOUNCE_REASON_NOTACCEPT,
	  EXIM },
	{ EXIM_MARK, "no host found for existing smtp connection", BOUNCE_REASON_NOTACCEPT, EXIM },
	/* parser.c */
	{ EXIM_MARK, "angle-brackets nested too deep", BOUNCE_REASON_SYNTAXERROR, EXIM },
	{ EXIM_MARK, "expected word or \"<\"", BOUNCE_REASON_SYNTAXERROR, EXIM },
	{ EXIM_MARK, "domain missing in source-routed address", BOUNCE_REASON_SYNTAXERROR, EXIM },
	{ EXIM_MARK, "malformed address:", BOUNCE_REASON_SYNTAXERROR, EXIM },
	/* deliver.c, transports/pipe.c */
	{ EXIM_MARK, "delivery to file forbidden", BOUNCE_REASON_SYSTEMERROR, EXIM },
	{ EXIM_MARK, "delivery to pipe forbidden", BOUNCE_REASON_SYSTEMERROR, EXIM },
	{ EXIM_MARK, "local delivery failed", BOUNCE_REASON_SYSTEMERROR, EXIM },
	{ EXIM_MARK, "lmtp error after ", BOUNCE_REASON_SYSTEMERROR, EXIM },
	{ EXIM_MARK, "too many \"received\" headers", BOUNCE_REASON_CONTENTERROR, EXIM },
	/* retry.c, transports/smtp.c, deliver.c: given up after retrying */
	{ EXIM_MARK, "retry timeout exceeded", BOUNCE_REASON_EXPIRED, EXIM },
	{ EXIM_MARK, "retry time not reached for any host after a long failure period",
	  BOUNCE_REASON_EXPIRED, EXIM },
	{ EXIM_MARK, "all hosts have been failing for a long time", BOUNCE_REASON_EXPIRED, EXIM },
	{ EXIM_MARK, "has been frozen", BOUNCE_REASON_EXPIRED, EXIM },
	{ EXIM_MARK, "was frozen on arrival by ", BOUNCE_REASON_EXPIRED, EXIM },

	/* qmail-remote.c's own sentences, which qmail's descendants keep even
	 * where they change qmail-send's greeting */
	{ NULL, "sorry, i couldn't find a mail exchanger or ip address", BOUNCE_REASON_NOTACCEPT,
	  QMAIL },
	{ NULL, "sorry, i wasn't able to establish an smtp connection", BOUNCE_REASON_NETWORKERROR,
	  QMAIL },
	/* the remote host refused our name at HELO, or did not greet */
	{ NULL, "but my name was rejected", BOUNCE_REASON_BLOCKED, QMAIL },
	{ NULL, "but greeting failed", BOUNCE_REASON_BLOCKED, QMAIL },
	/* qmail: qmail-local.c, qmail-remote.c, error_str.c, qmail-smtpd.c */
	{ QMAIL_MARK, "no mailbox here by that name", BOUNCE_REASON_USERUNKNOWN, QMAIL },
	{ QMAIL_MARK, "disk quota exceeded", BOUNCE_REASON_MAILBOXFULL, QMAIL },
	{ QMAIL_MARK, "message size exceeds fixed maximum message size:", BOUNCE_REASON_MESGTOOBIG,
	  QMAIL },
	{ QMAIL_MARK, "sorry, i couldn't find any host ", BOUNCE_REASON_HOSTUNKNOWN, QMAIL },
	{ QMAIL_MARK, "mailbox unavailable (not enough free space)", BOUNCE_REASON_SYSTEMFULL,
	  QMAIL },
	{ QMAIL_MARK, "bad interpreter: no such file or directory", BOUNCE_REASON_SYSTEMERROR,
	  QMAIL },
	{ QMAIL_MARK, "although i'm listed as a best-preference mx or a for that host",
	  BOUNCE_REASON_NETWORKERROR, QMAIL },
	/* qmail-ldap (its directory could not be asked; its own refusals) */
	{ QMAIL_MARK, "unable to contact ldap server", BOUNCE_REASON_SYSTEMERROR, QMAIL },
	{ QMAIL_MARK, "mailaddress is administrativley disabled", BOUNCE_REASON_SUSPEND, QMAIL },
	{ QMAIL_MARK, "mailaddress is administratively disabled", BOUNCE_REASON_SUSPEND, QMAIL },
	{ QMAIL_MARK, "the message exeeded the maximum size the user accepts",
	  BOUNCE_REASON_EXCEEDLIMIT, QMAIL },
	{ QMAIL_MARK, "this message has been in the queue too long.", BOUNCE_REASON_EXPIRED,
	  QMAIL },

	/* OpenSMTPD: smtpd/queue.c, smtpd/mta.c */
	{ OPENSMTPD_MARK, "envelope expired", BOUNCE_REASON_EXPIRED, "OpenSMTPD" },
	{ OPENSMTPD_MARK, "invalid domain name", BOUNCE_REASON_HOSTUNKNOWN, "OpenSMTPD" },
	{ OPENSMTPD_MARK, "domain does not exist", BOUNCE_REASON_HOSTUNKNOWN, "OpenSMTPD" },
	{ OPENSMTPD_MARK, "destination seem to reject all mails", BOUNCE_REASON_NOTACCEPT,
	  "OpenSMTPD" },
	{ OPENSMTPD_MARK, "address family mismatch on destination mxs", BOUNCE_REASON_NETWORKERROR,
	  "OpenSMTPD" },
	{ OPENSMTPD_MARK, "all routes to destination blocked", BOUNCE_REASON_NETWORKERROR,
	  "OpenSMTPD" },
	{ OPENSMTPD_MARK, "bad dns lookup error code", BOUNCE_REASON_NETWORKERROR, "OpenSMTPD" },
	{ OPENSMTPD_MARK, "could not retrieve source address", BOUNCE_REASON_NETWORKERROR,
	  "OpenSMTPD" },
	{ OPENSMTPD_MARK, "loop detected", BOUNCE_REASON_NETWORKERROR, "OpenSMTPD" },
	{ OPENSMTPD_MARK, "network error on destination mxs", BOUNCE_REASON_NETWORKERROR,
	  "OpenSMTPD" },
	{ OPENSMTPD_MARK, "no mx found for d", BOUNCE_REASON_NOTACCEPT, "OpenSMTPD" },
	{ OPENSMTPD_MARK, "no valid route to ", BOUNCE_REASON_NETWORKERROR, "OpenSMTPD" },
	{ OPENSMTPD_MARK, "temporary failure in mx lookup", BOUNCE_REASON_NETWORKERROR,
	  "OpenSMTPD" },
	{ OPENSMTPD_MARK, "could not retrieve credentials", BOUNCE_REASON_SECURITYERROR,
	  "OpenSMTPD" },

	/* Courier: module.esmtp/esmtpclient.c */
	{ COURIER_MARK, "no such domain.", BOUNCE_REASON_HOSTUNKNOWN, COURIER },
	{ COURIER_MARK, "this domain's dns violates rfc 1035.", BOUNCE_REASON_SYSTEMERROR,
	  COURIER },
	{ COURIER_MARK, "dns lookup failed.", BOUNCE_REASON_NETWORKERROR, COURIER },

	/* Exchange 2007 and later: the enhanced identifiers of its NDRs */
	{ NULL, "smtpsend.dns.nonexistentdomain", BOUNCE_REASON_HOSTUNKNOWN, EXCHANGE },
	{ NULL, "smtpsend.dns.mxloopback", BOUNCE_REASON_NETWORKERROR, EXCHANGE },
	{ NULL, "resolver.adr.badprimary", BOUNCE_REASON_SYSTEMERROR, EXCHANGE },
	{ NULL, "resolver.adr.recipnotfound", BOUNCE_REASON_USERUNKNOWN, EXCHANGE },
	{ NULL, "resolver.adr.exrecipnotfound", BOUNCE_REASON_USERUNKNOWN, EXCHANGE },
	{ NULL, "resolver.adr.recipientnotfound", BOUNCE_REASON_USERUNKNOWN, EXCHANGE },
	{ NULL, "resolver.adr.reciplimit", BOUNCE_REASON_TOOMANYCONN, EXCHANGE },
	{ NULL, "resolver.adr.invalidinsmtp", BOUNCE_REASON_SYSTEMERROR, EXCHANGE },
	{ NULL, "resolver.adr.ambiguous", BOUNCE_REASON_SYSTEMERROR, EXCHANGE },
	{ NULL, "resolver.rst.authrequired", BOUNCE_REASON_SECURITYERROR, EXCHANGE },
	{ NULL, "resolver.rst.notauthorized", BOUNCE_REASON_REJECTED, EXCHANGE },
	{ NULL, "resolver.rst.recipsizelimit", BOUNCE_REASON_MESGTOOBIG, EXCHANGE },
	{ NULL, "queue.expired", BOUNCE_REASON_EXPIRED, EXCHANGE },
	/* Exchange 2003: its diagnostic identifiers */
	{ NULL, "000c05a6", BOUNCE_REASON_USERUNKNOWN, EXCHANGE },
	{ NULL, "00010256", BOUNCE_REASON_SYSTEMERROR, EXCHANGE },
	{ NULL, "000d06b5", BOUNCE_REASON_SYSTEMERROR, EXCHANGE },
	{ NULL, "00120270", BOUNCE_REASON_NETWORKERROR, EXCHANGE },
	{ NULL, "00050311", BOUNCE_REASON_CONTENTERROR, EXCHANGE },
	{ NULL, "000502cc", BOUNCE_REASON_CONTENTERROR, EXCHANGE },
	{ NULL, "000b0981", BOUNCE_REASON_SECURITYERROR, EXCHANGE },
	{ NULL, "000c0595", BOUNCE_REASON_FILTERED, EXCHANGE },
	/* Gmail's own reports (the messages of Google's mail system) */
	{ NULL, "dns error: could not contact dns servers", BOUNCE_REASON_EXPIRED, GOOGLE },
	{ NULL, "delivery to the following recipient has been delayed", BOUNCE_REASON_EXPIRED,
	  GOOGLE },
	{ NULL, "the recipient server did not accept our requests to connect",
	  BOUNCE_REASON_EXPIRED, GOOGLE },
	{ NULL, "dns error: domain name not found", BOUNCE_REASON_HOSTUNKNOWN, GOOGLE },
	{ NULL, "dns error: dns server returned answer with no data", BOUNCE_REASON_HOSTUNKNOWN,
	  GOOGLE },
	/* KDDI (au) */
	{ NULL, "due to the following smtp relay error", BOUNCE_REASON_NORELAYING, "KDDI" },
	{ NULL, "as the remote domain doesnt exist", BOUNCE_REASON_HOSTUNKNOWN, "KDDI" },
	/* Sendmail's local delivery agent (mail.local.c) */
	{ NULL, "mail.local: unknown user", BOUNCE_REASON_USERUNKNOWN, SENDMAIL },
	/* Mail-security gateways that relay a domain's mail to its own server
	 * and list, in their own report format, the recipients that server
	 * refused: McAfee's Email Gateway ("deliveryproblems.txt") and
	 * MessageLabs. A per-format table, as the reference classifier keeps
	 * one for each of these formats (SISIMAI, lib/Sisimai/Lhost/McAfee.pm
	 * and MessageLabs.pm): in them an unknown-user reply is about the
	 * address. Other gateways' formats are not read this way (SurfControl,
	 * MXLogic: their reports name no stage, and such a reply stays the
	 * filter's answer). */
	{ "--- the following addresses had delivery problems ---", "unknown user",
	  BOUNCE_REASON_USERUNKNOWN, SISIMAI },
	{ "--- the following addresses had delivery problems ---", "no such user",
	  BOUNCE_REASON_USERUNKNOWN, SISIMAI },
	{ "--- the following addresses had delivery problems ---", "user not exist",
	  BOUNCE_REASON_USERUNKNOWN, SISIMAI },
	{ "this is the mail delivery agent at messagelabs.com", "no such user",
	  BOUNCE_REASON_USERUNKNOWN, SISIMAI },
	{ "this is the mail delivery agent at messagelabs.com", "unknown user",
	  BOUNCE_REASON_USERUNKNOWN, SISIMAI },
	/* IMail Server (Ipswitch): its own directory lookup */
	{ NULL, "invalid final delivery userid", BOUNCE_REASON_USERUNKNOWN, "IMail" },
	/* InterScan Messaging Security Suite: its own notification */
	{ "message from interscan messaging security suite", "please check if address is correct",
	  BOUNCE_REASON_USERUNKNOWN, "InterScan MSS" },
	/* Google's and Microsoft's own reports of a recipient they looked up */
	{ NULL, "because the address couldn't be found", BOUNCE_REASON_USERUNKNOWN, GOOGLE },
	/* Verizon's MMS gateway (MMSC) */
	{ NULL, "no valid recipients for this mm", BOUNCE_REASON_USERUNKNOWN, "Verizon MMSC" },
	/* Lotus Domino and Notes */
	{ NULL,
	  "\xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa\xe3\x81\xab\xe3\x81\xaf\xe8\xa6\x8b\xe3\x81\xa4\xe3\x81\x8b\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93",
	  BOUNCE_REASON_USERUNKNOWN, DOMINO }, /* not found in the directory (ja) */
	{ NULL,
	  "\xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa\xe3\x81\xae\xe3\x83\xaa\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xab\xe3\x81\x82\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93",
	  BOUNCE_REASON_USERUNKNOWN, DOMINO }, /* not in the directory's list (ja) */
	{ NULL, "not listed in domino directory", BOUNCE_REASON_USERUNKNOWN, DOMINO },
	{ NULL, "not listed in public name & address book", BOUNCE_REASON_USERUNKNOWN, DOMINO },
	{ NULL, "non r\xc3\xa9pertori\xc3\xa9 dans l'annuaire domino", BOUNCE_REASON_USERUNKNOWN,
	  DOMINO },
	{ NULL, "cannot route mail to user", BOUNCE_REASON_FILTERED, DOMINO },
	{ NULL, "several matches found in domino directory", BOUNCE_REASON_SYSTEMERROR, DOMINO },
	{ NULL, "message has exceeded maximum hop count", BOUNCE_REASON_NETWORKERROR, DOMINO },
};

/* PowerMTA's bounce categories: the sending MTA's own per-recipient
 * classification of the reply (X-PowerMTA-BounceCategory, in the
 * delivery-status group of each recipient; the category names are those
 * of PowerMTA's documented bounce-category patterns and accounting
 * records). Categories that name no single cause (other, protocol-errors,
 * routing-errors, bad-configuration) are left out. */
static const struct {
	const char *name;
	enum bounce_reason reason;
} bounce_categories[] = {
	{ "bad-mailbox", BOUNCE_REASON_USERUNKNOWN },
	{ "bad-domain", BOUNCE_REASON_HOSTUNKNOWN },
	{ "inactive-mailbox", BOUNCE_REASON_SUSPEND },
	{ "quota-issues", BOUNCE_REASON_MAILBOXFULL },
	{ "message-expired", BOUNCE_REASON_EXPIRED },
	{ "no-answer-from-host", BOUNCE_REASON_NETWORKERROR },
	{ "bad-connection", BOUNCE_REASON_NETWORKERROR },
	{ "relaying-issues", BOUNCE_REASON_NORELAYING },
	{ "invalid-sender", BOUNCE_REASON_REJECTED },
	{ "spam-related", BOUNCE_REASON_SPAMDETECTED },
	{ "virus-related", BOUNCE_REASON_VIRUSDETECTED },
	{ "policy-related", BOUNCE_REASON_POLICYVIOLATION },
	{ "content-related", BOUNCE_REASON_CONTENTERROR },
};

enum bounce_reason reason_of_category(struct slice name)
{
	name = slice_trim(name);
	for (size_t i = 0; i < N(bounce_categories); i++)
		if (slice_case_eq_cstr(name, bounce_categories[i].name))
			return bounce_categories[i].reason;
	return BOUNCE_REASON_UNDEFINED;
}

enum bounce_reason reason_of_mta(const struct bounce_text *report, const struct bounce_text *t)
{
	const char *last_marker = NULL;
	bool marked = false;
	if (!t || !t->low.len)
		return BOUNCE_REASON_UNDEFINED;
	for (size_t i = 0; i < N(mta_rules); i++) {
		const struct mta_rule *r = &mta_rules[i];
		if (r->marker != last_marker) {
			last_marker = r->marker;
			marked = !r->marker || (report && bounce_text_find(report, r->marker));
		}
		if (marked && bounce_text_find(t, r->phrase))
			return r->reason;
	}
	return BOUNCE_REASON_UNDEFINED;
}

/* -- Receivers with their own dialect, keyed on the host that answered -- */

struct provider_rule {
	const char *status; /* exact code, or NULL: any */
	const char *phrase; /* lower case, or NULL: any */
	enum bounce_reason reason;
	const char *origin;
};

/* Google: support.google.com/a/answer/3726730 (SMTP error reference). */
static const struct provider_rule r_google[] = {
	{ NULL, "ip not in whitelist for rcpt domain", BOUNCE_REASON_BLOCKED, GOOGLE },
	{ NULL, "unusual rate of unsolicited mail originating from your ip", BOUNCE_REASON_BLOCKED,
	  GOOGLE },
	{ NULL, "not authorized to send email directly to our servers", BOUNCE_REASON_BLOCKED,
	  GOOGLE },
	{ NULL, "helo/ehlo argument is invalid", BOUNCE_REASON_BLOCKED, GOOGLE },
	{ NULL, "very low reputation of the sending ip", BOUNCE_REASON_BADREPUTATION, GOOGLE },
	{ NULL, "does not have a ptr record setup", BOUNCE_REASON_REQUIREPTR, GOOGLE },
	{ "5.7.25", NULL, BOUNCE_REASON_REQUIREPTR, GOOGLE },
	{ NULL, "due to domain's dmarc policy", BOUNCE_REASON_AUTHFAILURE, GOOGLE },
	{ NULL, "fails to pass authentication checks", BOUNCE_REASON_AUTHFAILURE, GOOGLE },
	{ NULL, "fails to pass spf checks", BOUNCE_REASON_AUTHFAILURE, GOOGLE },
	{ "5.7.26", NULL, BOUNCE_REASON_AUTHFAILURE, GOOGLE },
	{ NULL, "mail message is malformed", BOUNCE_REASON_CONTENTERROR, GOOGLE },
	{ NULL, "exceeded google's message size limits", BOUNCE_REASON_EXCEEDLIMIT, GOOGLE },
	{ NULL, "timeout - closing connection", BOUNCE_REASON_EXPIRED, GOOGLE },
	{ NULL, "account that you tried to reach is over quota", BOUNCE_REASON_MAILBOXFULL,
	  GOOGLE },
	{ NULL, "email quota exceeded", BOUNCE_REASON_MAILBOXFULL, GOOGLE },
	{ "4.2.2", NULL, BOUNCE_REASON_MAILBOXFULL, GOOGLE },
	{ "5.2.2", NULL, BOUNCE_REASON_MAILBOXFULL, GOOGLE },
	{ NULL, "this may indicate a mail loop", BOUNCE_REASON_NETWORKERROR, GOOGLE },
	{ NULL, "mail relay denied", BOUNCE_REASON_NORELAYING, GOOGLE },
	{ NULL, "multiple addresses in from: header", BOUNCE_REASON_NOTCOMPLIANTRFC, GOOGLE },
	{ NULL, "has a policy that prohibited", BOUNCE_REASON_POLICYVIOLATION, GOOGLE },
	{ NULL, "illegal attachment", BOUNCE_REASON_POLICYVIOLATION, GOOGLE },
	{ NULL, "content presents a potential security issue", BOUNCE_REASON_POLICYVIOLATION,
	  GOOGLE },
	{ NULL, "mail sending denied", BOUNCE_REASON_REJECTED, GOOGLE },
	{ NULL, "unauthenticated email is not accepted from this domain", BOUNCE_REASON_AUTHFAILURE,
	  GOOGLE },
	{ NULL, "tls required for rcpt domain", BOUNCE_REASON_SECURITYERROR, GOOGLE },
	{ NULL, "likely unsolicited mail", BOUNCE_REASON_SPAMDETECTED, GOOGLE },
	{ NULL, "account that you tried to reach is disabled", BOUNCE_REASON_SUSPEND, GOOGLE },
	{ NULL, "account that you tried to reach is inactive", BOUNCE_REASON_SUSPEND, GOOGLE },
	{ NULL, "temporary system problem", BOUNCE_REASON_SYSTEMERROR, GOOGLE },
	{ NULL, "server busy", BOUNCE_REASON_SYSTEMERROR, GOOGLE },
	{ NULL, "mail server temporarily rejected message", BOUNCE_REASON_SYSTEMERROR, GOOGLE },
	{ NULL, "your message has too many recipients", BOUNCE_REASON_TOOMANYCONN, GOOGLE },
	{ NULL, "is receiving mail too quickly", BOUNCE_REASON_SPEEDING, GOOGLE },
	{ NULL, "receiving mail at a rate that prevents", BOUNCE_REASON_SPEEDING, GOOGLE },
	{ NULL, "relay limit exceeded", BOUNCE_REASON_TOOMANYCONN, GOOGLE },
	{ NULL, "daily sending quota exceeded", BOUNCE_REASON_TOOMANYCONN, GOOGLE },
	{ NULL, "account that you tried to reach does not exist", BOUNCE_REASON_USERUNKNOWN,
	  GOOGLE },
	{ NULL, "weren't able to find the recipient domain", BOUNCE_REASON_HOSTUNKNOWN, GOOGLE },
};

/* Microsoft 365 / Outlook: learn.microsoft.com, "Email non-delivery
 * reports and SMTP errors in Exchange Online". */
static const struct provider_rule r_microsoft[] = {
	{ "5.1.10", NULL, BOUNCE_REASON_USERUNKNOWN, MICROSOFT }, /* recipient not found */
	/* directory-based edge blocking: no such recipient in the tenant */
	{ "5.4.1", "recipient address rejected: access denied", BOUNCE_REASON_USERUNKNOWN,
	  MICROSOFT },
	{ "5.7.504", NULL, BOUNCE_REASON_SUSPEND, MICROSOFT },
	{ NULL, "access denied, banned recipient", BOUNCE_REASON_SUSPEND, MICROSOFT },
	{ NULL, "mailbox cannot be accessed", BOUNCE_REASON_SUSPEND, MICROSOFT },
	{ NULL, "requested action not taken: mailbox unavailable", BOUNCE_REASON_USERUNKNOWN,
	  MICROSOFT },
	{ "5.7.509", NULL, BOUNCE_REASON_AUTHFAILURE, MICROSOFT },
	{ "5.7.515", NULL, BOUNCE_REASON_AUTHFAILURE, MICROSOFT },
	{ NULL, "does not pass dmarc verification", BOUNCE_REASON_AUTHFAILURE, MICROSOFT },
	{ NULL, "sender policy framework violation", BOUNCE_REASON_AUTHFAILURE, MICROSOFT },
	{ NULL, "must have a reverse dns record", BOUNCE_REASON_REQUIREPTR, MICROSOFT },
	{ "5.7.606", NULL, BOUNCE_REASON_BLOCKED, MICROSOFT },
	{ "5.7.708", NULL, BOUNCE_REASON_BLOCKED, MICROSOFT },
	{ NULL, "access denied, banned sending ip", BOUNCE_REASON_BLOCKED, MICROSOFT },
	{ NULL, "access denied, bad helo", BOUNCE_REASON_BLOCKED, MICROSOFT },
	{ NULL, "does not accept email over ipv6", BOUNCE_REASON_BLOCKED, MICROSOFT },
	{ NULL, "using customer block list", BOUNCE_REASON_BLOCKED, MICROSOFT },
	{ NULL, "part of their network is on our block list", BOUNCE_REASON_BLOCKED, MICROSOFT },
	{ "4.7.650", NULL, BOUNCE_REASON_BADREPUTATION, MICROSOFT },
	{ "5.7.650", NULL, BOUNCE_REASON_BADREPUTATION, MICROSOFT },
	{ NULL, "rate limited due to ip reputation", BOUNCE_REASON_BADREPUTATION, MICROSOFT },
	{ NULL, "content filter agent quarantined this message", BOUNCE_REASON_SPAMDETECTED,
	  MICROSOFT },
	{ "5.2.2", "submission quota exceeded", BOUNCE_REASON_TOOMANYCONN, MICROSOFT },
	{ "5.2.2", NULL, BOUNCE_REASON_MAILBOXFULL, MICROSOFT },
	{ NULL, "the recipient has exceeded their limit for", BOUNCE_REASON_TOOMANYCONN,
	  MICROSOFT },
	{ NULL, "per hour message receive limit", BOUNCE_REASON_TOOMANYCONN, MICROSOFT },
	{ NULL, "has exceeded permitted limits within", BOUNCE_REASON_TOOMANYCONN, MICROSOFT },
	{ NULL, "tenant has exceeded threshold", BOUNCE_REASON_TOOMANYCONN, MICROSOFT },
	{ "5.7.124", NULL, BOUNCE_REASON_REJECTED, MICROSOFT }, /* not an allowed sender */
	{ "5.7.129", NULL, BOUNCE_REASON_REJECTED, MICROSOFT }, /* restricted group */
	{ "5.7.133", NULL, BOUNCE_REASON_REJECTED, MICROSOFT }, /* sender not authenticated */
	{ "5.7.134", NULL, BOUNCE_REASON_REJECTED, MICROSOFT },
	{ "5.7.135", NULL, BOUNCE_REASON_REJECTED, MICROSOFT },
	{ "5.7.136", NULL, BOUNCE_REASON_REJECTED, MICROSOFT },
	{ NULL, "message too big for system", BOUNCE_REASON_MESGTOOBIG, MICROSOFT },
	{ NULL, "queue expired; message expired", BOUNCE_REASON_EXPIRED, MICROSOFT },
};

/* Yahoo: senders.yahooinc.com/smtp-error-codes. */
static const struct provider_rule r_yahoo[] = {
	{ NULL, "user doesn't have a", BOUNCE_REASON_USERUNKNOWN, YAHOO },
	{ NULL, "mailbox is inactive", BOUNCE_REASON_SUSPEND, YAHOO },
};

/* Mimecast: its SMTP error code page (community.mimecast.com, linked from
 * its replies). */
static const struct provider_rule r_mimecast[] = {
	/* the sending network is outside a Permitted Senders policy */
	{ NULL, "host network not allowed", BOUNCE_REASON_POLICYVIOLATION, "Mimecast error codes" },
};

/* Cloudflare Email Routing: its postmaster page (developers.cloudflare.com,
 * email-routing/postmaster), linked from its replies. */
static const struct provider_rule r_cloudflare[] = {
	/* the mailbox provider it forwards to failed, for now */
	{ NULL, "upstream error", BOUNCE_REASON_SYSTEMERROR, "Cloudflare postmaster" },
};

/* Zoho Mail: a receiving domain's own filters, set by its administrator,
 * refuse mail from chosen senders (smtp.codes/zoho, Zoho's reply catalogue):
 * the sender was refused, not the address. */
static const struct provider_rule r_zoho[] = {
	{ NULL, "mail rejected by destination domain", BOUNCE_REASON_REJECTED, "Zoho error codes" },
	{ NULL, "mailbox delivery restricted by policy", BOUNCE_REASON_REJECTED,
	  "Zoho error codes" },
};

/* Google Groups: the recipient is a group, which refuses posts from
 * those not allowed to post (Google Groups help, "posting permissions"). */
static const struct provider_rule r_googlegroups[] = {
	{ NULL, "spam", BOUNCE_REASON_SPAMDETECTED, GOOGLE },
	{ NULL, NULL, BOUNCE_REASON_REJECTED, GOOGLE },
};

static const struct {
	const char *suffix;
	const struct provider_rule *v;
	size_t n;
} providers[] = {
	{ ".googlegroups.com", r_googlegroups, N(r_googlegroups) },
	{ ".google.com", r_google, N(r_google) },
	{ ".googlemail.com", r_google, N(r_google) },
	{ ".outlook.com", r_microsoft, N(r_microsoft) },
	{ ".hotmail.com", r_microsoft, N(r_microsoft) },
	{ ".yahoodns.net", r_yahoo, N(r_yahoo) },
	{ ".mimecast.com", r_mimecast, N(r_mimecast) },
	{ ".mx.cloudflare.net", r_cloudflare, N(r_cloudflare) },
	{ ".yahoo.com", r_yahoo, N(r_yahoo) },
	{ ".zoho.com", r_zoho, N(r_zoho) },
	{ ".zohomail.com", r_zoho, N(r_zoho) },
};

static bool host_is(const char *rhost, const char *suffix)
{
	size_t h = strlen(rhost), s = strlen(suffix);
	if (h >= s && !strcmp(rhost + h - s, suffix))
		return true;
	return h + 1 == s && !strcmp(rhost, suffix + 1);
}

/* A provider's numbered refusal identifiers. */
struct provider_code {
	unsigned code;
	int reason; /* -1: documented as naming no cause */
};

/* The number of digits-only identifier after prefix in the lowered text
 * t ("lpn007_416": prefix "lpn", then the digits); width digits at most;
 * -1 when absent. */
static long code_after(const struct bounce_text *t, const char *prefix, size_t width)
{
	const char *s = t->low.data;
	size_t len = t->low.len, pl = strlen(prefix);
	const char *p = bounce_text_find(t, prefix);
	while (p) {
		size_t i = (size_t)(p - s) + pl, n = 0;
		long v = 0;
		while (i + n < len && n < width && s[i + n] >= '0' && s[i + n] <= '9')
			v = v * 10 + (s[i + n] - '0'), n++;
		if (n)
			return v;
		size_t off = (size_t)(p - s) + 1;
		p = off < len ? bounce_memfind(s + off, len - off, prefix, pl) : NULL;
	}
	return -1;
}

static int code_lookup(const struct provider_code *v, size_t n, long code)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].code == (unsigned long)code)
			return v[i].reason;
	return -2;
}

/* Orange and La Poste end a refusal with an identifier "LPN007_416",
 * "OFR005_505" or "LPNAAA_416"; the last three digits are the reason
 * (ORANGE: postmaster.orange.fr, error codes). */
static const struct provider_code orange_codes[] = {
	{ 101, BOUNCE_REASON_BLOCKED },
	{ 102, BOUNCE_REASON_BLOCKED },
	{ 103, BOUNCE_REASON_BLOCKED },
	{ 104, BOUNCE_REASON_TOOMANYCONN },
	{ 105, -1 },
	{ 107, -1 },
	{ 108, -1 },
	{ 109, -1 },
	{ 201, -1 },
	{ 305, BOUNCE_REASON_SECURITYERROR },
	{ 401, BOUNCE_REASON_BLOCKED },
	{ 402, BOUNCE_REASON_SECURITYERROR },
	{ 403, BOUNCE_REASON_REJECTED },
	{ 405, BOUNCE_REASON_REJECTED },
	{ 415, BOUNCE_REASON_REJECTED },
	{ 416, BOUNCE_REASON_USERUNKNOWN },
	{ 417, BOUNCE_REASON_MAILBOXFULL },
	{ 418, BOUNCE_REASON_USERUNKNOWN },
	{ 420, BOUNCE_REASON_SUSPEND },
	{ 421, BOUNCE_REASON_REJECTED },
	{ 423, -1 },
	{ 424, -1 },
	{ 426, BOUNCE_REASON_SUSPEND },
	{ 505, BOUNCE_REASON_SYSTEMERROR },
	{ 506, BOUNCE_REASON_SPAMDETECTED },
	{ 510, BOUNCE_REASON_BLOCKED },
	{ 513, -1 },
	{ 514, BOUNCE_REASON_MESGTOOBIG },
	{ 517, BOUNCE_REASON_POLICYVIOLATION },
	{ 630, BOUNCE_REASON_POLICYVIOLATION },
	{ 999, BOUNCE_REASON_BLOCKED },
};

static int orange_reason(const struct bounce_text *t)
{
	static const char *const prefixes[] = { "lpnaaa_", "lpn", "ofr", "ouk" };
	for (size_t k = 0; k < N(prefixes); k++) {
		const char *s = t->low.data;
		size_t pl = strlen(prefixes[k]);
		for (const char *p = bounce_text_find(t, prefixes[k]); p;) {
			size_t i = (size_t)(p - s) + pl, len = t->low.len;
			/* "_416", or "007_416" / "007-416" */
			if (i + 4 <= len && s[i] == '_')
				i++;
			else if (i + 7 <= len && s[i + 3] == '_')
				i += 4;
			else if (i + 7 <= len && s[i + 3] == '-')
				i += 4;
			else
				i = len;
			if (i + 3 <= len && s[i] >= '0' && s[i] <= '9' && s[i + 1] >= '0' &&
			    s[i + 1] <= '9' && s[i + 2] >= '0' && s[i + 2] <= '9') {
				long code = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 +
				        (s[i + 2] - '0');
				int r = code_lookup(orange_codes, N(orange_codes), code);
				return r == -2 ? -1 : r;
			}
			size_t off = (size_t)(p - s) + 1;
			p = off < len ? bounce_memfind(s + off, len - off, prefixes[k], pl) : NULL;
		}
	}
	return -2;
}

/* GoDaddy: "... IB104" (GODADDY: godaddy.com help, "bounce codes"). */
static const struct provider_code godaddy_codes[] = {
	{ 103, BOUNCE_REASON_BLOCKED },
	{ 104, BOUNCE_REASON_BLOCKED },
	{ 105, BOUNCE_REASON_BLOCKED },
	{ 106, BOUNCE_REASON_BLOCKED },
	{ 7, BOUNCE_REASON_TOOMANYCONN },
	{ 101, BOUNCE_REASON_EXPIRED },
	{ 108, BOUNCE_REASON_BLOCKED },
	{ 110, BOUNCE_REASON_BLOCKED },
	{ 111, BOUNCE_REASON_BLOCKED },
	{ 112, BOUNCE_REASON_BLOCKED },
	{ 113, BOUNCE_REASON_BLOCKED },
	{ 212, BOUNCE_REASON_SPAMDETECTED },
	{ 401, BOUNCE_REASON_SECURITYERROR },
	{ 501, BOUNCE_REASON_REJECTED },
	{ 502, BOUNCE_REASON_REJECTED },
	{ 504, BOUNCE_REASON_TOOMANYCONN },
	{ 506, BOUNCE_REASON_REJECTED },
	{ 508, BOUNCE_REASON_AUTHFAILURE },
	{ 510, BOUNCE_REASON_TOOMANYCONN },
	{ 607, BOUNCE_REASON_SPEEDING }, /* recipients per hour: a rate, not a crowd */
	{ 705, BOUNCE_REASON_VIRUSDETECTED },
};
static const struct provider_rule r_godaddy[] = {
	{ NULL, "account disabled", BOUNCE_REASON_SUSPEND, "GoDaddy help" },
	{ NULL, "account storage limit", BOUNCE_REASON_MAILBOXFULL, "GoDaddy help" },
	{ NULL, "account does not exist", BOUNCE_REASON_USERUNKNOWN, "GoDaddy help" },
	{ NULL, "recipient not found", BOUNCE_REASON_USERUNKNOWN, "GoDaddy help" },
	{ NULL, "delivery timeout", BOUNCE_REASON_EXPIRED, "GoDaddy help" },
	{ NULL, "rbl reject", BOUNCE_REASON_BLOCKED, "GoDaddy help" },
};

/* Spectrum (Charter): "AUP#1260"; numbers and ranges (SPECTRUM:
 * spectrum.net support, "email error codes"). */
static int spectrum_reason(long code)
{
	static const struct {
		long lo, hi;
		enum bounce_reason reason;
	} ranges[] = {
		{ 1000, 1000, BOUNCE_REASON_BLOCKED },
		{ 1010, 1010, BOUNCE_REASON_REJECTED },
		{ 1020, 1080, BOUNCE_REASON_REJECTED },
		{ 1090, 1090, BOUNCE_REASON_SYSTEMERROR },
		{ 1100, 1150, BOUNCE_REASON_BLOCKED },
		{ 1160, 1190, BOUNCE_REASON_POLICYVIOLATION },
		{ 1200, 1250, BOUNCE_REASON_BLOCKED },
		{ 1260, 1260, BOUNCE_REASON_NETWORKERROR },
		{ 1300, 1490, BOUNCE_REASON_TOOMANYCONN },
		{ 1500, 1520, BOUNCE_REASON_REJECTED },
		{ 1530, 1530, BOUNCE_REASON_MESGTOOBIG },
		{ 1540, 1550, BOUNCE_REASON_TOOMANYCONN },
		{ 1560, 1560, BOUNCE_REASON_POLICYVIOLATION },
	};
	for (size_t i = 0; i < N(ranges); i++)
		if (code >= ranges[i].lo && code <= ranges[i].hi)
			return ranges[i].reason;
	return -2;
}

/* Spectrum writes "AUP#1260", or with the direction, "AUP#In-1310",
 * "AUP#Out-1000". */
static int spectrum_code(const struct bounce_text *t)
{
	static const char *const prefixes[] = { "aup#in-", "aup#out-", "aup#" };
	for (size_t i = 0; i < N(prefixes); i++) {
		long c = code_after(t, prefixes[i], 4);
		if (c >= 0)
			return spectrum_reason(c);
	}
	return -2;
}

/* Cox: "AUP#CXBL" and the like (COX: cox.com, "email error codes"). */
static const struct provider_rule r_cox[] = {
	{ NULL, "aup#cxbl", BOUNCE_REASON_BLOCKED, "Cox error codes" },
	{ NULL, "aup#cdrbl", BOUNCE_REASON_BLOCKED, "Cox error codes" },
	{ NULL, "aup#cxdns", BOUNCE_REASON_BLOCKED, "Cox error codes" },
	{ NULL, "aup#ipbl", BOUNCE_REASON_BLOCKED, "Cox error codes" },
	{ NULL, "aup#cxthrt", BOUNCE_REASON_SECURITYERROR, "Cox error codes" },
	{ NULL, "aup#cxmj", BOUNCE_REASON_SECURITYERROR, "Cox error codes" },
	{ NULL, "aup#cxsndr", BOUNCE_REASON_REJECTED, "Cox error codes" },
	{ NULL, "aup#cxsmtp", BOUNCE_REASON_REJECTED, "Cox error codes" },
	{ NULL, "aup#cxcnct", BOUNCE_REASON_TOOMANYCONN, "Cox error codes" },
	{ NULL, "aup#cxmxrt", BOUNCE_REASON_TOOMANYCONN, "Cox error codes" },
	{ NULL, "aup#urlbl", BOUNCE_REASON_SPAMDETECTED, "Cox error codes" },
	{ NULL, "rejected - no rdns", BOUNCE_REASON_BLOCKED, "Cox error codes" },
	{ NULL, "too many invalid recipients", BOUNCE_REASON_BLOCKED, "Cox error codes" },
	{ NULL, "too many sessions from", BOUNCE_REASON_TOOMANYCONN, "Cox error codes" },
	{ NULL, "message threshold exceeded", BOUNCE_REASON_TOOMANYCONN, "Cox error codes" },
	{ NULL, "sender rejected", BOUNCE_REASON_REJECTED, "Cox error codes" },
	{ NULL, "recipient rejected", BOUNCE_REASON_USERUNKNOWN, "Cox error codes" },
};

/* i.ua (Ukraine): "... .i.ua/err/2" (IUA: its error page). */
static const struct provider_code iua_codes[] = {
	{ 1, BOUNCE_REASON_NORELAYING },  { 2, BOUNCE_REASON_USERUNKNOWN },
	{ 3, BOUNCE_REASON_SUSPEND },     { 4, BOUNCE_REASON_MAILBOXFULL },
	{ 5, BOUNCE_REASON_TOOMANYCONN }, { 6, BOUNCE_REASON_NORELAYING },
	{ 7, BOUNCE_REASON_BLOCKED },     { 8, BOUNCE_REASON_REJECTED },
	{ 9, BOUNCE_REASON_BLOCKED },     { 10, BOUNCE_REASON_FILTERED },
};

/* Tencent QQ mail (TENCENT: its postmaster pages). */
static const struct provider_rule r_tencent[] = {
	{ NULL, "dmarc check failed", BOUNCE_REASON_AUTHFAILURE, "Tencent postmaster" },
	{ NULL, "spf check failed", BOUNCE_REASON_AUTHFAILURE, "Tencent postmaster" },
	{ NULL, "suspected spam ip", BOUNCE_REASON_BLOCKED, "Tencent postmaster" },
	{ NULL, "mail is rejected by recipients", BOUNCE_REASON_FILTERED, "Tencent postmaster" },
	{ NULL, "message too large", BOUNCE_REASON_MESGTOOBIG, "Tencent postmaster" },
	{ NULL, "mail content denied", BOUNCE_REASON_SPAMDETECTED, "Tencent postmaster" },
	{ NULL, "spam is embedded in the email", BOUNCE_REASON_SPAMDETECTED, "Tencent postmaster" },
	{ NULL, "suspected spam", BOUNCE_REASON_SPAMDETECTED, "Tencent postmaster" },
	{ NULL, "bad address syntax", BOUNCE_REASON_SYNTAXERROR, "Tencent postmaster" },
	{ NULL, "frequency limited", BOUNCE_REASON_TOOMANYCONN, "Tencent postmaster" },
	{ NULL, "connection denied", BOUNCE_REASON_TOOMANYCONN, "Tencent postmaster" },
	{ NULL, "mailbox unavailable or access denied", BOUNCE_REASON_TOOMANYCONN,
	  "Tencent postmaster" },
	{ NULL, "mailbox not found", BOUNCE_REASON_USERUNKNOWN, "Tencent postmaster" },
};

/* KDDI au: its reply names the address when the address is unknown, and
 * leaves the slot empty when the recipient's own filter refused the
 * sender (KDDI: au mail sender guidance). */
static const struct provider_rule r_kddi[] = {
	{ NULL, "550 : user unknown", BOUNCE_REASON_FILTERED, "KDDI" },
	{ NULL, ">: user unknown", BOUNCE_REASON_USERUNKNOWN, "KDDI" },
};

/* NTT docomo: its hosts answer a message refused by the recipient's
 * reception settings (mail from chosen domains or addresses only) with
 * "550 Unknown user" after the data, not at RCPT TO: the sender was
 * refused, the address exists (DOCOMO: its guidance for senders on
 * reception refusal); X.2.0 is the recipient's own filter. */
static const struct provider_rule r_docomo[] = {
	{ "5.2.0", NULL, BOUNCE_REASON_FILTERED, "NTT docomo" },
	{ NULL, "unknown user", BOUNCE_REASON_REJECTED, "NTT docomo" },
};

static int rules_reason(const struct provider_rule *v, size_t n, const char *status,
                        const struct bounce_text *t)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].status && strcmp(v[i].status, status))
			continue;
		if (v[i].phrase && !bounce_text_find(t, v[i].phrase))
			continue;
		return v[i].reason;
	}
	return -2;
}

int reason_of_provider(const char *rhost, const char *status, const struct bounce_text *t)
{
	int r = -2;
	if (!rhost || !rhost[0] || !t || !t->low.len)
		return -1;
	if (host_is(rhost, ".orange.fr") || host_is(rhost, ".wanadoo.fr") ||
	    host_is(rhost, ".laposte.net")) {
		r = orange_reason(t);
	} else if (host_is(rhost, ".secureserver.net")) {
		long c = code_after(t, " ib", 3);
		r = c >= 0 ? code_lookup(godaddy_codes, N(godaddy_codes), c) : -2;
		if (r == -2)
			r = rules_reason(r_godaddy, N(r_godaddy), status, t);
	} else if (host_is(rhost, ".charter.net")) {
		r = spectrum_code(t);
	} else if (host_is(rhost, ".cox.net")) {
		r = rules_reason(r_cox, N(r_cox), status, t);
	} else if (host_is(rhost, ".cloudfilter.net")) {
		/* the inbound hosts of both Cox and Spectrum: Cox's identifiers
		 * are letters ("AUP#CXBL"), Spectrum's numbers ("AUP#1260") */
		r = rules_reason(r_cox, N(r_cox), status, t);
		if (r == -2)
			r = spectrum_code(t);
	} else if (host_is(rhost, ".email.ua")) {
		long c = code_after(t, ".i.ua/err/", 2);
		r = c >= 0 ? code_lookup(iua_codes, N(iua_codes), c) : -2;
	} else if (host_is(rhost, ".qq.com")) {
		r = rules_reason(r_tencent, N(r_tencent), status, t);
	} else if (host_is(rhost, ".docomo.ne.jp")) {
		r = rules_reason(r_docomo, N(r_docomo), status, t);
	} else if (host_is(rhost, ".ezweb.ne.jp") || host_is(rhost, ".au.com")) {
		r = rules_reason(r_kddi, N(r_kddi), status, t);
	} else {
		for (size_t p = 0; p < N(providers) && r == -2; p++)
			if (host_is(rhost, providers[p].suffix))
				r = rules_reason(providers[p].v, providers[p].n, status, t);
	}
	if (r == -2)
		return -1;
	return r < 0 ? BOUNCE_REASON_UNDEFINED : r;
}
