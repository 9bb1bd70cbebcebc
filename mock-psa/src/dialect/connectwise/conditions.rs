//! The ConnectWise `conditions` language: `field op value` terms joined by `and`/`or`, `not`,
//! parentheses, nested `a/b` paths, quoted strings, `[datetimes]`, `true`/`false`/`null`,
//! `in (...)`, `like` with `%` or `*`. Evaluated against rendered records; a path that crosses
//! an array matches when any element matches (which is what `childConditions` needs).

use crate::clock::parse_rfc3339;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Time(i64),
    List(Vec<Literal>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Like,
    In,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Cmp {
        path: Vec<String>,
        op: Op,
        negated: bool,
        value: Literal,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Time(String),
    Sym(&'static str),
    LParen,
    RParen,
    Comma,
}

/// The message the real API gives for a bad literal names the literal rules; so does ours.
const LITERAL_RULES: &str = "Strings must be quoted, datetimes wrapped in square brackets, booleans must be true or false, and null is a keyword";

fn lex(input: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!("unterminated string starting at position {}", i))
                        }
                        Some('\\') if chars.get(i + 1).is_some() => {
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(&ch) if ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            '[' => {
                let start = i + 1;
                let end = chars[start..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| start + p);
                let Some(end) = end else {
                    return Err("unterminated [datetime] literal".into());
                };
                out.push(Tok::Time(chars[start..end].iter().collect()));
                i = end + 1;
            }
            '=' => {
                out.push(Tok::Sym("="));
                i += 1
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Tok::Sym("!="));
                i += 2
            }
            '<' | '>' => {
                let two = chars.get(i + 1) == Some(&'=');
                out.push(Tok::Sym(match (c, two) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    ('>', true) => ">=",
                    _ => ">",
                }));
                i += if two { 2 } else { 1 };
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Tok::Num(
                    text.parse().map_err(|_| format!("bad number `{text}`"))?,
                ));
            }
            c if c.is_alphanumeric() || c == '_' || c == '/' || c == '.' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '/' | '.'))
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character `{other}` at position {i}")),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// Current nesting of parentheses and `not`; bounded so hostile input cannot exhaust the
    /// stack (a stack overflow aborts the process, which no panic handler can catch).
    depth: usize,
}

/// Deepest nesting of parentheses and `not` accepted.
const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        let e = self.unary_inner();
        self.depth -= 1;
        e
    }
    fn unary_inner(&mut self) -> Result<Expr, String> {
        // issue 12: the depth is a setting (limits.max_filter_depth), capped by MAX_DEPTH.
        let max = crate::limits::current().max_filter_depth.min(MAX_DEPTH);
        if self.depth > max {
            return Err(format!("conditions are nested more than {max} levels deep"));
        }
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.or()?;
            if self.next() != Some(Tok::RParen) {
                return Err("missing `)`".into());
            }
            return Ok(e);
        }
        self.comparison()
    }
    fn comparison(&mut self) -> Result<Expr, String> {
        let path = match self.next() {
            Some(Tok::Ident(p)) => p,
            Some(other) => return Err(format!("expected a field name, found {other:?}")),
            None => return Err("expected a field name, found the end of the conditions".into()),
        };
        let path: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let mut negated = false;
        if self.keyword("not") {
            self.pos += 1;
            negated = true;
        }
        let op = match self.next() {
            Some(Tok::Sym("=")) => Op::Eq,
            Some(Tok::Sym("!=")) => Op::Ne,
            Some(Tok::Sym("<")) => Op::Lt,
            Some(Tok::Sym("<=")) => Op::Le,
            Some(Tok::Sym(">")) => Op::Gt,
            Some(Tok::Sym(">=")) => Op::Ge,
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("contains") => Op::Contains,
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("like") => Op::Like,
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("in") => Op::In,
            other => {
                return Err(format!(
                    "expected an operator after `{}`, found {other:?}",
                    path.join("/")
                ))
            }
        };
        if negated && !matches!(op, Op::Contains | Op::Like | Op::In) {
            return Err("`not` may only precede contains, like or in".into());
        }
        let value = if op == Op::In {
            if self.next() != Some(Tok::LParen) {
                return Err("`in` needs a parenthesised list".into());
            }
            let mut items = vec![self.literal()?];
            loop {
                match self.next() {
                    Some(Tok::Comma) => items.push(self.literal()?),
                    Some(Tok::RParen) => break,
                    _ => return Err("unterminated `in (...)` list".into()),
                }
            }
            Literal::List(items)
        } else {
            self.literal()?
        };
        Ok(Expr::Cmp {
            path,
            op,
            negated,
            value,
        })
    }
    fn literal(&mut self) -> Result<Literal, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Literal::Str(s)),
            Some(Tok::Num(n)) => Ok(Literal::Num(n)),
            Some(Tok::Time(t)) => parse_rfc3339(&t)
                .map(Literal::Time)
                .ok_or_else(|| format!("`[{t}]` is not a valid datetime. {LITERAL_RULES}.")),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Some(Tok::Ident(w)) => Err(format!("`{w}` is not a valid literal. {LITERAL_RULES}.")),
            Some(other) => Err(format!(
                "expected a value, found {other:?}. {LITERAL_RULES}."
            )),
            None => Err(format!(
                "expected a value at the end of the conditions. {LITERAL_RULES}."
            )),
        }
    }
}

