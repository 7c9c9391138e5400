//! RFC 3339 timestamps as credential sources write their `Expiration`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::signing::{civil_from_days, days_from_civil};

/// A token service's `expiresIn` (seconds; an `Integer`, i.e. an i32, in the SSO OIDC and
/// sign-in models) as a lifetime: `None` outside `1..=i32::MAX`, so `now + lifetime` cannot
/// overflow and the expiry written back stays a four-digit year the CLI can read.
#[cfg(feature = "providers")]
pub(crate) fn token_lifetime(seconds: u64) -> Option<Duration> {
    (1..=i32::MAX as u64)
        .contains(&seconds)
        .then(|| Duration::from_secs(seconds))
}

/// Parses an RFC 3339 / ISO 8601 timestamp such as `2026-11-22T13:00:00Z`,
/// `2026-11-22T13:00:00.123456Z` or `2026-11-22T15:00:00+02:00` (also a lowercase `t`/`z` or a
/// space as the separator). `None` when the text is not such a timestamp or lies before 1970.
// Only the providers read expirations; without them the parser is kept for its tests.
#[cfg_attr(not(feature = "providers"), allow(dead_code))]
pub(crate) fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.trim().as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let part = b.get(r)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0u64, |acc, d| Some(acc * 10 + u64::from(d - b'0')))
    };
    let year = num(0..4)?;
    let month = num(5..7)?;
    let day = num(8..10)?;
    let hour = num(11..13)?;
    let minute = num(14..16)?;
    let second = num(17..19)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // 60 is a leap second; treat it as the next second rather than refusing the timestamp.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000u32;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_secs: i64 = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let h = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let m = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if h > 23 || m > 59 {
                return None;
            }
            let v = h * 3600 + m * 60;
            if *sign == b'-' { -v } else { v }
        }
        _ => return None,
    };
    // Month and day were checked above (1..=12, 1..=31): the casts cannot truncate.
    let days = days_from_civil(year as i64, month as u32, day as u32);
    let local = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
    let utc = u64::try_from(local - offset_secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::new(utc, nanos))
}

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ` (UTC), for messages about expiry.
pub(crate) fn format_rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg_attr(not(feature = "providers"), allow(dead_code))]
fn is_leap(y: u64) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

#[cfg_attr(not(feature = "providers"), allow(dead_code))]
fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn parses_the_forms_credential_sources_write() {
        // 2026-11-22T13:00:00Z = 1_795_352_400 (date -u -d 2026-11-22T13:00:00Z +%s).
        let t = 1_795_352_400;
        assert_eq!(parse_rfc3339("2026-11-22T13:00:00Z"), Some(at(t)));
        assert_eq!(parse_rfc3339("2026-11-22t13:00:00z"), Some(at(t)));
        assert_eq!(parse_rfc3339("2026-11-22 13:00:00Z"), Some(at(t)));
        assert_eq!(
            parse_rfc3339("2026-11-22T13:00:00.250Z"),
            Some(at(t) + Duration::from_millis(250))
        );
        assert_eq!(
            parse_rfc3339("2026-11-22T13:00:00.123456789Z"),
            Some(at(t) + Duration::from_nanos(123_456_789))
        );
        assert_eq!(parse_rfc3339("2026-11-22T15:30:00+02:30"), Some(at(t)));
        assert_eq!(parse_rfc3339("2026-11-22T10:00:00-03:00"), Some(at(t)));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(at(0)));
        // Leap day and the end of a leap year (2024-12-31 = day 20088).
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00Z"), Some(at(19_782 * 86_400)));
        assert_eq!(
            parse_rfc3339("2024-12-31T23:59:59Z"),
            Some(at(20_088 * 86_400 + 86_399))
        );
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for bad in [
            "",
            "2026-11-22",
            "2026-11-22T13:00:00",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-31T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T13:00:00.Z",
            "2026-11-22T13:00:00+0200",
            "2026-11-22T13:00:00Zjunk",
            "20a6-11-22T13:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-11-22T13:00:00+99:00",
            "２026-11-22T13:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_a_day_and_a_second_after_the_epoch_and_refuses_prose() {
        // Formerly the public function's doc example; `credentials::time` is crate-private now.
        assert_eq!(
            parse_rfc3339("1970-01-02T00:00:01Z"),
            Some(UNIX_EPOCH + Duration::from_secs(86_401))
        );
        assert_eq!(parse_rfc3339("not a date"), None);
    }

    #[test]
    fn format_round_trips() {
        for s in ["2026-11-22T13:00:00Z", "2000-02-29T23:59:59Z", "1970-01-01T00:00:00Z"] {
            assert_eq!(format_rfc3339(parse_rfc3339(s).unwrap()), s);
        }
    }
}
