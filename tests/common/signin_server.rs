//! A local AWS sign-in service speaking `CreateOAuth2Token` as its service model documents it
//! (`POST /v1/token`, JSON `{clientId, grantType, refreshToken}` in, `{accessToken{accessKeyId,
//! secretAccessKey, sessionToken}, tokenType, expiresIn, refreshToken}` out, errors as
//! `{error: <OAuth2ErrorCode>, message}` with `x-amzn-errortype`), on 127.0.0.1.
//!
//! Every request's DPoP proof (RFC 9449) is verified: three base64url parts; header `typ`
//! `dpop+jwt`, `alg` `ES256`, a P-256 `jwk` equal to the session key's public key; the ES256
//! signature against that jwk; claims `htm` = `POST`, `htu` = the URL called, `iat` within a
//! minute of now, `jti` never seen before. A refused proof gets a `ValidationException`.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::{Value, json};

// aws-config's test keys (login/dpop.rs and login/cache.rs), as `dpopKey` holds them.
pub const KEY_A: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBMB/RwQERsVoqWRQG4zK8CnaAa5dfrpbm+9tFdBh3z4oAoGCCqGSM49\nAwEHoUQDQgAEWb1VLi1EA2hJaTz4yYuxSELvY+1GAfL+8rUTCAdiFid87Bf6GY+s\n2+1RpqDv0RpZiDIMCrZrsAh+RK9S3QCaGA==\n-----END EC PRIVATE KEY-----\n";
pub const KEY_B: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFDZHUzOG1Pzq+6F0mjMlOSp1syN9LRPBuHMoCFXTcXhoAoGCCqGSM49\nAwEHoUQDQgAE9qhj+KtcdHj1kVgwxWWWw++tqoh7H7UHs7oXh8jBbgF47rrYGC+t\ndjiIaHK3dBvvdE7MGj5HsepzLm3Kj91bqA==\n-----END EC PRIVATE KEY-----\n";

