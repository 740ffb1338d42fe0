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
Serves connections one after the other until killed."""
import socket
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


def serve(conn):
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
    except OSError:
        pass
    finally:
        c.close()
