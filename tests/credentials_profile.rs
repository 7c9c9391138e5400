//! Shared profile files: a table of valid and broken files with the expected outcome, then the
//! provider over real temporary files.

use std::path::Path;

use sigv4_middleware::credentials::profile::{BaseCredentials, CredentialSource, FileKind, ProfileSet};
use sigv4_middleware::credentials::{CredentialsErrorKind, ProfileProvider, ProvideCredentials, ProviderEnv};

enum Expect {
    /// Static keys: the access key id, the roles (innermost first) and region.
    Static(&'static str, &'static [&'static str], Option<&'static str>),
    Process(&'static str, &'static [&'static str]),
    WebIdentity(&'static str, &'static str),
    Source(CredentialSource, &'static [&'static str]),
    Fails(CredentialsErrorKind, &'static str),
    ParseErr(&'static str),
}
use Expect::*;

struct Case {
    name: &'static str,
    config: &'static str,
    credentials: &'static str,
    profile: &'static str,
    expect: Expect,
}

const CASES: &[Case] = &[
    Case {
        name: "static keys in credentials, region in config",
        config: "[default]\nregion = eu-west-1\n",
        credentials: "[default]\naws_access_key_id = AKID\naws_secret_access_key = S\n",
        profile: "default",
        expect: Static("AKID", &[], Some("eu-west-1")),
    },
    Case {
        name: "credentials file wins for the same key",
        config: "[profile p]\naws_access_key_id = FROM_CONFIG\naws_secret_access_key = S\n",
        credentials: "[p]\naws_access_key_id = FROM_CREDENTIALS\n",
        profile: "p",
        expect: Static("FROM_CREDENTIALS", &[], None),
    },
    Case {
        name: "later line wins within a file, duplicate sections merge",
        config: "",
        credentials: "[p]\naws_access_key_id = FIRST\n[q]\nx = y\n[p]\naws_access_key_id = SECOND\naws_secret_access_key = S\n",
        profile: "p",
        expect: Static("SECOND", &[], None),
    },
    Case {
        name: "[profile default] wins over [default] in config",
        config: "[default]\nregion = bare\n[profile default]\nregion = prefixed\n",
        credentials: "[default]\naws_access_key_id = A\naws_secret_access_key = S\n",
        profile: "default",
        expect: Static("A", &[], Some("prefixed")),
    },
    Case {
        name: "config [name] without the profile prefix is ignored",
        config: "[p]\naws_access_key_id = A\naws_secret_access_key = S\n",
        credentials: "",
        profile: "p",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "profile `p` was asked for but is in neither",
        ),
    },
    Case {
        name: "[profile x] in the credentials file is a profile named `profile x`",
        config: "",
        credentials: "[profile p]\naws_access_key_id = A\naws_secret_access_key = S\n",
        profile: "p",
        expect: Fails(CredentialsErrorKind::InvalidConfiguration, "neither profile file"),
    },
    Case {
        name: "comments: full lines, after whitespace, not inside values",
        config: "# c1\n; c2\n[profile p] ; c3\nregion = us-east-2 # c4\n",
        credentials: "[p]\naws_access_key_id = A#B\naws_secret_access_key = S;T ; comment\n",
        profile: "p",
        expect: Static("A#B", &[], Some("us-east-2")),
    },
    Case {
        name: "role chain of length three with external id, session name, duration",
        config: "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = mid\nexternal_id = ext\nrole_session_name = s1\nduration_seconds = 1800\n\
                 [profile mid]\nrole_arn = arn:aws:iam::1:role/mid\nsource_profile = base\n\
                 [profile base]\nrole_arn = arn:aws:iam::1:role/ignored-because-base-has-keys\n",
        credentials: "[base]\naws_access_key_id = BASE\naws_secret_access_key = S\n",
        profile: "top",
        expect: Static("BASE", &["arn:aws:iam::1:role/mid", "arn:aws:iam::1:role/top"], None),
    },
    Case {
        name: "self-referencing source_profile uses the profile's own keys",
        config: "[profile p]\nrole_arn = arn:r\nsource_profile = p\naws_access_key_id = OWN\naws_secret_access_key = S\n",
        credentials: "",
        profile: "p",
        expect: Static("OWN", &["arn:r"], None),
    },
    Case {
        name: "cycle is reported with the chain",
        config: "[profile a]\nrole_arn = arn:a\nsource_profile = b\n[profile b]\nrole_arn = arn:b\nsource_profile = c\n[profile c]\nrole_arn = arn:c\nsource_profile = a\n",
        credentials: "",
        profile: "a",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "source_profile cycle: a -> b -> c -> a",
        ),
    },
    Case {
        name: "missing source profile names the referrer and line",
        config: "[profile a]\nrole_arn = arn:a\nsource_profile = ghost\n",
        credentials: "",
        profile: "a",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "profile `a` names source_profile `ghost` (source_profile at config:3), which does not exist",
        ),
    },
    Case {
        name: "source profile without credentials",
        config: "[profile a]\nrole_arn = arn:a\nsource_profile = b\n[profile b]\nregion = x\n",
        credentials: "",
        profile: "a",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "profile `b` (section at config:4), the source_profile of `a` (source_profile at config:3), has no credentials",
        ),
    },
    Case {
        name: "credential_source Environment",
        config: "[profile p]\nrole_arn = arn:p\ncredential_source = Environment\n",
        credentials: "",
        profile: "p",
        expect: Source(CredentialSource::Environment, &["arn:p"]),
    },
    Case {
        name: "credential_source Ec2InstanceMetadata",
        config: "[profile p]\nrole_arn = arn:p\ncredential_source = Ec2InstanceMetadata\n",
        credentials: "",
        profile: "p",
        expect: Source(CredentialSource::Ec2InstanceMetadata, &["arn:p"]),
    },
    Case {
        name: "credential_source EcsContainer",
        config: "[profile p]\nrole_arn = arn:p\ncredential_source = EcsContainer\n",
        credentials: "",
        profile: "p",
        expect: Source(CredentialSource::EcsContainer, &["arn:p"]),
    },
    Case {
        name: "unknown credential_source",
        config: "[profile p]\nrole_arn = arn:p\ncredential_source = Ec2\n",
        credentials: "",
        profile: "p",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "credential_source at config:3 is \"Ec2\"",
        ),
    },
    Case {
        name: "source_profile and credential_source together",
        config: "[profile p]\nrole_arn = arn:p\nsource_profile = q\ncredential_source = Environment\n",
        credentials: "",
        profile: "p",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "sets both source_profile at config:3 and credential_source at config:4",
        ),
    },
    Case {
        name: "role_arn without a source",
        config: "[profile p]\nrole_arn = arn:p\n",
        credentials: "",
        profile: "p",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "has role_arn at config:2 but no source_profile",
        ),
    },
    Case {
        name: "web identity in a profile",
        config: "[profile w]\nrole_arn = arn:w\nweb_identity_token_file = /var/token\nrole_session_name = s\n",
        credentials: "",
        profile: "w",
        expect: WebIdentity("arn:w", "/var/token"),
    },
    Case {
        name: "web identity as the base of a role chain",
        config: "[profile top]\nrole_arn = arn:top\nsource_profile = w\n[profile w]\nrole_arn = arn:w\nweb_identity_token_file = /t\n",
        credentials: "",
        profile: "top",
        expect: WebIdentity("arn:w", "/t"),
    },
    Case {
        name: "web_identity_token_file without role_arn",
        config: "[profile w]\nweb_identity_token_file = /t\n",
        credentials: "",
        profile: "w",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "web_identity_token_file at config:2 but no role_arn",
        ),
    },
    Case {
        name: "credential_process, with a role on top",
        config: "[profile top]\nrole_arn = arn:top\nsource_profile = proc\n[profile proc]\ncredential_process = /bin/creds --x \"a b\"\n",
        credentials: "",
        profile: "top",
        expect: Process("/bin/creds --x \"a b\"", &["arn:top"]),
    },
    Case {
        name: "key id without secret names the line",
        config: "",
        credentials: "[p]\n\naws_access_key_id = A\n",
        profile: "p",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "profile `p` has aws_access_key_id at credentials:3 but no aws_secret_access_key",
        ),
    },
    Case {
        name: "bad duration_seconds names the line",
        config: "[profile p]\nrole_arn = arn:p\nsource_profile = p\nduration_seconds = 12h\naws_access_key_id = A\naws_secret_access_key = S\n",
        credentials: "",
        profile: "p",
        expect: Fails(
            CredentialsErrorKind::InvalidConfiguration,
            "duration_seconds at config:4 is \"12h\"",
        ),
    },
    Case {
        name: "default without credentials is not configured",
        config: "[default]\nregion = x\n",
        credentials: "",
        profile: "default",
        expect: Fails(CredentialsErrorKind::NotConfigured, "has no credentials"),
    },
    Case {
        name: "property before any section",
        config: "region = x\n[default]\n",
        credentials: "",
        profile: "default",
        expect: ParseErr("config:1: a property before any [section]"),
    },
    Case {
        name: "unclosed section header",
        config: "[default]\nregion = x\n[profile p\n",
        credentials: "",
        profile: "default",
        expect: ParseErr("config:3: section header without a closing `]`"),
    },
    Case {
        name: "line without =",
        config: "",
        credentials: "[default]\naws_access_key_id AKID\n",
        profile: "default",
        expect: ParseErr("credentials:2: expected `key = value`"),
    },
    Case {
        name: "empty key",
        config: "",
        credentials: "[default]\n= AKID\n",
        profile: "default",
        expect: ParseErr("credentials:2: a property without a name"),
    },
    Case {
        name: "indented line continuing nothing",
        config: "[default]\n  region = x\n",
        credentials: "",
        profile: "default",
        expect: ParseErr("config:2: an indented line that continues no property"),
    },
    Case {
        name: "text after section header",
        config: "[default] junk\n",
        credentials: "",
        profile: "default",
        expect: ParseErr("config:1: unexpected text after the section header"),
    },
];

