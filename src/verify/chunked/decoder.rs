//! The aws-chunked body framing: chunk headers, data, the final chunk and the trailers.

use std::borrow::Cow;
use std::fmt;

use crate::verify::parse::is_tchar;

/// Whether chunk headers carry `;chunk-signature=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkSignatures {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)`: every chunk header is
    /// `hex;chunk-signature=<64 hex>`.
    Signed,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: chunk headers are just the hex size.
    Unsigned,
}

/// Configuration of a [`ChunkDecoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChunkDecoderConfig {
    /// Signed or unsigned chunk headers.
    pub signatures: ChunkSignatures,
    /// Whether trailer lines may follow the final chunk.
    pub trailers: bool,
    /// Largest chunk, in bytes (default 16 MiB, as MinIO).
    pub max_chunk_size: u64,
    /// Most hex digits in a chunk size, leading zeros included (default 8).
    pub max_size_digits: usize,
    /// Longest trailer line, CRLF excluded (default 4 KiB).
    pub max_trailer_line: usize,
    /// Most trailer lines (default 16).
    pub max_trailers: usize,
    /// The declared decoded length (`x-amz-decoded-content-length`): the chunks must add up to
    /// exactly this. `None` accepts any total.
    pub decoded_length: Option<u64>,
}

impl ChunkDecoderConfig {
    /// Defaults for `signatures`, no trailers, no declared length.
    pub fn new(signatures: ChunkSignatures) -> Self {
        Self {
            signatures,
            trailers: false,
            max_chunk_size: 16 * 1024 * 1024,
            max_size_digits: 8,
            max_trailer_line: 4096,
            max_trailers: 16,
            decoded_length: None,
        }
    }

    /// Allows trailer lines after the final chunk.
    pub fn with_trailers(mut self, trailers: bool) -> Self {
        self.trailers = trailers;
        self
    }

    /// Requires the chunks to add up to `len` bytes.
    pub fn with_decoded_length(mut self, len: Option<u64>) -> Self {
        self.decoded_length = len;
        self
    }

    /// Sets the largest chunk accepted.
    pub fn with_max_chunk_size(mut self, max: u64) -> Self {
        self.max_chunk_size = max;
        self
    }
}

/// Why an aws-chunked body is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkError {
    /// The framing is broken (bad size, bad extension, missing CRLF, bytes after the end).
    Malformed(Cow<'static, str>),
    /// A chunk is larger than the configured maximum.
    ChunkTooLarge {
        /// The size the chunk header declared.
        size: u64,
        /// The maximum.
        max: u64,
    },
    /// The chunks do not add up to the declared decoded length.
    LengthMismatch {
        /// `x-amz-decoded-content-length`.
        declared: u64,
        /// The length seen so far (or in a chunk header that would go past the declared one).
        actual: u64,
    },
    /// Too many or too long trailer lines.
    TrailerTooLarge,
    /// The body ended before the final chunk and its closing CRLF.
    Truncated,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::Malformed(m) => write!(f, "malformed aws-chunked body: {m}"),
            ChunkError::ChunkTooLarge { size, max } => {
                write!(f, "aws-chunked chunk of {size} bytes exceeds the maximum of {max}")
            }
            ChunkError::LengthMismatch { declared, actual } => write!(
                f,
                "aws-chunked body holds at least {actual} bytes but x-amz-decoded-content-length is {declared}"
            ),
            ChunkError::TrailerTooLarge => f.write_str("aws-chunked trailers are too many or too long"),
            ChunkError::Truncated => f.write_str("the aws-chunked body ended before its final chunk"),
        }
    }
}

impl std::error::Error for ChunkError {}

/// One step of decoding, borrowing the input it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkEvent<'i> {
    /// A chunk header. `size == 0` is the final chunk; no [`ChunkEvent::Data`] or
    /// [`ChunkEvent::ChunkEnd`] follows it, only trailers and [`ChunkEvent::End`].
    Header {
        /// The chunk's data length.
        size: u64,
        /// The `chunk-signature` (64 lower-case hex digits) with signed framing.
        signature: Option<[u8; 64]>,
    },
    /// Some of the current chunk's data (a chunk's data may come in several pieces).
    Data(&'i [u8]),
    /// The current non-empty chunk's data is complete (its closing CRLF was read).
    ChunkEnd,
    /// A trailer line after the final chunk, name lower-cased, value trimmed.
    Trailer {
        /// The trailer's name.
        name: String,
        /// The trailer's value.
        value: String,
    },
    /// The body is complete. Any further byte is an error.
    End,
}

