//! SigV4a against `aws-sigv4`: RFC 6979 nonces are deterministic, so for the same key and
//! string to sign our signature is aws-sigv4's byte for byte (it signs with
//! `sign_prehashed_rfc6979` and no extra data too).

#[path = "../../tests/common/suite.rs"]
mod suite;

use aws_sigv4::http_request as aws;
use aws_sigv4::sign::v4a as aws_v4a;
use aws_smithy_runtime_api::client::identity::Identity;
use sigv4_middleware::raw::RawRequest;
use sigv4_middleware::signing::{SignableBody, SigningParams, sign};
use suite::{load_context, testdata};

#[test]
fn v4a_signature_equals_aws_sigv4s() {
    let dir = testdata().join("aws-signing-test-suite/v4a/get-vanilla-query");
    let raw = RawRequest::parse(&std::fs::read(dir.join("request.txt")).unwrap()).unwrap();
    let ctx = load_context(&dir);

    let params = SigningParams::new(&ctx.credentials, "unused-region", &ctx.service, ctx.time)
        .with_settings(&ctx.settings)
        .with_sigv4a(&ctx.region);
    let ours = sign(&raw.signable(SignableBody::Bytes(&raw.body)).unwrap(), &params).unwrap();

    let identity: Identity = aws_credential_types::Credentials::new(
        ctx.credentials.access_key_id(),
        ctx.credentials.secret_access_key(),
        None,
        None,
        "test",
    )
    .into();
    let params: aws::SigningParams<'_> = aws_v4a::SigningParams::builder()
        .identity(&identity)
        .region_set(&ctx.region)
        .name(&ctx.service)
        .time(ctx.time)
        .settings(aws::SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let uri = format!("https://example.amazonaws.com{}", raw.target);
    let headers: Vec<(&str, &str)> = raw.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let request = aws::SignableRequest::new("GET", &uri, headers.into_iter(), aws::SignableBody::Bytes(&[])).unwrap();
    let (_, theirs) = aws::sign(request, &params).unwrap().into_parts();
    assert_eq!(ours.signature(), theirs);
}
