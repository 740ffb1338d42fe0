#!/usr/bin/python3
# tests/integration/rawsink.py DIR — a minimal SMTP receiver on 127.0.0.1
# that keeps every message byte for byte (smtp-sink's dump rewrites line
# ends and drops empty lines, which a DKIM check cannot use). Writes the
# chosen port to DIR/port, message N (from 1) to DIR/msg.N (CRLF, dot-
# unstuffed) and its envelope to DIR/msg.N.env, then the count to
# DIR/count. Plain ESMTP: no PIPELINING, CHUNKING or TLS offered. Runs until
# killed.
import os
import socketserver
import sys
import threading

out = sys.argv[1]
lock = threading.Lock()
count = 0


class Session(socketserver.StreamRequestHandler):
    timeout = 60

    def reply(self, line):
        self.wfile.write(line.encode() + b'\r\n')

    def handle(self):
        global count
        self.reply('220 rawsink ESMTP')
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b'EHLO', b'HELO'):
                self.reply('250-rawsink\r\n250-8BITMIME\r\n250 SMTPUTF8'
                           if verb == b'EHLO' else '250 rawsink')
            elif verb == b'MAIL':
                sender, rcpts = line[10:].strip().decode('utf-8', 'replace'), []
                self.reply('250 2.1.0 ok')
            elif verb == b'RCPT':
                rcpts.append(line[8:].strip().decode('utf-8', 'replace'))
                self.reply('250 2.1.5 ok')
            elif verb == b'DATA':
                self.reply('354 go on')
                data = bytearray()
                while True:
                    ln = self.rfile.readline(1 << 20)
                    if not ln or ln == b'.\r\n':
                        break
                    if ln.startswith(b'.'):
                        ln = ln[1:]
                    data += ln
                with lock:
                    count += 1
                    n = count
                    with open(os.path.join(out, 'msg.%d' % n), 'wb') as f:
                        f.write(bytes(data))
                    with open(os.path.join(out, 'msg.%d.env' % n), 'w') as f:
                        f.write('from=%s\nrcpt=%s\n' % (sender, ' '.join(rcpts)))
                    with open(os.path.join(out, 'count.tmp'), 'w') as f:
                        f.write('%d\n' % n)
                    os.rename(os.path.join(out, 'count.tmp'), os.path.join(out, 'count'))
                self.reply('250 2.0.0 ok')
            elif verb == b'QUIT':
                self.reply('221 bye')
                return
            elif verb in (b'RSET', b'NOOP'):
                self.reply('250 ok')
            else:
                self.reply('502 5.5.2 not here')


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(('127.0.0.1', 0), Session)
with open(os.path.join(out, 'port.tmp'), 'w') as f:
    f.write('%d\n' % srv.server_address[1])
os.rename(os.path.join(out, 'port.tmp'), os.path.join(out, 'port'))
srv.serve_forever()
