#!/usr/bin/python3
"""tests/smtp/record_relay.py PORT DIR - a correct, minimal SMTP server on
127.0.0.1 that offers PIPELINING and CHUNKING and writes the exact bytes of
each message it receives to DIR/N.data (DATA form: as sent, dot-stuffed,
with the final dot line) or DIR/N.bdat (the BDAT chunks joined), N counting
from 0 in arrival order. Serves connections one after the other until
killed."""
import os
import socket
import sys

port, outdir = int(sys.argv[1]), sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
count = 0


def save(kind, data):
    global count
    with open(os.path.join(outdir, "%d.%s.tmp" % (count, kind)), "wb") as f:
        f.write(data)
    os.rename(os.path.join(outdir, "%d.%s.tmp" % (count, kind)),
              os.path.join(outdir, "%d.%s" % (count, kind)))
    count += 1


def serve(conn):
    buf = b""
    conn.sendall(b"220 record.test ESMTP\r\n")

    def need(n):
        nonlocal buf
        while len(buf) < n:
            got = conn.recv(65536)
            if not got:
                raise EOFError
            buf += got

    def line():
        nonlocal buf
        while b"\r\n" not in buf:
            got = conn.recv(65536)
            if not got:
                raise EOFError
            buf += got
        ln, buf = buf.split(b"\r\n", 1)
        return ln

    chunks = b""
    while True:
        cmd = line()
        verb = cmd.split(b" ", 1)[0].upper()
        if verb == b"EHLO":
            conn.sendall(b"250-record.test\r\n250-PIPELINING\r\n"
                         b"250-CHUNKING\r\n250 8BITMIME\r\n")
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            chunks = b""
            conn.sendall(b"250 2.0.0 ok\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go\r\n")
            while True:
                i = buf.find(b"\r\n.\r\n")
                if i >= 0 or buf.startswith(b".\r\n"):
                    end = i + 5 if i >= 0 else 3
                    save("data", buf[:end])
                    buf = buf[end:]
                    break
                got = conn.recv(65536)
                if not got:
                    raise EOFError
                buf += got
            conn.sendall(b"250 2.0.0 queued\r\n")
        elif verb == b"BDAT":
            parts = cmd.split()
            n = int(parts[1])
            need(n)
            chunks += buf[:n]
            buf = buf[n:]
            if len(parts) > 2 and parts[2].upper() == b"LAST":
                save("bdat", chunks)
                chunks = b""
                conn.sendall(b"250 2.0.0 queued\r\n")
            else:
                conn.sendall(b"250 2.0.0 chunk\r\n")
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"502 5.5.2 no\r\n")


while True:
    c, _ = srv.accept()
    try:
        serve(c)
    except (EOFError, OSError):
        pass
    finally:
        c.close()
