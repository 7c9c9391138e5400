//! Our verifier accepts requests and presigned URLs signed by `aws-sigv4`, the AWS SDK for
//! Rust's signer, configured as the SDKs configure it for each service.

#[path = "../../tests/common/verify_harness.rs"]
mod verify_harness;

use aws_sigv4::http_request as aws;
use aws_sigv4::sign::v4 as aws_v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::Duration;

use http::Request;
use sigv4_middleware::credentials::Credentials;
use verify_harness::*;

fn their_identity(creds: &Credentials) -> Identity {
    aws_credential_types::Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token().map(str::to_owned),
        None,
        "verify-test",
    )
    .into()
}

/// Signs with `aws-sigv4` configured as the AWS SDKs configure it for `service`.
fn sign_theirs(request: &mut Request<Vec<u8>>, creds: &Credentials, service: &str, presign: Option<u64>) {
    let identity = their_identity(creds);
    let mut settings = aws::SigningSettings::default();
    let s3 = service == "s3";
    if s3 {
        settings.percent_encoding_mode = aws::PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = aws::UriPathNormalizationMode::Disabled;
        if presign.is_none() {
            settings.payload_checksum_kind = aws::PayloadChecksumKind::XAmzSha256;
        }
    }
    if let Some(secs) = presign {
        settings.signature_location = aws::SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(secs));
    }
    let params: aws::SigningParams<'_> = aws_v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service)
        .time(now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = request.body().clone();
    let signable_body = if s3 && presign.is_some() {
        aws::SignableBody::UnsignedPayload
    } else {
        aws::SignableBody::Bytes(&body)
    };
    let uri = request.uri().to_string();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let signable = aws::SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        signable_body,
    )
    .unwrap();
    let (instructions, _) = aws::sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(request);
}

#[tokio::test]
async fn accepts_requests_signed_by_aws_sigv4() {
    for c in [creds(), temp_creds()] {
        let akid = c.access_key_id().to_owned();
        let mut r = s3_put();
        sign_theirs(&mut r, &c, "s3", None);
        assert_accepted(&send(config("s3"), r).await, &akid, b"meow meow meow");

        let mut r = api_post();
        sign_theirs(&mut r, &c, "execute-api", None);
        assert_accepted(&send(config("execute-api"), r).await, &akid, br#"{"id":1}"#);

        let mut r = s3_get_path();
        sign_theirs(&mut r, &c, "s3", Some(900));
        assert!(r.uri().query().unwrap().contains("X-Amz-Signature="));
        assert_accepted(&send(config("s3"), r).await, &akid, b"");

        let mut r = Request::get("https://abc.execute-api.us-east-1.amazonaws.com/prod/items?list=1")
            .body(Vec::new())
            .unwrap();
        sign_theirs(&mut r, &c, "execute-api", Some(900));
        assert_accepted(&send(config("execute-api"), r).await, &akid, b"");
    }
}
