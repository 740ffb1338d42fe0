#!/usr/bin/python3
# tests/live-bounces/rx.py DIR PORT PORT_GREET — the receiving side of the live-bounce test:
# one SMTP server on 127.0.0.1 that answers each recipient as its local part
# asks, so every failure is induced on purpose and labelled by construction.
# Listens on 127.0.0.1:PORT, and on 127.0.0.2:PORT_GREET with a "554"
# greeting (a refusal at connect; another address, so that an MTA that
# marks a refusing host as down still delivers to the first); writes DIR/ready once both listen, then serves until
# killed.
#
# Recipients in any domain but origin.test, by the local part's first word
# (up to "-"):
#   ok        accepted
#   unknown   550 5.1.1 at RCPT (no such mailbox)
#   full      552 5.2.2 at RCPT (mailbox over quota)
#   relay     554 5.7.1 at RCPT (relaying refused)
#   temp      451 4.3.0 at RCPT, every time (until the sender gives up)
#   big       accepted at RCPT; 552 5.3.4 after the data (message too big)
#   spam      accepted at RCPT; 550 5.7.1 after the data (a content verdict)
#   lateuser  accepted at RCPT; 550 5.1.1 "user unknown" after the data
#             (words about the address, said about the message)
#   anything else: 550 5.1.1
# A transaction whose accepted recipients ask for different verdicts after
# the data gets the first one's. Mail to origin.test (the test senders'
# domain, where the bounces come back) is accepted and kept: message N as
# DIR/in/N.eml, its envelope as DIR/in/N.env ("from=", "rcpt=" lines).
import os
import socketserver
import sys
import threading

out = sys.argv[1]
os.makedirs(os.path.join(out, 'in'), exist_ok=True)
lock = threading.Lock()
count = 0

RCPT = {
    'unknown': '550 5.1.1 <%s>: no such mailbox here',
    'full': '552 5.2.2 <%s>: mailbox over quota, it cannot take more mail',
    'relay': '554 5.7.1 <%s>: relaying denied, this host does not serve that domain',
    'temp': '451 4.3.0 <%s>: please retry later',
}
AFTER_DATA = {
    'big': '552 5.3.4 message size exceeds the limit of this system',
    'spam': '550 5.7.1 message rejected as spam by the content filter',
    'lateuser': '550 5.1.1 <%s>: user unknown',
}
ACCEPT_FIRST = ('ok', 'big', 'spam', 'lateuser')


def word(addr):
    local = addr.split('@', 1)[0].lower()
    return local.split('-', 1)[0]


def store(sender, rcpts, data):
    global count
    with lock:
        count += 1
        n = count
    base = os.path.join(out, 'in', '%d' % n)
    with open(base + '.tmp', 'wb') as f:
        f.write(bytes(data))
    with open(base + '.env', 'w') as f:
        f.write('from=%s\n' % sender)
        for r in rcpts:
            f.write('rcpt=%s\n' % r)
    os.rename(base + '.tmp', base + '.eml')


class Session(socketserver.StreamRequestHandler):
    timeout = 60
    greeting = '220 rx.test ESMTP receiving side of the live-bounce test'

    def reply(self, line):
        self.wfile.write(line.encode() + b'\r\n')
        self.wfile.flush()

    def handle(self):
        self.reply(self.greeting)
        if self.greeting.startswith('5'):
            # RFC 5321 3.1: after a 554 greeting the server waits for QUIT
            while True:
                line = self.rfile.readline(4096)
                if not line or line[:4].upper() == b'QUIT':
                    self.reply('221 2.0.0 bye')
                    return
                self.reply('503 5.5.1 no service here')
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            text = line.decode('utf-8', 'replace').rstrip('\r\n')
            verb = text[:4].upper()
            if verb == 'EHLO':
                self.reply('250-rx.test\r\n250-8BITMIME\r\n250-SIZE 10240000\r\n250 ENHANCEDSTATUSCODES')
            elif verb == 'HELO':
                self.reply('250 rx.test')
            elif verb == 'MAIL':
                sender, rcpts = text[10:].split('>', 1)[0].lstrip('<'), []
                self.reply('250 2.1.0 sender ok')
            elif verb == 'RCPT':
                addr = text[8:].split('>', 1)[0].lstrip('<').strip()
                w = word(addr)
                if addr.lower().endswith('@origin.test') or w in ACCEPT_FIRST:
                    rcpts.append(addr)
                    self.reply('250 2.1.5 recipient ok')
                else:
                    self.reply(RCPT.get(w, '550 5.1.1 <%s>: no such mailbox here') % addr)
            elif verb == 'DATA':
                if not rcpts:
                    self.reply('554 5.5.1 no valid recipients')
                    continue
                self.reply('354 go ahead')
                data = bytearray()
                while True:
                    ln = self.rfile.readline(1 << 20)
                    if not ln or ln == b'.\r\n':
                        break
                    if ln.startswith(b'.'):
                        ln = ln[1:]
                    data += ln
                verdict = None
                for r in rcpts:
                    if word(r) in AFTER_DATA and not r.lower().endswith('@origin.test'):
                        verdict = AFTER_DATA[word(r)] % r if '%s' in AFTER_DATA[word(r)] \
                            else AFTER_DATA[word(r)]
                        break
                if verdict:
                    self.reply(verdict)
                else:
                    kept = [r for r in rcpts if r.lower().endswith('@origin.test')]
                    if kept:
                        store(sender, kept, data)
                    self.reply('250 2.0.0 accepted')
                sender, rcpts = None, []
            elif verb == 'RSET':
                sender, rcpts = None, []
                self.reply('250 2.0.0 reset')
            elif verb == 'NOOP':
                self.reply('250 2.0.0 ok')
            elif verb == 'QUIT':
                self.reply('221 2.0.0 bye')
                return
            else:
                self.reply('502 5.5.2 command not implemented')


class GreetRefused(Session):
    greeting = '554 5.7.1 rx.test: no SMTP service for your host'


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


main = Server(('127.0.0.1', int(sys.argv[2])), Session)
greet = Server(('127.0.0.2', int(sys.argv[3])), GreetRefused)
threading.Thread(target=greet.serve_forever, daemon=True).start()
open(os.path.join(out, 'ready'), 'w').close()
main.serve_forever()