#[test]
fn profile_table() {
    for case in CASES {
        let parsed = ProfileSet::parse([
            (FileKind::Config, Path::new("config"), case.config),
            (FileKind::Credentials, Path::new("credentials"), case.credentials),
        ]);
        let set = match (&case.expect, parsed) {
            (ParseErr(msg), Err(e)) => {
                assert!(e.to_string().starts_with(msg), "{}: {e}", case.name);
                continue;
            }
            (ParseErr(msg), Ok(_)) => panic!("{}: parsed, expected {msg}", case.name),
            (_, Err(e)) => panic!("{}: {e}", case.name),
            (_, Ok(s)) => s,
        };
        let explicit = case.profile != "default";
        let resolved = set.resolve(case.profile, explicit);
        let roles = |r: &sigv4_middleware::credentials::profile::ResolvedProfile| {
            r.roles.iter().map(|s| s.role_arn.clone()).collect::<Vec<_>>()
        };
        match (&case.expect, resolved) {
            (Fails(kind, msg), Err(e)) => {
                assert_eq!(e.kind(), *kind, "{}: {e}", case.name);
                assert!(e.to_string().contains(msg), "{}: {e}", case.name);
            }
            (Fails(_, msg), Ok(r)) => panic!("{}: resolved {r:?}, expected {msg}", case.name),
            (_, Err(e)) => panic!("{}: {e}", case.name),
            (Static(akid, want_roles, region), Ok(r)) => {
                let BaseCredentials::Static(c) = &r.base else {
                    panic!("{}: {r:?}", case.name)
                };
                assert_eq!(c.access_key_id(), *akid, "{}", case.name);
                assert_eq!(roles(&r), *want_roles, "{}", case.name);
                assert_eq!(r.region.as_deref(), *region, "{}", case.name);
            }
            (Process(cmd, want_roles), Ok(r)) => {
                let BaseCredentials::Process { command, .. } = &r.base else {
                    panic!("{}: {r:?}", case.name)
                };
                assert_eq!(command, cmd, "{}", case.name);
                assert_eq!(roles(&r), *want_roles, "{}", case.name);
            }
            (WebIdentity(arn, file), Ok(r)) => {
                let BaseCredentials::WebIdentity {
                    role_arn, token_file, ..
                } = &r.base
                else {
                    panic!("{}: {r:?}", case.name)
                };
                assert_eq!(
                    (role_arn.as_str(), token_file.to_str().unwrap()),
                    (*arn, *file),
                    "{}",
                    case.name
                );
            }
            (Source(src, want_roles), Ok(r)) => {
                let BaseCredentials::Source { source, .. } = &r.base else {
                    panic!("{}: {r:?}", case.name)
                };
                assert_eq!(source, src, "{}", case.name);
                assert_eq!(roles(&r), *want_roles, "{}", case.name);
            }
            (ParseErr(_), _) => unreachable!(),
        }
    }
}

