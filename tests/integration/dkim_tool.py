#!/usr/bin/python3
# tests/integration/dkim_tool.py — real DKIM signing and verification
# (Debian python3-dkim) for dmarc.sh, with keys looked up in the test's own
# DNS server on loopback (python3-dnspython), never the system resolver.
#
#   dkim_tool.py sign KEY.pem DOMAIN SELECTOR < msg > signed
#   dkim_tool.py verify DNS_PORT < msg        prints "pass d=DOMAIN" or
#                                             "fail d=DOMAIN (reason)" or "none"
#   dkim_tool.py attached DNS_PORT < msg      the same for the first
#                                             message/rfc822 part of msg
import email
import email.policy
import sys

import dkim
import dns.resolver


def resolver(port):
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ['127.0.0.1']
    r.port = int(port)
    r.lifetime = 5

    def txt(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        try:
            ans = r.resolve(n.rstrip('.'), 'TXT')
        except Exception:
            return None
        for rr in ans:
            return b''.join(rr.strings)
        return None
    return txt


def verify(msg, port):
    head = msg.split(b'\r\n\r\n', 1)[0].lower()
    if not head.startswith(b'dkim-signature:') and b'\ndkim-signature:' not in head:
        return 'none'
    d = dkim.DKIM(msg)
    try:
        ok = d.verify(dnsfunc=resolver(port))
    except dkim.DKIMException as e:
        return 'fail d=%s (%s)' % ((d.domain or b'?').decode(), e)
    dom = (d.domain or b'?').decode()
    if ok:
        return 'pass d=%s' % dom
    return 'fail d=%s (signature does not verify)' % dom


def attached(msg):
    """The bytes of the first message/rfc822 part, as they were in msg."""
    m = email.message_from_bytes(msg, policy=email.policy.compat32)
    boundary = m.get_boundary()
    if not boundary:
        return None
    delim = b'--' + boundary.encode()
    for part in msg.split(delim)[1:]:
        head, sep, body = part.partition(b'\r\n\r\n')
        if b'message/rfc822' in head.lower():
            # the CRLF before the next delimiter belongs to the delimiter
            return body[:-2] if body.endswith(b'\r\n') else body
    return None


def main():
    cmd = sys.argv[1]
    msg = sys.stdin.buffer.read()
    if cmd == 'sign':
        key = open(sys.argv[2], 'rb').read()
        sig = dkim.sign(msg, sys.argv[4].encode(), sys.argv[3].encode(), key,
                        canonicalize=(b'relaxed', b'relaxed'))
        sys.stdout.buffer.write(sig + msg)
    elif cmd == 'verify':
        print(verify(msg, sys.argv[2]))
    elif cmd == 'attached':
        inner = attached(msg)
        print('no attachment' if inner is None else verify(inner, sys.argv[2]))
    else:
        sys.exit('usage: dkim_tool.py sign|verify|attached ...')


if __name__ == '__main__':
    main()
