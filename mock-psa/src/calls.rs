//! Calls counted in fixed windows of the virtual clock, per key: what the PSAs' rate limits
//! count. ConnectWise counts calls per minute, Autotask per minute summed over the last hour,
//! the BMS family per endpoint per hour; each names its keys and its window, and this keeps the
//! counts for all three the same way.

use std::collections::BTreeMap;

/// Counts by (window, key); windows are numbered (a minute or an hour of the virtual clock).
#[derive(Debug, Default, Clone)]
pub struct CallCounts {
    counts: BTreeMap<(i64, String), u64>,
}

impl CallCounts {
    /// Forgets every window before `first`: the oldest come first, so this costs what it
    /// removes.
    ///
    /// ```
    /// let mut calls = mock_psa::calls::CallCounts::default();
    /// calls.count(1, "a");
    /// calls.count(2, "a");
    /// calls.forget_before(2);
    /// assert_eq!((calls.get(1, "a"), calls.get(2, "a")), (0, 1));
    /// ```
    pub fn forget_before(&mut self, first: i64) {
        while let Some(entry) = self.counts.first_entry() {
            if entry.key().0 >= first {
                break;
            }
            entry.remove();
        }
    }

    /// Counts one call of `key` in `window`; returns the window's count with it.
    pub fn count(&mut self, window: i64, key: &str) -> u64 {
        if let Some(n) = self.slot(window, key) {
            *n += 1;
            return *n;
        }
        self.counts.insert((window, key.to_string()), 1);
        1
    }

    /// The calls of `key` counted in `window`.
    pub fn get(&self, window: i64, key: &str) -> u64 {
        self.sum(window..=window, key)
    }

    /// The calls of `key` counted in `windows`.
    ///
    /// ```
    /// let mut calls = mock_psa::calls::CallCounts::default();
    /// for (w, k) in [(1, "a"), (2, "a"), (2, "b"), (4, "a")] {
    ///     calls.count(w, k);
    /// }
    /// assert_eq!(calls.sum(1..=3, "a"), 2);
    /// assert_eq!(calls.oldest("a"), Some(1));
    /// ```
    pub fn sum(&self, windows: std::ops::RangeInclusive<i64>, key: &str) -> u64 {
        let (first, last) = windows.into_inner();
        self.counts
            .range(Self::windows(first, last))
            .filter(|((_, k), _)| k == key)
            .map(|(_, n)| *n)
            .sum()
    }

    /// The first window that counts a call of `key`.
    pub fn oldest(&self, key: &str) -> Option<i64> {
        self.counts.keys().find(|(_, k)| k == key).map(|(w, _)| *w)
    }

    fn slot(&mut self, window: i64, key: &str) -> Option<&mut u64> {
        self.counts
            .range_mut(Self::windows(window, window))
            .find(|((_, k), _)| k == key)
            .map(|(_, n)| n)
    }

    /// The keys of windows `first..=last`: bounds with empty keys, which sort before every key
    /// of their window, so no key need be built to look a window up.
    fn windows(first: i64, last: i64) -> std::ops::Range<(i64, String)> {
        (first, String::new())..(last.saturating_add(1), String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::CallCounts;

    #[test]
    fn counts_follow_their_window_and_key() {
        let mut c = CallCounts::default();
        assert_eq!(c.count(10, "GET /v2/a"), 1);
        assert_eq!(c.count(10, "GET /v2/a"), 2);
        assert_eq!(c.count(10, "GET /v2/b"), 1);
        assert_eq!(c.count(11, "GET /v2/a"), 1);
        assert_eq!((c.get(10, "GET /v2/a"), c.get(10, "GET /v2/b")), (2, 1));
        assert_eq!(c.sum(9..=11, "GET /v2/a"), 3);
        assert_eq!(c.sum(11..=11, "GET /v2/b"), 0);
        assert_eq!(c.oldest("GET /v2/b"), Some(10));
        assert_eq!(c.oldest("missing"), None);
        c.forget_before(11);
        assert_eq!(c.sum(0..=100, "GET /v2/a"), 1);
        assert_eq!(c.oldest("GET /v2/b"), None);
        // A key that sorts before another's in a window is its own.
        assert_eq!(c.count(12, ""), 1);
        assert_eq!(c.get(12, "GET /v2/a"), 0);
        c.forget_before(i64::MAX);
        assert_eq!(c.sum(i64::MIN..=i64::MAX, ""), 0);
    }
}