/// The result of one [`ChunkDecoder::decode`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'i> {
    /// How many input bytes were consumed.
    pub consumed: usize,
    /// The event those bytes completed, if any.
    pub event: Option<ChunkEvent<'i>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk header line up to CRLF.
    Header,
    /// Reading `remaining` bytes of chunk data.
    Data { remaining: u64 },
    /// Expecting the CR after a chunk's data.
    DataCr,
    /// Expecting the LF after a chunk's data.
    DataLf,
    /// Reading a trailer line (or the final empty line) up to CRLF.
    Trailer,
    /// Done.
    End,
    /// A previous error; every later call fails.
    Failed,
}

/// The length of `;chunk-signature=` plus 64 hex digits.
const SIGNATURE_EXT_LEN: usize = 17 + 64;

/// An incremental, pure aws-chunked decoder: feed it bytes as they arrive, in any split, and
/// it reports chunk headers, data and trailers. It holds at most one header or trailer line
/// (bounded by the configuration), never chunk data.
///
/// ```
/// use sigv4_middleware::verify::parse::{ChunkDecoder, ChunkDecoderConfig, ChunkEvent, ChunkSignatures};
///
/// let mut decoder = ChunkDecoder::new(ChunkDecoderConfig::new(ChunkSignatures::Unsigned));
/// let mut input: &[u8] = b"5\r\nhello\r\n0\r\n\r\n";
/// let mut data = Vec::new();
/// while !input.is_empty() {
///     let step = decoder.decode(input)?;
///     if let Some(ChunkEvent::Data(d)) = &step.event {
///         data.extend_from_slice(d);
///     }
///     input = &input[step.consumed..];
/// }
/// assert!(decoder.is_done());
/// assert_eq!(data, b"hello");
/// # Ok::<(), sigv4_middleware::verify::parse::ChunkError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChunkDecoder {
    config: ChunkDecoderConfig,
    state: State,
    line: Vec<u8>,
    total: u64,
    trailers: usize,
}

impl ChunkDecoder {
    /// A decoder at the start of a body.
    pub fn new(config: ChunkDecoderConfig) -> Self {
        Self {
            config,
            state: State::Header,
            line: Vec::new(),
            total: 0,
            trailers: 0,
        }
    }

