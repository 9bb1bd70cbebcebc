//! The code that decides verdicts, held to account through its public API: inline expectations,
//! golden comparison, `same_outcome_as`, the contract view and the coverage matrix. Each test
//! states what a check must refuse as well as what it must accept, so a check made vacuous (a
//! surviving mutant) fails here.

use harness::contract;
use harness::coverage::{Cell, Coverage};
use harness::expect::{check, resolve};
use harness::golden::{self, Comparison};
use harness::rules::Catalogue;
use harness::runner::{CaseResult, Status};
use harness::same_outcome;
use harness::scenario::Expectation;
use mock_psa::Personality;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn exp(v: Value) -> Expectation {
    serde_json::from_value(v).expect("expectation")
}

fn ok(e: Value, view: &Value) -> bool {
    check(&exp(e), view, Personality::Connectwise).is_ok()
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("verdicts-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---- expectations ---------------------------------------------------------------------------

#[test]
fn equals_compares_values_and_numbers_as_text() {
    let view = json!({"docs": {"orgs": [{"name": "Acme", "psa_id": "250", "n": 3}, {"name": "Beta", "psa_id": "251"}]}});
    assert!(ok(
        json!({"that": "docs.orgs[name=Acme].psa_id", "equals": 250}),
        &view
    ));
    assert!(ok(
        json!({"that": "docs.orgs[name=Acme].n", "equals": "3"}),
        &view
    ));
    assert!(!ok(
        json!({"that": "docs.orgs[name=Acme].psa_id", "equals": 251}),
        &view
    ));
    assert!(!ok(
        json!({"that": "docs.orgs[name=Acme].n", "equals": "4"}),
        &view
    ));
    // Two survivors are not a scalar: equals against one of them fails.
    assert!(!ok(
        json!({"that": "docs.orgs.psa_id", "equals": "250"}),
        &view
    ));
    assert!(!ok(
        json!({"that": "docs.orgs[name=Zed].psa_id", "equals": "250"}),
        &view
    ));
    assert!(!ok(json!({"that": "docs.missing", "equals": "x"}), &view));
    let err = check(
        &exp(json!({"that": "docs.orgs[name=Acme].name", "equals": "Beta"})),
        &view,
        Personality::Bms,
    )
    .unwrap_err();
    assert!(err.contains("expected \"Beta\", found"), "{err}");
}

#[test]
fn filters_are_exact_unless_they_say_contains() {
    let view = json!({"rows": [{"name": "Acme"}, {"name": "acme corp"}, {"name": "Beta"}]});
    let n = |that: &str| {
        resolve(&view, that)
            .and_then(|v| v.as_array().map(Vec::len))
            .unwrap_or(usize::MAX)
    };
    assert_eq!(n("rows[name=Acme]"), 1);
    assert_eq!(n("rows[name=acme]"), 0);
    assert_eq!(n("rows[name~=ACME]"), 2);
    assert_eq!(n("rows[name!~=acme]"), 1);
    assert_eq!(n("rows[name~=acme][name!~=corp]"), 1);
    assert_eq!(n("rows[other=Acme]"), 0);
    // An empty filter is a mistake in the path, refused rather than read as "keep everything".
    assert_eq!(n("rows[]"), usize::MAX);
    assert_eq!(n("rows[][name=Beta]"), usize::MAX);
    assert!(resolve(&view, "nothing.here").is_none());
    assert_eq!(
        resolve(&view, "rows[name=Beta].name"),
        Some(json!(["Beta"]))
    );
}

#[test]
fn order_filters_compare_numbers_as_numbers_and_the_rest_as_text() {
    let view = json!({"rows": [
        {"step": 9, "at": "2024-01-01T00:00:09Z"},
        {"step": 10, "at": "2024-01-01T00:00:10Z"},
        {"step": 100, "at": "2024-01-01T00:01:40Z"},
    ]});
    let n = |that: &str| resolve(&view, that).and_then(|v| v.as_array().map(Vec::len));
    // As text "10" and "100" sort before "9"; as numbers they are above it.
    assert_eq!(n("rows[step>9]"), Some(2));
    assert_eq!(n("rows[step>=10]"), Some(2));
    assert_eq!(n("rows[step<10]"), Some(1));
    assert_eq!(n("rows[step<=100]"), Some(3));
    assert_eq!(n("rows[at>2024-01-01T00:00:09Z]"), Some(2));
    assert_eq!(n("rows[at<2024-01-01T00:01:00Z]"), Some(2));
}

#[test]
fn a_long_value_is_cut_in_the_message_past_600_characters() {
    let msg = |len: usize| {
        // The JSON text of the string is its characters and two quotes.
        let view = json!({"s": "x".repeat(len - 2)});
        check(
            &exp(json!({"that": "s", "equals": "y"})),
            &view,
            Personality::Connectwise,
        )
        .unwrap_err()
    };
    assert!(
        msg(600).ends_with(&format!("\"{}\"", "x".repeat(598))),
        "{}",
        msg(600)
    );
    assert!(msg(601).ends_with("... (601 characters)"), "{}", msg(601));
}

#[test]
fn count_counts_items_nothing_as_zero_and_a_value_as_one() {
    let view = json!({"a": [1, 2], "n": null, "s": "x"});
    assert!(ok(json!({"that": "a", "count": 2}), &view));
    assert!(!ok(json!({"that": "a", "count": 1}), &view));
    assert!(!ok(json!({"that": "a", "count": 3}), &view));
    assert!(ok(json!({"that": "n", "count": 0}), &view));
    assert!(ok(json!({"that": "gone", "count": 0}), &view));
    assert!(!ok(json!({"that": "gone", "count": 1}), &view));
    assert!(ok(json!({"that": "s", "count": 1}), &view));
    assert!(!ok(json!({"that": "s", "count": 0}), &view));
}

#[test]
fn contains_looks_into_lists_and_strings() {
    let view =
        json!({"log": ["contact Ann: pushed", "done"], "ids": [1, 2], "s": "hello world", "n": 5});
    assert!(ok(json!({"that": "log", "contains": "Ann: push"}), &view));
    assert!(ok(json!({"that": "log", "contains": "done"}), &view));
    assert!(!ok(json!({"that": "log", "contains": "Bob"}), &view));
    assert!(ok(json!({"that": "ids", "contains": 2}), &view));
    assert!(!ok(json!({"that": "ids", "contains": 3}), &view));
    assert!(ok(json!({"that": "s", "contains": "lo wo"}), &view));
    assert!(!ok(json!({"that": "s", "contains": "bye"}), &view));
    assert!(!ok(json!({"that": "n", "contains": "5"}), &view));
    assert!(!ok(json!({"that": "gone", "contains": "x"}), &view));
    // The refusal says what was wanted: "no record matches" only when a filter emptied the list.
    let why = |e: Value, view: &Value| check(&exp(e), view, Personality::Connectwise).unwrap_err();
    let empty = json!({"log": [], "people": [{"name": "Ann"}]});
    // An empty list that no filter emptied is reported as what was found, not as "no record".
    assert_eq!(
        why(json!({"that": "log", "equals": "done"}), &empty),
        "log: expected \"done\", found []"
    );
    assert_eq!(
        why(json!({"that": "log", "contains": "done"}), &empty),
        "log: expected to contain \"done\", found []"
    );
    assert_eq!(
        why(json!({"that": "people[name=Bob]", "contains": "x"}), &empty),
        "people[name=Bob]: no record matches [name=Bob]"
    );
    assert_eq!(
        why(json!({"that": "log", "matches": "^d"}), &empty),
        "log: expected to match /^d/, found []"
    );
    assert_eq!(
        why(json!({"that": "people[name=Bob]", "matches": "x"}), &empty),
        "people[name=Bob]: no record matches [name=Bob]"
    );
    assert_eq!(
        why(json!({"that": "log", "at_least": 1}), &empty),
        "log: expected at least 1 item(s), found 0: []"
    );
    assert_eq!(
        why(json!({"that": "people[name=Bob]", "at_least": 1}), &empty),
        "people[name=Bob]: no record matches [name=Bob] (expected at least 1)"
    );
}

#[test]
fn absent_means_missing_null_or_empty() {
    let view = json!({"n": null, "e": [], "nulls": [null], "v": "x", "a": ["x"]});
    for that in ["n", "e", "nulls", "gone"] {
        assert!(ok(json!({"that": that, "absent": true}), &view), "{that}");
        assert!(!ok(json!({"that": that, "absent": false}), &view), "{that}");
    }
    for that in ["v", "a"] {
        assert!(!ok(json!({"that": that, "absent": true}), &view), "{that}");
        assert!(ok(json!({"that": that, "absent": false}), &view), "{that}");
    }
}

#[test]
fn psa_names_are_substituted_everywhere() {
    let view = json!({"b": "pushed to Kaseya BMS", "k": "bms", "l": [["bms"]], "o": {"p": "bms"}});
    let on = |e: Value, psa| check(&exp(e), &view, psa).is_ok();
    assert!(on(
        json!({"that": "b", "equals": "pushed to {psa_name}"}),
        Personality::Bms
    ));
    assert!(!on(
        json!({"that": "b", "equals": "pushed to {psa_name}"}),
        Personality::Vorex
    ));
    assert!(on(
        json!({"that": "k", "equals": "{psa}"}),
        Personality::Bms
    ));
    assert!(!on(
        json!({"that": "k", "equals": "{psa}"}),
        Personality::Autotask
    ));
    assert!(on(
        json!({"that": "l", "equals": ["{psa}"]}),
        Personality::Bms
    ));
    assert!(on(
        json!({"that": "o", "equals": {"p": "{psa}"}}),
        Personality::Bms
    ));
    assert!(!on(
        json!({"that": "o", "equals": {"p": "{psa}"}}),
        Personality::Vorex
    ));
}

#[test]
fn every_check_of_one_expectation_must_hold() {
    let view = json!({"a": ["x", "y"]});
    assert!(ok(json!({"that": "a", "count": 2, "contains": "x"}), &view));
    assert!(!ok(
        json!({"that": "a", "count": 2, "contains": "z"}),
        &view
    ));
    assert!(!ok(
        json!({"that": "a", "count": 3, "contains": "x"}),
        &view
    ));
    assert!(!ok(json!({"that": "a", "count": 2, "absent": true}), &view));
}

// ---- goldens --------------------------------------------------------------------------------

#[test]
fn goldens_compare_text_and_name_the_first_difference() {
    let dir = scratch("golden");
    let path = golden::golden_path(&dir, "case", "bms");
    assert_eq!(path, dir.join("case.bms.yaml"));
    let outcome = json!({"docs": {"contacts": [{"name": "Ann", "sync": "synced"}]}, "log": ["a"]});
    let text = golden::render(&outcome);
    assert!(text.starts_with("# Golden outcome."), "{text}");
    assert!(text.contains("sync: synced"), "{text}");
    assert!(matches!(golden::compare(&path, &text), Comparison::Missing));
    std::fs::write(&path, &text).unwrap();
    assert!(matches!(golden::compare(&path, &text), Comparison::Match));
    let changed = golden::render(
        &json!({"docs": {"contacts": [{"name": "Ann", "sync": "error"}]}, "log": ["a"]}),
    );
    match golden::compare(&path, &changed) {
        Comparison::Differs {
            field,
            golden,
            actual,
            diff,
        } => {
            assert_eq!(field, "docs.contacts[0].sync");
            assert_eq!(
                (golden.as_str(), actual.as_str()),
                ("\"synced\"", "\"error\"")
            );
            assert!(diff.contains("-    sync: synced"), "{diff}");
            assert!(diff.contains("+    sync: error"), "{diff}");
        }
        _ => panic!("a changed state must differ"),
    }
    // Same values, other text: still a difference, named as formatting.
    match golden::compare(&path, &format!("{text}\n")) {
        Comparison::Differs { field, .. } => assert_eq!(field, "(formatting)"),
        _ => panic!("a changed text must differ"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn first_difference_sees_missing_and_extra_members_and_items() {
    let d = |a: Value, b: Value| golden::first_difference(&a, &b);
    assert_eq!(d(json!({"a": 1}), json!({"a": 1})), None);
    assert_eq!(
        d(json!({"a": 1, "b": 2}), json!({"a": 1})),
        Some(("b".into(), "2".into(), "(missing)".into()))
    );
    assert_eq!(
        d(json!({"a": 1}), json!({"a": 1, "z": true})),
        Some(("z".into(), "(missing)".into(), "true".into()))
    );
    assert_eq!(
        d(json!({"l": [1, 2]}), json!({"l": [1]})),
        Some(("l[1]".into(), "2".into(), "(missing)".into()))
    );
    assert_eq!(
        d(json!({"l": [{"x": 1}]}), json!({"l": [{"x": 2}]})),
        Some(("l[0].x".into(), "1".into(), "2".into()))
    );
    assert_eq!(
        d(json!(1), json!("1")),
        Some((String::new(), "1".into(), "\"1\"".into()))
    );
    assert_eq!(
        d(json!({"a": {"b": 1}}), json!({"a": [1]})),
        Some(("a".into(), "{\"b\":1}".into(), "[1]".into()))
    );
}

#[test]
fn normalise_replaces_the_origin_at_any_depth_only() {
    let mut v = json!({"a": [{"u": "http://127.0.0.1:1/x"}], "b": "http://127.0.0.1:2/y", "n": 1});
    golden::normalise(&mut v, "http://127.0.0.1:1");
    assert_eq!(
        v,
        json!({"a": [{"u": "http://mock/x"}], "b": "http://127.0.0.1:2/y", "n": 1})
    );
}

// ---- same_outcome_as ------------------------------------------------------------------------

#[test]
fn same_outcome_compares_both_end_states_and_nothing_else() {
    let dir = scratch("same");
    let plain = json!({"psa_state": {"accounts": [{"id": 1}]}, "docs": {"organizations": [{"name": "Acme"}]},
                       "log": ["a"], "requests": [], "actions": ["1 sync: ok"]});
    std::fs::write(
        golden::golden_path(&dir, "plain", "vorex"),
        golden::render(&plain),
    )
    .unwrap();
    let p = Personality::Vorex;
    let mut noisy = plain.clone();
    noisy["log"] = json!(["a", "retry"]);
    noisy["actions"] = json!(["1 sync: ok, after retries"]);
    noisy["requests"] = json!([{"request": "GET /x"}]);
    assert_eq!(same_outcome::check(&dir, "plain", p, &noisy), Ok(()));
    let mut docs = plain.clone();
    docs["docs"]["organizations"][0]["name"] = json!("Other");
    let m = same_outcome::check(&dir, "plain", p, &docs).unwrap_err();
    assert!(
        m.failure.contains("`docs.organizations[0].name`"),
        "{}",
        m.failure
    );
    assert!(m.diff.contains("+  - name: Other"), "{}", m.diff);
    let mut psa = plain.clone();
    psa["psa_state"]["accounts"] = json!([]);
    assert!(same_outcome::check(&dir, "plain", p, &psa).is_err());
    // Only date-times are left out: a name with a `T` in it, or a date alone, still counts.
    let with = |field: &str, value: &str| {
        let mut v = plain.clone();
        v["docs"]["organizations"][0][field] = json!(value);
        v
    };
    for (field, golden_value, other) in [
        ("name", "Tom", "Tim"),
        ("since", "2024-01-01", "2024-01-02"),
        ("seen", "2024-01-01T00:00:00Z", "2024-01-01T05:00:00Z"),
    ] {
        std::fs::write(
            golden::golden_path(&dir, field, "vorex"),
            golden::render(&with(field, golden_value)),
        )
        .unwrap();
        let verdict = same_outcome::check(&dir, field, p, &with(field, other));
        assert_eq!(verdict.is_ok(), field == "seen", "{field}: {verdict:?}");
    }
    // Another PSA's golden is another file.
    assert!(same_outcome::check(&dir, "plain", Personality::Bms, &plain).is_err());
    std::fs::write(golden::golden_path(&dir, "broken", "vorex"), "a: [").unwrap();
    let m = same_outcome::check(&dir, "broken", p, &plain).unwrap_err();
    assert!(m.failure.contains("is not YAML"), "{}", m.failure);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- the contract view ----------------------------------------------------------------------

fn a_golden() -> (PathBuf, Value) {
    let path = repo().join("golden/contact-without-email-type.connectwise.yaml");
    let text = std::fs::read_to_string(&path).expect("golden");
    (path, serde_norway::from_str(&text).expect("golden yaml"))
}

#[test]
fn the_contract_view_keeps_what_users_see() {
    let (path, outcome) = a_golden();
    let v = contract::view(&outcome);
    for key in ["requests", "log"] {
        assert!(v.get(key).is_none(), "{key} is not part of the contract");
    }
    let contact = &v["docs"]["contacts"][0];
    assert_eq!(contact["first_name"], json!("Ann"));
    assert_eq!(contact["sync"], json!("synced"));
    for private in ["id", "psa_id", "banner", "error"] {
        assert!(contact.get(private).is_none(), "{private} is private");
    }
    let psa_contact = &v["psa_state"]["contacts"][0];
    assert_eq!(psa_contact["first_name"], json!("Ann"));
    assert!(psa_contact.get("id").is_none());
    assert!(v["actions"].as_array().unwrap().iter().all(|a| !a
        .as_str()
        .unwrap()
        .chars()
        .last()
        .unwrap()
        .is_ascii_digit()));
    assert!(matches!(
        contract::compare(&path, &outcome),
        Comparison::Match
    ));
}

#[test]
fn the_contract_ignores_ids_order_and_wording_but_not_facts() {
    let (path, outcome) = a_golden();
    let same = |o: &Value| matches!(contract::compare(&path, o), Comparison::Match);
    let mut ids = outcome.clone();
    ids["docs"]["contacts"][0]["id"] = json!(999);
    ids["docs"]["contacts"][0]["psa_id"] = json!("12345");
    ids["log"] = json!([]);
    ids["requests"] = json!([]);
    assert!(same(&ids));
    let mut verbs = outcome.clone();
    let first = verbs["actions"][1].as_str().unwrap().to_string();
    verbs["actions"][1] = json!(format!("{first} 77"));
    assert!(same(&verbs), "a trailing id is the implementation's own");
    let mut rejected = outcome.clone();
    rejected["actions"][1] = json!("2 create: rejected: some reason");
    assert!(!same(&rejected));
    let mut fact = outcome.clone();
    fact["docs"]["contacts"][0]["title"] = json!("Someone else");
    match contract::compare(&path, &fact) {
        Comparison::Differs { field, diff, .. } => {
            assert!(field.starts_with("docs.contacts[0]"), "{field}");
            assert!(diff.contains("Someone else"), "{diff}");
        }
        _ => panic!("a changed fact must differ"),
    }
    let mut state = outcome.clone();
    state["docs"]["contacts"][0]["sync"] = json!("not_pushed");
    assert!(!same(&state));
    let mut psa = outcome.clone();
    let contacts = psa["psa_state"]["contacts"].as_array_mut().unwrap();
    contacts[0]["title"] = json!("Changed");
    assert!(!same(&psa));
    let dir = scratch("contract");
    assert!(matches!(
        contract::compare(&dir.join("none.yaml"), &outcome),
        Comparison::Missing
    ));
    std::fs::write(dir.join("bad.yaml"), "a: [").unwrap();
    match contract::compare(&dir.join("bad.yaml"), &outcome) {
        Comparison::Differs { field, golden, .. } => {
            assert_eq!(field, "(golden)");
            assert!(golden.starts_with("unreadable"), "{golden}");
        }
        _ => panic!("an unreadable golden must differ"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_contract_orders_records_canonically() {
    let outcome = json!({"case": "c", "psa": "bms", "actions": [], "psa_state": {},
        "docs": {"organizations": [{"name": "B", "id": 2}, {"name": "A", "id": 1}]}});
    let mut swapped = outcome.clone();
    swapped["docs"]["organizations"] = json!([{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]);
    assert_eq!(contract::view(&outcome), contract::view(&swapped));
    assert_eq!(
        contract::view(&outcome)["docs"]["organizations"],
        json!([{"name": "A"}, {"name": "B"}])
    );
    let mut other = outcome.clone();
    other["docs"]["organizations"][0]["name"] = json!("C");
    assert_ne!(contract::view(&outcome), contract::view(&other));
}

// ---- the coverage matrix --------------------------------------------------------------------

const CATALOGUE: &str = r#"
rules:
  - {id: R1, group: pull, title: one, certainty: stated, sources: [], psas: all, status: in_scope}
  - {id: R2, group: push, title: two, certainty: stated, sources: [], psas: [bms], status: in_scope}
  - {id: R3, group: push, title: three, certainty: stated, sources: [], psas: all, status: out_of_scope, reason: x}
  - {id: R4, group: fields, title: four, certainty: stated, sources: [], psas: all, status: in_scope}
"#;

fn result(case: &str, psa: &str, rules: &[&str], status: Status) -> CaseResult {
    CaseResult::new(
        case,
        psa,
        rules.iter().map(|r| r.to_string()).collect(),
        status,
    )
}

#[test]
fn coverage_cells_say_pass_fail_uncovered_and_not_applicable() {
    let cat = Catalogue::parse(CATALOGUE, Path::new("rules.yaml")).expect("catalogue");
    let mut results = Vec::new();
    for psa in Personality::ALL {
        results.push(result("a", psa.key(), &["R1", "R3"], Status::Pass));
    }
    results.push(result("b", "bms", &["R1", "R2"], Status::Fail));
    results.push(result("c", "vorex", &["R2"], Status::Pass));
    results.push(result("d", "autotask", &["R4"], Status::NotApplicable));
    results.push(result("e", "connectwise", &["R4"], Status::Pass));
    let m = Coverage::build(&cat, &results);
    let cell = |rule: &str, psa: &str| m.rules.iter().find(|r| r.id == rule).unwrap().psas[psa];
    assert_eq!(cell("R1", "connectwise"), Cell::Pass);
    assert_eq!(cell("R1", "bms"), Cell::Fail);
    assert_eq!(cell("R2", "bms"), Cell::Fail);
    assert_eq!(cell("R2", "vorex"), Cell::NotApplicable, "R2 is BMS-only");
    assert_eq!(cell("R3", "bms"), Cell::NotApplicable, "out of scope");
    assert_eq!(cell("R4", "connectwise"), Cell::Pass);
    // A case the connector does not declare is "not declared", apart from "does not apply".
    assert_eq!(cell("R4", "autotask"), Cell::NotDeclared);
    assert_eq!(cell("R4", "bms"), Cell::Uncovered);
    // R1 on bms, R2 on bms, R4 uncovered on bms, pulseway and vorex.
    assert_eq!(m.gaps(), 5);
    let r1 = m.rules.iter().find(|r| r.id == "R1").unwrap();
    assert!(r1.cases.contains(&"b::bms".to_string()), "{:?}", r1.cases);
    assert!(!r1.cases.iter().any(|c| c.starts_with("c::")));
    let text = m.render(&cat);
    assert!(text.contains("FAIL"), "{text}");
    assert!(text.contains("uncovered"), "{text}");
    assert!(text.contains("out of scope"), "{text}");
    assert!(
        text.contains("3 rules in scope, 0 covered and passing"),
        "{text}"
    );
    assert!(
        text.contains(
            "cells: 5 pass, 2 failing, 3 uncovered, 4 not applicable, 1 not declared; 1 rules out of scope"
        ),
        "{text}"
    );
    let all_pass: Vec<CaseResult> = Personality::ALL
        .iter()
        .flat_map(|p| {
            [
                result("a", p.key(), &["R1", "R4"], Status::Pass),
                result("b", p.key(), &["R2"], Status::Pass),
            ]
        })
        .collect();
    let full = Coverage::build(&cat, &all_pass);
    assert_eq!(full.gaps(), 0);
    let text = full.render(&cat);
    assert!(text.contains("3 rules in scope, 3 covered and passing"));
    // The reference declares everything: no "not declared" count to speak of.
    assert!(!text.contains(" not declared;"), "{text}");
}

#[test]
fn vendor_summary_sorts_every_declared_rule_and_decides_the_exit() {
    use harness::capabilities::Capabilities;
    use harness::coverage::CoverageScope;
    let cat = Catalogue::parse(CATALOGUE, Path::new("rules.yaml")).expect("catalogue");
    let declared = Capabilities {
        psas: vec!["connectwise".into(), "bms".into(), "vorex".into()],
        rule_groups: vec!["pull".into(), "push".into()],
        record_kinds: None,
        features: Vec::new(),
    };
    let scope = CoverageScope {
        psas: vec![
            Personality::Connectwise,
            Personality::Autotask,
            Personality::Bms,
        ],
        connector: true,
        declared: Some(declared.clone()),
    };
    let results = vec![
        result("a", "connectwise", &["R1", "R4"], Status::Pass),
        result("b", "bms", &["R1"], Status::Fail),
    ];
    let m = Coverage::build_for(&cat, &results, &scope);
    let vendor = serde_json::to_value(m.vendor.as_ref().expect("a connector run has a summary"))
        .expect("summary");
    // Only the PSAs run, only in-scope rules that apply there; a not-run or not-applicable cell
    // belongs to no list.
    assert_eq!(
        vendor,
        json!({
            "autotask": {"declared": [], "passing": [], "failing": [], "uncovered": [],
                         "not_declared": ["R1", "R4"]},
            "bms": {"declared": ["R1", "R2"], "passing": [], "failing": ["R1"],
                    "uncovered": ["R2"], "not_declared": ["R4"]},
            "connectwise": {"declared": ["R1"], "passing": ["R1"], "failing": [], "uncovered": [],
                            "not_declared": ["R4"]},
        })
    );
    assert_eq!(m.gaps(), 2, "R1 fails on bms, R2 is uncovered there");
    assert!(!m.success(), "a failing or uncovered cell fails the run");
    let text = m.render(&cat);
    let summary = text
        .split_once("\nYour connector")
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no vendor summary in:\n{text}"));
    assert_eq!(
        summary,
        ", per PSA (in-scope rules that apply there):\n\
         \x20 autotask: declared 0, passing 0, failing 0, not declared 2\n\
         \x20   not declared: R1 R4\n\
         \x20 bms: declared 2, passing 0, failing 1, not declared 1\n\
         \x20   FAILING: R1\n\
         \x20   declared, no case selected: R2\n\
         \x20   not declared: R4\n\
         \x20 connectwise: declared 1, passing 1, failing 0, not declared 1\n\
         \x20   passing: R1\n\
         \x20   not declared: R4\n"
    );
    assert!(
        text.contains(
            "cells: 1 pass, 1 failing, 1 uncovered, 4 not applicable, 4 not declared, 4 not run; \
             1 rules out of scope\n"
        ),
        "{text}"
    );

    // Nothing against the run: a connector must still pass something to succeed.
    let clean = |results: &[CaseResult], connector: bool| {
        let scope = CoverageScope {
            psas: vec![Personality::Connectwise],
            connector,
            declared: Some(declared.clone()),
        };
        Coverage::build_for(&cat, results, &scope)
    };
    let passing = [result("a", "connectwise", &["R1", "R4"], Status::Pass)];
    let nothing_ran = [result(
        "a",
        "connectwise",
        &["R1", "R4"],
        Status::NotApplicable,
    )];
    assert_eq!(clean(&passing, true).gaps(), 0);
    assert!(clean(&passing, true).success());
    assert_eq!(clean(&nothing_ran, true).gaps(), 0);
    assert!(
        !clean(&nothing_ran, true).success(),
        "a connector that passes no rule fails the run"
    );
    assert!(
        clean(&nothing_ran, false).success(),
        "the reference with nothing against it succeeds"
    );
    assert!(clean(&nothing_ran, false).vendor.is_none());
}
