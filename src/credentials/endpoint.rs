//! Where a credentials service lives, as the AWS SDKs resolve it: a configured endpoint
//! (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`,
//! all ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else the regional AWS
//! endpoint. STS, SSO, SSO OIDC and the sign-in service share it.

use super::ProviderEnv;

/// The endpoint for the service whose SDK environment suffix is `service` (`STS`, `SSO`,
/// `SSO_OIDC`): a configured one, else `https://{host_prefix}.{region}.{domain}`. (The sign-in
/// service's hosts are named the other way round: [`signin_endpoint`].)
pub(crate) fn service_endpoint(
    env: &ProviderEnv,
    service: &str,
    profile_endpoint: Option<&str>,
    host_prefix: &str,
    region: &str,
) -> String {
    configured_endpoint(env, service, profile_endpoint).unwrap_or_else(|| {
        format!(
            "https://{host_prefix}.{region}.{}",
            crate::partition::dns_suffix(region)
        )
    })
}

/// The sign-in service's endpoint (`aws login` refreshes): a configured one
/// (`AWS_ENDPOINT_URL_SIGNIN`, ...), else the regional data-plane host, which is named
/// `{region}.signin.{partition domain}` rather than `signin.{region}.amazonaws.com` (the
/// service model's `partitionSpecialCases`: `aws.amazon.com`, `amazonaws.cn`,
/// `amazonaws-us-gov.com`, and the ISO partitions' hosts). `None` when nothing is configured and there is no region.
pub(crate) fn signin_endpoint(
    env: &ProviderEnv,
    profile_endpoint: Option<&str>,
    region: Option<&str>,
) -> Option<String> {
    configured_endpoint(env, "SIGNIN", profile_endpoint).or_else(|| {
        let region = region?.trim();
        let domain = if region.starts_with("cn-") {
            "amazonaws.cn"
        } else if region.starts_with("us-gov-") {
            "amazonaws-us-gov.com"
        } else if region.starts_with("us-isob-") {
            "sc2shome.sgov.gov"
        } else if region.starts_with("us-iso-") {
            "c2shome.ic.gov"
        } else {
            "aws.amazon.com"
        };
        Some(format!("https://{region}.signin.{domain}"))
    })
}

/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, then `profile_endpoint`, unless
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
fn configured_endpoint(env: &ProviderEnv, service: &str, profile_endpoint: Option<&str>) -> Option<String> {
    let ignore = env
        .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    env.var(&format!("AWS_ENDPOINT_URL_{service}"))
        .or_else(|| env.var("AWS_ENDPOINT_URL"))
        .or_else(|| profile_endpoint.map(str::to_owned))
        .map(|e| e.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_variable_wins_over_the_general_one_and_the_profile() {
        let env = ProviderEnv::from_vars([
            ("AWS_ENDPOINT_URL_SSO_OIDC", "http://oidc.local"),
            ("AWS_ENDPOINT_URL", "http://all.local"),
        ]);
        assert_eq!(
            service_endpoint(&env, "SSO_OIDC", Some("http://p"), "oidc", "eu-west-1"),
            "http://oidc.local"
        );
        assert_eq!(
            service_endpoint(&env, "SSO", Some("http://p"), "portal.sso", "eu-west-1"),
            "http://all.local"
        );
    }

    #[test]
    fn regional_endpoint_when_nothing_is_configured_or_configuration_is_ignored() {
        let env = ProviderEnv::from_vars([
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ("AWS_ENDPOINT_URL", "http://x"),
        ]);
        assert_eq!(
            service_endpoint(&env, "STS", Some("http://p"), "sts", "us-west-2"),
            "https://sts.us-west-2.amazonaws.com"
        );
        let env = ProviderEnv::from_vars::<[(&str, &str); 0], _, _>([]);
        assert_eq!(
            service_endpoint(&env, "SSO", None, "portal.sso", "cn-north-1"),
            "https://portal.sso.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn signin_endpoints_follow_the_service_models_partition_hosts() {
        let env = ProviderEnv::from_vars::<[(&str, &str); 0], _, _>([]);
        for (region, url) in [
            ("us-east-1", "https://us-east-1.signin.aws.amazon.com"),
            ("cn-north-1", "https://cn-north-1.signin.amazonaws.cn"),
            ("us-gov-west-1", "https://us-gov-west-1.signin.amazonaws-us-gov.com"),
            ("us-iso-east-1", "https://us-iso-east-1.signin.c2shome.ic.gov"),
            ("us-isob-east-1", "https://us-isob-east-1.signin.sc2shome.sgov.gov"),
        ] {
            assert_eq!(signin_endpoint(&env, None, Some(region)).as_deref(), Some(url));
        }
        assert_eq!(signin_endpoint(&env, None, None), None);
        let env = ProviderEnv::from_vars([("AWS_ENDPOINT_URL_SIGNIN", "http://127.0.0.1:9")]);
        assert_eq!(signin_endpoint(&env, None, None).as_deref(), Some("http://127.0.0.1:9"));
    }
}
