//! One test per signing rule and per error of the core, each named after what it covers.

use std::time::{Duration, UNIX_EPOCH};

use sigv4_middleware::SigningError;
use sigv4_middleware::credentials::Credentials;
use sigv4_middleware::signing::{
    ContentSha256Header, EMPTY_SHA256, ExcludedHeaders, PresignedPayload, SessionTokenMode, SignableBody,
    SignableRequest, SigningOutput, SigningParams, SigningSettings, sign,
};

const TIME: u64 = 1_440_938_160;

fn creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
}

fn params<'a>(c: &'a Credentials, service: &'a str) -> SigningParams<'a> {
    SigningParams::new(c, "us-east-1", service, UNIX_EPOCH + Duration::from_secs(TIME)).with_steps()
}

fn header<'a>(out: &'a SigningOutput, name: &str) -> Option<&'a str> {
    out.headers()
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.to_str().unwrap())
}

fn signed_headers(out: &SigningOutput) -> String {
    let auth = header(out, "authorization").unwrap();
    auth.split("SignedHeaders=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned()
}

fn creq(out: &SigningOutput) -> &str {
    out.steps().unwrap().canonical_request()
}

fn req<'a>(uri: &'a str, headers: &'a [(&'a str, &'a [u8])], body: SignableBody<'a>) -> SignableRequest<'a> {
    SignableRequest::new("PUT", uri, headers.iter().copied(), body).unwrap()
}

#[test]
fn s3_always_sends_and_signs_content_sha256() {
    let c = creds();
    let out = sign(
        &req("https://b.s3.amazonaws.com/k", &[], SignableBody::Bytes(b"hello")),
        &params(&c, "s3"),
    )
    .unwrap();
    let hash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    assert_eq!(header(&out, "x-amz-content-sha256"), Some(hash));
    assert_eq!(signed_headers(&out), "host;x-amz-content-sha256;x-amz-date");
    assert!(creq(&out).ends_with(hash));
}

