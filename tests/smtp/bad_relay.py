#!/usr/bin/python3
"""tests/smtp/bad_relay.py MODE PORT - a misbehaving SMTP server on 127.0.0.1.

Modes:
  garbage   greets, then answers every command with a non-SMTP line
  longline  greets with a reply line of 100,000 bytes
  manylines greets with a 10,000-line reply
  mixed     answers EHLO with lines of different codes
  silent    accepts the connection and never says anything
  middata   a correct relay that closes the connection after the DATA
            command's 354 and a part of the body
  helo      an old relay: 502 to EHLO, 250 to HELO, then correct (counts
            the messages it accepts in the file named by the 3rd argument)
  refuse    greets with "554 5.3.2 no service" and closes
  auth      a correct relay with STARTTLS (CERT KEY as 3rd and 4th
            arguments) that offers AUTH PLAIN under TLS only, takes the
            credentials "listd" / "s3cret" and counts what it accepts in
            the file named by the 5th argument
Serves connections one after the other until killed."""
import base64
import socket
import ssl
import sys

mode, port = sys.argv[1], int(sys.argv[2])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)


def lines(conn):
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
        while b"\r\n" in data:
            line, data = data.split(b"\r\n", 1)
            yield line


class Lines:
    """CRLF lines from a socket that may be swapped for a TLS one."""

    def __init__(self, sock):
        self.sock, self.data = sock, b""

    def get(self):
        while b"\r\n" not in self.data:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.data += chunk
        line, self.data = self.data.split(b"\r\n", 1)
        return line


def serve_auth(conn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    sock, tls, authed = conn, False, False
    rd = Lines(sock)
    sock.sendall(b"220 auth.test ESMTP\r\n")
    while True:
        line = rd.get()
        if line is None:
            return
        verb = line[:4].upper()
        if verb == b"EHLO":
            ext = b"250-AUTH PLAIN LOGIN\r\n" if tls else b"250-STARTTLS\r\n"
            sock.sendall(b"250-auth.test\r\n" + ext + b"250 PIPELINING\r\n")
        elif verb == b"STAR" and not tls:
            sock.sendall(b"220 2.0.0 go ahead\r\n")
            sock = ctx.wrap_socket(sock, server_side=True)
            rd, tls = Lines(sock), True
        elif verb == b"AUTH":
            parts = line.split()
            ok = (tls and len(parts) == 3 and parts[1].upper() == b"PLAIN" and
                  base64.b64decode(parts[2]) == b"\0listd\0s3cret")
            authed = ok
            sock.sendall(b"235 2.7.0 ok\r\n" if ok else b"535 5.7.8 bad credentials\r\n")
        elif verb == b"MAIL" and not authed:
            sock.sendall(b"530 5.7.0 authentication required\r\n")
        elif verb == b"DATA":
            sock.sendall(b"354 go on\r\n")
            while True:
                body = rd.get()
                if body is None:
                    return
                if body == b".":
                    break
            with open(sys.argv[5], "a") as f:
                f.write("message\n")
            sock.sendall(b"250 2.0.0 queued\r\n")
        elif verb == b"QUIT":
            sock.sendall(b"221 bye\r\n")
            return
        else:
            sock.sendall(b"250 ok\r\n")


def serve_helo(conn):
    rd = Lines(conn)
    conn.sendall(b"220 old.test SMTP\r\n")
    while True:
        line = rd.get()
        if line is None:
            return
        verb = line[:4].upper()
        if verb == b"EHLO":
            conn.sendall(b"502 5.5.1 command not implemented\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go on\r\n")
            while True:
                body = rd.get()
                if body is None:
                    return
                if body == b".":
                    break
            with open(sys.argv[3], "a") as f:
                f.write("message\n")
            conn.sendall(b"250 queued\r\n")
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"250 ok\r\n")


def serve(conn):
    if mode == "auth":
        return serve_auth(conn)
    if mode == "helo":
        return serve_helo(conn)
    if mode == "refuse":
        conn.sendall(b"554 5.3.2 no service\r\n")
        return
    if mode == "silent":
        while conn.recv(65536):
            pass
        return
    if mode == "longline":
        conn.sendall(b"220 " + b"x" * 100000 + b"\r\n")
    elif mode == "manylines":
        conn.sendall(b"220-hello\r\n" * 10000 + b"220 hello\r\n")
    else:
        conn.sendall(b"220 bad.test ESMTP\r\n")
    in_data = False
    got = 0
    for line in lines(conn):
        if mode == "garbage":
            conn.sendall(b"HELLO THERE\r\n")
        elif mode == "mixed":
            conn.sendall(b"250-bad.test\r\n251-PIPELINING\r\n250 8BITMIME\r\n")
        elif mode == "middata":
            if in_data:
                got += 1
                if got >= 3:
                    return          # drop the connection mid-body
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                conn.sendall(b"250-bad.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go on\r\n")
                in_data = True
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 2.0.0 ok\r\n")
        else:
            conn.sendall(b"250 ok\r\n")


while True:
    c, _ = srv.accept()
    try:
        serve(c)
    except (OSError, ValueError):
        pass
    finally:
        c.close()
