//! STS `AssumeRole` (signed by this crate's core) and `AssumeRoleWithWebIdentity` (unsigned).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use quick_xml::events::Event;

use super::endpoint::service_endpoint;
use super::time::parse_rfc3339;
use super::transport::{self, truncate};
use super::{
    Credentials, CredentialsError, CredentialsErrorKind, ProvideCredentials, ProvideCredentialsFuture, ProviderEnv,
    SharedCredentialsProvider,
};
use crate::signing::{SignableBody, SignableRequest, SigningParams, sign};

const ASSUME_ROLE: &str = "sts assume role";
/// The default total time for one STS call.
const DEFAULT_STS_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

// application/x-www-form-urlencoded, strictly: only unreserved characters stay as they are.
const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Where and how STS is called: endpoint, signing region and time limit.
///
/// The endpoint follows the AWS SDKs: `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then the
/// profile's `endpoint_url` (all ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), then
/// the regional endpoint `https://sts.{region}.amazonaws.com`. The region is `AWS_REGION`, then
/// `AWS_DEFAULT_REGION`, then the profile's `region`, then `us-east-1`.
///
/// The regional endpoint is HTTPS: the application must enable a TLS feature of reqwest (for
/// example `rustls`), which cargo unifies with this crate's TLS-less reqwest dependency.
#[derive(Debug, Clone)]
pub struct StsConfig {
    endpoint: String,
    region: String,
    timeout: Duration,
}

impl Default for StsConfig {
    fn default() -> Self {
        Self::from_env(&ProviderEnv::process(), None, None)
    }
}

impl StsConfig {
    /// An explicit endpoint (`https://sts.eu-west-1.amazonaws.com`, a local STS) and the region
    /// requests are signed for.
    pub fn new(endpoint: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            region: region.into(),
            timeout: DEFAULT_STS_TIMEOUT,
        }
    }

    /// Resolves endpoint and region from `env` and the selected profile's `region` and
    /// `endpoint_url`, as described on the type.
    pub fn from_env(env: &ProviderEnv, profile_region: Option<&str>, profile_endpoint: Option<&str>) -> Self {
        let region = env
            .var("AWS_REGION")
            .or_else(|| env.var("AWS_DEFAULT_REGION"))
            .or_else(|| profile_region.map(str::to_owned))
            .map(|r| r.trim().to_owned())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint = service_endpoint(env, "STS", profile_endpoint, "sts", &region);
        Self::new(endpoint, region)
    }

    /// Bounds each STS call (default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }

    fn url(&self) -> String {
        // A bare origin gets the `/` path STS is called on; an endpoint with a path keeps it.
        let e = self.endpoint.trim_end_matches('/');
        let has_path = e.split_once("://").is_some_and(|(_, rest)| rest.contains('/'));
        if has_path { e.to_owned() } else { format!("{e}/") }
    }

    fn client(&self, provider: &'static str) -> Result<reqwest::Client, CredentialsError> {
        transport::client(CONNECT_TIMEOUT, self.timeout, false, provider)
    }
}

/// The parameters of one `AssumeRole` call.
#[derive(Debug, Clone)]
pub(crate) struct RoleParams {
    pub(crate) role_arn: String,
    pub(crate) session_name: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) duration_seconds: Option<u32>,
}

pub(crate) fn default_session_name() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("sigv4-middleware-{millis}")
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, FORM), utf8_percent_encode(v, FORM)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Calls `AssumeRole` with `source` credentials.
pub(crate) async fn assume_role(
    sts: &StsConfig,
    source: &Credentials,
    role: &RoleParams,
) -> Result<Credentials, CredentialsError> {
    let session = role.session_name.clone().unwrap_or_else(default_session_name);
    let duration = role.duration_seconds.map(|d| d.to_string());
    let mut pairs = vec![
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", role.role_arn.as_str()),
        ("RoleSessionName", session.as_str()),
    ];
    if let Some(x) = &role.external_id {
        pairs.push(("ExternalId", x));
    }
    if let Some(d) = &duration {
        pairs.push(("DurationSeconds", d));
    }
    let body = form(&pairs);
    let url = sts.url();
    let what = format!("AssumeRole for {} at {}", role.role_arn, sts.endpoint);
    let signable = SignableRequest::new(
        "POST",
        &url,
        [("content-type", CONTENT_TYPE.as_bytes())],
        SignableBody::Bytes(body.as_bytes()),
    )
    .and_then(|r| sign(&r, &SigningParams::new(source, &sts.region, "sts", SystemTime::now())))
    .map_err(|e| CredentialsError::invalid_configuration(ASSUME_ROLE, format!("{what}: cannot sign: {e}")))?;
    let mut request = sts
        .client(ASSUME_ROLE)?
        .post(&url)
        .header("content-type", CONTENT_TYPE)
        .body(body);
    for (name, value) in signable.headers() {
        request = request.header(name.clone(), value.clone());
    }
    call(request, ASSUME_ROLE, &what, "AssumeRoleResult")
        .await
        .map(|c| c.with_provider_name(format!("assume role {}", role.role_arn)))
}

