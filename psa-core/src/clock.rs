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
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
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
    fn advance_never_goes_backwards() {
        let mut c = Clock::default();
        c.advance(-50);
        assert_eq!(c.now(), DEFAULT_EPOCH);
        c.advance(90);
        assert_eq!(c.rfc3339(), "2024-01-01T00:01:30Z");
    }
}