#[test]
fn other_services_hash_the_body_without_the_header_unless_asked() {
    let c = creds();
    let out = sign(
        &req("https://api.example.com/", &[], SignableBody::Bytes(b"hello")),
        &params(&c, "execute-api"),
    )
    .unwrap();
    assert_eq!(header(&out, "x-amz-content-sha256"), None);
    assert!(creq(&out).ends_with("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
    // OpenSearch Serverless requires the header signed.
    let s = SigningSettings::for_service("aoss").with_content_sha256_header(ContentSha256Header::Always);
    let out = sign(
        &req("https://x.aoss.amazonaws.com/", &[], SignableBody::empty()),
        &params(&c, "aoss").with_settings(&s),
    )
    .unwrap();
    assert_eq!(header(&out, "x-amz-content-sha256"), Some(EMPTY_SHA256));
    assert_eq!(signed_headers(&out), "host;x-amz-content-sha256;x-amz-date");
}

#[test]
fn unsigned_payload_is_sent_and_signed_on_any_service() {
    let c = creds();
    let out = sign(
        &req("https://api.example.com/", &[], SignableBody::UnsignedPayload),
        &params(&c, "execute-api"),
    )
    .unwrap();
    assert_eq!(header(&out, "x-amz-content-sha256"), Some("UNSIGNED-PAYLOAD"));
    assert_eq!(signed_headers(&out), "host;x-amz-content-sha256;x-amz-date");
    assert!(creq(&out).ends_with("\nUNSIGNED-PAYLOAD"));
}

#[test]
fn caller_set_content_sha256_is_honoured_never_rehashed() {
    let c = creds();
    let h: &[(&str, &[u8])] = &[("x-amz-content-sha256", b"UNSIGNED-PAYLOAD")];
    let out = sign(
        &req("https://b.s3.amazonaws.com/k", h, SignableBody::Bytes(b"ignored body")),
        &params(&c, "s3"),
    )
    .unwrap();
    assert!(creq(&out).ends_with("\nUNSIGNED-PAYLOAD"));
    assert_eq!(
        header(&out, "x-amz-content-sha256"),
        None,
        "the caller's header stays; no second value is added"
    );
    assert!(signed_headers(&out).contains("x-amz-content-sha256"));
}

#[test]
fn precomputed_hash_is_used_as_given() {
    let c = creds();
    let hash = "a".repeat(64);
    let body = SignableBody::precomputed(&hash).unwrap();
    let out = sign(&req("https://b.s3.amazonaws.com/k", &[], body), &params(&c, "s3")).unwrap();
    assert!(creq(&out).ends_with(&hash));
    assert_eq!(header(&out, "x-amz-content-sha256"), Some(hash.as_str()));
}

#[test]
fn streaming_markers_are_the_payload_hash_and_header() {
    let c = creds();
    for (body, marker) in [
        (SignableBody::StreamingSigned, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        (
            SignableBody::StreamingSignedTrailer,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        (
            SignableBody::StreamingUnsignedTrailer,
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        ),
    ] {
        let out = sign(&req("https://b.s3.amazonaws.com/k", &[], body), &params(&c, "s3")).unwrap();
        assert_eq!(header(&out, "x-amz-content-sha256"), Some(marker));
        assert!(creq(&out).ends_with(marker));
    }
}

#[test]
fn session_token_is_signed_by_default() {
    let c = creds().with_session_token("TOKEN/+=");
    let out = sign(
        &req("https://api.example.com/", &[], SignableBody::empty()),
        &params(&c, "execute-api"),
    )
    .unwrap();
    assert_eq!(header(&out, "x-amz-security-token"), Some("TOKEN/+="));
    assert_eq!(signed_headers(&out), "host;x-amz-date;x-amz-security-token");
    let p = sign(
        &req("https://api.example.com/", &[], SignableBody::empty()),
        &params(&c, "execute-api").presigned(Duration::from_secs(60)),
    )
    .unwrap();
    assert!(creq(&p).contains("X-Amz-Security-Token=TOKEN%2F%2B%3D"));
}

#[test]
fn session_token_can_be_added_after_signing() {
    let c = creds().with_session_token("TOKEN");
    let s = SigningSettings::general().with_session_token_mode(SessionTokenMode::AfterSigning);
    let out = sign(
        &req("https://api.example.com/", &[], SignableBody::empty()),
        &params(&c, "x").with_settings(&s),
    )
    .unwrap();
    assert_eq!(header(&out, "x-amz-security-token"), Some("TOKEN"));
    assert_eq!(signed_headers(&out), "host;x-amz-date");
    assert!(!creq(&out).contains("TOKEN"));
    let p = sign(
        &req("https://api.example.com/", &[], SignableBody::empty()),
        &params(&c, "x").with_settings(&s).presigned(Duration::from_secs(60)),
    )
    .unwrap();
    assert!(!creq(&p).contains("TOKEN"));
    assert!(
        p.query_params()
            .iter()
            .any(|(k, v)| k == "X-Amz-Security-Token" && v == "TOKEN")
    );
}

#[test]
fn session_token_name_can_be_overridden_for_s3_express() {
    let c = creds().with_session_token("T");
    let s = SigningSettings::s3().with_session_token_name("x-amz-s3session-token");
    let out = sign(
        &req("https://b.s3express.amazonaws.com/k", &[], SignableBody::empty()),
        &params(&c, "s3express").with_settings(&s),
    )
    .unwrap();
    assert_eq!(header(&out, "x-amz-s3session-token"), Some("T"));
    assert_eq!(header(&out, "x-amz-security-token"), None);
}

#[test]
fn stale_token_and_date_headers_in_the_request_are_replaced() {
    let c = creds().with_session_token("NEW");
    let h: &[(&str, &[u8])] = &[
        ("x-amz-security-token", b"OLD"),
        ("x-amz-date", b"20000101T000000Z"),
        ("authorization", b"AWS4-HMAC-SHA256 old"),
    ];
    let out = sign(
        &req("https://api.example.com/", h, SignableBody::empty()),
        &params(&c, "x"),
    )
    .unwrap();
    assert!(!creq(&out).contains("OLD") && !creq(&out).contains("20000101"));
    let mut http_req = http::Request::builder()
        .uri("https://api.example.com/")
        .header("x-amz-security-token", "OLD")
        .header("x-amz-date", "x")
        .header("authorization", "old")
        .body(())
        .unwrap();
    out.apply_to_request(&mut http_req).unwrap();
    for name in ["x-amz-security-token", "x-amz-date", "authorization"] {
        assert_eq!(
            http_req.headers().get_all(name).iter().count(),
            1,
            "{name} must appear once after re-signing"
        );
    }
    assert_eq!(http_req.headers()["x-amz-security-token"], "NEW");
}

#[test]
fn presign_expiry_must_be_between_one_second_and_seven_days() {
    let c = creds();
    let r = req("https://b.s3.amazonaws.com/k", &[], SignableBody::empty());
    for secs in [0, 604_801, 10_000_000] {
        let e = sign(&r, &params(&c, "s3").presigned(Duration::from_secs(secs))).unwrap_err();
        assert_eq!(e, SigningError::ExpiryOutOfRange { seconds: secs });
    }
    for secs in [1, 604_800] {
        sign(&r, &params(&c, "s3").presigned(Duration::from_secs(secs))).unwrap();
    }
}

#[test]
fn s3_presign_is_unsigned_payload_others_hash_the_body() {
    let c = creds();
    let r = req("https://b.s3.amazonaws.com/k", &[], SignableBody::Bytes(b"hello"));
    let p = sign(&r, &params(&c, "s3").presigned(Duration::from_secs(60))).unwrap();
    assert!(creq(&p).ends_with("\nUNSIGNED-PAYLOAD"));
    assert!(p.headers().is_empty(), "presigning adds no header");
    let p = sign(&r, &params(&c, "execute-api").presigned(Duration::from_secs(60))).unwrap();
    assert!(creq(&p).ends_with("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
    let s = SigningSettings::s3().with_presigned_payload(PresignedPayload::Hashed);
    let p = sign(
        &r,
        &params(&c, "s3").with_settings(&s).presigned(Duration::from_secs(60)),
    )
    .unwrap();
    assert!(creq(&p).ends_with("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
}

#[test]
fn presigned_url_appends_strictly_encoded_parameters() {
    let c = creds();
    let r = req("https://b.s3.amazonaws.com/k?versionId=1", &[], SignableBody::empty());
    let p = sign(&r, &params(&c, "s3").presigned(Duration::from_secs(3600))).unwrap();
    let uri: http::Uri = "https://b.s3.amazonaws.com/k?versionId=1".parse().unwrap();
    let signed = p.apply_to_uri(&uri).unwrap().to_string();
    assert!(signed.starts_with("https://b.s3.amazonaws.com/k?versionId=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&"), "{signed}");
    assert!(
        signed.contains("&X-Amz-SignedHeaders=host&") && signed.contains(&format!("X-Amz-Signature={}", p.signature()))
    );
}

#[test]
fn host_is_derived_from_the_uri_when_absent() {
    let c = creds();
    let out = sign(
        &req("https://api.example.com:443/", &[], SignableBody::empty()),
        &params(&c, "x"),
    )
    .unwrap();
    assert!(creq(&out).contains("\nhost:api.example.com\n"));
    let out = sign(&req("http://[::1]:9000/", &[], SignableBody::empty()), &params(&c, "x")).unwrap();
    assert!(creq(&out).contains("\nhost:[::1]:9000\n"));
}

#[test]
fn missing_host_is_an_error() {
    let c = creds();
    assert_eq!(
        sign(&req("/only/a/path", &[], SignableBody::empty()), &params(&c, "x")).unwrap_err(),
        SigningError::MissingHost
    );
}

#[test]
fn excluded_headers_are_not_signed_and_the_set_can_change() {
    let c = creds();
    let h: &[(&str, &[u8])] = &[
        ("user-agent", b"ua"),
        ("x-amzn-trace-id", b"t"),
        ("transfer-encoding", b"chunked"),
        ("x-forwarded-for", b"1.2.3.4"),
    ];
    let out = sign(&req("https://h/", h, SignableBody::empty()), &params(&c, "x")).unwrap();
    assert_eq!(signed_headers(&out), "host;x-amz-date;x-forwarded-for");
    let s = SigningSettings::general()
        .with_excluded_headers(ExcludedHeaders::default().without("user-agent").with("x-forwarded-for"));
    let out = sign(
        &req("https://h/", h, SignableBody::empty()),
        &params(&c, "x").with_settings(&s),
    )
    .unwrap();
    assert_eq!(signed_headers(&out), "host;user-agent;x-amz-date");
}

#[test]
fn non_utf8_header_value_is_an_error() {
    let c = creds();
    let h: &[(&str, &[u8])] = &[("x-amz-meta-a", b"caf\xe9")];
    let e = sign(&req("https://h/", h, SignableBody::empty()), &params(&c, "x")).unwrap_err();
    assert!(
        matches!(e, SigningError::InvalidHeaderValue { ref name, .. } if name == "x-amz-meta-a"),
        "{e:?}"
    );
    // The same through http::HeaderValue, which accepts obs-text bytes.
    let r = http::Request::builder()
        .uri("https://h/")
        .header("x-amz-meta-a", http::HeaderValue::from_bytes(b"caf\xe9").unwrap())
        .body(())
        .unwrap();
    assert!(matches!(
        sign(&SignableRequest::from_http(&r, SignableBody::empty()), &params(&c, "x")),
        Err(SigningError::InvalidHeaderValue { .. })
    ));
}

#[test]
fn control_character_in_header_value_is_an_error() {
    let c = creds();
    let h: &[(&str, &[u8])] = &[("x-a", b"a\x00b")];
    assert!(matches!(
        sign(&req("https://h/", h, SignableBody::empty()), &params(&c, "x")),
        Err(SigningError::InvalidHeaderValue { .. })
    ));
}

#[test]
fn time_before_1970_is_an_error() {
    let c = creds();
    let p = SigningParams::new(&c, "us-east-1", "x", UNIX_EPOCH - Duration::from_secs(1));
    assert_eq!(
        sign(&req("https://h/", &[], SignableBody::empty()), &p).unwrap_err(),
        SigningError::TimeBeforeEpoch
    );
}

#[test]
fn bad_scope_parts_and_access_key_are_errors() {
    let c = creds();
    let t = UNIX_EPOCH + Duration::from_secs(TIME);
    let r = req("https://h/", &[], SignableBody::empty());
    assert!(matches!(
        sign(&r, &SigningParams::new(&c, "", "x", t)),
        Err(SigningError::InvalidScope { what: "region", .. })
    ));
    assert!(matches!(
        sign(&r, &SigningParams::new(&c, "us-east-1", "a/b", t)),
        Err(SigningError::InvalidScope { what: "service", .. })
    ));
    for bad in ["AKID, Signature=x", "AK/ID", "AK ID", ""] {
        let bad = Credentials::new(bad, "s");
        assert!(matches!(
            sign(&r, &SigningParams::new(&bad, "us-east-1", "x", t)),
            Err(SigningError::InvalidCredentials(_))
        ));
    }
    // Keys of S3-compatible stores may hold `-`, `_`, `.` or `=`.
    for ok in ["minio-admin_1.key", "GK31c2f218a2e44f485b94239e"] {
        sign(&r, &SigningParams::new(&Credentials::new(ok, "s"), "us-east-1", "x", t)).unwrap();
    }
    let bad_token = creds().with_session_token("line\nbreak");
    assert!(matches!(
        sign(&r, &SigningParams::new(&bad_token, "us-east-1", "x", t)),
        Err(SigningError::InvalidHeaderValue { .. } | SigningError::InvalidCredentials(_))
    ));
}

#[test]
fn output_debug_and_steps_debug_never_show_the_token() {
    let c = creds().with_session_token("SECRET-TOKEN-VALUE");
    let out = sign(&req("https://h/", &[], SignableBody::empty()), &params(&c, "x")).unwrap();
    let dbg = format!("{out:?}");
    assert!(!dbg.contains("SECRET-TOKEN-VALUE"), "{dbg}");
    assert!(!dbg.contains(c.secret_access_key()));
    assert!(
        out.steps()
            .unwrap()
            .redacted_canonical_request()
            .contains("** redacted **")
    );
    assert!(
        !out.steps()
            .unwrap()
            .redacted_canonical_request()
            .contains("SECRET-TOKEN-VALUE")
    );
}

#[test]
fn key_cache_gives_the_same_signature_as_fresh_derivation() {
    let c = creds();
    let cache = sigv4_middleware::signing::SigningKeyCache::new(8);
    let r = req("https://h/a?b=c", &[], SignableBody::Bytes(b"x"));
    let fresh = sign(&r, &params(&c, "x")).unwrap();
    let cached1 = sign(&r, &params(&c, "x").with_key_cache(&cache)).unwrap();
    let cached2 = sign(&r, &params(&c, "x").with_key_cache(&cache)).unwrap();
    assert_eq!(fresh.signature(), cached1.signature());
    assert_eq!(fresh.signature(), cached2.signature());
    assert_eq!(cache.len(), 1);
}

#[test]
fn explicit_signed_headers_recompute_a_clients_signature() {
    // A verifier sees the signed request and the client's SignedHeaders list: recomputing with
    // exactly those headers, values as sent, must give the client's signature.
    let c = creds().with_session_token("TOK");
    let h: &[(&str, &[u8])] = &[("x-amz-meta-a", b"  v  "), ("user-agent", b"ua")];
    let client = sign(
        &req("https://h.example/p?q=1", h, SignableBody::Bytes(b"body")),
        &params(&c, "x"),
    )
    .unwrap();
    let mut sent: Vec<(String, Vec<u8>)> = h.iter().map(|(n, v)| (n.to_string(), v.to_vec())).collect();
    sent.extend(
        client
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())),
    );
    let sent_refs: Vec<(&str, &[u8])> = sent.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    let names: Vec<&str> = signed_headers(&client).leak().split(';').collect();
    let server_req = SignableRequest::new(
        "PUT",
        "https://h.example/p?q=1",
        sent_refs.iter().copied(),
        SignableBody::Bytes(b"body"),
    )
    .unwrap();
    let server = sign(&server_req, &params(&c, "x").with_signed_headers(&names)).unwrap();
    assert_eq!(server.signature(), client.signature());
    // A header the client listed but the request lacks is an error, not a silent omission.
    let names = ["host", "x-amz-date", "x-amz-meta-missing"];
    let e = sign(&server_req, &params(&c, "x").with_signed_headers(&names)).unwrap_err();
    assert_eq!(e, SigningError::SignedHeaderMissing("x-amz-meta-missing".into()));
}

#[test]
fn after_signing_mode_never_signs_a_caller_set_token_header() {
    // Found by the differential tests: without a token in the credentials, a token header the
    // caller set was signed as an ordinary header despite the mode.
    let c = creds();
    let s = SigningSettings::general().with_session_token_mode(SessionTokenMode::AfterSigning);
    let h: &[(&str, &[u8])] = &[("x-amz-security-token", b"t")];
    let out = sign(
        &req("https://h.example/", h, SignableBody::empty()),
        &params(&c, "x").with_settings(&s),
    )
    .unwrap();
    assert_eq!(signed_headers(&out), "host;x-amz-date");
    let p = sign(
        &req("https://h.example/", h, SignableBody::empty()),
        &params(&c, "x").with_settings(&s).presigned(Duration::from_secs(60)),
    )
    .unwrap();
    assert!(
        p.query_params()
            .iter()
            .any(|(k, v)| k == "X-Amz-SignedHeaders" && v == "host")
    );
}

#[test]
fn presigned_query_is_encoded_once_and_decodes_to_the_parameters() {
    let token = "AQoD//+a=b/c+";
    let c = creds().with_session_token(token);
    let p = sign(
        &req(
            "https://b.s3.amazonaws.com/k%20ey?x-id=GetObject",
            &[],
            SignableBody::UnsignedPayload,
        ),
        &params(&c, "s3").presigned(Duration::from_secs(60)),
    )
    .unwrap();
    let names: Vec<&str> = p.query_params().iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(
        names,
        [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "X-Amz-Security-Token",
            "X-Amz-Signature"
        ]
    );
    let value = |name: &str| p.query_params().iter().find(|(k, _)| k == name).unwrap().1.clone();
    assert_eq!(value("X-Amz-Security-Token"), token);
    assert_eq!(
        value("X-Amz-Credential"),
        "AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request"
    );
    assert_eq!(value("X-Amz-Signature"), p.signature());
    let encoded = p.encoded_query();
    assert!(
        encoded.contains("X-Amz-Security-Token=AQoD%2F%2F%2Ba%3Db%2Fc%2B&"),
        "{encoded}"
    );
    assert!(encoded.contains("X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&"));
    // The canonical query signed the same encoded token the URL carries.
    assert!(creq(&p).contains("X-Amz-Security-Token=AQoD%2F%2F%2Ba%3Db%2Fc%2B&"));

    let uri: http::Uri = "https://b.s3.amazonaws.com/k%20ey?x-id=GetObject".parse().unwrap();
    let presigned = p.apply_to_uri(&uri).unwrap();
    assert_eq!(presigned.to_string(), format!("{uri}&{encoded}"));
    let mut request = http::Request::get(uri.clone()).body(()).unwrap();
    p.apply_to_request(&mut request).unwrap();
    assert_eq!(request.uri(), &presigned);
}

#[test]
fn an_authority_form_uri_cannot_be_presigned_and_is_left_as_it_was() {
    let c = creds();
    let p = sign(
        &req("https://h/", &[], SignableBody::UnsignedPayload),
        &params(&c, "s3").presigned(Duration::from_secs(60)),
    )
    .unwrap();
    let mut request = http::Request::get("user:secret@example.com:443").body(()).unwrap();
    let before = request.uri().clone();
    let err = p.apply_to_request(&mut request).unwrap_err();
    assert!(matches!(err, SigningError::InvalidUri(_)));
    // The error never repeats the URI: its authority may hold a password.
    assert!(!err.to_string().contains("secret"), "{err}");
    assert_eq!(request.uri(), &before);
    assert!(matches!(p.apply_to_uri(&before), Err(SigningError::InvalidUri(_))));
}

#[test]
fn presigned_output_debug_never_shows_the_token() {
    let c = creds().with_session_token("SECRET/TOKEN+VALUE");
    let p = sign(
        &req("https://h/", &[], SignableBody::UnsignedPayload),
        &params(&c, "s3").presigned(Duration::from_secs(60)),
    )
    .unwrap();
    let dbg = format!("{p:?}");
    assert!(!dbg.contains("SECRET"), "{dbg}");
    assert!(dbg.contains("X-Amz-Security-Token"), "{dbg}");
}
