"""boto3's generate_presigned_post with botocore's clock frozen (as botocore's own tests do, by
patching get_current_datetime where botocore.signers and botocore.auth imported it).

usage: boto3_presign_post.py EPOCH_SECONDS REGION ENDPOINT_OR_- TOKEN_OR_- SPEC_JSON
  SPEC_JSON: {"bucket", "key", "fields": [[name, value], ...], "conditions": [...], "expires_in"}
Prints one JSON line: {"url": ..., "fields": [[name, value], ...], "policy": decoded policy}.
"""

import base64
import datetime
import json
import sys
from unittest import mock

import boto3
from botocore.config import Config


def main():
    epoch, region, endpoint, token, spec = sys.argv[1:6]
    spec = json.loads(spec)
    now = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=int(epoch))
    frozen = lambda remove_tzinfo=True: now  # noqa: E731
    with mock.patch("botocore.signers.get_current_datetime", frozen), mock.patch(
        "botocore.auth.get_current_datetime", frozen
    ):
        client = boto3.client(
            "s3",
            region_name=region,
            endpoint_url=None if endpoint == "-" else endpoint,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "virtual" if endpoint == "-" else "path"},
            ),
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            aws_session_token=None if token == "-" else token,
        )
        post = client.generate_presigned_post(
            spec["bucket"],
            spec["key"],
            Fields=dict(spec["fields"]),
            Conditions=spec["conditions"],
            ExpiresIn=spec["expires_in"],
        )
    print(
        json.dumps(
            {
                "url": post["url"],
                "fields": list(post["fields"].items()),
                "policy": base64.b64decode(post["fields"]["policy"]).decode("utf-8"),
            }
        )
    )


if __name__ == "__main__":
    main()
