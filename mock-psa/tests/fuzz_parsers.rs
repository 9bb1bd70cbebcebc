//! Grammar-aware fuzzing of every parser that reads client input, bounded to run inside
//! `cargo test`: ConnectWise conditions, Autotask filter JSON, OData `$filter`/`$orderby`,
//! BMS `Filter.*`/`Sort`, and seeds. Inputs are built from each language's own tokens (and
//! nested far past the limits); the RNG is seeded, so every run tries the same cases. The
//! checked-in corpus (`tests/fuzz-corpus/`) runs first: the worst inputs found so far.
//!
//! The property everywhere: the parser (or the server, over HTTP) answers, never panics or
//! overflows its stack, and an HTTP refusal is in the dialect's own error shape.

mod support;

use mock_psa::dialect::connectwise::conditions as cw_conditions;
use mock_psa::{Personality, SeedDocument};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use support::kit::{dialect_shape, enc, Kit};

/// A seeded runner: the same cases on every machine and every run.
fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Text from a language's tokens, sometimes wrapped in a deep run of one opener.
fn language(tokens: &'static [&'static str], opener: &'static str) -> BoxedStrategy<String> {
    let flat = prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(tokens).prop_map(str::to_string),
            1 => any::<char>().prop_map(String::from),
            1 => "[a-zA-Z0-9_]{1,6}",
        ],
        0..120,
    )
    .prop_map(|v| v.concat());
    prop_oneof![
        3 => flat.clone(),
        1 => (0usize..2000, flat).prop_map(move |(n, inner)| format!("{}{inner}", opener.repeat(n))),
    ]
    .boxed()
}

const CW: &[&str] = &[
    "(",
    ")",
    " and ",
    " or ",
    "not ",
    "id",
    "name",
    "=",
    "!=",
    "<",
    ">=",
    " like ",
    " contains ",
    " in ",
    "(1,2)",
    "\"A*\"",
    "\"",
    "'",
    "[2024-01-01T00:00:00Z]",
    "true",
    "null",
    "/",
    "type/id",
    " ",
    "1",
];
const ODATA: &[&str] = &[
    "(",
    ")",
    " and ",
    " or ",
    "Id",
    "AccountName",
    " eq ",
    " ne ",
    " gt ",
    " le ",
    "'A'",
    "''",
    "'",
    "1",
    "-2.5",
    "true",
    "null",
    " ",
    ",",
    " desc",
    " asc",
];
const AT: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"op\"",
    "\"and\"",
    "\"or\"",
    "\"eq\"",
    "\"in\"",
    "\"exist\"",
    "\"field\"",
    "\"id\"",
    "\"value\"",
    "\"items\"",
    "\"filter\"",
    "1",
    "null",
    "\"",
    "\\",
];
const BMS: &[&str] = &[
    "Customer",
    "1",
    ",",
    "-",
    "true",
    "'",
    "%",
    "AccountName",
    " desc",
    "Id",
    " ",
    "*",
];
const YAML: &[&str] = &[
    "companies:",
    "native:",
    "contacts:",
    "\n",
    "  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "name",
    "type",
    "Customer",
    "'",
    "\"",
    "|",
    ">",
    "#",
    "&a ",
    "*a",
    "!!str ",
    "repeat: 3",
    "{n}",
    ",",
    "---",
];