pub fn parse(input: &str) -> Result<Expr, String> {
    let toks = lex(input)?;
    if toks.is_empty() {
        return Err("conditions are empty".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(format!(
            "unexpected {:?} after a complete condition",
            p.toks[p.pos]
        ));
    }
    Ok(e)
}

/// Every value reachable by `path` (case-insensitive members; arrays fan out).
fn resolve<'a>(v: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| resolve(i, path, out)),
        _ if path.is_empty() => out.push(v),
        Value::Object(o) => {
            let key = &path[0];
            let found = o.get(key.as_str()).or_else(|| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            });
            if let Some(child) = found {
                resolve(child, &path[1..], out);
            }
        }
        _ => {}
    }
}

fn like(pattern: &str, text: &str) -> bool {
    let p = pattern.to_lowercase().replace('*', "%");
    let t = text.to_lowercase();
    let parts: Vec<&str> = p.split('%').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !rest.starts_with(part) {
                return false;
            }
            rest = &rest[part.len()..];
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

fn compare(actual: &Value, op: Op, lit: &Literal) -> bool {
    use std::cmp::Ordering::*;
    let ord = match (actual, lit) {
        (Value::Null, Literal::Null) => Some(Equal),
        (_, Literal::Null) | (Value::Null, _) => None,
        (Value::Number(n), Literal::Num(x)) => n.as_f64().and_then(|n| n.partial_cmp(x)),
        (Value::Bool(b), Literal::Bool(x)) => Some(b.cmp(x)),
        (Value::String(s), Literal::Time(t)) => parse_rfc3339(s).map(|v| v.cmp(t)),
        (Value::String(s), Literal::Str(x)) => Some(s.to_lowercase().cmp(&x.to_lowercase())),
        (Value::String(s), Literal::Num(x)) => s.parse::<f64>().ok().and_then(|n| n.partial_cmp(x)),
        (Value::Number(n), Literal::Str(x)) => Some(n.to_string().cmp(x)),
        _ => None,
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match op {
        Op::Eq => ord == Some(Equal),
        Op::Ne => ord != Some(Equal),
        Op::Lt => ord == Some(Less),
        Op::Le => matches!(ord, Some(Less | Equal)),
        Op::Gt => ord == Some(Greater),
        Op::Ge => matches!(ord, Some(Greater | Equal)),
        Op::Contains => match lit {
            Literal::Str(x) => text(actual).to_lowercase().contains(&x.to_lowercase()),
            _ => false,
        },
        Op::Like => match lit {
            Literal::Str(x) => like(x, &text(actual)),
            _ => false,
        },
        Op::In => match lit {
            Literal::List(items) => items.iter().any(|i| compare(actual, Op::Eq, i)),
            _ => false,
        },
    }
}

pub fn eval(expr: &Expr, record: &Value) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, record) && eval(b, record),
        Expr::Or(a, b) => eval(a, record) || eval(b, record),
        Expr::Not(e) => !eval(e, record),
        Expr::Cmp {
            path,
            op,
            negated,
            value,
        } => {
            let mut found = Vec::new();
            resolve(record, path, &mut found);
            let hit = if found.is_empty() {
                // A missing member is null: `= null` holds, `!= x` holds.
                match (op, value) {
                    (Op::Eq, Literal::Null) => true,
                    (Op::Ne, Literal::Null) => false,
                    (Op::Ne, _) => true,
                    _ => false,
                }
            } else if *op == Op::Ne {
                found.iter().all(|v| compare(v, Op::Ne, value))
            } else {
                found.iter().any(|v| compare(v, *op, value))
            };
            hit != *negated
        }
    }
}

