//! What a signing changes in a request's headers, recorded so that signing the same request
//! again first undoes it: a re-signed request carries one signature.

use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};

/// What a signing attempt changed in the headers, so the next attempt can undo it first: the
/// previous values of every header it set (empty when the header was absent).
#[derive(Debug, Clone)]
pub(super) struct SignedMarker {
    changes: Changes,
}

/// Inline for the usual four to seven headers a signing sets: no allocation of its own.
type Changes = smallvec::SmallVec<[(HeaderName, Vec<HeaderValue>); 7]>;

/// Records header changes made while signing.
pub(super) struct Recorder<'a> {
    pub(super) headers: &'a mut HeaderMap,
    changes: Changes,
}

impl<'a> Recorder<'a> {
    pub(super) fn new(headers: &'a mut HeaderMap) -> Self {
        Self {
            headers,
            changes: Changes::new(),
        }
    }

    fn remember(&mut self, name: &HeaderName) {
        if !self.changes.iter().any(|(n, _)| n == name) {
            let previous = self.headers.get_all(name).iter().cloned().collect();
            self.changes.push((name.clone(), previous));
        }
    }

    pub(super) fn insert(&mut self, name: HeaderName, value: HeaderValue) {
        if self.changes.iter().any(|(n, _)| *n == name) {
            self.headers.insert(name, value);
            return;
        }
        // One lookup for the common case: the header was absent.
        match self.headers.entry(&name) {
            http::header::Entry::Vacant(e) => {
                e.insert(value);
                self.changes.push((name, Vec::new()));
            }
            http::header::Entry::Occupied(mut e) => {
                let previous = e.iter().cloned().collect();
                e.insert(value);
                self.changes.push((name, previous));
            }
        }
    }

    /// Sets `name` only when the request does not carry it: one lookup for both.
    pub(super) fn insert_if_absent(&mut self, name: HeaderName, value: HeaderValue) {
        debug_assert!(
            !self.changes.iter().any(|(n, _)| *n == name),
            "a header this signing already changed would be recorded twice"
        );
        if let http::header::Entry::Vacant(e) = self.headers.entry(&name) {
            e.insert(value);
            self.changes.push((name, Vec::new()));
        }
    }

    pub(super) fn remove(&mut self, name: HeaderName) {
        self.remember(&name);
        self.headers.remove(name);
    }

    /// The record, to keep in the request's extensions.
    pub(super) fn into_marker(self) -> SignedMarker {
        SignedMarker { changes: self.changes }
    }
}

/// Puts back the headers an earlier signing of this request changed.
pub(super) fn undo_previous_signing(parts: &mut Parts) {
    if let Some(marker) = parts.extensions.remove::<SignedMarker>() {
        for (name, previous) in marker.changes.into_iter().rev() {
            parts.headers.remove(&name);
            for v in previous {
                parts.headers.append(name.clone(), v);
            }
        }
    }
}
