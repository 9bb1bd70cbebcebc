//! The optional HTTPS listener: a rustls client that trusts only the mock's generated CA gets
//! the same API (with https links), a client that does not trust it is refused, and the plain
//! HTTP listener keeps working beside it.

use mock_psa::testing::MockPsa;
use mock_psa::{MockServer, Personality, ServerOptions, TlsOptions};
use rustls::pki_types::ServerName;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

fn connector(roots: rustls::RootCertStore) -> TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// One HTTP/1.1 exchange over TLS; returns the raw response text.
async fn https_get(
    tls: &TlsConnector,
    port: u16,
    host: &str,
    path: &str,
    headers: &str,
) -> std::io::Result<String> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let name = ServerName::try_from(host.to_string()).expect("server name");
    let mut stream = tls.connect(name, tcp).await?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    // A TLS peer may close without close_notify; what was read until then is the answer.
    let _ = stream.read_to_end(&mut out).await;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

async fn start(p: Personality) -> MockServer {
    let options = ServerOptions {
        tls: Some(TlsOptions::default()),
        ..Default::default()
    };
    MockPsa::start_with(p, options).await.into_server()
}

#[tokio::test]
async fn https_listener_serves_the_api_to_a_client_trusting_the_ca() {
    let server = start(Personality::Connectwise).await;
    let port = server.https_addr().expect("https listener").port();
    assert_ne!(port, server.addr().port());
    assert_eq!(
        server.https_api_url().unwrap(),
        format!("https://127.0.0.1:{port}/v4_6_release/apis/3.0")
    );
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(server.tls_identity().unwrap().ca_der())
        .expect("CA certificate parses");
    let tls = connector(roots);

    // Unauthenticated company info: SiteUrl reflects the https host.
    let info = https_get(&tls, port, "127.0.0.1", "/login/companyinfo/acme", "")
        .await
        .expect("handshake with the trusted CA");
    assert!(info.starts_with("HTTP/1.1 200"), "{info}");
    assert!(
        info.contains(&format!("\"SiteUrl\":\"127.0.0.1:{port}\"")),
        "{info}"
    );

    // Authenticated list: Link headers use https, and `localhost` is a valid name too.
    let auth = "Authorization: Basic YWNtZStwdWJsaWM6cHJpdmF0ZQ==\r\nclientId: tls-test\r\n";
    let list = https_get(
        &tls,
        port,
        "localhost",
        "/v4_6_release/apis/3.0/company/companies/types?pageSize=2",
        auth,
    )
    .await
    .expect("handshake for localhost");
    assert!(list.starts_with("HTTP/1.1 200"), "{list}");
    assert!(
        list.contains(&format!(
            "<https://localhost:{port}/v4_6_release/apis/3.0/company/companies/types?pageSize=2&page=2>; rel=\"next\""
        )),
        "{list}"
    );

    // The plain listener is unchanged.
    let plain = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/login/companyinfo/acme", server.origin()))
        .send()
        .await
        .expect("plain http");
    assert_eq!(plain.status(), 200);
    // Requests over both listeners land in the one journal.
    let journal: serde_json::Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/journal", server.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(journal["counters"]["total"], 3, "{journal}");
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused_and_plain_http_gets_no_answer() {
    let server = start(Personality::Autotask).await;
    let port = server.https_addr().unwrap().port();
    // Trust a different mock's CA: the handshake must fail.
    let other = start(Personality::Autotask).await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(other.tls_identity().unwrap().ca_der()).unwrap();
    let err = https_get(
        &connector(roots),
        port,
        "127.0.0.1",
        "/ATServicesRest/versioninformation",
        "",
    )
    .await
    .expect_err("untrusted certificate");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    // Plain HTTP sent to the TLS port is not answered as HTTP.
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(b"GET /ATServicesRest/versioninformation HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ =
        tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    assert!(!String::from_utf8_lossy(&buf).contains("apiVersions"));

    // The server's own CA works.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server.tls_identity().unwrap().ca_der()).unwrap();
    let ok = https_get(
        &connector(roots),
        port,
        "127.0.0.1",
        "/ATServicesRest/versioninformation",
        "",
    )
    .await
    .unwrap();
    assert!(ok.contains("\"apiVersions\":[\"V1.0\"]"), "{ok}");
}
