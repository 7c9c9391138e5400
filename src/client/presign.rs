//! Presigned URLs: the signer's `presign` and `presign_with_checksum`, and the rule that a URL
//! cannot outlive the credentials that signed it.

use std::time::{Duration, SystemTime};

use crate::credentials::Credentials;
use crate::credentials::time::format_rfc3339;

/// A presigned URL would stay valid after the temporary credentials signing it expire; AWS
/// refuses it from that moment on (`ExpiredToken`), so the URL would fail earlier than its
/// `X-Amz-Expires` promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a presigned URL valid for {requested}s would outlive the temporary credentials from {provider} signing it, which expire at {expiry} (in {remaining}s); presign for at most {remaining}s or use longer-lived credentials"
)]
pub struct PresignLifetimeError {
    requested: u64,
    remaining: u64,
    expiry: String,
    provider: String,
}

impl PresignLifetimeError {
    /// The lifetime asked for, in seconds.
    pub fn requested_secs(&self) -> u64 {
        self.requested
    }

    /// How long the credentials stay valid, in seconds (0 when already expired): the longest
    /// lifetime a URL signed with them can have.
    pub fn remaining_secs(&self) -> u64 {
        self.remaining
    }
}

/// Checks that a URL presigned at `now` for `expires_in` with `credentials` stays usable for its
/// whole lifetime. [`Signer::presign`](super::Signer::presign) calls it; call it yourself when
/// you presign with the signing core.
///
/// The choice made here is to refuse (not warn): a URL handed to someone else fails silently,
/// later, far from the code that made it, so the error is raised where it can still be fixed.
/// Credentials without expiry always pass.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sigv4_middleware::client::check_presign_lifetime;
/// use sigv4_middleware::credentials::Credentials;
///
/// let now = SystemTime::now();
/// let temp = Credentials::new("ASIA", "s").with_session_token("t").with_expiry(now + Duration::from_secs(900));
/// assert!(check_presign_lifetime(&temp, now, Duration::from_secs(600)).is_ok());
/// let err = check_presign_lifetime(&temp, now, Duration::from_secs(3600)).unwrap_err();
/// assert_eq!(err.remaining_secs(), 900);
/// ```
pub fn check_presign_lifetime(
    credentials: &Credentials,
    now: SystemTime,
    expires_in: Duration,
) -> Result<(), PresignLifetimeError> {
    let Some(expiry) = credentials.expiry() else {
        return Ok(());
    };
    let fits = now.checked_add(expires_in).is_some_and(|end| end <= expiry);
    if fits {
        return Ok(());
    }
    Err(PresignLifetimeError {
        requested: expires_in.as_secs(),
        remaining: expiry.duration_since(now).map(|d| d.as_secs()).unwrap_or(0),
        expiry: format_rfc3339(expiry),
        provider: credentials.provider_name().to_owned(),
    })
}

/// A presigned request: its method, its URL, and the headers whoever uses the URL must send
/// with it, exactly as given (they are signed: one left out or changed fails the signature).
/// Made by [`Signer::presign_with_checksum`](super::Signer::presign_with_checksum).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PresignedRequest {
    method: http::Method,
    uri: http::Uri,
    headers: http::HeaderMap,
}

impl PresignedRequest {
    /// The method the URL was signed for.
    pub fn method(&self) -> &http::Method {
        &self.method
    }

    /// The presigned URL.
    pub fn uri(&self) -> &http::Uri {
        &self.uri
    }

    /// The headers to send with the URL, every one of them (`host` aside, which comes from the
    /// URL).
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// The method, URL and headers.
    pub fn into_parts(self) -> (http::Method, http::Uri, http::HeaderMap) {
        (self.method, self.uri, self.headers)
    }

    /// The request to send, with `body`.
    pub fn into_request<B>(self, body: B) -> http::Request<B> {
        let mut request = http::Request::new(body);
        *request.method_mut() = self.method;
        *request.uri_mut() = self.uri;
        *request.headers_mut() = self.headers;
        request
    }
}

/// The headers given to [`Signer::presign_with_checksum`](super::Signer::presign_with_checksum)
/// already name another checksum than the one to sign: S3 would refuse the upload, or check
/// the body against the other value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the headers to presign already carry {header}: {value:?}, which disagrees with the checksum {checksum}")]
pub struct PresignChecksumConflict {
    header: String,
    value: String,
    checksum: String,
}