#[test]
fn role_step_details_are_kept() {
    let set = ProfileSet::parse([
        (FileKind::Config, Path::new("config"), CASES[7].config),
        (FileKind::Credentials, Path::new("credentials"), CASES[7].credentials),
    ])
    .unwrap();
    let r = set.resolve("top", true).unwrap();
    let top = &r.roles[1];
    assert_eq!(
        (
            top.external_id.as_deref(),
            top.session_name.as_deref(),
            top.duration_seconds
        ),
        (Some("ext"), Some("s1"), Some(1800))
    );
    assert_eq!(top.location.as_ref().unwrap().to_string(), "config:2");
    assert_eq!(r.roles[0].external_id, None);
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test]
async fn provider_reads_home_files_and_env_overrides() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".aws/config", "[profile dev]\nregion = eu-north-1\n");
    write(
        dir.path(),
        ".aws/credentials",
        "[default]\naws_access_key_id = HOME_DEFAULT\naws_secret_access_key = S\n[dev]\naws_access_key_id = HOME_DEV\naws_secret_access_key = S\naws_session_token = T\n",
    );
    let home = dir.path().to_str().unwrap();
    let provide = |vars: Vec<(&'static str, String)>, profile: Option<&str>| {
        let mut b = ProfileProvider::builder().env(ProviderEnv::from_vars(vars));
        if let Some(p) = profile {
            b = b.profile_name(p);
        }
        b.build()
    };
    let c = provide(vec![("HOME", home.into())], None)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "HOME_DEFAULT");
    let c = provide(vec![("HOME", home.into()), ("AWS_PROFILE", "dev".into())], None)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!((c.access_key_id(), c.session_token()), ("HOME_DEV", Some("T")));
    let dev = provide(vec![("HOME", home.into()), ("AWS_PROFILE", "dev".into())], None);
    assert_eq!(dev.region().await.as_deref(), Some("eu-north-1"));
    assert_eq!(provide(vec![("HOME", home.into())], None).region().await, None);
    // The builder's profile wins over AWS_PROFILE.
    let c = provide(
        vec![("HOME", home.into()), ("AWS_PROFILE", "dev".into())],
        Some("default"),
    )
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(c.access_key_id(), "HOME_DEFAULT");

    // AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, with ~ expansion.
    write(
        dir.path(),
        "other/creds",
        "[default]\naws_access_key_id = OTHER\naws_secret_access_key = S\n",
    );
    let c = provide(
        vec![
            ("HOME", home.into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "~/other/creds".into()),
        ],
        None,
    )
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(c.access_key_id(), "OTHER");

    // A malformed file: the error names the real path and line.
    let bad = write(dir.path(), "bad/config", "[default]\nregion = x\noops\n");
    let e = provide(
        vec![("HOME", home.into()), ("AWS_CONFIG_FILE", bad.display().to_string())],
        None,
    )
    .provide_credentials()
    .await
    .unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
    assert!(e.to_string().contains(&format!("{}:3:", bad.display())), "{e}");

    // No files at all: not configured, naming both paths.
    let empty = tempfile::tempdir().unwrap();
    let e = provide(vec![("HOME", empty.path().display().to_string())], None)
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
    assert!(
        e.to_string().contains(".aws/config") && e.to_string().contains(".aws/credentials"),
        "{e}"
    );
}

