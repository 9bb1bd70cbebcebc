//! Hostile and careless input on every personality, over real HTTP: each class of bad request
//! (deep nesting, long chains, oversized queries and bodies, wrong methods, unknown routes,
//! undecodable paths, truncated bodies) is answered with the expected status in the dialect's
//! own error shape, changes nothing, and leaves the server answering.

mod support;

use support::kit::{alive, dialect_shape, enc, routes, Kit};

use mock_psa::Personality;
use std::time::Duration;

/// (class, method, target, body, expected status) for one personality.
fn table(psa: Personality) -> Vec<(&'static str, &'static str, String, Option<String>, u16)> {
    let (list, param, write) = routes(psa);
    let deep_filter = match psa {
        Personality::Connectwise => format!("{}id=1{}", "(".repeat(1300), ")".repeat(1300)),
        Personality::Autotask => format!(
            "{{\"filter\":[{}{{\"op\":\"exist\",\"field\":\"id\"}}{}]}}",
            "{\"op\":\"and\",\"items\":[".repeat(200),
            "]}".repeat(200)
        ),
        _ => format!("{}Id eq 1{}", "(".repeat(1300), ")".repeat(1300)),
    };
    // Parentheses deeper than the default limit but small: refused in the filter's own words.
    let over_limit = match psa {
        Personality::Connectwise => format!("{}id=1{}", "(".repeat(70), ")".repeat(70)),
        Personality::Autotask => format!(
            "{{\"filter\":[{}{{\"op\":\"exist\",\"field\":\"id\"}}{}]}}",
            "{\"op\":\"and\",\"items\":[".repeat(40),
            "]}".repeat(40)
        ),
        _ => format!("{}Id eq 1{}", "(".repeat(40), ")".repeat(40)),
    };
    let chain = match psa {
        Personality::Connectwise => vec!["id=1"; 4000].join(" or "),
        Personality::Autotask => format!(
            "{{\"filter\":[{{\"op\":\"or\",\"items\":[{}]}}]}}",
            vec!["{\"op\":\"eq\",\"field\":\"id\",\"value\":1}"; 400].join(",")
        ),
        _ => vec!["Id eq 1"; 4000].join(" or "),
    };
    // Autotask answers a filter or body it cannot read 500 (as the real API does); the rest 400.
    let bad_filter = if psa == Personality::Autotask {
        500
    } else {
        400
    };
    let deep_json = "[".repeat(100_000);
    let big_body = format!("{{\"name\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let id_path = match psa {
        Personality::Connectwise => format!("{list}/%FF%FE"),
        Personality::Autotask => "/ATServicesRest/V1.0/Companies/%FF%FE".to_string(),
        _ => "/api/crm/accounts/%FF%FE".to_string(),
    };
    let unknown = match psa {
        Personality::Connectwise => "/v4_6_release/apis/3.0/no/such/thing",
        Personality::Autotask => "/ATServicesRest/V1.0/NoSuchEntities",
        _ => "/api/no/such/thing",
    };
    vec![
        (
            "deep filter",
            "GET",
            format!("{list}?{param}={}", enc(&deep_filter)),
            None,
            bad_filter,
        ),
        (
            "filter past the depth limit",
            "GET",
            format!("{list}?{param}={}", enc(&over_limit)),
            None,
            bad_filter,
        ),
        (
            "long flat chain",
            "GET",
            format!("{list}?{param}={}", enc(&chain)),
            None,
            200,
        ),
        (
            "oversized query",
            "GET",
            format!("{list}?{param}={}", "x".repeat(40 * 1024)),
            None,
            414,
        ),
        (
            "deep JSON body",
            "POST",
            write.to_string(),
            Some(deep_json),
            bad_filter,
        ),
        (
            "oversized body",
            "POST",
            write.to_string(),
            Some(big_body),
            413,
        ),
        (
            "wrong method",
            "PATCH",
            list.to_string(),
            Some("{}".into()),
            405,
        ),
        ("unknown route", "GET", unknown.to_string(), None, 404),
        ("undecodable path", "GET", id_path, None, 0),
    ]
}

