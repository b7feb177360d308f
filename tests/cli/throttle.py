#!/usr/bin/env python3
"""throttle.py UPSTREAM_PORT BYTES_PER_SECOND: a slow TCP path for the CLI tests.

Listens on a free port of 127.0.0.1 (printed on a line of its own), forwards
every connection to 127.0.0.1:UPSTREAM_PORT and back, each direction at most
BYTES_PER_SECOND, so that a transfer is still running when the test
interrupts it. Runs until killed."""
import socket
import sys
import threading
import time


def pump(src, dst, rate):
    chunk = max(1024, rate // 20)
    try:
        while True:
            data = src.recv(chunk)
            if not data:
                break
            dst.sendall(data)
            time.sleep(len(data) / rate)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    upstream, rate = int(sys.argv[1]), int(sys.argv[2])
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    print(lsock.getsockname()[1], flush=True)
    while True:
        client, _ = lsock.accept()
        server = socket.create_connection(("127.0.0.1", upstream))
        for a, b in ((client, server), (server, client)):
            threading.Thread(target=pump, args=(a, b, rate), daemon=True).start()


if __name__ == "__main__":
    main()
