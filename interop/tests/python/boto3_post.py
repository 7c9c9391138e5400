"""boto3's generate_presigned_post as the policy and fields a browser posts, sent as a
multipart form by `requests` to the verifier under test.

usage: boto3_post.py PORT CASE
  CASE: ok | tampered (the policy's content-length-range widened after signing) | expired
        (ExpiresIn=-60: the policy's expiration is in the past) | outside (a key outside the
        policy's starts-with) | too_large (101 bytes, range 1..100) | too_small (empty file)

Prints one JSON line: {"status": ..., "body": ..., "fields": {...}}.
"""

import base64
import json
import sys

import boto3
import requests
from botocore.config import Config

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def main():
    port, case = sys.argv[1], sys.argv[2]
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    post = s3.generate_presigned_post(
        Bucket="uploads",
        Key="user/${filename}",
        Conditions=[["content-length-range", 1, 100]],
        ExpiresIn=-60 if case == "expired" else 3600,
    )
    fields = dict(post["fields"])
    content = b"hello from boto3"
    if case == "tampered":
        policy = json.loads(base64.b64decode(fields["policy"]))
        for c in policy["conditions"]:
            if isinstance(c, list) and c[0] == "content-length-range":
                c[2] = 10**9
        fields["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()
    elif case == "outside":
        fields["key"] = "admin/${filename}"
    elif case == "too_large":
        content = b"a" * 101
    elif case == "too_small":
        content = b""
    response = requests.post(post["url"], data=fields, files={"file": ("hello.txt", content)}, timeout=30)
    print(json.dumps({"status": response.status_code, "body": response.text, "url": post["url"], "fields": fields}))


if __name__ == "__main__":
    main()