/// Refuses `headers` that name another checksum or algorithm than `checksum`: a value header of
/// another algorithm or value, or another `x-amz-sdk-checksum-algorithm`.
#[cfg(feature = "tower")]
fn check_no_other_checksum(
    headers: &http::HeaderMap,
    checksum: &crate::checksum::Checksum,
) -> Result<(), PresignChecksumConflict> {
    use crate::checksum::{ChecksumHeader, SDK_CHECKSUM_ALGORITHM};

    let algorithm = checksum.algorithm();
    for (name, value) in headers {
        let agrees = match ChecksumHeader::of(name.as_str()) {
            ChecksumHeader::Value(a) => a == algorithm && value.as_bytes() == checksum.to_base64().as_bytes(),
            ChecksumHeader::Unknown => false,
            ChecksumHeader::Control | ChecksumHeader::Other if name == SDK_CHECKSUM_ALGORITHM => {
                value.as_bytes().eq_ignore_ascii_case(algorithm.as_str().as_bytes())
            }
            ChecksumHeader::Control | ChecksumHeader::Other => true,
        };
        if !agrees {
            return Err(PresignChecksumConflict {
                header: name.as_str().to_owned(),
                value: String::from_utf8_lossy(value.as_bytes()).chars().take(64).collect(),
                checksum: checksum.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(feature = "tower")]
impl super::Signer {
    /// A presigned URL for an upload that commits to the caller's `checksum` of the body:
    /// `x-amz-checksum-<algorithm>: <checksum>` and `x-amz-sdk-checksum-algorithm:
    /// <ALGORITHM>` are signed with `headers`, and returned with them in the
    /// [`PresignedRequest`] the uploader follows. S3 then refuses a body with another checksum
    /// (`BadDigest`) and a request without those headers (the signature does not match).
    ///
    /// The checksum is the caller's, computed over the very bytes to upload (for instance with
    /// [`ChecksumAlgorithm::checksum`](crate::checksum::ChecksumAlgorithm::checksum) or a
    /// [`ChecksumHasher`](crate::checksum::ChecksumHasher) over a file): nothing here hashes a
    /// body. Otherwise as [`Signer::presign`](super::Signer::presign); `headers` naming another checksum are refused
    /// with [`Error::PresignChecksumConflict`](super::Error::PresignChecksumConflict).
    ///
    /// ```no_run
    /// # async fn f(signer: sigv4_middleware::client::Signer) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use sigv4_middleware::checksum::ChecksumAlgorithm;
    ///
    /// let data = b"the file to upload";
    /// let checksum = ChecksumAlgorithm::Crc32.checksum(data);
    /// let uri = "https://bucket.s3.us-east-1.amazonaws.com/key".parse()?;
    /// let presigned = signer
    ///     .presign_with_checksum(&http::Method::PUT, &uri, &http::HeaderMap::new(), &checksum, Duration::from_secs(900))
    ///     .await?;
    /// // Hand the uploader the URL and every header:
    /// println!("{}", presigned.uri());
    /// for (name, value) in presigned.headers() {
    ///     println!("{name}: {}", value.to_str()?);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn presign_with_checksum(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        checksum: &crate::checksum::Checksum,
        expires_in: Duration,
    ) -> Result<PresignedRequest, super::Error> {
        use crate::checksum::SDK_CHECKSUM_ALGORITHM;

        check_no_other_checksum(headers, checksum)?;
        let mut headers = headers.clone();
        headers.insert(checksum.algorithm().http_header_name(), checksum.header_value());
        headers.insert(
            SDK_CHECKSUM_ALGORITHM,
            http::HeaderValue::from_static(checksum.algorithm().as_str()),
        );
        let uri = self.presign(method, uri, &headers, expires_in).await?;
        Ok(PresignedRequest {
            method: method.clone(),
            uri,
            headers,
        })
    }

    /// A presigned URL for `method` on `uri` (absolute), valid for `expires_in` (1 s to 7 days),
    /// signed with `headers` (which the user of the URL must then send; `host` comes from the
    /// URI). S3 rules sign `UNSIGNED-PAYLOAD`. The added query is strictly percent-encoded, so
    /// the URL passes through reqwest, curl and browsers unchanged.
    ///
    /// Refused with [`Error::PresignOutlivesCredentials`](super::Error::PresignOutlivesCredentials)
    /// when the URL would outlive the temporary credentials signing it (see
    /// [`check_presign_lifetime`]).
    pub async fn presign(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        expires_in: Duration,
    ) -> Result<http::Uri, super::Error> {
        use crate::signing::{SignableBody, SignableRequest, SigningParams};
        use tracing::Instrument;

        let d = &self.0.defaults;
        let span = tracing::debug_span!("sigv4.presign", service = %d.service, region = %d.region, method = %method);
        async {
            let credentials = self.credentials().await?;
            let time = self.now();
            // A URL cannot outlive the credentials that signed it: refuse rather than hand out
            // a link that dies early without saying so.
            check_presign_lifetime(&credentials, time, expires_in)?;
            let request = SignableRequest::from_parts(method, uri, headers, SignableBody::empty());
            let params = SigningParams::new(&credentials, &d.region, &d.service, time)
                .with_settings(&d.settings)
                .with_key_cache(&self.0.key_cache)
                .presigned(expires_in);
            let output = crate::signing::sign(&request, &d.algorithm.apply(params))?;
            Ok(output.apply_to_uri(uri)?)
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let c = Credentials::new("A", "s").with_expiry(now + Duration::from_secs(100));
        assert!(check_presign_lifetime(&c, now, Duration::from_secs(100)).is_ok());
        let e = check_presign_lifetime(&c, now, Duration::from_secs(101)).unwrap_err();
        assert_eq!((e.requested_secs(), e.remaining_secs()), (101, 100));
        assert!(e.to_string().contains("1970-01-12T13:48:20Z"), "{e}");
        assert!(e.to_string().contains("at most 100s"), "{e}");
        // Already expired credentials: nothing fits.
        let e = check_presign_lifetime(&c, now + Duration::from_secs(200), Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.remaining_secs(), 0);
        // Long-term credentials never expire.
        let long = Credentials::new("A", "s");
        assert!(check_presign_lifetime(&long, now, Duration::from_secs(604_800)).is_ok());
    }

    #[cfg(feature = "tower")]
    #[tokio::test]
    async fn presign_appends_a_strictly_encoded_query() {
        let uri: http::Uri = "https://examplebucket.s3.amazonaws.com/test.txt".parse().unwrap();
        let url = crate::client::test_support::example_signer()
            .presign(
                &http::Method::GET,
                &uri,
                &http::HeaderMap::new(),
                Duration::from_secs(86400),
            )
            .await
            .unwrap();
        // AWS's documented presigned GET example (S3 "Query string authentication" page).
        assert_eq!(
            url.to_string(),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }
}