/// Calls `AssumeRoleWithWebIdentity` (unsigned: the token is the proof).
pub(crate) async fn assume_role_with_web_identity(
    sts: &StsConfig,
    provider: &'static str,
    role_arn: &str,
    session_name: &str,
    token: &str,
) -> Result<Credentials, CredentialsError> {
    let body = form(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", role_arn),
        ("RoleSessionName", session_name),
        ("WebIdentityToken", token),
    ]);
    let what = format!("AssumeRoleWithWebIdentity for {role_arn} at {}", sts.endpoint);
    let request = sts
        .client(provider)?
        .post(sts.url())
        .header("content-type", CONTENT_TYPE)
        .body(body);
    call(request, provider, &what, "AssumeRoleWithWebIdentityResult")
        .await
        .map(|c| c.with_provider_name(format!("web identity {role_arn}")))
}

/// Sends an STS call and reads the credentials in its `result` element.
async fn call(
    request: reqwest::RequestBuilder,
    provider: &'static str,
    what: &str,
    result: &str,
) -> Result<Credentials, CredentialsError> {
    let response = transport::send(request, what)
        .await
        .map_err(|f| f.into_error(provider, CredentialsErrorKind::ProviderFailed))?;
    parse_response(provider, what, response.status, &response.text(), result)
}

/// The deepest element nesting an STS answer may have. Real answers nest 4 deep
/// (`AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId`); the limit bounds the path
/// kept while parsing, whatever a hostile endpoint sends.
const MAX_XML_DEPTH: usize = 32;

/// An element name, as far as reading an STS answer cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    /// `AssumeRoleResult` or `AssumeRoleWithWebIdentityResult`, whichever the call expects.
    Result,
    Credentials,
    Error,
    Field(Field),
    Other,
}

/// The texts read from an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    AccessKeyId,
    SecretAccessKey,
    SessionToken,
    Expiration,
    ErrorCode,
    ErrorMessage,
}

const FIELDS: usize = 6;

impl Name {
    fn of(local_name: &[u8], result: &str) -> Self {
        match local_name {
            n if n == result.as_bytes() => Name::Result,
            b"Credentials" => Name::Credentials,
            b"Error" => Name::Error,
            b"AccessKeyId" => Name::Field(Field::AccessKeyId),
            b"SecretAccessKey" => Name::Field(Field::SecretAccessKey),
            b"SessionToken" => Name::Field(Field::SessionToken),
            b"Expiration" => Name::Field(Field::Expiration),
            b"Code" => Name::Field(Field::ErrorCode),
            b"Message" => Name::Field(Field::ErrorMessage),
            _ => Name::Other,
        }
    }
}

/// The open elements, innermost last, in a fixed array: the path costs the same whatever the
/// document.
struct Path {
    names: [Name; MAX_XML_DEPTH],
    len: usize,
}

impl Path {
    fn new() -> Self {
        Self {
            names: [Name::Other; MAX_XML_DEPTH],
            len: 0,
        }
    }

    fn push(&mut self, name: Name) -> Result<(), String> {
        let slot = self
            .names
            .get_mut(self.len)
            .ok_or_else(|| format!("nested deeper than {MAX_XML_DEPTH} elements (an STS answer nests 4)"))?;
        *slot = name;
        self.len += 1;
        Ok(())
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The field the innermost element holds: `…/{Result}/Credentials/{credential}` or
    /// `…/Error/{Code|Message}`.
    fn field(&self) -> Option<Field> {
        use Field::*;
        match &self.names[..self.len] {
            [
                ..,
                Name::Result,
                Name::Credentials,
                Name::Field(f @ (AccessKeyId | SecretAccessKey | SessionToken | Expiration)),
            ]
            | [.., Name::Error, Name::Field(f @ (ErrorCode | ErrorMessage))] => Some(*f),
            _ => None,
        }
    }
}

/// The fields of an STS answer: the first non-empty text of each wanted element. No `Debug`:
/// it holds the secret key and the session token.
#[derive(Default)]
struct StsAnswer {
    texts: [String; FIELDS],
    complete: [bool; FIELDS],
}

impl StsAnswer {
    fn get(&self, field: Field) -> Option<&str> {
        let i = field as usize;
        Some(self.texts[i].trim()).filter(|t| self.complete[i] && !t.is_empty())
    }

    fn append(&mut self, field: Option<Field>, text: &str) {
        if let Some(f) = field.filter(|f| !self.complete[*f as usize]) {
            self.texts[f as usize].push_str(text);
        }
    }