#[tokio::test]
async fn credential_source_environment_and_process_run_for_real() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".aws/config",
        "[profile proc]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"PROC\",\"SecretAccessKey\":\"S\",\"SessionToken\":\"T\",\"Expiration\":\"2099-01-01T00:00:00Z\"}'\n\
         [profile failing]\ncredential_process = echo broken >&2; exit 3\n\
         [profile env-role]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = Environment\n",
    );
    let home = dir.path().display().to_string();
    let p = |profile: &str, extra: &[(&'static str, &'static str)]| {
        let mut vars = vec![("HOME", home.clone())];
        vars.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        ProfileProvider::builder()
            .env(ProviderEnv::from_vars(vars))
            .profile_name(profile)
            .build()
    };
    let c = p("proc", &[]).provide_credentials().await.unwrap();
    assert_eq!((c.access_key_id(), c.session_token()), ("PROC", Some("T")));
    assert!(c.expiry().is_some());

    let e = p("failing", &[]).provide_credentials().await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("credential_process of profile `failing`"), "{msg}");
    assert!(msg.contains(".aws/config:4"), "{msg}");
    assert!(msg.contains("exit code 3") && msg.contains("stderr: broken"), "{msg}");

    // credential_source = Environment without the variables: a configuration error naming the line.
    let e = p("env-role", &[]).provide_credentials().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
    assert!(
        e.to_string()
            .contains("credential_source = Environment of profile `env-role`"),
        "{e}"
    );
    assert!(e.to_string().contains(".aws/config:7"), "{e}");

    // With the variables, the provider goes on to STS; point it at a closed port so the failure
    // names the role, the endpoint and the profile line.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let endpoint: &'static str = Box::leak(endpoint.into_boxed_str());
    let e = p(
        "env-role",
        &[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "S"),
            ("AWS_ENDPOINT_URL_STS", endpoint),
        ],
    )
    .provide_credentials()
    .await
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("role_arn of profile `env-role`"), "{msg}");
    assert!(
        msg.contains("AssumeRole for arn:aws:iam::123456789012:role/r at http://127.0.0.1:"),
        "{msg}"
    );
}