/// The corpus file's inputs: one per line, `\n` written as the two characters `\n`.
fn corpus(name: &str) -> Vec<String> {
    let path = format!("{}/tests/fuzz-corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("##"))
        .map(expand)
        .collect()
}

/// Corpus lines may say `REPEAT(n, text)` so a 40k-deep input stays one short line.
fn expand(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("REPEAT(") {
        out.push_str(&rest[..at]);
        let args = &rest[at + 7..];
        let (n, tail) = args.split_once(", ").expect("REPEAT(n, text)");
        let (text, after) = tail.split_once(')').expect("REPEAT closes");
        out.push_str(&text.repeat(n.parse().expect("count")));
        rest = after;
    }
    out.push_str(rest);
    out.replace("\\n", "\n")
}

#[test]
fn connectwise_conditions_parser_never_panics_or_overflows() {
    let inputs = corpus("cw_conditions.txt");
    for text in &inputs {
        let _ = cw_conditions::parse(text);
    }
    let mut r = runner(3000);
    r.run(&language(CW, "("), |text| {
        let _ = cw_conditions::parse(&text);
        Ok(())
    })
    .unwrap();
    eprintln!("cw conditions: {} corpus + 3000 generated", inputs.len());
}

#[test]
fn seed_parser_never_panics_or_overflows() {
    let inputs = corpus("seeds.txt");
    for text in &inputs {
        let _ = SeedDocument::parse(text);
    }
    let mut r = runner(3000);
    r.run(&language(YAML, "- "), |text| {
        let _ = SeedDocument::parse(&text);
        Ok(())
    })
    .unwrap();
    let mut r = runner(1000);
    r.run(&language(YAML, "["), |text| {
        let _ = SeedDocument::parse(&text);
        let _ = SeedDocument::parse(&format!("{{\"native\": {{\"t\": {text}}}}}"));
        Ok(())
    })
    .unwrap();
    eprintln!("seeds: {} corpus + 4000 generated", inputs.len());
}

/// Over HTTP: every generated query of `param` on `list` is answered 200 or with an error in
/// the dialect's shape (never a crash, a stall or a bare 500).
fn fuzz_http(
    psa: Personality,
    list: &'static str,
    param: &'static str,
    tokens: &'static [&'static str],
    opener: &'static str,
    corpus_file: &str,
    cases: u32,
) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let kit = rt.block_on(Kit::start(psa));
    let check = |text: &str| -> Result<(), TestCaseError> {
        let target = format!("{list}?{param}={}", enc(text));
        if target.len() > 60_000 {
            return Ok(()); // past what an HTTP client sends in one URI
        }
        let (status, body) = rt.block_on(kit.send("GET", &target, None));
        prop_assert!(status > 0 && status != 501 && status < 503, "{status}");
        if status >= 400 {
            prop_assert!(dialect_shape(psa, list, &body), "{status}: {body}");
        }
        Ok(())
    };
    let inputs = corpus(corpus_file);
    for text in &inputs {
        check(text).unwrap_or_else(|e| panic!("corpus {corpus_file}: {e}"));
    }
    let mut r = runner(cases);
    r.run(&language(tokens, opener), |text| check(&text))
        .unwrap();
    // Still answering a plain list afterwards.
    let (status, body) = rt.block_on(kit.send("GET", list, None));
    assert!(
        status < 500 || psa == Personality::Autotask,
        "{status}: {body}"
    );
    eprintln!("{psa} {param}: {} corpus + {cases} generated", inputs.len());
}

#[test]
fn connectwise_conditions_over_http() {
    let list = "/v4_6_release/apis/3.0/company/companies";
    fuzz_http(
        Personality::Connectwise,
        list,
        "conditions",
        CW,
        "(",
        "cw_conditions.txt",
        300,
    );
}

#[test]
fn autotask_filter_json_over_http() {
    let list = "/ATServicesRest/V1.0/Companies/query";
    fuzz_http(
        Personality::Autotask,
        list,
        "search",
        AT,
        "{\"op\":\"or\",\"items\":[",
        "autotask_filter.txt",
        300,
    );
}

#[test]
fn odata_filter_and_orderby_over_http() {
    let list = "/api/crm/accounts";
    fuzz_http(
        Personality::Bms,
        list,
        "$filter",
        ODATA,
        "(",
        "odata.txt",
        300,
    );
    fuzz_http(
        Personality::Vorex,
        list,
        "$orderby",
        ODATA,
        ",",
        "odata.txt",
        150,
    );
}

#[test]
fn bms_filter_and_sort_over_http() {
    let list = "/v2/crm/accounts/summary";
    fuzz_http(
        Personality::Pulseway,
        list,
        "Filter.AccountTypeId",
        BMS,
        ",",
        "bms_filter.txt",
        200,
    );
    fuzz_http(
        Personality::Bms,
        list,
        "Sort",
        BMS,
        ",",
        "bms_filter.txt",
        150,
    );
}
