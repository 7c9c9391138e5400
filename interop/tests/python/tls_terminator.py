"""The TLS terminator of tls_proxy.py as a process, for tests whose client is not Python.

usage: tls_terminator.py UPSTREAM_PORT DIRECTORY

Writes the certificate into DIRECTORY, prints "PORT CERT_PATH" on one line, and serves until its
standard input closes (the test holds it open, so the proxy ends with the test).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tls_proxy  # noqa: E402


def main():
    upstream_port, directory = sys.argv[1:3]
    port, cert = tls_proxy.start(int(upstream_port), directory)
    print(port, cert, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