#[tokio::test]
async fn every_class_of_bad_input_is_answered_in_the_dialect_and_changes_nothing() {
    for psa in Personality::ALL {
        let kit = Kit::start(psa).await;
        let before = kit.records().await;
        for (class, method, target, body, want) in table(psa) {
            let (status, reply) = kit.send(method, &target, body).await;
            let path = target.split('?').next().unwrap_or("");
            if class == "long flat chain" {
                assert!(
                    status == 200 || (400..500).contains(&status),
                    "{psa} {class}: {status} {reply}"
                );
                if status != 200 {
                    assert!(dialect_shape(psa, path, &reply), "{psa} {class}: {reply}");
                }
                continue;
            }
            match want {
                0 => assert!(
                    (400..500).contains(&status),
                    "{psa} {class}: {status} {reply}"
                ),
                w if psa == Personality::Autotask && w == 405 => {
                    // Autotask routes take PATCH on the entity path; on `/query` it is 405.
                    assert!(
                        status == 405 || status == 404,
                        "{psa} {class}: {status} {reply}"
                    )
                }
                w => assert_eq!(status, w, "{psa} {class}: {reply}"),
            }
            assert!(
                dialect_shape(psa, path, &reply),
                "{psa} {class}: {status} is not in the dialect's shape: {reply}"
            );
        }
        let (status, reply) = kit.truncated(routes(psa).2, 100, "{\"name\":").await;
        assert_eq!(status, 400, "{psa} truncated body: {reply}");
        assert!(
            dialect_shape(psa, routes(psa).2, &reply),
            "{psa} truncated: {reply}"
        );
        assert_eq!(
            kit.records().await,
            before,
            "{psa}: bad input changed the state"
        );
        // Still answering after all of it, and filtering as before.
        let (status, reply) = kit.send("GET", &alive(psa), None).await;
        assert_eq!(status, 200, "{psa} stopped answering: {reply}");
    }
}

#[tokio::test]
async fn the_admin_api_answers_every_rejection_in_its_one_shape() {
    let (server, http) = support::start(Personality::Connectwise).await;
    let admin = server.admin_url();
    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        ("unknown route", http.get(format!("{admin}/nope")), 404),
        ("wrong method", http.put(format!("{admin}/reset")), 405),
        (
            "bad query",
            http.get(format!("{admin}/journal?since=abc")),
            400,
        ),
        (
            "unknown query member",
            http.get(format!("{admin}/snapshot?bogus=1")),
            0,
        ),
        (
            "undecodable path",
            http.delete(format!("{admin}/faults/%FF")),
            400,
        ),
        (
            "deep JSON",
            http.post(format!("{admin}/faults"))
                .body("[".repeat(100_000)),
            400,
        ),
        (
            "deep seed",
            http.post(format!("{admin}/seed"))
                .body(format!("native:\n  t: {}", "[".repeat(40_000))),
            400,
        ),
        (
            "bad reveal",
            http.get(format!("{admin}/settings?reveal=all")),
            400,
        ),
    ];
    for (class, rb, want) in cases {
        let resp = tokio::time::timeout(Duration::from_secs(20), rb.send())
            .await
            .expect("in time")
            .expect("answered");
        let (status, body) = support::reply(resp).await;
        if want != 0 {
            assert_eq!(status, want, "{class}: {body}");
        }
        if status >= 400 {
            assert!(body["error"].is_string(), "{class}: {status} {body}");
        }
    }
}

