//! What a ConnectWise resource is. Members, their types, limits and reference targets are data
//! (`schema.json`, taken from the published API description; its header names the source);
//! this module reads it once and gives the engine typed access. The Rust side keeps only what
//! the description cannot say: the table, the error wording, the parent route, the
//! resource-specific fill, uniqueness and the label.

use super::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// How a reference's target is labelled when rendered.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum Label {
    Name,
    /// Companies: `identifier` and `name`.
    IdentifierName,
    /// Configuration statuses and communication types store `description`, render `name`.
    Description,
}

/// A reference type the mock resolves against one of its tables.
#[derive(Debug, Deserialize)]
pub(super) struct RefSpec {
    pub(super) table: String,
    /// Path under the API base; `{id}` is the target id, `{member}` (`{company}`, `{board}`)
    /// the id its record holds in that reference member.
    pub(super) href: String,
    pub(super) href_key: String,
    pub(super) label: Label,
}

/// A member's wire type, as the description gives it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Datetime,
    Date,
    Uuid,
    /// A string, boolean or number (custom field values, question answers).
    Scalar,
    /// `_info`: server-set links and stamps.
    Info,
    Enum,
    StringList,
    IntegerList,
    CustomFields,
    Reference,
    ReferenceList,
    /// An array of nested objects of type `of`.
    ObjectList,
}

#[derive(Debug, Deserialize)]
pub(super) struct Member {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) kind: Kind,
    /// Reference type (`CompanyReference`) for references and reference lists.
    #[serde(rename = "ref", default)]
    pub(super) reference: Option<String>,
    /// Element type of an object list.
    #[serde(default)]
    pub(super) of: Option<String>,
    #[serde(default)]
    pub(super) values: Vec<String>,
    #[serde(default)]
    pub(super) max_length: Option<usize>,
    #[serde(default)]
    pub(super) required: bool,
    #[serde(default)]
    pub(super) read_only: bool,
    /// What the server sets on create when the member is not given.
    #[serde(default)]
    pub(super) default: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TypeSchema {
    /// The model's name in the source (differs where a generator renamed it).
    #[allow(dead_code)] // read by the tests and kept for whoever reads the data
    pub(super) model: String,
    /// The member count of the published description, recorded with the data.
    #[allow(dead_code)] // checked by the tests
    pub(super) published_members: usize,
    pub(super) members: Vec<Member>,
    /// The references the mock resolves, by stored member name (worked out on first use).
    #[serde(skip)]
    resolved: std::sync::OnceLock<BTreeMap<String, (Kind, &'static RefSpec)>>,
}

impl TypeSchema {
    /// The reference (or reference list) member `name` when the mock resolves its target.
    pub(super) fn resolved_ref(&'static self, name: &str) -> Option<(Kind, &'static RefSpec)> {
        let refs = self.resolved.get_or_init(|| {
            self.members
                .iter()
                .filter(|m| matches!(m.kind, Kind::Reference | Kind::ReferenceList))
                .filter_map(|m| {
                    let spec = ref_spec(m.reference.as_deref()?)?;
                    Some((m.name.clone(), (m.kind, spec)))
                })
                .collect()
        });
        refs.get(name).copied()
    }

    /// The member `given` names; Json.NET matches member names ignoring case.
    pub(super) fn member(&self, given: &str) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(given))
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SchemaFile {
    #[allow(dead_code)]
    pub(super) source: String,
    #[allow(dead_code)]
    pub(super) version: String,
    pub(super) references: BTreeMap<String, RefSpec>,
    pub(super) resources: BTreeMap<String, TypeSchema>,
}

static SCHEMA: LazyLock<SchemaFile> = LazyLock::new(|| {
    serde_json::from_str(include_str!("schema.json")).expect("connectwise/schema.json is valid")
});

/// The schema of a type named in the data (`Company`, `ContactCommunicationItem`).
pub(super) fn type_schema(name: &str) -> &'static TypeSchema {
    SCHEMA
        .resources
        .get(name)
        .unwrap_or_else(|| panic!("connectwise/schema.json has no type {name}"))
}

/// The table and rendering rule of a reference type the mock resolves, if it does.
pub(super) fn ref_spec(reference: &str) -> Option<&'static RefSpec> {
    SCHEMA.references.get(reference)
}

pub(super) type Fill = fn(&Store, &mut Record) -> Result<(), (&'static str, String)>;

pub(super) struct Resource {
    pub(super) table: &'static str,
    /// `company` in "company object is invalid".
    pub(super) object: &'static str,
    /// `Company` in "Could not find member 'x' on object of type 'Company'"; also the type's
    /// name in `schema.json`.
    pub(super) type_name: &'static str,
    /// For children under a parent (sites under a company, statuses under a board): the
    /// member that points at the parent, and the parent's resource.
    pub(super) parent: Option<(&'static str, &'static Resource)>,
    /// Resource-specific defaults and cross-checks, run on every write before it is stored;
    /// an error names the field.
    pub(super) fill: Option<Fill>,
    /// Members that must be unique across the table.
    pub(super) unique: &'static [&'static str],
    /// Member used as the record's label in reference renderings.
    pub(super) label: Label,
}

impl Resource {
    pub(super) fn schema(&self) -> &'static TypeSchema {
        type_schema(self.type_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data is whole: every nested type and every member's kind has what it needs.
    #[test]
    fn schema_data_is_consistent() {
        for (name, t) in &SCHEMA.resources {
            assert_eq!(t.members.len(), t.published_members, "{name}");
            for m in &t.members {
                match m.kind {
                    Kind::Reference | Kind::ReferenceList => {
                        assert!(m.reference.is_some(), "{name}.{}", m.name)
                    }
                    Kind::ObjectList => {
                        let of = m.of.as_deref().expect("object list element type");
                        assert!(SCHEMA.resources.contains_key(of), "{name}.{}: {of}", m.name);
                    }
                    Kind::Enum => assert!(!m.values.is_empty(), "{name}.{}", m.name),
                    _ => {}
                }
            }
        }
    }
}
