//! Which cases a run takes: every scenario on every PSA it names, narrowed by `--psa`, `--case`
//! and `--rule`, then one shard of it (`--partition`, cargo-nextest's conventions).

use crate::scenario::Scenario;
use mock_psa::Personality;
use std::fmt;
use std::str::FromStr;

/// One case to run: a scenario (by index into the loaded list) on one PSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub scenario: usize,
    pub psa: Personality,
}

/// `--partition`: `hash:K/N` puts a case in shard K when the hash of `case::psa` says so (stable
/// when cases come and go), `count:K/N` deals cases round-robin in suite order. K counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Hash { shard: u64, total: u64 },
    Count { shard: u64, total: u64 },
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("invalid partition `{s}`: expected hash:K/N or count:K/N, with 1 <= K <= N");
        let (kind, range) = s.split_once(':').ok_or_else(bad)?;
        let (k, n) = range.split_once('/').ok_or_else(bad)?;
        let shard: u64 = k.parse().map_err(|_| bad())?;
        let total: u64 = n.parse().map_err(|_| bad())?;
        if shard == 0 || total == 0 || shard > total {
            return Err(bad());
        }
        match kind {
            "hash" => Ok(Partition::Hash { shard, total }),
            "count" => Ok(Partition::Count { shard, total }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partition::Hash { shard, total } => write!(f, "hash:{shard}/{total}"),
            Partition::Count { shard, total } => write!(f, "count:{shard}/{total}"),
        }
    }
}

impl Partition {
    /// Whether the `index`-th selected case, named `id` (`case::psa`), is in this shard.
    fn keeps(&self, index: usize, id: &str) -> bool {
        match *self {
            Partition::Hash { shard, total } => {
                xxhash_rust::xxh64::xxh64(id.as_bytes(), 0) % total == shard - 1
            }
            Partition::Count { shard, total } => index as u64 % total == shard - 1,
        }
    }
}

/// The filters of a run; empty lists keep everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub psas: Vec<Personality>,
    /// Case-name patterns: `*` matches any run of characters; without `*` a pattern matches any
    /// name containing it.
    pub cases: Vec<String>,
    /// Rule ids (`R18`): a case is kept when it covers any of them.
    pub rules: Vec<String>,
    pub partition: Option<Partition>,
}

impl Filter {
    /// The cases to run, in suite order (scenario order, then the PSAs in the scenario's order).
    pub fn plan(&self, scenarios: &[Scenario]) -> Result<Vec<Planned>, String> {
        let mut selected = Vec::new();
        for (i, s) in scenarios.iter().enumerate() {
            if !self.cases.is_empty() && !self.cases.iter().any(|p| matches(p, &s.name)) {
                continue;
            }
            if !self.rules.is_empty() && !s.rules.iter().any(|r| self.rules.contains(r)) {
                continue;
            }
            for psa in s.personalities()? {
                if self.psas.is_empty() || self.psas.contains(&psa) {
                    selected.push(Planned { scenario: i, psa });
                }
            }
        }
        Ok(match self.partition {
            None => selected,
            Some(p) => selected
                .into_iter()
                .enumerate()
                .filter(|(i, c)| p.keeps(*i, &case_id(&scenarios[c.scenario], c.psa)))
                .map(|(_, c)| c)
                .collect(),
        })
    }
}

/// How reports name a case: `case::psa` (JUnit, partition hashing).
pub fn case_id(s: &Scenario, psa: Personality) -> String {
    format!("{}::{}", s.name, psa.key())
}

/// `*` is any run of characters; a pattern without `*` is a substring.
pub fn matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return name.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(at) => rest = &rest[at + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::discover;
    use std::collections::BTreeMap;

    #[test]
    fn patterns() {
        assert!(matches("contacts", "csv-contacts-not-auto-pushed"));
        assert!(!matches("contact-", "csv-contacts-not-auto-pushed"));
        assert!(matches("csv-*-pushed", "csv-contacts-not-auto-pushed"));
        assert!(matches("*pushed", "csv-contacts-not-auto-pushed"));
        assert!(!matches("*pushed*x", "csv-contacts-not-auto-pushed"));
        assert!(!matches("a*a", "a"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*c*b", "aXbYc"));
    }

    #[test]
    fn partitions_parse_as_nextest_does() {
        assert_eq!(
            "hash:2/3".parse::<Partition>(),
            Ok(Partition::Hash { shard: 2, total: 3 })
        );
        assert_eq!(
            "count:1/1".parse::<Partition>(),
            Ok(Partition::Count { shard: 1, total: 1 })
        );
        for bad in [
            "hash:0/3",
            "hash:4/3",
            "count:1/0",
            "hash:1",
            "size:1/2",
            "hash:a/2",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    /// The suite's own scenarios: the shards of each kind together run every case exactly once,
    /// and no shard is empty.
    #[test]
    fn shards_cover_the_suite_exactly_once() {
        let dir = crate::default_dir("scenarios");
        let scenarios: Vec<Scenario> = discover(&[dir])
            .unwrap()
            .iter()
            .map(|f| Scenario::load(f).unwrap())
            .collect();
        let all = Filter::default().plan(&scenarios).unwrap();
        assert!(all.len() > 100, "the suite has {} cases", all.len());
        for kind in ["hash", "count"] {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for k in 1..=3 {
                let filter = Filter {
                    partition: Some(format!("{kind}:{k}/3").parse().unwrap()),
                    ..Filter::default()
                };
                let shard = filter.plan(&scenarios).unwrap();
                assert!(
                    shard.len() > all.len() / 6,
                    "{kind}:{k}/3 has {}",
                    shard.len()
                );
                for c in shard {
                    *seen
                        .entry(case_id(&scenarios[c.scenario], c.psa))
                        .or_default() += 1;
                }
            }
            assert_eq!(seen.len(), all.len(), "{kind}: every case in some shard");
            assert!(seen.values().all(|n| *n == 1), "{kind}: each case once");
        }
    }

    #[test]
    fn filters_narrow_by_name_rule_and_psa() {
        let dir = crate::default_dir("scenarios");
        let scenarios: Vec<Scenario> = discover(&[dir])
            .unwrap()
            .iter()
            .map(|f| Scenario::load(f).unwrap())
            .collect();
        let by_rule = Filter {
            rules: vec!["R18".into()],
            psas: vec![Personality::Bms],
            ..Filter::default()
        }
        .plan(&scenarios)
        .unwrap();
        assert!(!by_rule.is_empty());
        for c in &by_rule {
            assert!(scenarios[c.scenario].rules.contains(&"R18".to_string()));
            assert_eq!(c.psa, Personality::Bms);
        }
        let name = scenarios[0].name.clone();
        let by_name = Filter {
            cases: vec![name.clone()],
            ..Filter::default()
        }
        .plan(&scenarios)
        .unwrap();
        assert!(by_name
            .iter()
            .all(|c| scenarios[c.scenario].name.contains(&name)));
        assert!(!by_name.is_empty());
    }
}
