//! Property tests: nothing a client sends panics the verifier's parsers or its service, and
//! every unsigned request is refused with an AWS error code.

#[path = "../../tests/common/verify_harness.rs"]
mod verify_harness;

use http::{HeaderValue, Request, StatusCode};
use proptest::prelude::*;
use sigv4_middleware::verify::BodyMode;
use sigv4_middleware::verify::parse::{
    ChunkDecoder, ChunkDecoderConfig, ChunkSignatures, ParseLimits, parse_authorization, parse_presigned_query,
};
use verify_harness::*;

fn auth_like() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "(AWS4-HMAC-SHA256)? ?(Credential=[A-Za-z0-9/_-]{0,60})?,? ?(SignedHeaders=[a-z;-]{0,40})?,? ?(Signature=[0-9a-fA-F]{0,70})?"
            .prop_map(String::into_bytes),
    ]
}

fn query_like() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,300}",
        "((X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature|Security-Token)|[a-z%+]{1,6})=[A-Za-z0-9%+/=._-]{0,40}&){0,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn authorization_parser_never_panics(input in auth_like()) {
        let _ = parse_authorization(&input, &ParseLimits::default());
    }

    #[test]
    fn presigned_query_parser_never_panics(input in query_like()) {
        let _ = parse_presigned_query(&input, "X-Amz-Security-Token", &ParseLimits::default());
        let _ = sigv4_middleware::verify::parse::is_presigned(&input);
    }

    #[test]
    fn chunk_decoder_never_panics(
        input in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            "([0-9A-Fa-f]{1,9}(;chunk-signature=[0-9a-f]{0,66})?\r\n[a-z]{0,20}\r\n){0,4}(0\r\n)?([a-z-]{0,10}:[ -~]{0,10}\r\n)?(\r\n)?"
                .prop_map(String::into_bytes),
        ],
        split in 1usize..50,
        signed in any::<bool>(),
        trailers in any::<bool>(),
        declared in proptest::option::of(0u64..200),
    ) {
        let sigs = if signed { ChunkSignatures::Signed } else { ChunkSignatures::Unsigned };
        let cfg = ChunkDecoderConfig::new(sigs).with_trailers(trailers).with_decoded_length(declared);
        let mut decoder = ChunkDecoder::new(cfg);
        let mut data = 0usize;
        'outer: for piece in input.chunks(split) {
            let mut piece = piece;
            while !piece.is_empty() {
                match decoder.decode(piece) {
                    Ok(step) => {
                        prop_assert!(step.consumed <= piece.len());
                        if let Some(sigv4_middleware::verify::parse::ChunkEvent::Data(d)) = &step.event {
                            data += d.len();
                        }
                        if step.consumed == 0 && step.event.is_none() { break 'outer; }
                        piece = &piece[step.consumed..];
                    }
                    Err(_) => break 'outer,
                }
            }
        }
        if decoder.finish().is_ok() {
            prop_assert_eq!(data as u64, decoder.decoded_so_far());
            if let Some(d) = declared { prop_assert_eq!(d, decoder.decoded_so_far()); }
        }
    }
}

fn arbitrary_request() -> impl Strategy<Value = Request<Vec<u8>>> {
    let method = prop_oneof![Just("GET"), Just("PUT"), Just("POST")];
    let path = "(/[a-zA-Z0-9%._~=+-]{0,12}){1,3}";
    let query = proptest::option::of(query_like());
    let headers = proptest::collection::vec(
        (
            prop_oneof![
                Just("authorization"),
                Just("x-amz-date"),
                Just("x-amz-content-sha256"),
                Just("x-amz-security-token"),
                Just("x-amz-decoded-content-length"),
                Just("x-amz-trailer"),
                Just("content-encoding"),
                Just("date"),
                Just("x-amz-meta-a")
            ],
            prop_oneof![
                "[ -~]{0,80}",
                Just("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000".to_owned()),
                Just("20231114T221320Z".to_owned()),
                Just("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".to_owned()),
                Just("UNSIGNED-PAYLOAD".to_owned()),
                Just("10".to_owned()),
            ],
        ),
        0..8,
    );
    let body = proptest::collection::vec(any::<u8>(), 0..200);
    (method, path, query, headers, body).prop_map(|(m, p, q, hs, body)| {
        let uri = match q {
            Some(q) => format!("https://bucket.s3.amazonaws.com{p}?{q}"),
            None => format!("https://bucket.s3.amazonaws.com{p}"),
        };
        let uri: http::Uri = uri
            .parse()
            .unwrap_or_else(|_| http::Uri::from_static("https://bucket.s3.amazonaws.com/"));
        let mut r = Request::new(body);
        *r.method_mut() = m.parse().unwrap();
        *r.uri_mut() = uri;
        for (n, v) in hs {
            if let Ok(v) = HeaderValue::from_str(&v) {
                r.headers_mut().append(n, v);
            }
        }
        r
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_verifier_service_never_panics_and_refuses_garbage(request in arbitrary_request(), streaming in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mode = if streaming { BodyMode::Streaming } else { BodyMode::Buffered };
        let out = runtime.block_on(send(config("s3").body_mode(mode), request));
        // None of these requests carries a valid signature.
        prop_assert_ne!(out.status, StatusCode::OK, "{}", out.body);
        prop_assert!(out.code().is_some(), "{}", out.body);
    }
}
