#!/usr/bin/env python3
"""An HTTP-aware proxy for S3 fault tests (Python 3 stdlib only).

Forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET one request per connection
(it adds "Connection: close", which SigV4 does not sign, so every request is
seen and numbered) and injects faults by request:

  --fail REGEX,FROM,COUNT[,HOW]
                           answer the FROM-th to (FROM+COUNT-1)-th requests
                           whose "METHOD TARGET" line matches REGEX with a
                           fault instead of the server's answer. Repeatable.
                           HOW (default 503): 503 = "503 Slow Down" with an
                           S3 XML error body, the request never reaches the
                           server; html503 = the same with a load balancer's
                           HTML page; 403 = "403 AccessDenied" (S3 XML);
                           after503 = the request reaches the server, which
                           acts on it, and its answer is replaced by the 503.
  --delay SECONDS          hold every response this long before its first
                           byte (the server has already acted on the request).
  --stall REGEX            hold matching requests forever without forwarding
                           them, so a test can kill the proxy (or the client)
                           while they are in flight.

Every request is logged to --log as "N METHOD TARGET ACTION" (ACTION is
forward, stall or the HOW of the fault), flushed line by line so tests can wait for and count
them. Prints "ready PORT" once listening (--listen 0 picks a free port).
"""
import argparse
import ctypes
import os
import re
import signal
import socket
import sys
import threading
import time

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b'<Message>Please reduce your request rate.</Message>'
             b'<RequestId>fault-proxy</RequestId></Error>')
ACCESS_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                 b'<Message>Access Denied</Message><RequestId>fault-proxy</RequestId></Error>')
BALANCER_PAGE = (b'<html><head><title>503 Service Unavailable</title></head><body>'
                 b'<h1>503 Service Unavailable</h1>No server is available to handle this request.'
                 b'</body></html>')
ANSWERS = {
    "503": (b"503 Slow Down", b"application/xml", SLOW_DOWN),
    "after503": (b"503 Slow Down", b"application/xml", SLOW_DOWN),
    "html503": (b"503 Service Unavailable", b"text/html", BALANCER_PAGE),
    "403": (b"403 Forbidden", b"application/xml", ACCESS_DENIED),
}


class Rule:
    def __init__(self, spec):
        how = "503"
        if spec.rsplit(",", 1)[1] in ANSWERS:
            spec, how = spec.rsplit(",", 1)
        regex, first, count = spec.rsplit(",", 2)
        self.regex, self.first, self.count, self.seen = re.compile(regex), int(first), int(count), 0
        self.how = how

    def fires(self, line):
        """Counts a matching request; true when it falls in the burst."""
        if not self.regex.search(line):
            return False
        self.seen += 1
        return self.first <= self.seen < self.first + self.count


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rules = [Rule(s) for s in args.fail]
        self.stall = re.compile(args.stall) if args.stall else None
        self.lock = threading.Lock()
        self.count = 0
        self.log = open(args.log, "a", buffering=1)

    def classify(self, line):
        """Numbers the request and decides its fate, atomically."""
        with self.lock:
            self.count += 1
            action = "forward"
            if self.stall and self.stall.search(line):
                action = "stall"
            else:
                fired = [rule.how for rule in self.rules if rule.fires(line)]  # every rule counts it
                if fired:
                    action = fired[0]
            self.log.write(f"{self.count} {line} {action}\n")
            return action

    def serve(self, client):
        try:
            head, rest = read_head(client)
            if head is None:
                return
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            line = " ".join(request_line.split(" ")[:2])
            action = self.classify(line)
            if action == "stall":
                threading.Event().wait()  # until the process is killed
            elif action == "after503":
                self.forward_then_refuse(client, head, rest, line.startswith("HEAD "))
            elif action in ANSWERS:
                refuse(client, head, rest, line.startswith("HEAD "), action)
            else:
                self.forward(client, head, rest)
        except OSError:
            pass
        finally:
            close(client)

    def forward(self, client, head, rest):
        upstream = socket.create_connection(("127.0.0.1", self.args.target))
        upstream.sendall(with_connection_close(head) + rest)
        up = threading.Thread(target=pump, args=(client, upstream, 0), daemon=True)
        up.start()
        pump(upstream, client, self.args.delay)
        close(upstream)


    def forward_then_refuse(self, client, head, rest, is_head):
        """The server acts on the request; the client gets a 503 instead."""
        upstream = socket.create_connection(("127.0.0.1", self.args.target))
        upstream.sendall(with_connection_close(head) + rest)
        left = int(header(head, b"content-length") or 0) - len(rest)
        while left > 0:
            chunk = client.recv(min(left, 1 << 20))
            if not chunk:
                return
            upstream.sendall(chunk)
            left -= len(chunk)
        while upstream.recv(65536):  # the server's whole answer, discarded
            pass
        close(upstream)
        answer(client, is_head, "after503")


def read_head(sock):
    """The request head (through the blank line) and any body bytes after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    end = data.index(b"\r\n\r\n") + 4
    return data[:end], data[end:]


def header(head, name):
    for raw in head.split(b"\r\n")[1:]:
        key, _, value = raw.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode("latin-1")
    return ""


def with_connection_close(head):
    lines = [ln for ln in head.split(b"\r\n")[:-2]
             if ln.split(b":", 1)[0].strip().lower() not in (b"connection", b"keep-alive")]
    return b"\r\n".join(lines + [b"Connection: close", b"", b""])


def refuse(client, head, rest, is_head, how):
    # Without "Expect: 100-continue" the client sends its body regardless:
    # take it all first, or the client sees a reset instead of the answer.
    if header(head, b"expect").lower() != "100-continue":
        left = int(header(head, b"content-length") or 0) - len(rest)
        while left > 0:
            chunk = client.recv(min(left, 1 << 20))
            if not chunk:
                return
            left -= len(chunk)
    answer(client, is_head, how)


def answer(client, is_head, how):
    status, content_type, body = ANSWERS[how]
    response = (b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                b"Connection: close\r\n\r\n" % (status, content_type, len(body)))
    client.sendall(response if is_head else response + body)


def pump(src, dst, delay):
    first = True
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if first and delay:
                time.sleep(delay)
            first = False
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def die_with_parent():
    """A test killed with SIGKILL runs no trap: the proxy must not outlive it."""
    parent = os.getppid()
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail", action="append", default=[])
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--stall")
    proxy = Proxy(parser.parse_args())
    die_with_parent()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", proxy.args.listen))
    server.listen(64)
    print("ready", server.getsockname()[1], flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=proxy.serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
