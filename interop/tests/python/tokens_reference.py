"""The reference generators of the presigned auth tokens, their clocks frozen, for
interop/tests/tokens_reference.rs.

usage: tokens_reference.py JSON
  JSON: {"kind": "rds" | "dsql" | "dsql-admin" | "eks" | "bedrock",
         "time": "YYYYMMDDTHHMMSSZ", "access_key": ..., "secret_key": ..., "session_token": ... | null,
         "region": ..., "hostname": ..., "port": ..., "username": ..., "expires_in": ...,
         "cluster": ...}

Prints one JSON line: {"token": ...} (eks adds "expiration", the `status.expirationTimestamp`
`aws eks get-token` prints). Exits 3 with the `pip install` line when a reference is missing.

The clocks are frozen as botocore's own tests freeze them: by patching the datetime source
each module reads (`botocore.auth.get_current_datetime`, and for the EKS expiry
`awscli.customizations.eks.get_token.get_current_datetime`).
"""

import datetime
import json
import sys
from unittest import mock


def need(module, package):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        print(f"the reference `{module}` is missing: pip install {package}", file=sys.stderr)
        sys.exit(3)


def main():
    args = json.loads(sys.argv[1])
    botocore_session = need("botocore.session", "botocore")
    need("botocore.auth", "botocore")
    frozen = datetime.datetime.strptime(args["time"], "%Y%m%dT%H%M%SZ")
    # The clients must not find credentials or a region anywhere but here.
    session = botocore_session.Session()
    session.set_credentials(args["access_key"], args["secret_key"], args.get("session_token"))
    kind = args["kind"]
    out = {}
    with mock.patch("botocore.auth.get_current_datetime", return_value=frozen):
        if kind == "rds":
            rds = session.create_client("rds", region_name=args["region"])
            out["token"] = rds.generate_db_auth_token(
                DBHostname=args["hostname"], Port=args["port"], DBUsername=args["username"], Region=args["region"]
            )
        elif kind in ("dsql", "dsql-admin"):
            dsql = session.create_client("dsql", region_name=args["region"])
            generate = (
                dsql.generate_db_connect_admin_auth_token if kind == "dsql-admin" else dsql.generate_db_connect_auth_token
            )
            out["token"] = generate(args["hostname"], args["region"], args["expires_in"])
        elif kind == "eks":
            get_token = need("awscli.customizations.eks.get_token", "awscli")
            sts = get_token.STSClientFactory(session).get_sts_client(region_name=args["region"])
            out["token"] = get_token.TokenGenerator(sts).get_token(args["cluster"])
            with mock.patch.object(get_token, "get_current_datetime", return_value=frozen):
                out["expiration"] = get_token.GetTokenCommand(session).get_expiration_time()
        elif kind == "bedrock":
            generator = need("aws_bedrock_token_generator.token_generator", "aws-bedrock-token-generator")
            credentials = session.get_credentials()
            out["token"] = generator._generate_token(credentials, args["region"], args["expires_in"])
        else:
            print(f"unknown kind {kind}", file=sys.stderr)
            sys.exit(2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