    fn close(&mut self, field: Option<Field>) {
        if let Some(f) = field.filter(|f| !self.complete[*f as usize]) {
            let i = f as usize;
            // An empty element does not hide a later one with text.
            self.complete[i] = !self.texts[i].is_empty();
        }
    }
}

/// Reads the wanted fields of an STS answer while streaming through it: memory is the answer's
/// texts, and nesting deeper than [`MAX_XML_DEPTH`] is refused.
fn parse_sts_xml(xml: &str, result: &str) -> Result<StsAnswer, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path = Path::new();
    let mut answer = StsAnswer::default();
    let mut char_buf = [0u8; 4];
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => path.push(Name::of(e.local_name().as_ref(), result))?,
            Event::End(_) => {
                answer.close(path.field());
                path.pop();
            }
            Event::Text(t) => answer.append(path.field(), &t.decode().map_err(|e| e.to_string())?),
            Event::CData(t) => answer.append(path.field(), &t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| e.to_string())?
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    quick_xml::escape::resolve_predefined_entity(&name).and_then(|s| s.chars().next())
                };
                let c = resolved.ok_or("unknown entity reference")?;
                answer.append(path.field(), c.encode_utf8(&mut char_buf));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err("the document ends inside an element".to_owned());
    }
    Ok(answer)
}

/// Credentials from a successful STS answer, or the STS error it carries.
fn parse_response(
    provider: &'static str,
    what: &str,
    status: u16,
    body: &str,
    result: &str,
) -> Result<Credentials, CredentialsError> {
    let answer = parse_sts_xml(body, result);
    if !(200..300).contains(&status) {
        let (code, message) = match &answer {
            Ok(a) => (a.get(Field::ErrorCode), a.get(Field::ErrorMessage)),
            Err(_) => (None, None),
        };
        let message = match (code, message) {
            (Some(c), Some(m)) => format!("{what} was refused (HTTP {status}): {c}: {}", truncate(m, 500)),
            (Some(c), None) => format!("{what} was refused (HTTP {status}): {c}"),
            _ => format!("{what} was refused (HTTP {status}): {}", truncate(body, 300)),
        };
        return Err(CredentialsError::provider_failed(provider, message));
    }
    let answer = answer.map_err(|e| {
        CredentialsError::provider_failed(provider, format!("{what}: the response is not valid XML: {e}"))
    })?;
    let get = |field: Field| answer.get(field);
    let missing = |name: &str| {
        CredentialsError::provider_failed(
            provider,
            format!("{what}: the response has no {result}/Credentials/{name}"),
        )
    };
    let akid = get(Field::AccessKeyId).ok_or_else(|| missing("AccessKeyId"))?;
    let secret = get(Field::SecretAccessKey).ok_or_else(|| missing("SecretAccessKey"))?;
    let token = get(Field::SessionToken).ok_or_else(|| missing("SessionToken"))?;
    let expiration = get(Field::Expiration).ok_or_else(|| missing("Expiration"))?;
    let expiry = parse_rfc3339(expiration).ok_or_else(|| {
        CredentialsError::provider_failed(
            provider,
            format!("{what}: Expiration {expiration:?} is not an RFC 3339 timestamp"),
        )
    })?;
    Ok(Credentials::new(akid, secret)
        .with_session_token(token)
        .with_expiry(expiry))
}

/// Assumes a role with credentials from another provider (`AssumeRole`, signed by this crate).
///
/// Not cached: wrap it in a [`CachedProvider`](super::CachedProvider).
#[derive(Debug, Clone)]
pub struct AssumeRoleProvider {
    source: SharedCredentialsProvider,
    role: RoleParams,
    sts: StsConfig,
}

impl AssumeRoleProvider {
    /// Assumes `role_arn` with credentials from `source`, through the STS endpoint resolved from
    /// the process environment (see [`StsConfig`]).
    pub fn new(role_arn: impl Into<String>, source: impl ProvideCredentials + 'static) -> Self {
        Self {
            source: SharedCredentialsProvider::new(source),
            role: RoleParams {
                role_arn: role_arn.into(),
                session_name: None,
                external_id: None,
                duration_seconds: None,
            },
            sts: StsConfig::default(),
        }
    }

