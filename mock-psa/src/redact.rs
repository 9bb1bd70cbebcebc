//! Secrets kept out of admin output: members and form fields named like passwords, keys,
//! secrets and tokens show `[redacted]` unless the caller asks to see them (`?reveal=secrets`).
//! The journal stores what was sent; only its output is redacted, so the opt-in still works.

use serde_json::Value;

/// What a redacted value shows.
pub const REDACTED: &str = "[redacted]";

/// Whether a member or field name holds a secret: passwords, private keys, client secrets,
/// API keys, integration codes and access or refresh tokens (any case, `_` and `-` ignored).
pub fn is_secret_name(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const EXACT: &[&str] = &["authorization", "token", "secret", "apiintegrationcode"];
    const PARTS: &[&str] = &[
        "password",
        "passwd",
        "privatekey",
        "secret",
        "apikey",
        "accesstoken",
        "refreshtoken",
        "bearertoken",
        "idtoken",
        "sessiontoken",
        "authtoken",
        "integrationcode",
    ];
    EXACT.contains(&n.as_str()) || PARTS.iter().any(|p| n.contains(p))
}

/// A journal body with its secrets replaced: JSON members at any depth (the JSON parser bounds
/// the depth), or `application/x-www-form-urlencoded` fields, other bytes left as they were.
pub fn body(text: &str) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(mut v) = serde_json::from_str::<Value>(text) {
            if redact_value(&mut v) {
                return v.to_string();
            }
        }
        return text.to_string();
    }
    form(text)
}

/// Form fields (`a=1&password=x`) and query strings with secret values replaced.
pub fn form(text: &str) -> String {
    if !text.contains('=') {
        return text.to_string();
    }
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_name(&decode(k)) => format!("{k}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn decode(k: &str) -> String {
    percent_encoding::percent_decode_str(&k.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Replaces secret members in place; whether anything changed.
pub fn redact_value(v: &mut Value) -> bool {
    match v {
        Value::Object(m) => {
            let mut changed = false;
            for (k, child) in m.iter_mut() {
                if is_secret_name(k)
                    && !child.is_null()
                    && !matches!(child, Value::Object(_) | Value::Array(_))
                {
                    *child = Value::String(REDACTED.into());
                    changed = true;
                } else {
                    changed |= redact_value(child);
                }
            }
            changed
        }
        Value::Array(a) => a.iter_mut().fold(false, |c, x| redact_value(x) | c),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_members_and_form_fields() {
        assert_eq!(
            body(r#"{"user":"api","Password":"p","nested":[{"accessToken":"t"}]}"#),
            r#"{"user":"api","Password":"[redacted]","nested":[{"accessToken":"[redacted]"}]}"#
        );
        assert_eq!(
            body("grantType=password&userName=api&password=hunter2&tenant=acme"),
            "grantType=password&userName=api&password=[redacted]&tenant=acme"
        );
        assert_eq!(body("refresh_token=abc"), "refresh_token=[redacted]");
        // Nothing secret: the text stays byte for byte.
        assert_eq!(body("{ \"name\": \"A\" }"), "{ \"name\": \"A\" }");
        assert_eq!(body("not json {"), "not json {");
    }

    #[test]
    fn secret_names() {
        for n in [
            "password",
            "PrivateKey",
            "private_key",
            "client-secret",
            "AccessToken",
            "token",
            "ApiIntegrationCode",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["grantType", "userName", "tokenType", "expiresIn", "name"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }
}
