//! `multipart/form-data` bodies as browsers post S3 POST uploads, built by hand so tests can
//! also build broken ones. Shared by the POST upload tests of the crate and of interop/.
#![allow(dead_code)]

pub const BOUNDARY: &str = "----sigv4boundary7MA4YWxkTrZu0gW";

/// The `content-type` of a form built here.
pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// One part of a form: a field, the file (its name and bytes), or raw bytes.
pub enum Part<'a> {
    Field(&'a str, &'a str),
    File(&'a str, &'a [u8]),
    Raw(&'a [u8]),
}

pub fn encode(parts: &[Part<'_>], close: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            Part::Field(name, value) => {
                out.extend(format!("--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n").bytes());
                out.extend(value.bytes());
                out.extend(b"\r\n");
            }
            Part::File(file_name, data) => {
                out.extend(
                    format!(
                        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                         content-type: text/plain\r\n\r\n"
                    )
                    .bytes(),
                );
                out.extend(*data);
                out.extend(b"\r\n");
            }
            Part::Raw(raw) => out.extend(*raw),
        }
    }
    if close {
        out.extend(format!("--{BOUNDARY}--\r\n").bytes());
    }
    out
}

/// A form as a browser posts it: the fields in order, then the file `hello.txt`.
pub fn form(fields: &[(String, String)], file: &[u8]) -> Vec<u8> {
    let mut parts: Vec<Part<'_>> = fields.iter().map(|(n, v)| Part::Field(n, v)).collect();
    parts.push(Part::File("hello.txt", file));
    encode(&parts, true)
}
