//! Configurations.

use super::schema::{Label, Resource};

pub(super) static CONFIGURATIONS: Resource = Resource {
    table: "configurations",
    object: "configuration",
    type_name: "Configuration",
    parent: None,
    fill: None,
    unique: &[],
    label: Label::Name,
};