/// `count` profiles `p0 -> p1 -> … -> p{count-1}`, each assuming a role with the next as its
/// source; the last one has keys.
fn source_profile_chain(count: usize) -> String {
    let mut config = String::new();
    for i in 0..count - 1 {
        config.push_str(&format!(
            "[profile p{i}]\nrole_arn = arn:aws:iam::1:role/r{i}\nsource_profile = p{}\n",
            i + 1
        ));
    }
    config.push_str(&format!(
        "[profile p{}]\naws_access_key_id = BASE\naws_secret_access_key = S\n",
        count - 1
    ));
    config
}

fn resolve_chain(count: usize) -> Result<sigv4_middleware::credentials::profile::ResolvedProfile, String> {
    let config = source_profile_chain(count);
    let set = ProfileSet::parse([(FileKind::Config, Path::new("config"), config.as_str())]).unwrap();
    set.resolve("p0", true).map_err(|e| {
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration, "{e}");
        e.to_string()
    })
}

/// The error resolving a chain of `count` profiles (a resolved chain is reported by its length).
fn refused(count: usize) -> String {
    match resolve_chain(count) {
        Ok(r) => panic!("a chain of {count} profiles resolved to {} roles", r.roles.len()),
        Err(e) => e,
    }
}

#[test]
fn source_profile_chain_longer_than_the_cap_is_refused() {
    use sigv4_middleware::credentials::profile::MAX_SOURCE_PROFILE_CHAIN;
    assert_eq!(MAX_SOURCE_PROFILE_CHAIN, 10);
    // Ten profiles: nine roles on top of p9's keys.
    let r = resolve_chain(MAX_SOURCE_PROFILE_CHAIN).unwrap();
    assert_eq!(r.roles.len(), MAX_SOURCE_PROFILE_CHAIN - 1);
    assert!(matches!(&r.base, BaseCredentials::Static(c) if c.access_key_id() == "BASE"));
    // Eleven: refused, naming the limit and the chain so far.
    let e = refused(MAX_SOURCE_PROFILE_CHAIN + 1);
    assert!(
        e.contains("source_profile chain of profile `p0` is longer than 10 profiles (the limit)"),
        "{e}"
    );
    assert!(
        e.contains("p0 -> p1 -> p2 -> p3 -> p4 -> p5 -> p6 -> p7 -> p8 -> p9 -> p10"),
        "{e}"
    );
}

#[test]
fn ten_thousand_chained_profiles_are_refused_at_the_cap() {
    let e = refused(10_000);
    assert!(e.contains("longer than 10 profiles"), "{e}");
    // Resolution stopped at the cap: the message names 11 profiles, not 10,000.
    assert!(e.contains("-> p10 ") || e.ends_with("-> p10"), "{e}");
    assert!(!e.contains("p11"), "{e}");
}

#[test]
fn cycle_back_into_the_middle_of_the_chain_is_refused() {
    let config = "[profile a]\nrole_arn = arn:a\nsource_profile = b\n[profile b]\nrole_arn = arn:b\nsource_profile = c\n[profile c]\nrole_arn = arn:c\nsource_profile = b\n";
    let set = ProfileSet::parse([(FileKind::Config, Path::new("config"), config)]).unwrap();
    let e = set.resolve("a", true).unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
    assert!(e.to_string().contains("source_profile cycle: a -> b -> c -> b"), "{e}");
}
