//! Unit tests of the parsers.

use super::*;

const SIG: &str = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";

fn auth(s: &str) -> Result<Authorization<'_>, ParseError> {
    parse_authorization(s.as_bytes(), &ParseLimits::default())
}

#[test]
fn parses_the_header_form_in_any_order_and_spacing() {
    let canonical = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
         SignedHeaders=host;range;x-amz-date, Signature={SIG}"
    );
    let a = auth(&canonical).unwrap();
    assert_eq!(a.credential.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(a.credential.scope(), "20130524/us-east-1/s3/aws4_request");
    assert_eq!(a.signed_headers, ["host", "range", "x-amz-date"]);
    assert_eq!(&a.signature, SIG.as_bytes());
    let shuffled = format!(
        "AWS4-HMAC-SHA256 Signature={SIG},SignedHeaders=host;range;x-amz-date,Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
    );
    assert_eq!(auth(&shuffled).unwrap(), a);
}

#[test]
fn header_form_errors_have_the_right_kind() {
    use ParseErrorKind::*;
    let cred = "Credential=AKID/20130524/us-east-1/s3/aws4_request";
    let sh = "SignedHeaders=host";
    let sig = format!("Signature={SIG}");
    let cases: Vec<(String, ParseErrorKind)> = vec![
        (format!("AWS4-HMAC-SHA256 {cred}, {sh}"), Incomplete),
        (format!("AWS4-HMAC-SHA256 {sh}, {sig}"), Incomplete),
        ("AWS4-HMAC-SHA256".into(), Incomplete),
        (format!("AWS4-HMAC-SHA1 {cred}, {sh}, {sig}"), UnsupportedAlgorithm),
        (format!("AWS4-HMAC-SHA256 {cred}, {cred}, {sh}, {sig}"), Malformed),
        (format!("AWS4-HMAC-SHA256 {cred}, {sh}, Signature=XYZ"), Malformed),
        (
            format!("AWS4-HMAC-SHA256 {cred}, {sh}, Signature={}", SIG.to_uppercase()),
            Malformed,
        ),
        (format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=Host, {sig}"), Malformed),
        (
            format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;;a, {sig}"),
            Malformed,
        ),
        (
            format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;host, {sig}"),
            Malformed,
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential=AKID/2013052/us-east-1/s3/aws4_request, {sh}, {sig}"),
            Malformed,
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws3_request, {sh}, {sig}"),
            Malformed,
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3, {sh}, {sig}"),
            Malformed,
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential=AK-ID/20130524/us-east-1/s3/aws4_request, {sh}, {sig}"),
            Malformed,
        ),
        (format!("AWS4-HMAC-SHA256 {cred}, {sh}, {sig}, Extra=1"), Malformed),
        (format!("AWS4-HMAC-SHA256 {cred}, {sh}, {sig}, junk"), Malformed),
    ];
    for (input, kind) in cases {
        assert_eq!(auth(&input).unwrap_err().kind(), kind, "{input}");
    }
    let many = (0..65).map(|i| format!("h{i}")).collect::<Vec<_>>().join(";");
    let e = auth(&format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders={many}, {sig}")).unwrap_err();
    assert_eq!(e.kind(), TooLarge);
    let long = "a".repeat(9000);
    assert_eq!(auth(&long).unwrap_err().kind(), TooLarge);
    assert_eq!(
        parse_authorization(b"AWS4-HMAC-SHA256 \xff", &ParseLimits::default())
            .unwrap_err()
            .kind(),
        Malformed
    );
}

fn presigned_query() -> String {
    format!(
        "list-type=2&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature={SIG}&prefix=a%20b"
    )
}

#[test]
fn parses_the_query_form_and_strips_only_the_signature() {
    let q = presigned_query();
    assert!(is_presigned(&q));
    let p = parse_presigned_query(&q, "X-Amz-Security-Token", &ParseLimits::default()).unwrap();
    assert_eq!(p.credential.scope(), "20130524/us-east-1/s3/aws4_request");
    assert_eq!(p.expires, 86400);
    assert_eq!(p.signed_headers, ["host"]);
    assert_eq!(&p.signature, SIG.as_bytes());
    assert_eq!(p.security_token, None);
    assert_eq!(
        p.query_without_signature,
        q.replace(&format!("&X-Amz-Signature={SIG}"), "")
    );
    assert!(!is_presigned("a=1&b=2"));
}

#[test]
fn query_form_errors() {
    let lim = ParseLimits::default();
    let q = presigned_query();
    let p = |s: &str| parse_presigned_query(s, "X-Amz-Security-Token", &lim).map(|_| ());
    assert_eq!(
        p(&q.replace("&X-Amz-Expires=86400", "")).unwrap_err().kind(),
        ParseErrorKind::Incomplete
    );
    assert_eq!(
        p(&format!("{q}&X-Amz-Date=20130524T000000Z")).unwrap_err().kind(),
        ParseErrorKind::Malformed
    );
    assert_eq!(
        p(&q.replace("86400", "1e3")).unwrap_err().kind(),
        ParseErrorKind::Malformed
    );
    assert_eq!(
        p(&q.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"))
            .unwrap_err()
            .kind(),
        ParseErrorKind::UnsupportedAlgorithm
    );
    let big = format!("{q}&x={}", "a".repeat(20_000));
    assert_eq!(p(&big).unwrap_err().kind(), ParseErrorKind::TooLarge);
    let many = format!("{q}{}", "&a".repeat(300));
    assert_eq!(p(&many).unwrap_err().kind(), ParseErrorKind::TooLarge);
}

fn decode_all(config: ChunkDecoderConfig, input: &[u8], step: usize) -> Result<(Vec<u8>, usize), ChunkError> {
    let mut d = ChunkDecoder::new(config);
    let mut out = Vec::new();
    let mut headers = 0;
    for piece in input.chunks(step.max(1)) {
        let mut piece = piece;
        loop {
            let r = d.decode(piece)?;
            match r.event {
                Some(ChunkEvent::Data(x)) => out.extend_from_slice(x),
                Some(ChunkEvent::Header { .. }) => headers += 1,
                _ => {}
            }
            piece = &piece[r.consumed..];
            if piece.is_empty() && r.event.is_none() {
                break;
            }
            if piece.is_empty() && d.is_done() {
                break;
            }
        }
    }
    d.finish()?;
    Ok((out, headers))
}

#[test]
fn decodes_the_documented_unsigned_framings_in_any_split() {
    let cfg = ChunkDecoderConfig::new(ChunkSignatures::Unsigned);
    for step in [1, 2, 3, 7, 100] {
        let body = b"A\r\n1234567890\r\nA\r\n1234567890\r\n5\r\n12345\r\n0\r\n\r\n";
        let (data, headers) = decode_all(cfg.clone(), body, step).unwrap();
        assert_eq!(data, b"1234567890123456789012345");
        assert_eq!(headers, 4);
        let with_trailer =
            b"A\r\n1234567890\r\nA\r\n1234567890\r\n5\r\n12345\r\n0\r\nx-amz-checksum-crc32:78DeVw==\r\n\r\n";
        assert!(decode_all(cfg.clone(), with_trailer, step).is_err());
        let (data, _) = decode_all(cfg.clone().with_trailers(true), with_trailer, step).unwrap();
        assert_eq!(data.len(), 25);
    }
}

#[test]
fn reports_signatures_and_enforces_limits() {
    let sig = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
    let body = format!("3;chunk-signature={sig}\r\nabc\r\n0;chunk-signature={sig}\r\n\r\n");
    let cfg = ChunkDecoderConfig::new(ChunkSignatures::Signed).with_decoded_length(Some(3));
    let mut d = ChunkDecoder::new(cfg.clone());
    let r = d.decode(body.as_bytes()).unwrap();
    assert_eq!(
        r.event,
        Some(ChunkEvent::Header {
            size: 3,
            signature: Some(sig.as_bytes().try_into().unwrap())
        })
    );
    assert!(decode_all(cfg.clone(), body.as_bytes(), 5).is_ok());
    // Declared length too small / too large.
    let short = cfg.clone().with_decoded_length(Some(2));
    assert!(matches!(
        decode_all(short, body.as_bytes(), 5),
        Err(ChunkError::LengthMismatch { .. })
    ));
    let long = cfg.clone().with_decoded_length(Some(4));
    assert!(matches!(
        decode_all(long, body.as_bytes(), 5),
        Err(ChunkError::LengthMismatch { .. })
    ));
    // Truncation.
    assert_eq!(
        decode_all(cfg.clone(), &body.as_bytes()[..body.len() - 1], 5),
        Err(ChunkError::Truncated)
    );
    // Chunk too large, too many digits, garbage after the end.
    let small = cfg.clone().with_max_chunk_size(2).with_decoded_length(None);
    assert!(matches!(
        decode_all(small, body.as_bytes(), 5),
        Err(ChunkError::ChunkTooLarge { size: 3, max: 2 })
    ));
    let digits = format!("000000003;chunk-signature={sig}\r\nabc\r\n");
    assert!(matches!(
        decode_all(cfg.clone(), digits.as_bytes(), 64),
        Err(ChunkError::Malformed(_))
    ));
    let after = format!("{body}x");
    assert!(matches!(
        decode_all(cfg.clone(), after.as_bytes(), 64),
        Err(ChunkError::Malformed(_))
    ));
    // An endless header line is refused once it exceeds its bound, not buffered.
    let mut d = ChunkDecoder::new(cfg);
    let endless = vec![b'1'; 1000];
    assert!(d.decode(&endless).is_err());
}
