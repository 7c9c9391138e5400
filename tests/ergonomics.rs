//! What a user meets first: the identity extractor and its rejection, a provider made of a
//! closure, cloneable builders and errors, and getting the crate's error back out of the
//! adapters' errors. Real axum servers on loopback, real clients.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use sigv4_middleware::BoxError;
use sigv4_middleware::client::{Error, SigV4Layer, SigV4Middleware, SignedBody, Signer};
use sigv4_middleware::credentials::{Credentials, CredentialsError, provide_credentials_fn};
use sigv4_middleware::verify::{MissingIdentity, StaticSecrets, VerifiedIdentity, VerifyConfig, VerifySigV4Layer};
use tower::{Layer, ServiceExt, service_fn};

const AKID: &str = "AKIDERGONOMICS";
const SECRET: &str = "ergonomics/secret";
const REGION: &str = "us-east-1";
const SERVICE: &str = "execute-api";

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET)
}

/// Serves `app` on 127.0.0.1 and returns its base URL.
async fn serve(app: Router) -> String {
    error_log();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn client(signer: Signer) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(signer))
        .build()
}

fn signer(service: &str) -> Signer {
    Signer::builder(REGION, service).credentials(creds()).build()
}

/// Sends a signed GET and returns the status and body.
async fn get_signed(url: &str) -> (StatusCode, String) {
    let response = client(signer(SERVICE)).get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

// ---- 1. The identity extractor --------------------------------------------------------------

#[tokio::test]
async fn identity_extractor_needs_no_type_annotation_with_static_secrets_new() {
    // `VerifiedIdentity` alone is `VerifiedIdentity<()>`, what `StaticSecrets::new()` gives.
    async fn whoami(id: VerifiedIdentity) -> String {
        id.access_key_id().to_owned()
    }
    let app = Router::new().route("/whoami", get(whoami)).layer(VerifySigV4Layer::new(
        StaticSecrets::new().with(creds()),
        VerifyConfig::new(REGION, SERVICE),
    ));
    let base = serve(app).await;
    assert_eq!(
        get_signed(&format!("{base}/whoami")).await,
        (StatusCode::OK, AKID.to_owned())
    );
}

#[tokio::test]
async fn identity_extractor_takes_the_principal_type_of_the_lookup() {
    async fn whoami(id: VerifiedIdentity<String>) -> String {
        id.principal().clone()
    }
    let secrets = StaticSecrets::default().with_principal(creds(), "alice".to_owned());
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(VerifySigV4Layer::new(secrets, VerifyConfig::new(REGION, SERVICE)));
    let base = serve(app).await;
    assert_eq!(
        get_signed(&format!("{base}/whoami")).await,
        (StatusCode::OK, "alice".to_owned())
    );
}

/// An app whose lookup gives `VerifiedIdentity<String>` and whose routes ask for
/// `VerifiedIdentity<()>`: `/plain` as the extractor, `/why` as a `Result` to show the
/// rejection, `/maybe` as an `Option`.
fn mismatched_app() -> Router {
    async fn plain(_: VerifiedIdentity) -> &'static str {
        "unreachable"
    }
    async fn why(id: Result<VerifiedIdentity, MissingIdentity>) -> String {
        match id {
            Ok(_) => "found".to_owned(),
            Err(e) => format!("{}\n{e}", e.expected_principal()),
        }
    }
    async fn maybe(id: Option<VerifiedIdentity>) -> &'static str {
        if id.is_some() { "some" } else { "none" }
    }
    let secrets = StaticSecrets::default().with_principal(creds(), "alice".to_owned());
    Router::new()
        .route("/plain", get(plain))
        .route("/why", get(why))
        .route("/maybe", get(maybe))
        .layer(VerifySigV4Layer::new(secrets, VerifyConfig::new(REGION, SERVICE)))
}

#[tokio::test]
async fn mismatched_principal_type_is_a_500_with_a_generic_body() {
    let base = serve(mismatched_app()).await;
    let (status, body) = get_signed(&format!("{base}/plain")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, "Internal Server Error", "the diagnosis is logged, not sent");
}

#[tokio::test]
async fn mismatched_principal_type_rejection_names_the_expected_type_and_the_layer() {
    let base = serve(mismatched_app()).await;
    let (status, body) = get_signed(&format!("{base}/why")).await;
    assert_eq!(status, StatusCode::OK);
    let (principal, message) = body.split_once('\n').unwrap();
    assert_eq!(principal, "()");
    assert!(
        message.starts_with("no VerifiedIdentity<()> in the request extensions"),
        "{message}"
    );
    assert!(message.contains("VerifySigV4Layer"), "{message}");
    assert!(message.contains("principal type"), "{message}");
}