/// A head larger than `limits.max_head_bytes` (64 KiB by default) is refused by the mock itself:
/// 431 in the surface's own error shape, nothing written. hyper's read buffer sits above the
/// largest allowed limit, so a head the limit admits is served, even one past hyper's default
/// buffer (about 400 KB) once the limit is raised.
#[tokio::test]
async fn an_over_long_head_is_refused_in_the_dialect_and_changes_nothing() {
    let big = |n: usize| vec![("x-padding", "a".repeat(n))];
    for psa in Personality::ALL {
        let kit = Kit::start(psa).await;
        let before = kit.records().await;
        let (list, _, write) = routes(psa);
        let body = Some(r#"{"name":"Headed"}"#.to_string());
        for (method, target, body) in [("GET", list, None), ("POST", write, body)] {
            let (status, reply) = kit.send_with(method, target, body, &big(70_000)).await;
            assert_eq!(status, 431, "{psa} {method} {target}: {reply}");
            assert!(
                dialect_shape(psa, target, &reply),
                "{psa} {method}: 431 is not in the dialect's shape: {reply}"
            );
            assert!(
                reply.to_string().contains("limit is 65536"),
                "{psa}: the refusal names the limit: {reply}"
            );
        }
        assert_eq!(kit.records().await, before, "{psa}: a refused head wrote");
        // Under the limit it is served as usual.
        let (status, reply) = kit.send_with("GET", &alive(psa), None, &big(60_000)).await;
        assert_eq!(status, 200, "{psa} 60 KB head: {reply}");
        // Raised, the limit admits heads past hyper's default buffer.
        let admin = kit.server.admin_url();
        let resp = kit
            .http
            .put(format!("{admin}/settings"))
            .body(r#"{"limits":{"max_head_bytes":1048576}}"#)
            .send()
            .await
            .expect("settings");
        assert_eq!(resp.status(), 200);
        let (status, reply) = kit.send_with("GET", &alive(psa), None, &big(900_000)).await;
        assert_eq!(
            status, 200,
            "{psa} 900 KB head under a raised limit: {reply}"
        );
    }
    // The admin API answers in its one shape.
    let kit = Kit::start(Personality::Connectwise).await;
    let resp = kit
        .http
        .get(format!("{}/health", kit.server.admin_url()))
        .header("x-padding", "a".repeat(70_000))
        .send()
        .await
        .expect("answered");
    let (status, body) = support::reply(resp).await;
    assert_eq!(status, 431, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("limit is 65536")),
        "{body}"
    );
}

/// Sends `raw` bytes on a fresh connection and reads the answer to the end (hyper closes after
/// a parse error): (status, body as JSON, the whole answer as text).
async fn raw_exchange(kit: &Kit, raw: &[u8]) -> (u16, serde_json::Value, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(kit.server.addr())
        .await
        .expect("connect");
    s.write_all(raw).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer))
        .await
        .expect("answered within 5 s")
        .expect("read");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or_default(), text)
}

