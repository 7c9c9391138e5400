"""A TLS terminator on 127.0.0.1 for the interop tests: boto3 sends its default upload form
(aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER) only over https, and the verifier under test
speaks plain HTTP. The proxy forwards every request to the plain-HTTP server, and can tamper
with a request body in flight (as anyone on the path of an unsigned-payload upload can).

Self-contained: the certificate (for IP 127.0.0.1) is generated with `cryptography`, which
moto installs; no network, no files outside the given directory.
"""

import datetime
import ipaddress
import os
import socket
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# The longest request head or body the proxy reads (the tests send a few KiB).
MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024


def make_certificate(directory):
    """Writes a self-signed certificate for 127.0.0.1 and its key; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "proxy-cert.pem")
    key_path = os.path.join(directory, "proxy-key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


class Tamper:
    """Replaces the first occurrence of `find` in a request body by `replace` (same length, so
    the framing stays intact) and counts how often it did."""

    def __init__(self, find=None, replace=None):
        if find is not None and len(find) != len(replace):
            raise ValueError("a tamper must keep the body's length")
        self.find = find
        self.replace = replace
        self.count = 0

    def apply(self, body):
        if self.find is None or self.find not in body:
            return body
        self.count += 1
        return body.replace(self.find, self.replace, 1)


def _read_until(sock, buf, marker, limit):
    while marker not in buf:
        if len(buf) > limit:
            raise ValueError("request head too large")
        data = sock.recv(65536)
        if not data:
            return buf, False
        buf += data
    return buf, True


def _read_exact(sock, buf, n):
    while len(buf) < n:
        data = sock.recv(65536)
        if not data:
            raise ValueError("connection closed inside a body")
        buf += data
    return buf


def _read_chunked(sock, buf):
    """Reads an HTTP/1.1 chunked body; returns (raw bytes of the body, rest of buf)."""
    raw = b""
    while True:
        buf, ok = _read_until(sock, buf, b"\r\n", MAX_HEAD)
        if not ok:
            raise ValueError("connection closed inside a chunked body")
        line, buf = buf.split(b"\r\n", 1)
        size = int(line.split(b";", 1)[0], 16)
        raw += line + b"\r\n"
        if size == 0:
            # The HTTP trailer section, up to its empty line.
            while True:
                buf, ok = _read_until(sock, buf, b"\r\n", MAX_HEAD)
                if not ok:
                    raise ValueError("connection closed inside a chunked body")
                line, buf = buf.split(b"\r\n", 1)
                raw += line + b"\r\n"
                if line == b"":
                    return raw, buf
        buf = _read_exact(sock, buf, size + 2)
        raw += buf[: size + 2]
        buf = buf[size + 2 :]
        if len(raw) > MAX_BODY:
            raise ValueError("request body too large")


def _forward_requests(sock, upstream, tamper):
    """Forwards each request on a client connection: the head as soon as it is read (the
    client may wait for `100 Continue` before it sends the body), then the body, framed as
    sent, through `tamper`."""
    buf = b""
    while True:
        buf, ok = _read_until(sock, buf, b"\r\n\r\n", MAX_HEAD)
        if not ok:
            return
        head, buf = buf.split(b"\r\n\r\n", 1)
        head += b"\r\n\r\n"
        upstream.sendall(head)
        fields = {}
        for line in head.split(b"\r\n")[1:]:
            if b":" in line:
                name, value = line.split(b":", 1)
                fields[name.strip().lower()] = value.strip()
        if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
            body, buf = _read_chunked(sock, buf)
        else:
            n = int(fields.get(b"content-length", b"0"))
            if n > MAX_BODY:
                raise ValueError("request body too large")
            buf = _read_exact(sock, buf, n)
            body, buf = buf[:n], buf[n:]
        upstream.sendall(tamper.apply(body))


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve_connection(client, upstream_port, tamper):
    upstream = socket.create_connection(("127.0.0.1", upstream_port))
    threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
    try:
        _forward_requests(client, upstream, tamper)
    except (OSError, ValueError):
        pass
    finally:
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def start(upstream_port, directory, tamper=None):
    """Starts the proxy in daemon threads; returns (port, path of the certificate to trust)."""
    tamper = tamper or Tamper()
    cert_path, key_path = make_certificate(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]

    def accept_loop():
        while True:
            raw, _ = listener.accept()
            try:
                client = context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                raw.close()
                continue
            threading.Thread(
                target=_serve_connection, args=(client, upstream_port, tamper), daemon=True
            ).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return port, cert_path
