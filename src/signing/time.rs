//! `x-amz-date` formatting: `YYYYMMDD'T'HHMMSS'Z'` in UTC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::signing::SigningError;

/// A signing time, formatted once as the 16 ASCII bytes of `x-amz-date`.
///
/// The scope date is its first eight bytes. Formatting is done by hand into a stack buffer
/// because it runs on every signature and a calendar crate would allocate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AmzDate {
    bytes: [u8; 16],
    unix: u64,
}

impl AmzDate {
    /// Formats `time`, which must lie between 1970 and the end of year 9999.
    pub fn new(time: SystemTime) -> Result<Self, SigningError> {
        let secs = time
            .duration_since(UNIX_EPOCH)
            .map_err(|_| SigningError::TimeBeforeEpoch)?
            .as_secs();
        Self::from_unix(secs)
    }

    /// Formats seconds since the Unix epoch.
    pub fn from_unix(secs: u64) -> Result<Self, SigningError> {
        // 253402300799 is 9999-12-31T23:59:59Z: beyond it the format needs a fifth year digit.
        if secs > 253_402_300_799 {
            return Err(SigningError::TimeOutOfRange);
        }
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, (rem / 60) % 60, rem % 60);
        let mut b = [0u8; 16];
        put_digits(&mut b[0..4], y as u64);
        put_digits(&mut b[4..6], m as u64);
        put_digits(&mut b[6..8], d as u64);
        b[8] = b'T';
        put_digits(&mut b[9..11], hh);
        put_digits(&mut b[11..13], mm);
        put_digits(&mut b[13..15], ss);
        b[15] = b'Z';
        Ok(Self { bytes: b, unix: secs })
    }

    /// Parses `YYYYMMDDTHHMMSSZ`; `None` when it is not exactly that shape or not a real time.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u64> {
            b[r].iter().try_fold(0u64, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
            })
        };
        let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
        let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
        if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || hh > 23 || mm > 59 || ss > 59 {
            return None;
        }
        let days = days_from_civil(y as i64, m as u32, d as u32);
        let parsed = Self::from_unix(days as u64 * 86_400 + hh * 3600 + mm * 60 + ss).ok()?;
        // A day past the month's end (20150231) would roll over: refuse instead.
        (parsed.as_str() == s).then_some(parsed)
    }

    /// The full `YYYYMMDDTHHMMSSZ` form.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, 'T' and 'Z' are ever written.
        std::str::from_utf8(&self.bytes).expect("ASCII")
    }

    /// The 16 bytes of `YYYYMMDDTHHMMSSZ` (what the hot path writes, without a UTF-8 check).
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.bytes
    }

    /// The `YYYYMMDD` scope date.
    pub fn date(&self) -> &str {
        &self.as_str()[..8]
    }

    /// The same instant as a `SystemTime`.
    pub fn to_system_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.unix)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> u64 {
        self.unix
    }
}

impl std::fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for AmzDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn put_digits(out: &mut [u8], mut v: u64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

// Howard Hinnant's days <-> civil date algorithms (proleptic Gregorian calendar).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_suite_time() {
        let d = AmzDate::from_unix(1_440_938_160).unwrap();
        assert_eq!(d.as_str(), "20150830T123600Z");
        assert_eq!(d.date(), "20150830");
    }

    #[test]
    fn formats_epoch_leap_day_and_last_second() {
        assert_eq!(AmzDate::from_unix(0).unwrap().as_str(), "19700101T000000Z");
        assert_eq!(AmzDate::from_unix(951_782_400).unwrap().as_str(), "20000229T000000Z");
        assert_eq!(
            AmzDate::from_unix(253_402_300_799).unwrap().as_str(),
            "99991231T235959Z"
        );
        assert!(matches!(
            AmzDate::from_unix(253_402_300_800),
            Err(SigningError::TimeOutOfRange)
        ));
    }

    #[test]
    fn time_before_epoch_is_an_error() {
        let t = UNIX_EPOCH - Duration::from_secs(1);
        assert!(matches!(AmzDate::new(t), Err(SigningError::TimeBeforeEpoch)));
    }

    #[test]
    fn parse_round_trips_and_rejects_bad_shapes() {
        for secs in [0u64, 1_440_938_160, 951_782_400, 1_700_000_000, 253_402_300_799] {
            let d = AmzDate::from_unix(secs).unwrap();
            assert_eq!(AmzDate::parse(d.as_str()), Some(d));
        }
        for bad in [
            "",
            "20150830T123600",
            "20150830X123600Z",
            "20150231T000000Z",
            "2015083aT123600Z",
            "20151330T000000Z",
            "20150830T246000Z",
        ] {
            assert_eq!(AmzDate::parse(bad), None, "{bad}");
        }
    }
}