/// True when the expression uses `in` anywhere (not allowed in `childConditions`).
pub fn has_in(expr: &Expr) -> bool {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => has_in(a) || has_in(b),
        Expr::Not(e) => has_in(e),
        Expr::Cmp { op, .. } => *op == Op::In,
    }
}

fn first_segments(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => {
            first_segments(a, out);
            first_segments(b, out);
        }
        Expr::Not(e) => first_segments(e, out),
        Expr::Cmp { path, .. } => {
            if let Some(first) = path.first() {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(first)) {
                    out.push(first.clone());
                }
            }
        }
    }
}

/// `childConditions`: when every term names the same array member (`communicationItems/...`),
/// the whole expression must hold for one element of it, so `value like "a%" and
/// communicationType = "Email"` means one e-mail item like `a%`, not any value and any type.
/// Terms over several members fall back to [`eval`], where each term matches on its own.
pub fn eval_child(expr: &Expr, record: &Value) -> bool {
    let mut members = Vec::new();
    first_segments(expr, &mut members);
    let [member] = members.as_slice() else {
        return eval(expr, record);
    };
    let Some(obj) = record.as_object() else {
        return false;
    };
    let Some((key, Value::Array(items))) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(member))
    else {
        return eval(expr, record);
    };
    items.iter().any(|item| {
        let mut one = obj.clone();
        one.insert(key.clone(), item.clone());
        eval(expr, &Value::Object(one))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec() -> Value {
        json!({"id": 7, "name": "Acme Corp", "status": {"id": 1, "name": "Active"}, "deletedFlag": false,
               "dateEntered": "2024-02-01T00:00:00Z",
               "communicationItems": [{"value": "ann@acme.test", "communicationType": "Email"},
                                      {"value": "555-0100", "communicationType": "Phone"}]})
    }

    #[test]
    fn table() {
        let cases: &[(&str, bool)] = &[
            ("id = 7", true),
            ("id != 7", false),
            ("id > 6 and id < 8", true),
            ("id >= 8 or id <= 6", false),
            ("name = \"acme corp\"", true),
            ("name like \"Acme%\"", true),
            ("name like 'Ac*'", true),
            ("name not like \"Beta%\"", true),
            ("name contains \"corp\"", true),
            ("name not contains \"corp\"", false),
            ("Status/Name = \"Active\"", true),
            ("status/id in (1, 2)", true),
            ("status/id not in (1, 2)", false),
            ("deletedFlag = False", true),
            ("parentCompany = null", true),
            ("parentCompany != null", false),
            ("dateEntered > [2024-01-01T00:00:00Z]", true),
            ("not (id = 7)", false),
            ("(id = 1 or id = 7) AND name contains 'acme'", true),
            ("communicationItems/value like \"ann@%\" and communicationItems/communicationType = \"Email\"", true),
        ];
        for (c, want) in cases {
            let e = parse(c).unwrap_or_else(|err| panic!("{c}: {err}"));
            assert_eq!(eval(&e, &rec()), *want, "{c}");
        }
    }

    #[test]
    fn child_conditions_hold_for_one_element() {
        let same = parse("communicationItems/value like \"ann@%\" and communicationItems/communicationType = \"Email\"").unwrap();
        assert!(eval_child(&same, &rec()));
        let crossed = parse("communicationItems/value = \"555-0100\" and communicationItems/communicationType = \"Email\"").unwrap();
        // Any-element semantics would match (one item has the value, another the type).
        assert!(eval(&crossed, &rec()));
        assert!(!eval_child(&crossed, &rec()));
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "id =",
            "id = abc",
            "= 5",
            "id = \"x",
            "(id = 1",
            "id ~ 1",
            "id = [notadate]",
            "id = 1 2",
            "name in 5",
        ] {
            assert!(parse(bad).is_err(), "{bad} should fail");
        }
        assert!(parse("id = abc")
            .unwrap_err()
            .contains("Strings must be quoted"));
    }
}