    /// Whether the final chunk and its closing line have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::End
    }

    /// The decoded bytes announced by chunk headers so far.
    pub fn decoded_so_far(&self) -> u64 {
        self.total
    }

    /// Call when the input has ended: an error unless the body was complete.
    pub fn finish(&self) -> Result<(), ChunkError> {
        match self.state {
            State::End => Ok(()),
            _ => Err(ChunkError::Truncated),
        }
    }

    fn max_header_line(&self) -> usize {
        self.config.max_size_digits
            + match self.config.signatures {
                ChunkSignatures::Signed => SIGNATURE_EXT_LEN,
                ChunkSignatures::Unsigned => 0,
            }
    }

    fn fail(&mut self, e: ChunkError) -> Result<Decoded<'static>, ChunkError> {
        self.state = State::Failed;
        self.line = Vec::new();
        Err(e)
    }

    /// Consumes a prefix of `input` and reports at most one event. Call again with the rest;
    /// when `consumed == input.len()` and no event came, the decoder needs more input.
    pub fn decode<'i>(&mut self, input: &'i [u8]) -> Result<Decoded<'i>, ChunkError> {
        match self.state {
            State::Failed => Err(ChunkError::Malformed("decoding already failed".into())),
            State::End if input.is_empty() => Ok(Decoded {
                consumed: 0,
                event: None,
            }),
            State::End => self.fail(ChunkError::Malformed("bytes after the final chunk".into())),
            State::Data { remaining } => {
                let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(input.len());
                let remaining = remaining - n as u64;
                self.state = if remaining == 0 {
                    State::DataCr
                } else {
                    State::Data { remaining }
                };
                Ok(Decoded {
                    consumed: n,
                    event: (n > 0).then(|| ChunkEvent::Data(&input[..n])),
                })
            }
            State::DataCr | State::DataLf => {
                let mut consumed = 0;
                for &b in input {
                    consumed += 1;
                    match (self.state, b) {
                        (State::DataCr, b'\r') => self.state = State::DataLf,
                        (State::DataLf, b'\n') => {
                            self.state = State::Header;
                            return Ok(Decoded {
                                consumed,
                                event: Some(ChunkEvent::ChunkEnd),
                            });
                        }
                        _ => return self.fail(ChunkError::Malformed("chunk data is not followed by CRLF".into())),
                    }
                }
                Ok(Decoded { consumed, event: None })
            }
            State::Header | State::Trailer => {
                let max = if self.state == State::Header {
                    self.max_header_line()
                } else {
                    self.config.max_trailer_line
                };
                let Some(line_end) = take_line(&mut self.line, input, max + 2) else {
                    if self.line.len() > max + 1 {
                        return match self.state {
                            State::Header => self.fail(ChunkError::Malformed("chunk header line is too long".into())),
                            _ => self.fail(ChunkError::TrailerTooLarge),
                        };
                    }
                    return Ok(Decoded {
                        consumed: input.len(),
                        event: None,
                    });
                };
                let line = std::mem::take(&mut self.line);
                let event = if self.state == State::Header {
                    self.header_line(&line)
                } else {
                    self.trailer_line(&line)
                };
                match event {
                    Ok(event) => Ok(Decoded {
                        consumed: line_end,
                        event: Some(event),
                    }),
                    Err(e) => self.fail(e),
                }
            }
        }
    }

    fn header_line(&mut self, line: &[u8]) -> Result<ChunkEvent<'static>, ChunkError> {
        let line = line
            .strip_suffix(b"\r\n")
            .ok_or_else(|| ChunkError::Malformed("chunk header line does not end in CRLF".into()))?;
        let digits_end = line.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(line.len());
        let (digits, ext) = line.split_at(digits_end);
        if digits.is_empty() {
            return Err(ChunkError::Malformed(
                "chunk header does not start with a hex size".into(),
            ));
        }
        if digits.len() > self.config.max_size_digits {
            return Err(ChunkError::Malformed(
                format!("chunk size has more than {} hex digits", self.config.max_size_digits).into(),
            ));
        }
        let size = digits
            .iter()
            .try_fold(0u64, |acc, &d| {
                let v = (d as char).to_digit(16)? as u64;
                acc.checked_mul(16)?.checked_add(v)
            })
            .ok_or_else(|| ChunkError::Malformed("chunk size overflows".into()))?;
        if size > self.config.max_chunk_size {
            return Err(ChunkError::ChunkTooLarge {
                size,
                max: self.config.max_chunk_size,
            });
        }
        let signature = match self.config.signatures {
            ChunkSignatures::Signed => {
                let sig = ext
                    .strip_prefix(b";chunk-signature=")
                    .and_then(|s| <[u8; 64]>::try_from(s).ok())
                    .filter(|s| s.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
                    .ok_or_else(|| {
                        ChunkError::Malformed(
                            "chunk header must be `hex-size;chunk-signature=<64 lower-case hex digits>`".into(),
                        )
                    })?;
                Some(sig)
            }
            ChunkSignatures::Unsigned if ext.is_empty() => None,
            ChunkSignatures::Unsigned => {
                return Err(ChunkError::Malformed("unexpected chunk extension".into()));
            }
        };
        let total = self.total.saturating_add(size);
        if let Some(declared) = self.config.decoded_length
            && (total > declared || (size == 0 && total != declared))
        {
            return Err(ChunkError::LengthMismatch {
                declared,
                actual: total,
            });
        }
        self.total = total;
        self.state = if size == 0 {
            State::Trailer
        } else {
            State::Data { remaining: size }
        };
        Ok(ChunkEvent::Header { size, signature })
    }

    fn trailer_line(&mut self, line: &[u8]) -> Result<ChunkEvent<'static>, ChunkError> {
        let line = line
            .strip_suffix(b"\r\n")
            .ok_or_else(|| ChunkError::Malformed("trailer line does not end in CRLF".into()))?;
        if line.is_empty() {
            self.state = State::End;
            return Ok(ChunkEvent::End);
        }
        if !self.config.trailers {
            return Err(ChunkError::Malformed(
                "the final chunk must be followed by an empty line".into(),
            ));
        }
        self.trailers += 1;
        if self.trailers > self.config.max_trailers {
            return Err(ChunkError::TrailerTooLarge);
        }
        let line = std::str::from_utf8(line).map_err(|_| ChunkError::Malformed("trailer is not UTF-8".into()))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ChunkError::Malformed("trailer line is not `name:value`".into()))?;
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(ChunkError::Malformed("invalid trailer name".into()));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(ChunkError::Malformed("control character in a trailer value".into()));
        }
        Ok(ChunkEvent::Trailer {
            name: name.to_ascii_lowercase(),
            value: value.to_owned(),
        })
    }
}

/// Appends `input` to `line` up to and including the first LF, within `max` bytes in total.
/// Returns how much of `input` completed the line, or `None` when it is still incomplete
/// (everything allowed was appended).
fn take_line(line: &mut Vec<u8>, input: &[u8], max: usize) -> Option<usize> {
    let room = max.saturating_sub(line.len());
    match input.iter().position(|&b| b == b'\n') {
        Some(i) if i < room => {
            line.extend_from_slice(&input[..=i]);
            Some(i + 1)
        }
        _ => {
            // Take at most one byte past the limit so the caller sees the overflow.
            let n = input.len().min(room + 1);
            line.extend_from_slice(&input[..n]);
            None
        }
    }
}
