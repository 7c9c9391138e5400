"""boto3 as a client of the verifier under test: one PutObject through a local TLS terminator
(tls_proxy.py), so that boto3 sends what it sends to S3 over https.

usage: boto3_put.py UPSTREAM_PORT ACCESS_KEY SECRET ALGORITHM TAMPER BODY_FILE [SCHEME]
  ALGORITHM: default (boto3 picks, CRC32 since 2025) | CRC32 | CRC32C | SHA1 | SHA256 | ...
  TAMPER:    none | body (one body byte changed in flight) | checksum (the trailer's value
             changed in flight)
  SCHEME:    https (default: through the TLS terminator) | http (straight to the server, no
             tampering: boto3 then signs the payload and sends the checksum as a header)

Prints one JSON line: {"status": ..., "code": ..., "tampered": n, "error": ...}.
"""

import base64
import hashlib
import json
import os
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import tls_proxy  # noqa: E402

# The body carries this marker; the body tamper turns it into its twin.
MARKER = b"<tamper-me-0>"
MARKER_TWIN = b"<tamper-me-1>"


def expected_checksum(algorithm, body):
    """The value botocore puts in the trailer, computed here without botocore."""
    if algorithm in ("default", "CRC32"):
        return "crc32", base64.b64encode((zlib.crc32(body) & 0xFFFFFFFF).to_bytes(4, "big"))
    if algorithm == "SHA1":
        return "sha1", base64.b64encode(hashlib.sha1(body).digest())
    if algorithm == "SHA256":
        return "sha256", base64.b64encode(hashlib.sha256(body).digest())
    return algorithm.lower(), None


def tamper_for(mode, algorithm, body):
    if mode == "none":
        return tls_proxy.Tamper()
    if mode == "body":
        if MARKER not in body:
            raise SystemExit("the body lacks the tamper marker")
        return tls_proxy.Tamper(MARKER, MARKER_TWIN)
    if mode == "checksum":
        name, value = expected_checksum(algorithm, body)
        if value is None:
            raise SystemExit("no reference checksum for " + algorithm)
        # Another valid value of the same length: its first base64 digit changed.
        first = b"B" if value[:1] != b"B" else b"C"
        find = b"x-amz-checksum-" + name.encode() + b":" + value
        return tls_proxy.Tamper(find, find[: -len(value)] + first + value[1:])
    raise SystemExit("unknown tamper mode " + mode)


def main():
    port, akid, secret, algorithm, mode, body_file = sys.argv[1:7]
    scheme = sys.argv[7] if len(sys.argv) > 7 else "https"
    with open(body_file, "rb") as f:
        body = f.read()
    tamper = tamper_for(mode, algorithm, body)
    with tempfile.TemporaryDirectory() as directory:
        if scheme == "https":
            proxy_port, cert = tls_proxy.start(int(port), directory, tamper)
            endpoint = "https://127.0.0.1:%d" % proxy_port
        elif scheme == "http" and mode == "none":
            endpoint, cert = "http://127.0.0.1:%s" % port, None
        else:
            raise SystemExit("tampering needs the proxy (https)")
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=akid,
            aws_secret_access_key=secret,
            verify=cert,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"total_max_attempts": 1},
            ),
        )
        args = {"Bucket": "bucket", "Key": "boto3/object.bin", "Body": body}
        if algorithm != "default":
            args["ChecksumAlgorithm"] = algorithm
        result = {"status": None, "code": None, "tampered": 0, "error": None}
        try:
            response = s3.put_object(**args)
            result["status"] = response["ResponseMetadata"]["HTTPStatusCode"]
        except ClientError as e:
            result["status"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
            result["code"] = e.response["Error"]["Code"]
        except Exception as e:  # noqa: BLE001 - reported to the Rust test, which decides
            result["error"] = "%s: %s" % (type(e).__name__, e)
        result["tampered"] = tamper.count
    print(json.dumps(result))


if __name__ == "__main__":
    main()
