#!/usr/bin/env python3
"""A TCP proxy for fault tests (Python 3 stdlib only): forwards
127.0.0.1:LISTEN to 127.0.0.1:TARGET and drops any connection once the
client has sent more than LIMIT bytes on it, so large uploads die
mid-transfer while small requests pass.

Usage: cutting_proxy.py --target PORT --limit BYTES --log FILE [--listen PORT]

--listen 0 (the default) lets the kernel pick a free port; the proxy prints
"ready PORT" once it listens. Every connection and every cut is logged to
FILE, flushed line by line, as "N open" and "N cut after BYTES bytes", so a
test can prove that its upload went through the proxy and was cut (a test
whose client never reached the proxy sees a refused connection, which looks
like a cut to the client).
"""
import argparse
import ctypes
import os
import signal
import socket
import sys
import threading


class Log:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, line):
        with self.lock:
            self.file.write(line + "\n")


def pump(src, dst, limit, on_cut):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            sent += len(data)
            if limit and sent > limit:
                on_cut(sent)
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def die_with_parent():
    """A test killed with SIGKILL runs no trap: the proxy must not outlive it."""
    parent = os.getppid()
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=int, default=0)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    die_with_parent()
    log = Log(args.log)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.listen))
    server.listen(64)
    print("ready", server.getsockname()[1], flush=True)
    n = 0
    while True:
        client, _ = server.accept()
        n += 1
        log.write(f"{n} open")
        upstream = socket.create_connection(("127.0.0.1", args.target))
        on_cut = (lambda conn: lambda sent: log.write(f"{conn} cut after {sent} bytes"))(n)
        threading.Thread(target=pump, args=(client, upstream, args.limit, on_cut), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, 0, None), daemon=True).start()


if __name__ == "__main__":
    main()
