//! The signer's clock: the local time plus a skew learned from a service's refusal, and what a
//! refusal may teach.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::signing::AmzDate;

use super::Signer;
#[cfg(doc)]
use super::SignerBuilder;

/// How many bytes of an error response (400 or 403) the adapters read to look for a clock-skew
/// error before handing the response on: 64 KiB. AWS error documents are far smaller.
pub const SKEW_SNIFF_LIMIT: usize = 64 * 1024;
/// How long the adapters wait, by default, for an error body (400 or 403) to reach
/// [`SKEW_SNIFF_LIMIT`] bytes or its end before handing the response on with what was read: 2 s.
/// A peer that sends a head and then stalls cannot hold the caller longer than that.
pub const DEFAULT_SKEW_SNIFF_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest clock correction learned from a refusal, by default: one hour either way. A
/// `Date` further from the local clock is taken for a broken or hostile peer and ignored.
pub const DEFAULT_MAX_CLOCK_SKEW_CORRECTION: Duration = Duration::from_secs(60 * 60);
/// How far a signing time may be from the server's time before AWS refuses it: 15 minutes. A
/// refusal whose `Date` is closer than this to the time the request was signed was not about
/// the clock, and teaches nothing.
pub const SIGNING_TIME_TOLERANCE: Duration = Duration::from_secs(15 * 60);

/// The learned skew, shared by every clone of a signer, and the bounds on learning it.
pub(super) struct ClockSkew {
    millis: AtomicI64,
    correction: bool,
    pub(super) max_correction: Duration,
    pub(super) sniff_timeout: Duration,
}

impl ClockSkew {
    pub(super) fn new(correction: bool, max_correction: Duration, sniff_timeout: Duration) -> Self {
        Self {
            millis: AtomicI64::new(0),
            correction,
            max_correction,
            sniff_timeout,
        }
    }
}

/// Whether a response refuses a request because of its signing time (see
/// [`Signer::correct_clock_skew`]); pure, for callers that want the test without the effect.
pub fn is_clock_skew_error(status: StatusCode, headers: &HeaderMap, body_prefix: &[u8]) -> bool {
    if status != StatusCode::FORBIDDEN && status != StatusCode::BAD_REQUEST {
        return false;
    }
    let body = String::from_utf8_lossy(body_prefix);
    const CODES: [&str; 5] = [
        "RequestTimeTooSkewed",
        "RequestExpired",
        "RequestInTheFuture",
        "Signature expired",
        "Signature not yet current",
    ];
    if CODES.iter().any(|c| body.contains(c)) {
        return true;
    }
    let invalid_signature = body.contains("InvalidSignatureException")
        || headers
            .get("x-amzn-errortype")
            .is_some_and(|v| v.as_bytes().starts_with(b"InvalidSignatureException"));
    invalid_signature && (body.contains("earlier than") || body.contains("later than"))
}

