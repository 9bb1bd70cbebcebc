//! Bounds on everything a client sends: query size, nesting of filter languages, JSON bodies
//! and seeds. Each parser that recurses checks its depth before it recurses, and the scanners
//! here are iterative, so no input can overflow a stack (an overflow aborts the process; no
//! panic handler catches it) or cost more than linear time before it is refused.

use serde::{Deserialize, Serialize};

/// The most any depth setting may be raised to: deep enough for any real client, shallow
/// enough that the recursive parsers and serde stay far inside a 2 MiB worker stack.
pub const HARD_MAX_DEPTH: usize = 128;
/// The most `max_query_bytes` may be raised to.
pub const HARD_MAX_QUERY_BYTES: usize = 1024 * 1024;
/// The most `max_head_bytes` may be raised to; hyper's read buffer is sized above it
/// ([`crate::ConnectionLimits::head_buffer_bytes`]) so the dialect, not hyper, answers.
pub const HARD_MAX_HEAD_BYTES: usize = 1024 * 1024;

/// Input limits of one personality (part of [`crate::Settings`], changeable at run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Longest query string accepted, in bytes (percent-encoded, as sent).
    pub max_query_bytes: usize,
    /// Deepest nesting of parentheses (and `not`) in ConnectWise conditions and OData
    /// `$filter`, and of and/or groups in Autotask filters.
    pub max_filter_depth: usize,
    /// Deepest nesting of arrays and objects in a JSON body or JSON query value.
    pub max_json_depth: usize,
    /// Largest seed document accepted by `POST /__admin/seed`, in bytes.
    pub max_seed_bytes: usize,
    /// Deepest nesting of a seed document (YAML or JSON).
    pub max_seed_depth: usize,
    /// Largest request head (request line and headers, as counted by [`head_bytes`]) accepted;
    /// larger ones get 431 in the surface's error format.
    pub max_head_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_query_bytes: 32 * 1024,
            max_filter_depth: 32,
            max_json_depth: 64,
            max_seed_bytes: 64 * 1024 * 1024,
            max_seed_depth: 32,
            max_head_bytes: 64 * 1024,
        }
    }
}

impl Limits {
    /// Refuses limits that would let input past the hard bounds the parsers are built for.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("max_filter_depth", self.max_filter_depth),
            ("max_json_depth", self.max_json_depth),
            ("max_seed_depth", self.max_seed_depth),
        ] {
            if v == 0 || v > HARD_MAX_DEPTH {
                return Err(format!(
                    "limits.{name} must be from 1 to {HARD_MAX_DEPTH}, not {v}"
                ));
            }
        }
        if self.max_query_bytes == 0 || self.max_query_bytes > HARD_MAX_QUERY_BYTES {
            return Err(format!(
                "limits.max_query_bytes must be from 1 to {HARD_MAX_QUERY_BYTES}, not {}",
                self.max_query_bytes
            ));
        }
        if self.max_seed_bytes == 0 {
            return Err("limits.max_seed_bytes must be at least 1".into());
        }
        if self.max_head_bytes < 1024 || self.max_head_bytes > HARD_MAX_HEAD_BYTES {
            return Err(format!(
                "limits.max_head_bytes must be from 1024 to {HARD_MAX_HEAD_BYTES}, not {}",
                self.max_head_bytes
            ));
        }
        Ok(())
    }
}

/// The size of a request head as sent: the request line (`METHOD target HTTP/1.1` and CRLF)
/// and each header line (`name: value` and CRLF).
pub fn head_bytes(parts: &http::request::Parts) -> usize {
    let target = parts.uri.path_and_query().map_or(1, |pq| pq.as_str().len());
    let line = parts.method.as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    line + parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + 2 + v.len() + 2)
        .sum::<usize>()
}

tokio::task_local! {
    /// The limits of the personality serving the current request, so parsers deep inside a
    /// dialect read the settings without every signature carrying them.
    static CURRENT: Limits;
}

/// The limits in force for the request being handled (the defaults outside a request).
pub fn current() -> Limits {
    CURRENT.try_with(|l| *l).unwrap_or_default()
}

/// Runs `f` (a request's handling) with `limits` in force.
pub async fn scope<F: std::future::Future>(limits: Limits, f: F) -> F::Output {
    CURRENT.scope(limits, f).await
}