#[tokio::test]
async fn optional_identity_of_another_principal_type_is_none() {
    let base = serve(mismatched_app()).await;
    assert_eq!(
        get_signed(&format!("{base}/maybe")).await,
        (StatusCode::OK, "none".to_owned())
    );
}

#[tokio::test]
async fn route_without_the_layer_is_a_500_naming_the_layer() {
    async fn why(id: Result<VerifiedIdentity<String>, MissingIdentity>) -> String {
        id.err().map(|e| e.to_string()).unwrap_or_default()
    }
    async fn plain(_: VerifiedIdentity<String>) -> &'static str {
        "unreachable"
    }
    let base = serve(Router::new().route("/why", get(why)).route("/plain", get(plain))).await;
    let (status, message) = get_signed(&format!("{base}/why")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        message
            .starts_with("no VerifiedIdentity<alloc::string::String> in the request extensions: is VerifySigV4Layer"),
        "{message}"
    );
    assert_eq!(
        get_signed(&format!("{base}/plain")).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

/// The `error` fields of `tracing::error!` events, with the thread that emitted them.
type Logged = Arc<std::sync::Mutex<Vec<(std::thread::ThreadId, String)>>>;

/// Installs, once, a global subscriber that keeps the `error` field of every error event.
/// Global, not scoped: a callsite's interest is cached for every thread, and a scoped
/// subscriber misses events while tests running in parallel rebuild that cache.
fn error_log() -> &'static Logged {
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata};

    struct Errors(Logged);
    struct ErrorField(Option<String>);
    impl Visit for ErrorField {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "error" {
                self.0 = Some(format!("{value:?}"));
            }
        }
    }
    impl tracing::Subscriber for Errors {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            *metadata.level() == Level::ERROR
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut field = ErrorField(None);
            event.record(&mut field);
            let thread = std::thread::current().id();
            self.0.lock().unwrap().extend(field.0.map(|m| (thread, m)));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    static LOG: std::sync::OnceLock<Logged> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let logged = Logged::default();
        tracing::subscriber::set_global_default(Errors(logged.clone())).unwrap();
        logged
    })
}

/// The error events emitted on this thread while `f` runs (a current-thread runtime runs the
/// served app here too).
async fn logged_errors<F: std::future::Future>(f: F) -> (F::Output, Vec<String>) {
    let log = error_log();
    let thread = std::thread::current().id();
    let before = log.lock().unwrap().len();
    let output = f.await;
    let logged = log.lock().unwrap()[before..]
        .iter()
        .filter(|(t, _)| *t == thread)
        .map(|(_, m)| m.clone())
        .collect();
    (output, logged)
}

#[tokio::test]
async fn mismatched_principal_type_logs_the_diagnosis() {
    let base = serve(mismatched_app()).await;
    let ((status, _), logged) = logged_errors(get_signed(&format!("{base}/plain"))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(
        logged[0].starts_with("no VerifiedIdentity<()> in the request extensions: is VerifySigV4Layer"),
        "{logged:?}"
    );
}

// ---- 2. A provider made of a closure ---------------------------------------------------------

/// An app that answers the access key id of a request signed for `service`.
fn whoami_app(service: &str) -> Router {
    async fn whoami(id: VerifiedIdentity) -> String {
        id.access_key_id().to_owned()
    }
    Router::new()
        .route("/whoami", get(whoami).put(whoami))
        .layer(VerifySigV4Layer::new(
            StaticSecrets::new().with(creds()),
            VerifyConfig::new(REGION, service),
        ))
}

#[tokio::test]
async fn provide_credentials_fn_signs_with_a_signer() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let provider = provide_credentials_fn(move || {
        let calls = counter.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(creds().with_provider_name("closure"))
        }
    });
    let signer = Signer::builder(REGION, SERVICE).credentials(provider).build();
    let base = serve(whoami_app(SERVICE)).await;
    let response = client(signer).get(format!("{base}/whoami")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), AKID);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "called once per signature");
}

fn failing_provider_signer() -> Signer {
    let provider =
        provide_credentials_fn(|| async { Err(CredentialsError::provider_failed("vault", "the vault is sealed")) });
    Signer::builder(REGION, SERVICE).credentials(provider).build()
}

