#!/usr/bin/env python3
"""tests/mta/smtp.py — one SMTP transaction to a loopback MTA for the live
MTA tests.

    smtp.py PORT FROM RCPT... < MESSAGE

FROM may be "" (the null sender). With SMTP_XCLIENT="ADDR=192.0.2.1 ..."
in the environment the session first asks Postfix to treat it as coming
from that client (XCLIENT; the server must authorise it). Prints one line per step:
"MAIL <code> <text>", "RCPT <addr> <code> <text>", "DATA <code> <text>".
Exit 0 when every recipient and the data were accepted, 1 when anything
was refused, 2 on connection trouble. The message is sent as read (LF line
ends become CRLF on the wire)."""
import os
import smtplib
import sys


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    msg = sys.stdin.buffer.read()
    refused = 0
    try:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30)
        s.ehlo("client.test")
        xclient = os.environ.get("SMTP_XCLIENT")
        if xclient:
            code, text = s.docmd("XCLIENT", xclient)
            print("XCLIENT %d %s" % (code, text.decode(errors="replace")))
            if code != 220:
                return 2
            s.ehlo("client.test")
        code, text = s.mail(sender)
        print("MAIL %d %s" % (code, text.decode(errors="replace")))
        if code != 250:
            s.quit()
            return 1
        ok = 0
        for r in rcpts:
            code, text = s.rcpt(r)
            print("RCPT <%s> %d %s" % (r, code, text.decode(errors="replace")))
            if code in (250, 251):
                ok += 1
            else:
                refused = 1
        if ok:
            try:
                code, text = s.data(msg)
            except smtplib.SMTPDataError as e:
                code, text = e.smtp_code, e.smtp_error
            print("DATA %d %s" % (code, text.decode(errors="replace")))
            if code != 250:
                refused = 1
        s.quit()
    except (OSError, smtplib.SMTPException) as e:
        print("ERROR %s" % e)
        return 2
    return refused


if __name__ == "__main__":
    sys.exit(main())