/// Refuses an Autotask filter whose and/or groups nest deeper than `max_filter_depth` (each
/// group is an object and its `items` array: two JSON levels). Iterative.
pub fn check_filter_json(filter: &serde_json::Value) -> Result<(), String> {
    let max = current().max_filter_depth;
    let mut stack = vec![(filter, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > 2 * max + 3 {
            return Err(format!(
                "The filter's and/or groups are nested more than {max} levels deep."
            ));
        }
        match v {
            serde_json::Value::Array(a) => stack.extend(a.iter().map(|x| (x, depth + 1))),
            serde_json::Value::Object(o) => stack.extend(o.values().map(|x| (x, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// Whether `bytes` look like JSON (first non-blank byte opens an object or array).
pub fn looks_like_json(bytes: &[u8]) -> bool {
    matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Refuses JSON nested deeper than `max` arrays/objects. Exact for well-formed JSON (strings and
/// escapes are skipped); linear and iterative, so it runs before any recursive parser.
pub fn check_json_depth(bytes: &[u8], max: usize) -> Result<(), String> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Err(format!("JSON is nested more than {max} levels deep"));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Refuses YAML nested deeper than `max`, counting flow collections (`[`, `{`), block
/// indentation levels and compact `- - -` sequences. An upper bound on the parser's own depth
/// (a mapping value on a deeper line counts once), computed in one pass before the YAML
/// parser runs: a deeply nested seed is refused in linear time instead of parsed in
/// quadratic time.
/// The error is the 1-based line where the limit was passed, and a message.
pub fn check_yaml_depth(text: &str, max: usize) -> Result<(), (usize, String)> {
    let refuse = |line: usize| Err((line, format!("nested more than {max} levels deep")));
    // Indentation columns of the open block levels, innermost last.
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut block_scalar: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = &line[indent..];
        if let Some(owner) = block_scalar {
            // Lines of a `|` or `>` block scalar are text, not structure.
            if body.is_empty() || indent > owner {
                continue;
            }
            block_scalar = None;
        }
        if flow == 0 {
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        // Compact nested sequences (`- - - x`) open one level per dash.
        let mut dashes = 0;
        let mut rest = body;
        while let Some(r) = rest
            .strip_prefix("- ")
            .or_else(|| (rest == "-").then_some(""))
        {
            dashes += 1;
            rest = r.trim_start_matches(' ');
        }
        let (within, opens_block_scalar) = scan_flow(rest, &mut flow, max, indents.len());
        if !within {
            return refuse(n + 1);
        }
        if indents.len() + dashes.max(1) - 1 + flow > max || flow > max {
            return refuse(n + 1);
        }
        if opens_block_scalar && flow == 0 {
            block_scalar = Some(indent);
        }
    }
    Ok(())
}

/// Follows flow brackets on one line (skipping quoted text and comments). Returns whether the
/// line stayed within the depth, and whether it ends by opening a block scalar.
fn scan_flow(line: &str, flow: &mut usize, max: usize, block: usize) -> (bool, bool) {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    let mut last_token = 0u8;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'#' if i == 0 || bytes[i - 1] == b' ' => break,
                b'[' | b'{' => {
                    *flow += 1;
                    if *flow + block > max {
                        return (false, false);
                    }
                }
                b']' | b'}' => *flow = flow.saturating_sub(1),
                _ => {}
            },
        }
        if !b.is_ascii_whitespace() {
            last_token = b;
        }
        i += 1;
    }
    (true, quote.is_none() && matches!(last_token, b'|' | b'>'))
}

/// Refuses a text filter (ConnectWise conditions, OData `$filter`) longer than the query
/// limit before it is tokenised; nesting is bounded by the parsers themselves.
pub fn check_filter_size(name: &str, text: &str, limits: &Limits) -> Result<(), String> {
    if text.len() > limits.max_query_bytes {
        return Err(format!(
            "{name} is {} bytes long; the limit is {}",
            text.len(),
            limits.max_query_bytes
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_counts_containers_not_brackets_in_strings() {
        assert!(check_json_depth(br#"{"a":[1,{"b":"[[[[[["}]}"#, 3).is_ok());
        assert!(check_json_depth(br#"{"a":[1,{"b":[]}]}"#, 3).is_err());
        assert!(check_json_depth(br#"{"a":"\"[[[["}"#, 1).is_ok());
        let deep = "[".repeat(100_000);
        assert!(check_json_depth(deep.as_bytes(), 64).is_err());
    }

    #[test]
    fn yaml_depth_counts_flow_block_and_compact_sequences() {
        let ok = "companies:\n  - name: 'A [b] {c}'\n    type: Customer\n";
        assert!(check_yaml_depth(ok, 3).is_ok());
        assert!(check_yaml_depth(&format!("a: {}", "[".repeat(40)), 32).is_err());
        assert!(check_yaml_depth(&format!("{}x", "- ".repeat(40)), 32).is_err());
        let block: String = (0..40)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(check_yaml_depth(&block, 32).is_err());
        assert!(check_yaml_depth(&block, 64).is_ok());
        // A block scalar's lines are text, whatever they contain.
        let scalar = format!("notes: |\n  {}\nname: x\n", "[".repeat(100));
        assert!(check_yaml_depth(&scalar, 4).is_ok());
    }

    #[test]
    fn settings_past_the_hard_bounds_are_refused() {
        let mut l = Limits::default();
        assert!(l.validate().is_ok());
        l.max_filter_depth = HARD_MAX_DEPTH + 1;
        assert!(l.validate().unwrap_err().contains("max_filter_depth"));
    }
}
