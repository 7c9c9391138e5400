//! Which AWS partition a region is in, as far as host names need it: the DNS suffix of the
//! regional endpoints (`{service}.{region}.{suffix}`), as botocore's partition data gives it.

/// The DNS suffix of a region's partition: `amazonaws.com`, `amazonaws.com.cn` (China),
/// `c2s.ic.gov` (`us-iso-*`) or `sc2s.sgov.gov` (`us-isob-*`).
pub(crate) fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else {
        "amazonaws.com"
    }
}

/// Whether `region` can be a region name in a host and a credential scope: 1 to 64 lower-case
/// letters, digits and `-`.
pub(crate) fn is_region_name(region: &str) -> bool {
    (1..=64).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partition_has_its_suffix() {
        for (region, suffix) in [
            ("us-east-1", "amazonaws.com"),
            ("us-gov-west-1", "amazonaws.com"),
            ("cn-north-1", "amazonaws.com.cn"),
            ("us-iso-east-1", "c2s.ic.gov"),
            ("us-isob-east-1", "sc2s.sgov.gov"),
        ] {
            assert_eq!(dns_suffix(region), suffix, "{region}");
        }
    }
}
