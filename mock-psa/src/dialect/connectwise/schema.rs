//! What a ConnectWise resource is: its members, references, parent, defaults and label.

use super::*;

/// How a reference's target is labelled when rendered.
#[derive(Clone, Copy)]
pub(super) enum Label {
    Name,
    /// Companies: `identifier` and `name`.
    IdentifierName,
    /// Configuration statuses and communication types store `description`, render `name`.
    Description,
}

pub(super) struct RefSpec {
    pub(super) member: &'static str,
    pub(super) table: &'static str,
    /// Path under the API base; `{id}` is the target id, `{member}` (`{company}`, `{board}`)
    /// the id its record holds in that reference member.
    pub(super) href: &'static str,
    pub(super) href_key: &'static str,
    pub(super) label: Label,
    /// Reference type name for conversion errors.
    pub(super) type_name: &'static str,
}

pub(super) type Fill = fn(&Store, &mut Record) -> Result<(), (&'static str, String)>;

pub(super) struct Resource {
    pub(super) table: &'static str,
    /// `company` in "company object is invalid".
    pub(super) object: &'static str,
    /// `Company` in "Could not find member 'x' on object of type 'Company'".
    pub(super) type_name: &'static str,
    pub(super) required: &'static [&'static str],
    pub(super) members: &'static [&'static str],
    pub(super) refs: &'static [RefSpec],
    /// Members holding arrays of references (company `types`, contact `types`).
    pub(super) ref_lists: &'static [RefSpec],
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
