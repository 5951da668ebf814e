#!/usr/bin/env python3
"""A TCP proxy for fault tests: forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET
and drops any connection once the client has sent more than LIMIT bytes on
it, so large uploads die mid-transfer while small requests pass.
Usage: cutting_proxy.py LISTEN_PORT TARGET_PORT LIMIT_BYTES (prints "ready")."""
import socket
import sys
import threading


def pump(src, dst, limit):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            sent += len(data)
            if limit and sent > limit:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    listen_port, target_port, limit = (int(a) for a in sys.argv[1:4])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(64)
    print("ready", flush=True)
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection(("127.0.0.1", target_port))
        threading.Thread(target=pump, args=(client, upstream, limit), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, 0), daemon=True).start()


if __name__ == "__main__":
    main()
