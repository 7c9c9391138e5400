//! Which S3 operations get a checksum under `WHEN_REQUIRED`, against the S3 service model
//! itself: botocore's copy (installed with moto, as .ci/run does) lists the operations with
//! `httpChecksum.requestChecksumRequired`. Every one of them must get a checksum; every other
//! `PUT`/`POST` operation with a body must not.

use std::process::Command;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use sigv4_middleware::client::{ChecksumCalculation, ChecksumPolicy, Signer};
use sigv4_middleware::credentials::Credentials;

/// `(operation, method, request URI, checksum required)` for every `PUT` and `POST` of S3.
fn s3_model_operations() -> Vec<(String, String, String, bool)> {
    let script = r#"
import json, botocore.loaders
model = botocore.loaders.Loader().load_service_model("s3", "service-2")
out = []
for name, op in model["operations"].items():
    http = op["http"]
    if http["method"] not in ("PUT", "POST"):
        continue
    required = bool(op.get("httpChecksumRequired") or op.get("httpChecksum", {}).get("requestChecksumRequired"))
    out.append([name, http["method"], http["requestUri"], required])
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3 with botocore (installed with moto by .ci/run)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<(String, String, String, bool)>>(&out.stdout).unwrap()
}

/// `/{Bucket}/{Key+}?acl` as a concrete path-style URL.
fn url_of(request_uri: &str) -> String {
    let path = request_uri.replace("{Bucket}", "bucket").replace("{Key+}", "key");
    // Parameters in the model's URI may carry a value template (`?uploadId={UploadId}`) or
    // stand alone (`?acl`); both keep their name.
    let path = path.replace("{UploadId}", "u1").replace("{PartNumber}", "1");
    format!("https://s3.us-east-1.amazonaws.com{path}")
}

#[tokio::test]
async fn when_required_checksums_exactly_the_operations_the_s3_model_requires_them_for() {
    let signer = Signer::builder("us-east-1", "s3")
        .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
        .checksums(ChecksumPolicy::new().calculation(ChecksumCalculation::WhenRequired))
        .build();
    let operations = s3_model_operations();
    assert!(
        operations.iter().filter(|o| o.3).count() >= 20,
        "the model lists the required operations"
    );
    // One request line can be two operations (`PUT ?notification`: the deprecated
    // PutBucketNotification requires a checksum, PutBucketNotificationConfiguration does not);
    // a request cannot tell them apart, and S3 accepts a checksum on either.
    let required_somewhere = |method: &str, uri: &str| {
        operations
            .iter()
            .any(|(_, m, u, required)| *required && m == method && u == uri)
    };
    let mut wrong = Vec::new();
    for (name, method, uri, _) in &operations {
        let required = required_somewhere(method, uri);
        let request = Request::builder()
            .method(method.as_str())
            .uri(url_of(uri))
            .body(Full::new(Bytes::from_static(b"<Configuration/>")))
            .unwrap();
        let signed = signer.sign(request).await.unwrap();
        let has = signed.headers().contains_key("x-amz-checksum-crc32");
        if has != required {
            wrong.push(format!("{name} {method} {uri}: required {required}, sent {has}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