/// Requests hyper cannot parse (a request target past the `http` crate's 65,534 bytes, a
/// header line without a colon, a request line that is not HTTP, HTTP/3) never reach a
/// handler; the mock still answers each in the dialect's own error format, changes nothing,
/// and keeps serving.
#[tokio::test]
async fn requests_hyper_cannot_parse_are_answered_in_the_dialect() {
    for psa in Personality::ALL {
        let kit = Kit::start(psa).await;
        let before = kit.records().await;
        let (list, _, _) = routes(psa);
        let long_target = format!("{list}?x={}", "a".repeat(70_000));
        let many_headers: String = (0..150).map(|i| format!("X-Pad-{i}: 1\r\n")).collect();
        let cases: [(&str, String, u16); 5] = [
            (
                "more header lines than hyper parses (100)",
                format!("GET {list} HTTP/1.1\r\nHost: 127.0.0.1\r\n{many_headers}\r\n"),
                431,
            ),
            (
                "an over-long target",
                format!("GET {long_target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
                414,
            ),
            (
                "a header without a colon",
                format!("GET {list} HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n"),
                400,
            ),
            (
                "a request line that is not HTTP",
                "GARBAGE\r\n\r\n".into(),
                400,
            ),
            (
                "HTTP/3",
                format!("GET {list} HTTP/3.0\r\nHost: 127.0.0.1\r\n\r\n"),
                505,
            ),
        ];
        for (class, raw, want) in cases {
            let (status, body, text) = raw_exchange(&kit, raw.as_bytes()).await;
            // hyper may read some malformed lines as another parse error; the status class is
            // its, the shape must be the dialect's.
            assert!(
                status == want || (want == 505 && status == 400),
                "{psa} {class}: status {status}: {text}"
            );
            // Unparsed, the target names no API version: the BMS family answers in V2's shape.
            assert!(
                dialect_shape(psa, "/", &body),
                "{psa} {class}: not in the dialect's shape: {text}"
            );
        }
        assert_eq!(
            kit.records().await,
            before,
            "{psa}: an unparsable request wrote"
        );
        let (status, reply) = kit.send("GET", &alive(psa), None).await;
        assert_eq!(status, 200, "{psa}: still serving: {reply}");
        // As many header lines as a real client sends, and more, are read.
        let sixty: Vec<(&str, String)> = (0..60)
            .map(|i| {
                (
                    ["x-a", "x-b", "x-c", "x-d", "x-e", "x-f"][i % 6],
                    i.to_string(),
                )
            })
            .collect();
        let (status, reply) = kit.send_with("GET", &alive(psa), None, &sixty).await;
        assert_eq!(status, 200, "{psa}: 60 header lines: {reply}");
    }
}

/// `max_body_bytes` is the one body limit: raised past axum's own 2 MB default, a body under it
/// reaches the dialect on every surface (answered, whatever the verdict on its content, never
/// 413), and one over it is 413 in the dialect's format, with nothing stored. The admin seed,
/// likewise, takes what `max_seed_bytes` allows.
#[tokio::test]
async fn the_body_limit_is_the_setting_alone() {
    for psa in [
        Personality::Connectwise,
        Personality::Autotask,
        Personality::Bms,
    ] {
        let kit = Kit::start(psa).await;
        let resp = kit
            .http
            .put(format!("{}/settings", kit.server.admin_url()))
            .json(&serde_json::json!({"max_body_bytes": 4 * 1024 * 1024}))
            .send()
            .await
            .expect("settings");
        let (status, reply) = support::reply(resp).await;
        assert_eq!(status, 200, "{psa}: {reply}");
        let (_, _, write) = routes(psa);
        let body = |n: usize| format!(r#"{{"name":"Big","notes":"{}"}}"#, "x".repeat(n));
        let (status, reply) = kit.send("POST", write, Some(body(3 * 1024 * 1024))).await;
        assert_ne!(
            status, 413,
            "{psa}: a 3 MB body under a 4 MiB limit: {reply}"
        );
        // Autotask answers a refused create 500 with its errors array, as the live API does.
        assert!(
            status < 300 || dialect_shape(psa, write, &reply),
            "{psa}: {status} {reply}"
        );
        let before = kit.records().await;
        let (status, reply) = kit.send("POST", write, Some(body(5 * 1024 * 1024))).await;
        assert_eq!(status, 413, "{psa}: {reply}");
        assert!(dialect_shape(psa, write, &reply), "{psa}: {reply}");
        assert_eq!(
            kit.records().await,
            before,
            "{psa}: the refused body stored something"
        );

        // The admin seed takes documents up to `limits.max_seed_bytes` (64 MiB): a captured
        // tenant of a few thousand records is several MB.
        let seed = format!(
            "# {}\ncompanies: [{{name: Seeded Big}}]\n",
            "x".repeat(3 << 20)
        );
        let (status, reply) = support::seed(&kit.http, &kit.server, seed).await;
        assert_eq!(status, 200, "{psa}: a 3 MB seed: {reply}");
        let records = kit.records().await.to_string();
        assert!(records.contains("Seeded Big"), "{psa}: {records}");
    }
}
