//! Who may use the admin API: requests from this machine's own tools, never a web page.
//!
//! A browser can send a "simple" request (a `text/plain` POST) to any address without a CORS
//! preflight, and DNS rebinding lets a page reach 127.0.0.1 under its own host name. So an
//! admin request is refused when its `Origin` is not the server's own, when the browser says
//! it is cross-site (`Sec-Fetch-Site`), when it is a preflight, and, without a token, when its
//! `Host` is not a loopback name. With a token (`--admin-token`), the token is required instead
//! of a loopback `Host` (a container is reached by its own name).

use http::request::Parts;
use http::{header, Method, StatusCode};

/// The admin API's access rule, fixed at start.
#[derive(Debug, Clone, Default)]
pub struct AdminAccess {
    pub token: Option<String>,
}

/// Whether `host` (a `Host` header, port optional) names this machine's loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

fn header(parts: &Parts, name: header::HeaderName) -> Option<&str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Equal in time independent of where the strings differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks one admin request; the refusal's status and message otherwise.
pub fn check(
    parts: &Parts,
    access: &AdminAccess,
    scheme: &str,
) -> Result<(), (StatusCode, String)> {
    let forbidden = |m: String| Err((StatusCode::FORBIDDEN, m));
    if parts.method == Method::OPTIONS {
        return forbidden("the admin API answers no cross-origin requests".into());
    }
    let host = header(parts, header::HOST);
    if let Some(origin) = header(parts, header::ORIGIN) {
        let own = host.map(|h| format!("{scheme}://{h}"));
        if own.as_deref() != Some(origin) {
            return forbidden(format!(
                "cross-origin admin request refused (Origin {origin})"
            ));
        }
    }
    if let Some(site) = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        if !matches!(site, "same-origin" | "none") {
            return forbidden(format!(
                "cross-site admin request refused (Sec-Fetch-Site {site})"
            ));
        }
    }
    // The live page itself is a fixed document holding no state: it loads without the token,
    // asks the person for it and sends it with every read and write it makes.
    let page = parts.method == Method::GET && parts.uri.path() == "/__admin/ui";
    match &access.token {
        Some(_) if page => Ok(()),
        Some(token) => {
            let given = header(parts, header::AUTHORIZATION)
                .and_then(|a| a.strip_prefix("Bearer "))
                .or_else(|| {
                    parts
                        .headers
                        .get("x-admin-token")
                        .and_then(|v| v.to_str().ok())
                });
            match given {
                Some(g) if same_secret(g.trim(), token) => Ok(()),
                Some(_) => Err((StatusCode::UNAUTHORIZED, "wrong admin token".into())),
                None => Err((
                    StatusCode::UNAUTHORIZED,
                    "this mock requires an admin token: send `Authorization: Bearer <token>` or `X-Admin-Token`".into(),
                )),
            }
        }
        None => match host {
            Some(h) if is_loopback_host(h) => Ok(()),
            Some(h) => forbidden(format!(
                "admin requests must name a loopback Host (localhost, 127.0.0.1 or [::1]), not `{h}`"
            )),
            None => forbidden("admin requests must carry a loopback Host header".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)], method: &str) -> Parts {
        parts_at("/__admin/seed", headers, method)
    }

    fn parts_at(uri: &str, headers: &[(&str, &str)], method: &str) -> Parts {
        let mut b = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn loopback_names() {
        for h in [
            "localhost",
            "localhost:80",
            "127.0.0.1:4000",
            "127.1.2.3",
            "[::1]:9",
            "a.localhost",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "evil.example",
            "10.0.0.1:80",
            "localhost.evil.example",
            "[::2]",
            "",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn browsers_and_foreign_hosts_are_refused() {
        let open = AdminAccess::default();
        let ok = |h: &[(&str, &str)], m: &str| check(&parts(h, m), &open, "http").is_ok();
        assert!(ok(&[("host", "127.0.0.1:5")], "POST"));
        assert!(ok(
            &[("host", "127.0.0.1:5"), ("origin", "http://127.0.0.1:5")],
            "POST"
        ));
        assert!(!ok(
            &[("host", "127.0.0.1:5"), ("origin", "http://evil.example")],
            "POST"
        ));
        assert!(!ok(&[("host", "127.0.0.1:5"), ("origin", "null")], "POST"));
        assert!(!ok(
            &[("host", "127.0.0.1:5"), ("sec-fetch-site", "cross-site")],
            "POST"
        ));
        assert!(!ok(&[("host", "rebound.example:5")], "GET"));
        assert!(!ok(&[], "GET"));
        assert!(!ok(&[("host", "127.0.0.1:5")], "OPTIONS"));
    }

    #[test]
    fn a_token_replaces_the_host_rule() {
        let locked = AdminAccess {
            token: Some("s3cret".into()),
        };
        let status =
            |h: &[(&str, &str)]| check(&parts(h, "GET"), &locked, "http").err().map(|e| e.0);
        assert_eq!(
            status(&[("host", "mock:80"), ("authorization", "Bearer s3cret")]),
            None
        );
        assert_eq!(
            status(&[("host", "mock:80"), ("x-admin-token", "s3cret")]),
            None
        );
        assert_eq!(
            status(&[("host", "127.0.0.1")]),
            Some(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            status(&[("host", "127.0.0.1"), ("x-admin-token", "s3creT")]),
            Some(StatusCode::UNAUTHORIZED)
        );
    }

    #[test]
    fn only_the_page_itself_loads_without_the_token() {
        let locked = AdminAccess {
            token: Some("s3cret".into()),
        };
        let status = |uri: &str, h: &[(&str, &str)], m: &str| {
            check(&parts_at(uri, h, m), &locked, "http")
                .err()
                .map(|e| e.0)
        };
        let host = [("host", "mock:80")];
        assert_eq!(status("/__admin/ui", &host, "GET"), None);
        assert_eq!(status("/__admin/ui?x=1", &host, "GET"), None);
        for (uri, m) in [
            ("/__admin/ui", "POST"),
            ("/__admin/ui/", "GET"),
            ("/__admin/uix", "GET"),
            ("/__admin/health", "GET"),
        ] {
            assert_eq!(
                status(uri, &host, m),
                Some(StatusCode::UNAUTHORIZED),
                "{m} {uri}"
            );
        }
        // Another site's request for it is still refused.
        let foreign = [("host", "mock:80"), ("origin", "http://evil.example")];
        assert_eq!(
            status("/__admin/ui", &foreign, "GET"),
            Some(StatusCode::FORBIDDEN)
        );
        // Without a token the loopback Host rule applies to the page as to every admin route.
        let open = AdminAccess::default();
        let page = parts_at("/__admin/ui", &host, "GET");
        assert!(check(&page, &open, "http").is_err());
    }
}