/// `server` minus `local` in milliseconds, saturated.
fn offset_millis(server: SystemTime, local: SystemTime) -> i64 {
    match server.duration_since(local) {
        Ok(ahead) => i64::try_from(ahead.as_millis()).unwrap_or(i64::MAX),
        Err(behind) => -i64::try_from(behind.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// How far apart two times are, either way.
fn distance(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b).unwrap_or_else(|e| e.duration())
}

/// The server's time from a response's `Date` header.
fn server_time(headers: &HeaderMap) -> Option<SystemTime> {
    headers
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
}

impl Signer {
    /// The signing time: the clock plus the learned skew. A skew that would take the time past
    /// what SigV4 can name (before 1970, after 9999) is left out: a learned skew never makes
    /// signing fail.
    pub fn now(&self) -> SystemTime {
        let now = (self.0.clock)();
        let skew = self.clock_skew();
        if skew == 0 {
            return now;
        }
        let magnitude = Duration::from_millis(skew.unsigned_abs());
        let skewed = if skew > 0 {
            now.checked_add(magnitude)
        } else {
            now.checked_sub(magnitude)
        };
        skewed.filter(|t| AmzDate::new(*t).is_ok()).unwrap_or(now)
    }

    /// The offset added to the clock, in milliseconds (server time minus local time).
    pub fn clock_skew(&self) -> i64 {
        self.0.skew.millis.load(Ordering::Relaxed)
    }

    /// Sets the offset added to the clock, in milliseconds (server time minus local time);
    /// shared by every clone of this signer.
    pub fn set_clock_skew(&self, millis: i64) {
        self.0.skew.millis.store(millis, Ordering::Relaxed);
    }

    /// Sets the skew so that signing uses `server_time` now (from a response `Date` header).
    /// Not bounded: [`Signer::correct_clock_skew`] is the call that checks a server's word.
    pub fn learn_clock_skew(&self, server_time: SystemTime) {
        self.set_clock_skew(offset_millis(server_time, (self.0.clock)()));
    }

    /// Looks at a response for a clock-skew refusal and, when it is one, learns the server's
    /// time from its `Date` header (see [`Signer::learn_clock_skew`]) so that this request's
    /// retry and every later request are signed with the corrected clock. Returns whether the
    /// request should be retried (once: callers must not retry a retry).
    ///
    /// `body_prefix` is the start of the response body (the adapters read up to
    /// [`SKEW_SNIFF_LIMIT`] bytes of 400 and 403 responses only). A refusal is a 400 or 403 whose
    /// body names `RequestTimeTooSkewed`, `RequestExpired`, `RequestInTheFuture`, says
    /// `Signature expired` or `Signature not yet current` (the JSON
    /// `InvalidSignatureException` form), or an `InvalidSignatureException` (body or
    /// `x-amzn-errortype` header) whose message compares times (`earlier than`, `later than`).
    ///
    /// Nothing is learned, and `false` returned:
    /// - without a parseable `Date` header, or from a cached response (an `Age` header);
    /// - when the `Date` is within [`SIGNING_TIME_TOLERANCE`] (15 minutes) of the time the
    ///   request was signed: the server would have accepted that time, so the refusal was about
    ///   something else (here the signing time is taken to be [`Signer::now`]; the adapters use
    ///   the time each request was actually signed at);
    /// - when the `Date` is further from the local clock than
    ///   [`SignerBuilder::max_clock_skew_correction`] (one hour by default);
    /// - when correction is disabled ([`SignerBuilder::clock_skew_correction`]).
    ///
    /// Both adapters call this; call it yourself when you drive requests another way.
    pub fn correct_clock_skew(&self, status: StatusCode, headers: &HeaderMap, body_prefix: &[u8]) -> bool {
        self.correct_clock_skew_signed_at(self.now(), status, headers, body_prefix)
    }

    /// [`Signer::correct_clock_skew`] for a request signed at `signed_at`.
    pub(super) fn correct_clock_skew_signed_at(
        &self,
        signed_at: SystemTime,
        status: StatusCode,
        headers: &HeaderMap,
        body_prefix: &[u8],
    ) -> bool {
        if !self.0.skew.correction || !is_clock_skew_error(status, headers, body_prefix) {
            return false;
        }
        if headers.contains_key(http::header::AGE) {
            tracing::debug!("clock-skew refusal from a cached response (Age header); not correcting the clock");
            return false;
        }
        let Some(server_time) = server_time(headers) else {
            tracing::warn!(%status, "the service refused the request as signed at the wrong time, but sent no usable Date header; the clock cannot be corrected");
            return false;
        };
        if distance(server_time, signed_at) <= SIGNING_TIME_TOLERANCE {
            tracing::debug!(
                %status,
                "clock-skew refusal dated within 15 minutes of the signing time: not a clock problem, not correcting the clock"
            );
            return false;
        }
        let local = (self.0.clock)();
        let max = self.0.skew.max_correction;
        if distance(server_time, local) > max {
            tracing::warn!(
                %status,
                offset_ms = offset_millis(server_time, local),
                max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX),
                "clock-skew refusal dated further from the local clock than the largest correction allowed; ignored"
            );
            return false;
        }
        let previous = self.clock_skew();
        self.set_clock_skew(offset_millis(server_time, local));
        tracing::warn!(
            %status,
            previous_skew_ms = previous,
            skew_ms = self.clock_skew(),
            "the service refused the request as signed at the wrong time; signing with the server's clock from now on"
        );
        true
    }

    /// How long the adapters wait for the start of an error body; see
    /// [`SignerBuilder::skew_sniff_timeout`].
    pub(super) fn skew_sniff_timeout(&self) -> Duration {
        self.0.skew.sniff_timeout
    }

    /// Whether the adapters read error bodies ahead to correct the clock.
    pub(super) fn corrects_clock_skew(&self) -> bool {
        self.0.skew.correction
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use bytes::Bytes;
    use http::HeaderValue;

    use super::*;
    use crate::client::test_support::{example_request, example_signer};
    use crate::credentials::Credentials;

    #[test]
    fn clock_skew_is_shared_by_clones_and_moves_the_signing_time() {
        let signer = example_signer();
        let clone = signer.clone();
        clone.learn_clock_skew(UNIX_EPOCH + Duration::from_secs(1_369_353_600 - 90));
        assert_eq!(signer.clock_skew(), -90_000);
        assert_eq!(signer.now(), UNIX_EPOCH + Duration::from_secs(1_369_353_510));
    }

    #[tokio::test]
    async fn a_skew_past_the_year_9999_or_before_1970_never_makes_signing_fail() {
        let signer = example_signer();
        for skew in [i64::MAX, 300_000_000_000_000, i64::MIN, -1_369_353_601_000] {
            signer.set_clock_skew(skew);
            assert_eq!(signer.now(), UNIX_EPOCH + Duration::from_secs(1_369_353_600), "{skew}");
            let signed = signer
                .sign(example_request(http_body_util::Empty::<Bytes>::new()))
                .await
                .unwrap_or_else(|e| panic!("{skew}: {e}"));
            assert_eq!(signed.headers()["x-amz-date"], "20130524T000000Z");
        }
    }

    #[test]
    fn clock_skew_errors_are_told_from_other_refusals() {
        let none = HeaderMap::new();
        let mut json = HeaderMap::new();
        json.insert(
            "x-amzn-errortype",
            HeaderValue::from_static("InvalidSignatureException:http://x/"),
        );
        let s3 = b"<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>";
        let expired = br#"{"__type":"InvalidSignatureException","message":"Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T002000Z - 15 min.)"}"#;
        let future = br#"{"message":"Signature not yet current: 20240101T004000Z is still later than 20240101T003500Z (20240101T002000Z + 15 min.)"}"#;
        let bare = br#"{"message":"Signature date is earlier than the allowed window"}"#;
        let mismatch = b"<Error><Code>SignatureDoesNotMatch</Code></Error>";
        let table: &[(u16, &HeaderMap, &[u8], bool)] = &[
            (403, &none, s3, true),
            (400, &none, expired, true),
            (403, &none, future, true),
            (400, &json, bare, true),
            (400, &none, bare, false),
            (403, &none, mismatch, false),
            (403, &none, b"", false),
            (500, &none, s3, false),
            (200, &none, expired, false),
        ];
        for (status, headers, body, want) in table {
            let status = StatusCode::from_u16(*status).unwrap();
            assert_eq!(
                is_clock_skew_error(status, headers, body),
                *want,
                "{status} {}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn skew_is_learned_from_the_date_header_only() {
        let signer = example_signer();
        let body = b"<Code>RequestTimeTooSkewed</Code>";
        let mut headers = HeaderMap::new();
        assert!(!signer.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        headers.insert("date", HeaderValue::from_static("Fri, 24 May 2013 00:20:00 GMT"));
        headers.insert("age", HeaderValue::from_static("10"));
        assert!(
            !signer.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body),
            "cached"
        );
        assert_eq!(signer.clock_skew(), 0);
        headers.remove("age");
        assert!(signer.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(signer.clock_skew(), 20 * 60 * 1000);
        let off = Signer::builder("us-east-1", "s3")
            .credentials(Credentials::new("a", "b"))
            .clock_skew_correction(false)
            .build();
        assert!(!off.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(off.clock_skew(), 0);
    }

    #[test]
    fn the_largest_clock_correction_is_bounded_and_configurable() {
        let body = b"<Code>RequestTimeTooSkewed</Code>";
        let mut headers = HeaderMap::new();
        // Two hours ahead of the signer's clock (2013-05-24T00:00:00Z).
        headers.insert("date", HeaderValue::from_static("Fri, 24 May 2013 02:00:00 GMT"));
        let signer = example_signer();
        assert!(!signer.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(signer.clock_skew(), 0);
        let lenient = Signer::builder("us-east-1", "s3")
            .credentials(Credentials::new("a", "b"))
            .clock(|| UNIX_EPOCH + Duration::from_secs(1_369_353_600))
            .max_clock_skew_correction(Duration::from_secs(3 * 3600))
            .build();
        assert!(lenient.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(lenient.clock_skew(), 2 * 3600 * 1000);
        // Nothing closer than 15 minutes to the signing time is learned, even by a lenient signer.
        headers.insert("date", HeaderValue::from_static("Fri, 24 May 2013 02:14:00 GMT"));
        assert!(!lenient.correct_clock_skew(StatusCode::FORBIDDEN, &headers, body));
        assert_eq!(lenient.clock_skew(), 2 * 3600 * 1000);
    }
}
