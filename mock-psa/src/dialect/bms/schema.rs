//! What a BMS request body may hold. Members, types, required flags, minimums, references and
//! defaults are data (`schema.json`, the input DTOs of the published BMS V2 description; its
//! header names the source); this module reads it once and gives the engine each DTO as the
//! `(stored name, type)` list the readers in `wire` take. The Rust side keeps what the data
//! cannot say: ids of nested records, the main-location and default e-mail rules, and the
//! belongs-to-the-account checks.

use super::model::{lookup_exists, ACCOUNTS, CONTACTS, LOCATIONS};
use super::wire::{Schema, Ty};
use crate::store::{Record, Store};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// A member's wire type, as the description gives it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Datetime,
    Enum,
    /// An array of nested DTOs (`of`).
    List,
    StringList,
}

#[derive(Debug, Deserialize)]
pub struct Member {
    /// The description's (C#) name; the wire reads it in any case.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default)]
    pub of: Option<String>,
    #[serde(default)]
    pub values: Vec<i64>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub minimum: Option<i64>,
    /// The table a reference member's id points into.
    #[serde(rename = "ref", default)]
    pub reference: Option<String>,
    /// What the mock sets on create when the member is absent or null.
    #[serde(default)]
    pub default: Option<Value>,
    /// The stored name where it is not the camelCase of `name` (`Poc` is stored `isPoc`).
    #[serde(default)]
    pub store: Option<String>,
    /// A member the mock serves beyond the description, with the reason.
    #[allow(dead_code)] // read by the member-count test
    #[serde(default)]
    pub extra: Option<String>,
    /// Filled after loading: `store`, else the camelCase of `name`.
    #[serde(skip)]
    stored: String,
}

impl Member {
    /// The name the member is stored (and served) under.
    pub fn stored(&self) -> &str {
        &self.stored
    }
}

#[derive(Debug, Deserialize)]
pub struct Dto {
    /// The member count of the published description (None for the V1 bodies, which have no
    /// published description of their own).
    #[allow(dead_code)] // checked by the tests
    pub published_members: Option<usize>,
    /// A V1 body: the V2 DTO it extends.
    #[serde(default)]
    pub based_on: Option<String>,
    pub members: Vec<Member>,
    /// Filled after loading: the readable members as `wire` takes them.
    #[serde(skip)]
    flat: Vec<(&'static str, Ty)>,
    /// Filled after loading: the stored names of the required scalar members (of the base too).
    #[serde(skip)]
    required: Vec<&'static str>,
}

impl Dto {
    /// The members the generic readers handle, stored names and types. Lists of locations,
    /// addresses, e-mails and phones are read by their resource (they get ids and defaults).
    pub fn schema(&self) -> &Schema {
        &self.flat
    }

