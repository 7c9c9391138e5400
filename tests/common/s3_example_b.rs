//! Example B of `tests/data/s3-streaming-example.md` (AWS's "sigv4-streaming-trailers"
//! upload, as smithy-rs's aws-runtime `content_encoding` tests assert its frames): 66560 bytes
//! of `a` in chunks of 64 KiB and 1 KiB, signed chunks and a signed CRC32C trailer. The final
//! chunk's line is followed directly by the trailers.
#![allow(dead_code)]

use sigv4_middleware::signing::{SignableBody, SignableRequest};

pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// 20130524T000000Z.
pub const UNIX_TIME: u64 = 1_369_353_600;
pub const SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
pub const CHUNK_1: &str = "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2";
pub const CHUNK_2: &str = "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7";
pub const FINAL: &str = "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992";
pub const TRAILER: &str = "x-amz-checksum-crc32c:sOO8/Q==";
pub const TRAILER_SIGNATURE: &str = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
pub const ENCODED_LENGTH: usize = 66946;

/// The headers the seed request signs besides those the signer adds, in order.
pub const SIGNED_HEADERS: [(&str, &[u8]); 5] = [
    ("content-encoding", b"aws-chunked"),
    ("host", b"s3.amazonaws.com"),
    ("x-amz-decoded-content-length", b"66560"),
    ("x-amz-storage-class", b"REDUCED_REDUNDANCY"),
    ("x-amz-trailer", b"x-amz-checksum-crc32c"),
];

/// The seed request, for the pure core to sign.
pub fn seed_request() -> SignableRequest<'static> {
    SignableRequest::new(
        "PUT",
        "/examplebucket/chunkObject.txt",
        SIGNED_HEADERS,
        SignableBody::StreamingSignedTrailer,
    )
    .unwrap()
}

/// The encoded body, bit for bit.
pub fn body() -> Vec<u8> {
    let mut body = Vec::with_capacity(ENCODED_LENGTH);
    body.extend_from_slice(format!("10000;chunk-signature={CHUNK_1}\r\n").as_bytes());
    body.extend(std::iter::repeat_n(b'a', 65536));
    body.extend_from_slice(format!("\r\n400;chunk-signature={CHUNK_2}\r\n").as_bytes());
    body.extend(std::iter::repeat_n(b'a', 1024));
    body.extend_from_slice(format!("\r\n0;chunk-signature={FINAL}\r\n").as_bytes());
    body.extend_from_slice(format!("{TRAILER}\r\nx-amz-trailer-signature:{TRAILER_SIGNATURE}\r\n\r\n").as_bytes());
    body
}

/// The request's headers on the wire, signature included.
pub fn headers() -> Vec<(String, String)> {
    [
        ("host", "s3.amazonaws.com".to_owned()),
        ("content-encoding", "aws-chunked".to_owned()),
        ("content-length", ENCODED_LENGTH.to_string()),
        (
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER".to_owned(),
        ),
        ("x-amz-date", "20130524T000000Z".to_owned()),
        ("x-amz-decoded-content-length", "66560".to_owned()),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY".to_owned()),
        ("x-amz-trailer", "x-amz-checksum-crc32c".to_owned()),
        (
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;\
                 x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer, Signature={SEED}"
            ),
        ),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect()
}