/// What the service answers to a proof it accepts.
#[derive(Clone, Debug)]
pub enum Answer {
    /// New credentials valid for `expires_in` seconds and a new refresh token.
    Tokens { expires_in: u64 },
    /// These credentials (e.g. issued by moto), valid for `expires_in` seconds, and a new
    /// refresh token.
    Credentials {
        access_key_id: String,
        secret_access_key: String,
        session_token: String,
        expires_in: u64,
    },
    /// A documented error: HTTP status, error type, OAuth2 error code.
    Error {
        status: u16,
        error_type: &'static str,
        code: &'static str,
    },
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Call {
    pub body: Value,
    pub jti: Option<String>,
    /// `Ok` when the DPoP proof verified, else why not.
    pub proof: Result<(), String>,
}

struct Inner {
    key_x: String,
    key_y: String,
    answer: Answer,
    refresh_token: String,
    seen_jti: HashSet<String>,
    calls: Vec<Call>,
    issued: u32,
}

#[derive(Clone)]
pub struct SigninServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

/// The base64url `(x, y)` of a SEC1 PEM key's public point.
pub fn jwk_xy(pem: &str) -> (String, String) {
    let key = SigningKey::from(&SecretKey::from_sec1_pem(pem).unwrap());
    let point = key.verifying_key().to_sec1_point(false);
    let b = point.as_bytes();
    (URL_SAFE_NO_PAD.encode(&b[1..33]), URL_SAFE_NO_PAD.encode(&b[33..65]))
}

/// A DPoP proof built by hand: the header names `jwk_pem`'s public key, the signature is made
/// with `signing_pem` (the two differ to forge one).
pub fn make_proof(signing_pem: &str, jwk_pem: &str, htu: &str, iat: u64, jti: &str) -> String {
    let (x, y) = jwk_xy(jwk_pem);
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "EC", "x": x, "y": y, "crv": "P-256"}});
    let claims = json!({"jti": jti, "htm": "POST", "htu": htu, "iat": iat});
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = SigningKey::from(&SecretKey::from_sec1_pem(signing_pem).unwrap());
    let signature: Signature = key.sign(message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

impl SigninServer {
    /// Accepts proofs made with `session_key_pem` and refresh token `refresh_token`.
    pub async fn start(session_key_pem: &str, refresh_token: &str, answer: Answer) -> Self {
        let (key_x, key_y) = jwk_xy(session_key_pem);
        let inner = Arc::new(Mutex::new(Inner {
            key_x,
            key_y,
            answer,
            refresh_token: refresh_token.to_owned(),
            seen_jti: HashSet::new(),
            calls: Vec::new(),
            issued: 0,
        }));
        let router = Router::new().route("/v1/token", post(token)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { base, inner }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn set_answer(&self, answer: Answer) {
        self.inner.lock().unwrap().answer = answer;
    }

    /// The refresh token the server expects next.
    pub fn refresh_token(&self) -> String {
        self.inner.lock().unwrap().refresh_token.clone()
    }
}

fn error(status: u16, error_type: &str, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("x-amzn-errortype", error_type), ("content-type", "application/json")],
        json!({"error": code, "message": message}).to_string(),
    )
        .into_response()
}

async fn token(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, uri: Uri, body: Bytes) -> Response {
    let mut s = inner.lock().unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default();
    let htu = format!("http://{host}{}", uri.path());
    let proof = headers
        .get("dpop")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (jti, verdict) = match verify(&s, &proof, &htu) {
        Ok(jti) => (Some(jti), Ok(())),
        Err(e) => (None, Err(e)),
    };
    s.calls.push(Call {
        body: body.clone(),
        jti: jti.clone(),
        proof: verdict.clone(),
    });
    if let Err(why) = verdict {
        return error(
            400,
            "ValidationException",
            "INVALID_REQUEST",
            &format!("invalid DPoP proof: {why}"),
        );
    }
    s.seen_jti.insert(jti.unwrap());
    let content_type = headers.get("content-type").and_then(|h| h.to_str().ok());
    let well_formed = content_type == Some("application/json")
        && body["grantType"] == "refresh_token"
        && body["clientId"] == "arn:aws:signin:::devtools/same-device"
        && body.as_object().is_some_and(|o| o.len() == 3);
    if !well_formed {
        return error(400, "ValidationException", "INVALID_REQUEST", "malformed request");
    }
    if body["refreshToken"] != s.refresh_token.as_str() {
        return error(
            401,
            "AccessDeniedException",
            "TOKEN_EXPIRED",
            "Refresh token is invalid or expired",
        );
    }
    match s.answer.clone() {
        Answer::Error {
            status,
            error_type,
            code,
        } => error(status, error_type, code, "refused by the test service"),
        Answer::Tokens { expires_in } => {
            let n = s.issued + 1;
            let (akid, secret, token) = (
                format!("ASIAREFRESHED{n}"),
                format!("refreshed-secret-{n}"),
                format!("refreshed-session-{n}"),
            );
            issue(&mut s, &akid, &secret, &token, expires_in)
        }
        Answer::Credentials {
            access_key_id,
            secret_access_key,
            session_token,
            expires_in,
        } => issue(&mut s, &access_key_id, &secret_access_key, &session_token, expires_in),
    }
}

/// A successful `CreateOAuth2Token` answer with these credentials and a rotated refresh token.
fn issue(s: &mut Inner, access_key_id: &str, secret: &str, session_token: &str, expires_in: u64) -> Response {
    s.issued += 1;
    s.refresh_token = format!("refresh-token-{}", s.issued);
    (
        [("content-type", "application/json")],
        json!({
            "accessToken": {
                "accessKeyId": access_key_id,
                "secretAccessKey": secret,
                "sessionToken": session_token,
            },
            "tokenType": "aws_sigv4",
            "expiresIn": expires_in,
            "refreshToken": s.refresh_token,
        })
        .to_string(),
    )
        .into_response()
}

/// Checks a DPoP proof; its `jti` when good.
fn verify(s: &Inner, proof: &str, htu: &str) -> Result<String, String> {
    let parts: Vec<&str> = proof.split('.').collect();
    let [h, c, sig] = parts[..] else {
        return Err("not three parts".into());
    };
    let decode = |p: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD.decode(p).map_err(|e| format!("base64url: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("json: {e}"))
    };
    let header = decode(h)?;
    let claims = decode(c)?;
    if header["typ"] != "dpop+jwt" || header["alg"] != "ES256" {
        return Err("typ/alg".into());
    }
    let jwk = &header["jwk"];
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" {
        return Err("jwk kty/crv".into());
    }
    let (x, y) = (jwk["x"].as_str().unwrap_or(""), jwk["y"].as_str().unwrap_or(""));
    if x != s.key_x || y != s.key_y {
        return Err("jwk is not the session's key".into());
    }
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(x).map_err(|_| "jwk x")?);
    point.extend(URL_SAFE_NO_PAD.decode(y).map_err(|_| "jwk y")?);
    let key = VerifyingKey::from_sec1_bytes(&point).map_err(|_| "jwk point")?;
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(sig).map_err(|_| "signature base64")?)
        .map_err(|_| "signature length")?;
    key.verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| "signature does not verify")?;
    if claims["htm"] != "POST" {
        return Err("htm".into());
    }
    if claims["htu"] != htu {
        return Err(format!("htu {} is not {htu}", claims["htu"]));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let iat = claims["iat"].as_u64().ok_or("iat")?;
    if iat.abs_diff(now) > 60 {
        return Err("iat not recent".into());
    }
    let jti = claims["jti"].as_str().filter(|j| !j.is_empty()).ok_or("jti")?;
    if s.seen_jti.contains(jti) {
        return Err("jti replayed".into());
    }
    Ok(jti.to_owned())
}
