//! `serve --state FILE` on the real binary: the world (records, clock, sessions) survives a
//! kill and a restart; a truncated, foreign or mismatched file is refused and left untouched.

mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A scratch directory of this test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("mock-psa-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `mock-psa serve`, killed (SIGKILL: no chance to write anything) when dropped.
struct Served {
    child: Child,
    origin: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(psa: &str, state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mock-psa"));
    c.args(["serve", "--psa", psa, "--port", "0", "--json", "--state"])
        .arg(state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn serve(psa: &str, state: &Path) -> Served {
    let mut child = command(psa, state).spawn().expect("spawn mock-psa");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("listener line");
    let doc: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    Served {
        origin: doc["servers"][0]["origin"].as_str().unwrap().to_string(),
        child,
    }
}

/// Starting must fail: returns what it said on stderr.
fn refused(psa: &str, state: &Path) -> String {
    let out = command(psa, state).output().expect("run mock-psa");
    assert!(!out.status.success(), "started on a bad state file");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn call(method: &str, url: String, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
    let mut req = support::client().request(method.parse().unwrap(), url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    support::reply(req.send().await.expect("request")).await
}

async fn world(s: &Served) -> Value {
    let (status, native) = call("GET", format!("{}/__admin/snapshot", s.origin), None, None).await;
    assert_eq!(status, 200);
    native
}

#[tokio::test]
async fn the_world_survives_a_kill_and_a_restart() {
    let dir = Scratch::new("state");
    let file = dir.0.join("world.json");
    let first = serve("bms", &file);
    let o = first.origin.clone();
    let seed = json!({"companies": [{"name": "Acme"}, {"name": "Gone"}],
                      "locations": [{"company": "Acme", "name": "Main Office"}]});
    assert_eq!(
        call("POST", format!("{o}/__admin/seed"), Some(seed), None)
            .await
            .0,
        200
    );
    let (status, body) = call(
        "POST",
        format!("{o}/__admin/clock"),
        Some(json!({"advance": 5400})),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let form = "grantType=password&userName=api&password=password&tenant=acme";
    let auth = support::client()
        .post(format!("{o}/v2/security/authenticate"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let (status, body) = support::reply(auth).await;
    assert_eq!(status, 200, "{body}");
    let token = body["result"]["accessToken"].as_str().unwrap().to_string();
    // A deleted record: the next id must not be reused after the restart either.
    let (_, neutral) = call(
        "GET",
        format!("{o}/__admin/snapshot?view=neutral"),
        None,
        None,
    )
    .await;
    let gone = neutral["records"]["companies"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == "Gone"))
        .map(|r| r["id"].clone())
        .expect("the Gone company");
    let (status, _) = call(
        "DELETE",
        format!("{o}/__admin/records/companies/{gone}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let before = world(&first).await;
    assert!(before.to_string().contains("Main Office"));
    drop(first); // SIGKILL

    let second = serve("bms", &file);
    assert_eq!(world(&second).await, before, "the restarted world differs");
    let o = second.origin.clone();
    let (status, me) = call(
        "GET",
        format!("{o}/v2/security/userinfo"),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(status, 200, "the session survived: {me}");
    let (status, made) = call(
        "POST",
        format!("{o}/__admin/records/companies"),
        Some(json!({"name": "Next"})),
        None,
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        made["id"].as_i64() > gone.as_i64(),
        "ids continue after the deleted one: {made}"
    );
    let after_change = world(&second).await;
    drop(second);
    let third = serve("bms", &file);
    assert_eq!(
        world(&third).await,
        after_change,
        "a change after the restart is kept too"
    );
    drop(third);

    // Another personality's server refuses the file, and leaves it as it was.
    let kept = std::fs::read(&file).unwrap();
    let err = refused("connectwise", &file);
    assert!(err.contains("holds the state of bms"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), kept);
}

#[test]
fn a_truncated_or_foreign_file_is_refused_and_left_untouched() {
    let dir = Scratch::new("bad-state");
    let good = dir.0.join("good.json");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let served = serve("connectwise", &good);
    rt.block_on(async {
        let seed = json!({"companies": [{"name": "Acme"}]});
        let url = format!("{}/__admin/seed", served.origin);
        assert_eq!(call("POST", url, Some(seed), None).await.0, 200);
    });
    drop(served);
    let text = std::fs::read(&good).unwrap();
    for (name, bytes, says) in [
        (
            "truncated.json",
            text[..text.len() / 2].to_vec(),
            "truncated",
        ),
        (
            "foreign.json",
            br#"{"hello": "world"}"#.to_vec(),
            "not a mock-psa state file",
        ),
        (
            "garbage.json",
            b"\x00\x01 not json".to_vec(),
            "not a mock-psa state file",
        ),
        (
            "newer.json",
            br#"{"format": "mock-psa state", "version": 99, "worlds": {}}"#.to_vec(),
            "another version",
        ),
    ] {
        let path = dir.0.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = refused("connectwise", &path);
        assert!(
            err.contains(says) && err.contains("refusing to start"),
            "{name}: {err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name} was changed");
    }
}
