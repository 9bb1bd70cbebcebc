//! The virtual clock: the only source of time in the mock, moved by the admin API.

use serde::{Deserialize, Serialize};

/// 2024-01-01T00:00:00Z, the default start of every virtual timeline.
pub const DEFAULT_EPOCH: i64 = 1_704_067_200;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Clock {
    /// Seconds since the Unix epoch.
    now: i64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { now: DEFAULT_EPOCH }
    }
}

impl Clock {
    pub fn now(&self) -> i64 {
        self.now
    }
    pub fn set(&mut self, unix_seconds: i64) {
        self.now = unix_seconds;
    }
    pub fn advance(&mut self, seconds: i64) {
        self.now = self.now.saturating_add(seconds.max(0));
    }
    /// `YYYY-MM-DDTHH:MM:SSZ`, the shape every dialect uses on the wire.
    pub fn rfc3339(&self) -> String {
        format_rfc3339(self.now)
    }
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn format_rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if !(0..=9999).contains(&y) {
        return format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z");
    }
    // Digit by digit: stored rows and the journal format a time on every read.
    let mut b = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut n: i64| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, i64::from(m));
    put(8, 2, i64::from(d));
    put(11, 2, hh);
    put(14, 2, mm);
    put(17, 2, ss);
    String::from_utf8_lossy(&b).into_owned()
}

/// The Unix seconds of a text that is exactly what [`format_rfc3339`] writes (a real date and
/// time, `YYYY-MM-DDTHH:MM:SSZ`), so formatting them gives the very text back.
pub fn parse_exact_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 {
        return None;
    }
    let num = |at: usize, width: usize| -> Option<i64> {
        b[at..at + width].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let marks = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ];
    if marks.iter().any(|&(at, c)| b[at] != c) {
        return None;
    }
    let (y, m, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hh, mm, ss) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // A real date is one the calendar gives back as it was (30 February comes back as March).
    let days = days_from_civil(y, m as u32, d as u32);
    (civil_from_days(days) == (y, m as u32, d as u32))
        .then_some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]` or `YYYY-MM-DD` into Unix seconds (UTC only).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, t),
        None => (s, "00:00:00"),
    };
    let mut dp = date.splitn(3, '-');
    let y: i64 = dp.next()?.parse().ok()?;
    let m: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let time = time.trim_end_matches('Z').trim_end_matches("+00:00");
    let time = time.split('.').next()?;
    let mut tp = time.splitn(3, ':');
    let hh: i64 = tp.next()?.parse().ok()?;
    let mm: i64 = tp.next().unwrap_or("0").parse().ok()?;
    let ss: i64 = tp.next().unwrap_or("0").parse().ok()?;
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
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

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        assert_eq!(format_rfc3339(DEFAULT_EPOCH), "2024-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        for t in [0, DEFAULT_EPOCH, 951_782_400, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
        assert_eq!(parse_rfc3339("2024-01-01"), Some(DEFAULT_EPOCH));
        assert_eq!(parse_rfc3339("2024-13-01"), None);
    }

    #[test]
    fn exact_times_are_the_formatter_s_own_texts() {
        // Every day of 1999-2001 (a leap year between two that are not) at a spread of times,
        // and the edges of the four-digit years.
        let days = (10_592..11_688).map(|d| d * 86_400 + (d * 7_919) % 86_400);
        for t in days.chain([0, 86_399, -62_167_219_200, 253_402_300_799]) {
            let text = format_rfc3339(t);
            assert_eq!(parse_exact_rfc3339(&text), Some(t), "{text}");
            assert_eq!(parse_rfc3339(&text), Some(t), "{text}");
        }
        for near in [
            "2023-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-00-10T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01T00:00:00z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.5Z",
            "+024-01-01T00:00:00Z",
            "2024-1-01T00:00:00ZZ",
            "２024-01-01T00:00:0Z",
        ] {
            assert_eq!(parse_exact_rfc3339(near), None, "{near}");
        }
        assert_eq!(format_rfc3339(-62_167_219_201), "-001-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(253_402_300_800), "10000-01-01T00:00:00Z");
    }

    #[test]
    fn advance_never_goes_backwards() {
        let mut c = Clock::default();
        c.advance(-50);
        assert_eq!(c.now(), DEFAULT_EPOCH);
        c.advance(90);
        assert_eq!(c.rfc3339(), "2024-01-01T00:01:30Z");
    }
}