    /// Every member, the base DTO's first for a V1 body.
    pub fn all(&'static self) -> impl Iterator<Item = &'static Member> {
        let base = self.based_on.as_deref().map(|b| dto(b).members.iter());
        base.into_iter().flatten().chain(self.members.iter())
    }

    /// Stored names of the required scalar members.
    pub fn required(&self) -> &[&'static str] {
        &self.required
    }

    /// Sets the data's defaults on a new record where the member is absent or null.
    pub fn apply_defaults(&'static self, rec: &mut Record) {
        for m in self.all() {
            if let Some(d) = &m.default {
                let k = m.stored();
                if rec.get(k).is_none_or(Value::is_null) {
                    rec.insert(k.to_string(), d.clone());
                }
            }
        }
    }

    /// Lookup references: the id must name a row. References to accounts, locations and
    /// contacts are checked by their resource (they must belong to the record's account).
    pub fn check_refs(&'static self, store: &Store, rec: &Record, errs: &mut Vec<String>) {
        for m in self.all() {
            let Some(table) = m.reference.as_deref() else {
                continue;
            };
            if [ACCOUNTS, LOCATIONS, CONTACTS].contains(&table) {
                continue;
            }
            let id = rec.get(m.stored()).and_then(Value::as_i64);
            if !lookup_exists(store, table, id) {
                errs.push(format!("{} {} does not exist", m.name, id.unwrap_or(0)));
            }
        }
    }
}

/// Nested lists the resources read themselves.
const OWN_LISTS: &[&str] = &[
    "AccountLocationInputDto",
    "AccountLocationAddressInputDto",
    "PhoneInputDto",
    "EmailInputDto",
];

#[derive(Debug, Deserialize)]
pub struct SchemaFile {
    #[allow(dead_code)]
    pub source: String,
    #[allow(dead_code)]
    pub version: String,
    pub dtos: BTreeMap<String, Dto>,
}

static SCHEMA: LazyLock<SchemaFile> = LazyLock::new(|| {
    let mut file: SchemaFile =
        serde_json::from_str(include_str!("schema.json")).expect("bms/schema.json is valid");
    // What every create asks of a DTO is worked out here, once: stored names, the flat
    // schema, the required members (a create used to rebuild them per member, per row).
    for d in file.dtos.values_mut() {
        for m in &mut d.members {
            m.stored = m.store.clone().unwrap_or_else(|| camel(&m.name));
        }
    }
    let names: Vec<String> = file.dtos.keys().cloned().collect();
    for name in names {
        let flat = flatten(&file, &name);
        let d = &file.dtos[&name];
        let base = d.based_on.as_ref().map(|b| &file.dtos[b].members);
        let required: Vec<&'static str> = flat
            .iter()
            .filter(|(n, _)| {
                base.into_iter()
                    .flatten()
                    .chain(&d.members)
                    .any(|m| m.required && m.stored == *n && m.kind != Kind::List)
            })
            .map(|(n, _)| *n)
            .collect();
        if let Some(d) = file.dtos.get_mut(&name) {
            d.flat = flat;
            d.required = required;
        }
    }
    file
});

/// The `(stored name, type)` list of a DTO (and of its base). Names and nested DTO names are
/// leaked once: the schema lives as long as the process.
fn flatten(file: &SchemaFile, name: &str) -> Vec<(&'static str, Ty)> {
    let d = &file.dtos[name];
    let mut out = match &d.based_on {
        Some(b) => flatten(file, b),
        None => Vec::new(),
    };
    for m in &d.members {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let ty = match m.kind {
            Kind::String => Ty::Str,
            Kind::Integer if m.minimum.is_some_and(|n| n >= 1) => Ty::Id,
            Kind::Integer => Ty::Int,
            Kind::Number => Ty::Num,
            Kind::Boolean => Ty::Bool,
            Kind::Datetime => Ty::Date,
            Kind::Enum => Ty::Enum(Box::leak(m.values.clone().into_boxed_slice())),
            Kind::StringList => Ty::StrList,
            Kind::List => {
                let of = m.of.clone().expect("a list names its element DTO");
                if OWN_LISTS.contains(&of.as_str()) {
                    continue;
                }
                Ty::List(leak(of))
            }
        };
        out.push((leak(m.stored.clone()), ty));
    }
    out
}

/// The DTO named in the data (`AccountPutInputDto`).
pub fn dto(name: &str) -> &'static Dto {
    SCHEMA
        .dtos
        .get(name)
        .unwrap_or_else(|| panic!("bms/schema.json has no DTO {name}"))
}

/// The readable members of a DTO (the `Schema` the readers in `wire` take).
pub fn schema_of(name: &str) -> &'static Schema {
    dto(name).schema()
}

/// .NET's camelCase naming: the leading run of capitals is lowered, except the last one when a
/// lowercase letter follows (`SLAId` → `slaId`, `IPAddress` → `ipAddress`, `Ccs` → `ccs`).
pub fn camel(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for i in 0..chars.len() {
        if i == 1 && !chars[i].is_uppercase() {
            break;
        }
        if i > 0 && chars.get(i + 1).is_some_and(|n| !n.is_uppercase()) {
            break;
        }
        chars[i] = chars[i].to_ascii_lowercase();
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_follows_dotnet() {
        for (from, to) in [
            ("SLAId", "slaId"),
            ("IpAddress", "ipAddress"),
            ("Ccs", "ccs"),
            ("AccountName", "accountName"),
            ("DNSServers", "dnsServers"),
            ("Id", "id"),
        ] {
            assert_eq!(camel(from), to, "{from}");
        }
    }

    /// The data is whole: counts agree, lists name DTOs the file has, enums have values.
    #[test]
    fn schema_data_is_consistent() {
        for (name, d) in &SCHEMA.dtos {
            let described = d.members.iter().filter(|m| m.extra.is_none()).count();
            if let Some(n) = d.published_members {
                assert_eq!(described, n, "{name}");
            } else {
                assert!(d.based_on.is_some(), "{name}: no count and no base");
            }
            // `Dto::all` and the required list read one level of base.
            if let Some(b) = &d.based_on {
                assert!(
                    SCHEMA.dtos[b].based_on.is_none(),
                    "{name}: its base {b} has a base"
                );
            }
            for m in &d.members {
                match m.kind {
                    Kind::List => {
                        let of = m.of.as_deref().expect("element DTO");
                        assert!(SCHEMA.dtos.contains_key(of), "{name}.{}: {of}", m.name);
                    }
                    Kind::Enum => assert!(!m.values.is_empty(), "{name}.{}", m.name),
                    _ => {}
                }
            }
        }
    }
}
