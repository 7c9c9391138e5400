//! The clock-skew round both adapters run after a response: read the start of a 400 or 403
//! body (bounded in bytes and time), let the signer judge it, and sign the request again when
//! it was refused for its signing time and can be replayed.

use bytes::Bytes;
use http::StatusCode;
use http::request::Parts;
use http_body::Body;

use super::sign::Sent;
use super::{Error, ResponseBody, SKEW_SNIFF_LIMIT, Signer};
use crate::BoxError;

/// Where a response came from, as far as the adapter can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Responder {
    /// The origin (scheme, host, port) the request was signed for, or an origin the adapter
    /// cannot tell apart from it.
    SignedOrigin,
    /// Another origin: the client followed a redirect.
    #[cfg_attr(
        not(feature = "reqwest"),
        expect(dead_code, reason = "only the reqwest adapter can see where a response came from")
    )]
    OtherOrigin,
}

/// A response, and the request signed again when it should be sent once more.
pub(super) struct Checked<RB> {
    pub(super) response: http::Response<ResponseBody<RB>>,
    /// The parts and buffered body of the request signed afresh, after a clock-skew refusal.
    pub(super) resend: Option<(Parts, Bytes)>,
}

/// Whether a response's body is read ahead to look for a clock-skew refusal: a 400 or 403 to
/// a request this signer signed, from its origin, with correction on.
pub(super) fn reads_ahead(signer: &Signer, sent: &Sent, from: Responder, status: StatusCode) -> bool {
    matches!(sent, Sent::Signed { .. })
        && from == Responder::SignedOrigin
        && signer.corrects_clock_skew()
        && (status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST)
}

/// Runs the clock-skew round on `response` to the request `sent`; see
/// [`Signer::correct_clock_skew`] for what is learned and when.
pub(super) async fn after_response<RB>(
    signer: &Signer,
    sent: Sent,
    from: Responder,
    response: http::Response<RB>,
) -> Result<Checked<RB>, Error>
where
    RB: Body<Data = Bytes>,
    RB::Error: Into<BoxError>,
{
    let handed_on = |response: http::Response<ResponseBody<RB>>| Checked { response, resend: None };
    if !reads_ahead(signer, &sent, from, response.status()) {
        return Ok(handed_on(response.map(ResponseBody::new)));
    }
    let Sent::Signed { at, replay } = sent else {
        return Ok(handed_on(response.map(ResponseBody::new)));
    };
    let (parts, body) = response.into_parts();
    let body = ResponseBody::sniff(body, SKEW_SNIFF_LIMIT, signer.skew_sniff_timeout()).await;
    let retry = signer.correct_clock_skew_signed_at(at, parts.status, &parts.headers, body.sniffed());
    let response = http::Response::from_parts(parts, body);
    if !retry {
        return Ok(handed_on(response));
    }
    let Some(replay) = replay else {
        tracing::warn!("the request body was streamed and cannot be replayed: returning the refusal");
        return Ok(handed_on(response));
    };
    let resend = signer.resign(replay).await?;
    Ok(Checked { response, resend })
}