// ---- 4. The crate's error out of the adapters' errors -----------------------------------------

#[tokio::test]
async fn client_error_comes_back_out_of_reqwest_middleware_error() {
    let base = serve(whoami_app(SERVICE)).await;
    let e = client(failing_provider_signer())
        .get(format!("{base}/whoami"))
        .send()
        .await
        .unwrap_err();
    let Some(Error::Credentials(c)) = Error::from_reqwest_middleware(&e) else {
        panic!("not a credentials error: {e:?}");
    };
    assert_eq!(c.provider(), "vault");
    assert_eq!(c.to_string(), "vault: the vault is sealed");
}

#[tokio::test]
async fn client_error_comes_back_out_of_reqwest_transport_error() {
    // S3 sends a stream of known length as aws-chunked: a stream failing after its first
    // chunks fails inside reqwest, while the transport reads the encoder.
    let base = serve(whoami_app("s3")).await;
    let piece = Bytes::from(vec![b'x'; 64 * 1024]);
    let pieces = [
        Ok(piece.clone()),
        Ok(piece.clone()),
        Ok(piece),
        Err(std::io::Error::other("disk gone")),
    ];
    let e = client(signer("s3"))
        .put(format!("{base}/whoami"))
        .header("content-length", (1024 * 1024).to_string())
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(pieces)))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, reqwest_middleware::Error::Reqwest(_)), "{e:?}");
    let Some(Error::BodyStream(source)) = Error::from_reqwest_middleware(&e) else {
        panic!("not the body's error: {e:?}");
    };
    let chain = std::iter::successors(Some(&**source as &(dyn std::error::Error + 'static)), |e| e.source());
    assert!(chain.map(|e| e.to_string()).any(|m| m == "disk gone"), "{e:?}");
}

#[tokio::test]
async fn client_error_comes_back_out_of_tower_box_error() {
    let inner = service_fn(|_: http::Request<SignedBody<Full<Bytes>>>| async {
        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::new())))
    });
    let service = SigV4Layer::new(failing_provider_signer()).layer(inner);
    let request = http::Request::get("http://api.example.com/")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let e: BoxError = service.oneshot(request).await.unwrap_err();
    assert!(
        matches!(Error::from_box_error(&e), Some(Error::Credentials(_))),
        "{e:?}"
    );

    // Behind a layer that wraps errors, the source chain leads to it.
    #[derive(Debug)]
    struct Wrapped(BoxError);
    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("outer layer failed")
        }
    }
    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&*self.0)
        }
    }
    let wrapped: BoxError = Box::new(Wrapped(e));
    assert!(matches!(Error::from_box_error(&wrapped), Some(Error::Credentials(_))));
}

#[tokio::test]
async fn inner_service_error_is_not_the_crate_error() {
    let inner = service_fn(|_: http::Request<SignedBody<Full<Bytes>>>| async {
        Err::<http::Response<Full<Bytes>>, _>(std::io::Error::other("connection refused"))
    });
    let service = SigV4Layer::new(signer(SERVICE)).layer(inner);
    let request = http::Request::get("http://api.example.com/")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let e: BoxError = service.oneshot(request).await.unwrap_err();
    assert!(Error::from_box_error(&e).is_none());
    assert!(e.downcast_ref::<std::io::Error>().is_some());
}

// ---- 3. Clone where cheap ---------------------------------------------------------------------

#[tokio::test]
async fn cloned_signer_builder_builds_signers_sharing_one_provider() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let base_builder = Signer::builder(REGION, SERVICE).credentials(provide_credentials_fn(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok(creds()) }
    }));
    let (first, second) = (base_builder.clone().build(), base_builder.build());
    let base = serve(whoami_app(SERVICE)).await;
    for signer in [first, second] {
        let response = client(signer).get(format!("{base}/whoami")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2, "both signers call the one closure");
}

#[test]
fn error_types_are_clone() {
    fn clone<T: Clone>(t: &T) -> T {
        t.clone()
    }
    let e = CredentialsError::provider_failed("vault", "sealed").with_source(std::io::Error::other("io"));
    assert_eq!(clone(&e).to_string(), e.to_string());
    let _ = clone::<sigv4_middleware::SigningError>;
    let _ = clone::<sigv4_middleware::verify::VerifyError>;
    let _ = clone::<MissingIdentity>;
}
