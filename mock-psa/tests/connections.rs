//! Connection hygiene over raw sockets: a half-sent head and an idle keep-alive connection are
//! closed after the header timeout, a stalled body gets 408, and connections past the cap
//! wait until one closes. Timeouts are short here; nothing asserts how fast anything is.

use mock_psa::testing::MockPsa;
use mock_psa::{ConnectionLimits, MockServer, Personality, ServerOptions};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(limits: ConnectionLimits) -> MockServer {
    let options = ServerOptions {
        connections: limits,
        ..Default::default()
    };
    MockPsa::start_with(Personality::Connectwise, options)
        .await
        .into_server()
}

/// Reads until the server closes the socket (or 20 s pass: then the server did not close it).
async fn read_until_closed(s: &mut TcpStream) -> Option<String> {
    let mut raw = Vec::new();
    match tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw)).await {
        Ok(_) => Some(String::from_utf8_lossy(&raw).into_owned()),
        Err(_) => None,
    }
}

const HEALTH: &str = "GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

#[tokio::test]
async fn half_sent_heads_and_idle_connections_are_closed() {
    let server = start(ConnectionLimits {
        header_timeout: Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let mut half = TcpStream::connect(server.addr()).await.unwrap();
    half.write_all(b"GET /__admin/health HTTP/1.1\r\nHost: 127.")
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut half).await.is_some(),
        "a half-sent head was kept open"
    );

    let mut idle = TcpStream::connect(server.addr()).await.unwrap();
    idle.write_all(HEALTH.as_bytes()).await.unwrap();
    let text = read_until_closed(&mut idle)
        .await
        .expect("an idle connection was kept open");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");

    // The server still answers new connections.
    let mut fresh = TcpStream::connect(server.addr()).await.unwrap();
    fresh.write_all(HEALTH.as_bytes()).await.unwrap();
    let text = read_until_closed(&mut fresh).await.expect("answered");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

/// Reads one whole answer (head and `content-length` body) off a keep-alive connection.
async fn read_answer(s: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.expect("read");
        assert!(
            n > 0,
            "closed before a whole answer: {}",
            String::from_utf8_lossy(&raw)
        );
        raw.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn a_connection_in_use_is_kept_however_long_it_lives() {
    let timeout = Duration::from_millis(400);
    let server = start(ConnectionLimits {
        header_timeout: timeout,
        ..Default::default()
    })
    .await;
    // Requests a little more often than the timeout, for four timeouts.
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    for _ in 0..8 {
        s.write_all(HEALTH.as_bytes()).await.unwrap();
        let text = read_answer(&mut s).await;
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        tokio::time::sleep(timeout / 2).await;
    }
    // An answer that takes longer than the timeout is waited for, not cut off (here the
    // dialect's 401, after a second's injected latency).
    let fault = serde_json::json!({"path": "/v4_6_release/apis/3.0/system/info",
        "latency_ms": 1_000});
    server.add_fault(fault).unwrap();
    let slow = "GET /v4_6_release/apis/3.0/system/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    s.write_all(slow.as_bytes()).await.unwrap();
    let text = read_answer(&mut s).await;
    assert!(
        text.starts_with("HTTP/1.1 401") && text.contains("UserNotAuthenticated"),
        "{text}"
    );
    // Then left idle, it is closed.
    assert!(
        read_until_closed(&mut s).await.is_some(),
        "an idle connection was kept open"
    );
}

#[tokio::test]
async fn a_stalled_body_gets_408_in_the_dialect_shape() {
    let server = start(ConnectionLimits {
        body_timeout: Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let head = "POST /v4_6_release/apis/3.0/company/companies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"name\":";
    s.write_all(head.as_bytes()).await.unwrap();
    let text = read_until_closed(&mut s)
        .await
        .expect("answered and closed");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("\"code\"") && text.contains("\"message\""),
        "{text}"
    );
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_one_to_close() {
    let server = start(ConnectionLimits {
        max_connections: 1,
        ..Default::default()
    })
    .await;
    let mut first = TcpStream::connect(server.addr()).await.unwrap();
    first.write_all(HEALTH.as_bytes()).await.unwrap();
    let mut buf = [0u8; 12];
    first.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    // `first` stays open (keep-alive): a second connection is not served meanwhile.
    let mut second = TcpStream::connect(server.addr()).await.unwrap();
    second.write_all(HEALTH.as_bytes()).await.unwrap();
    let waited =
        tokio::time::timeout(Duration::from_millis(300), second.read_exact(&mut buf)).await;
    assert!(waited.is_err(), "a connection past the cap was served");
    drop(first);
    tokio::time::timeout(Duration::from_secs(20), second.read_exact(&mut buf))
        .await
        .expect("served once the first closed")
        .unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
}
