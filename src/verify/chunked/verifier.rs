//! The aws-chunked signature checker: decodes with the [`ChunkDecoder`] and checks every
//! chunk's signature, and the trailer signature, before a byte is released.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};
use subtle::ConstantTimeEq;

use super::decoder::{ChunkDecoder, ChunkDecoderConfig, ChunkError, ChunkEvent};
use crate::signing::ChunkSigner;
use crate::verify::error::{ErrorCode, VerifyError};
use crate::verify::parse::excerpt;

fn chunk_error(e: ChunkError) -> VerifyError {
    let code = match e {
        ChunkError::Truncated | ChunkError::LengthMismatch { .. } => ErrorCode::IncompleteBody,
        _ => ErrorCode::InvalidRequest,
    };
    VerifyError::new(code, e.to_string())
}

/// Decodes an aws-chunked body and checks every chunk's signature (and the trailer
/// signature) before releasing the chunk's bytes. Pure: bytes in, verified bytes out.
#[derive(Debug)]
pub struct ChunkVerifier {
    decoder: ChunkDecoder,
    signer: Option<ChunkSigner>,
    trailers_allowed: bool,
    declared_trailers: Vec<String>,
    expected: Option<[u8; 64]>,
    chunk: BytesMut,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    failed: bool,
}

impl ChunkVerifier {
    /// A verifier decoding with `config`. `signer` (seeded with the verified request
    /// signature) is required for signed framing; `declared_trailers` are the names in
    /// `x-amz-trailer`.
    pub fn new(config: ChunkDecoderConfig, signer: Option<ChunkSigner>, declared_trailers: Vec<String>) -> Self {
        Self {
            trailers_allowed: config.trailers,
            decoder: ChunkDecoder::new(config),
            signer,
            declared_trailers,
            expected: None,
            chunk: BytesMut::new(),
            trailers: Vec::new(),
            trailer_signature: None,
            failed: false,
        }
    }

    fn fail(&mut self, e: VerifyError) -> VerifyError {
        self.failed = true;
        self.chunk = BytesMut::new();
        e
    }

    fn check_chunk(&mut self) -> Result<(), VerifyError> {
        let Some(signer) = self.signer.as_mut() else {
            return Ok(());
        };
        let expected = self.expected.take().unwrap_or([0; 64]);
        let got = signer.sign_chunk(&self.chunk);
        if bool::from(got.as_bytes().ct_eq(&expected)) {
            Ok(())
        } else {
            Err(VerifyError::new(
                ErrorCode::SignatureDoesNotMatch,
                "The chunk signature we calculated does not match the chunk signature you provided.",
            ))
        }
    }

    /// Feeds body bytes; `emit` receives each chunk's data once its signature is verified.
    pub fn feed(&mut self, mut input: &[u8], emit: &mut impl FnMut(Bytes)) -> Result<(), VerifyError> {
        if self.failed {
            return Err(VerifyError::new(
                ErrorCode::InvalidRequest,
                "the body already failed verification",
            ));
        }
        while !input.is_empty() {
            let step = match self.decoder.decode(input) {
                Ok(s) => s,
                Err(e) => return Err(self.fail(chunk_error(e))),
            };
            input = &input[step.consumed..];
            let Some(event) = step.event else { continue };
            match event {
                ChunkEvent::Header { size, signature } => {
                    self.expected = signature;
                    if size == 0 {
                        if let Err(e) = self.check_chunk() {
                            return Err(self.fail(e));
                        }
                    } else {
                        // Not the declared size: a client could declare 16 MiB and send nothing.
                        self.chunk
                            .reserve(usize::try_from(size).unwrap_or(usize::MAX).min(64 * 1024));
                    }
                }
                ChunkEvent::Data(d) => self.chunk.extend_from_slice(d),
                ChunkEvent::ChunkEnd => {
                    if let Err(e) = self.check_chunk() {
                        return Err(self.fail(e));
                    }
                    emit(self.chunk.split().freeze());
                }
                ChunkEvent::Trailer { name, value } => {
                    if name == "x-amz-trailer-signature" {
                        if self.trailer_signature.replace(value).is_some() {
                            return Err(self.fail(VerifyError::new(
                                ErrorCode::InvalidRequest,
                                "x-amz-trailer-signature appears more than once",
                            )));
                        }
                    } else if !self.declared_trailers.contains(&name) {
                        return Err(self.fail(VerifyError::new(
                            ErrorCode::InvalidRequest,
                            format!("trailer {} was not declared in x-amz-trailer", excerpt(&name)),
                        )));
                    } else if self.trailers.iter().any(|(n, _)| *n == name) {
                        return Err(self.fail(VerifyError::new(
                            ErrorCode::InvalidRequest,
                            format!("trailer {} appears more than once", excerpt(&name)),
                        )));
                    } else {
                        self.trailers.push((name, value));
                    }
                }
                ChunkEvent::End => {}
            }
        }
        Ok(())
    }

    /// Call at the end of the body: fails unless the body was complete, and checks the trailer
    /// signature. Returns the trailers (without their signature), if any.
    pub fn finish(&mut self) -> Result<Option<HeaderMap>, VerifyError> {
        if self.failed {
            return Err(VerifyError::new(
                ErrorCode::InvalidRequest,
                "the body already failed verification",
            ));
        }
        if let Err(e) = self.decoder.finish() {
            return Err(self.fail(chunk_error(e)));
        }
        if self.trailers_allowed
            && let Some(signer) = self.signer.as_mut()
        {
            let Some(given) = self.trailer_signature.take() else {
                return Err(self.fail(VerifyError::new(
                    ErrorCode::SignatureDoesNotMatch,
                    "the trailer signature (x-amz-trailer-signature) is missing",
                )));
            };
            let got = signer.sign_trailer(self.trailers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            if !bool::from(got.as_bytes().ct_eq(given.as_bytes())) {
                return Err(self.fail(VerifyError::new(
                    ErrorCode::SignatureDoesNotMatch,
                    "The trailer signature we calculated does not match the one you provided.",
                )));
            }
        } else if self.trailer_signature.is_some() {
            return Err(self.fail(VerifyError::new(
                ErrorCode::InvalidRequest,
                "x-amz-trailer-signature in an unsigned aws-chunked body",
            )));
        }
        if let Some(missing) = self
            .declared_trailers
            .iter()
            .find(|d| !self.trailers.iter().any(|(n, _)| n == *d))
        {
            let e = VerifyError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "x-amz-trailer declares {} but the body did not end with that trailer",
                    excerpt(missing)
                ),
            );
            return Err(self.fail(e));
        }
        if self.trailers.is_empty() {
            return Ok(None);
        }
        let mut map = HeaderMap::new();
        for (name, value) in std::mem::take(&mut self.trailers) {
            // Passed on as the handler's trailers: one that cannot be one is refused, not dropped.
            match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                (Ok(n), Ok(v)) => {
                    map.append(n, v);
                }
                _ => {
                    let e = VerifyError::new(
                        ErrorCode::InvalidRequest,
                        format!("the value of trailer {} is not a valid header value", excerpt(&name)),
                    );
                    return Err(self.fail(e));
                }
            }
        }
        Ok(Some(map))
    }
}