    /// The session name (default `sigv4-middleware-{unix millis}`).
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.role.session_name = Some(name.into());
        self
    }

    /// The external id the role's trust policy asks for.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.role.external_id = Some(id.into());
        self
    }

    /// The session duration (STS default: one hour).
    pub fn duration(mut self, d: Duration) -> Self {
        self.role.duration_seconds = Some(u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
        self
    }

    /// The STS endpoint, region and timeout.
    pub fn sts(mut self, sts: StsConfig) -> Self {
        self.sts = sts;
        self
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials(&self) -> ProvideCredentialsFuture<'_> {
        Box::pin(async move {
            let source = self.source.provide_credentials().await?;
            assume_role(&self.sts, &source, &self.role).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>DevUser123</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764&amp;+/=</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2026-11-22T13:00:00.5Z</Expiration>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <PackedPolicySize>8</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

    #[test]
    fn parses_the_documented_response() {
        let c = parse_response("p", "AssumeRole", 200, OK, "AssumeRoleResult").unwrap();
        assert_eq!(c.access_key_id(), "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(c.secret_access_key(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
        assert_eq!(c.session_token(), Some("AQoDYXdzEPT//////////wEXAMPLEtc764&+/="));
        assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_millis(1_795_352_400_500)));
        // The wrong result element is not accepted as credentials.
        let e = parse_response("p", "AssumeRole", 200, OK, "AssumeRoleWithWebIdentityResult").unwrap_err();
        assert!(
            e.to_string()
                .contains("no AssumeRoleWithWebIdentityResult/Credentials/AccessKeyId"),
            "{e}"
        );
    }

    #[test]
    fn surfaces_sts_error_codes() {
        let body = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole</Message>
  </Error><RequestId>abc</RequestId></ErrorResponse>"#;
        let e = parse_response("p", "AssumeRole for r at https://sts", 403, body, "AssumeRoleResult").unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::ProviderFailed);
        assert_eq!(
            e.to_string(),
            "p: AssumeRole for r at https://sts was refused (HTTP 403): AccessDenied: User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole"
        );
        let e = parse_response("p", "X", 502, "Bad <gateway", "AssumeRoleResult").unwrap_err();
        assert!(e.to_string().contains("(HTTP 502): Bad <gateway"), "{e}");
    }

    #[test]
    fn broken_success_bodies_are_errors() {
        for (body, expect) in [
            ("<A><B>", "not valid XML"),
            ("not xml at all", "no AssumeRoleResult/Credentials/AccessKeyId"),
            (
                &OK.replace("2026-11-22T13:00:00.5Z", "tomorrow"),
                "Expiration \"tomorrow\" is not an RFC 3339",
            ),
            (
                &OK.replace(
                    "<SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764&amp;+/=</SessionToken>",
                    "",
                ),
                "no AssumeRoleResult/Credentials/SessionToken",
            ),
        ] {
            let e = parse_response("p", "AssumeRole", 200, body, "AssumeRoleResult").unwrap_err();
            assert!(e.to_string().contains(expect), "{body}: {e}");
            assert!(!e.to_string().contains("wJalr"), "secret leaked: {e}");
        }
    }

    #[test]
    fn endpoint_resolution_follows_the_sdks() {
        let env = |vars: &[(&str, &str)]| ProviderEnv::from_vars(vars.iter().copied());
        let c = StsConfig::from_env(&env(&[]), None, None);
        assert_eq!(
            (c.endpoint(), c.region()),
            ("https://sts.us-east-1.amazonaws.com", "us-east-1")
        );
        let c = StsConfig::from_env(&env(&[]), Some("eu-west-3"), None);
        assert_eq!(c.endpoint(), "https://sts.eu-west-3.amazonaws.com");
        let c = StsConfig::from_env(&env(&[("AWS_DEFAULT_REGION", "cn-north-1")]), Some("eu-west-3"), None);
        assert_eq!(c.endpoint(), "https://sts.cn-north-1.amazonaws.com.cn");
        let all = [
            ("AWS_REGION", "ap-south-1"),
            ("AWS_ENDPOINT_URL_STS", "http://sts.local"),
            ("AWS_ENDPOINT_URL", "http://all.local"),
        ];
        let c = StsConfig::from_env(&env(&all), Some("eu-west-3"), Some("http://profile.local"));
        assert_eq!((c.endpoint(), c.region()), ("http://sts.local", "ap-south-1"));
        let c = StsConfig::from_env(&env(&all[2..]), None, Some("http://profile.local"));
        assert_eq!(c.endpoint(), "http://all.local");
        let c = StsConfig::from_env(&env(&[]), None, Some("http://profile.local"));
        assert_eq!(c.endpoint(), "http://profile.local");
        assert_eq!(c.url(), "http://profile.local/");
        let c = StsConfig::from_env(
            &env(&[
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                ("AWS_ENDPOINT_URL", "http://x"),
            ]),
            None,
            Some("http://profile.local"),
        );
        assert_eq!(c.endpoint(), "https://sts.us-east-1.amazonaws.com");
        assert_eq!(StsConfig::new("http://h:1/sts/", "r").url(), "http://h:1/sts");
    }

    #[test]
    fn form_encoding_is_strict() {
        assert_eq!(
            form(&[("RoleArn", "arn:aws:iam::1:role/a b+c"), ("X", "~_.-")]),
            "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b%2Bc&X=~_.-"
        );
    }
}
