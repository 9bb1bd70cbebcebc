//! Lookups other records reference: company types and statuses, contact and communication
//! types, configuration types and statuses, manufacturers, countries, boards, priorities.

use super::schema::{Label, RefSpec, Resource};

pub(super) const COUNTRY_REF: RefSpec = RefSpec {
    member: "country",
    table: "countries",
    href: "/company/countries/{id}",
    href_key: "country_href",
    label: Label::Name,
    type_name: "CountryReference",
};

macro_rules! lookup_resource {
    ($name:ident, $table:literal, $object:literal, $type_name:literal, $req:literal, [$($m:literal),*], $label:expr) => {
        pub(super) static $name: Resource = Resource {
            table: $table,
            object: $object,
            type_name: $type_name,
            required: &[$req],
            members: &[$req, $($m),*],
            refs: &[],
            ref_lists: &[],
            parent: None,
    fill: None,
            unique: &[$req],
            label: $label,
        };
    };
}
lookup_resource!(
    COMPANY_TYPES,
    "company_types",
    "companyType",
    "CompanyType",
    "name",
    ["defaultFlag", "vendorFlag", "serviceAlertFlag"],
    Label::Name
);
lookup_resource!(
    COMPANY_STATUSES,
    "company_statuses",
    "companyStatus",
    "CompanyStatus",
    "name",
    [
        "defaultFlag",
        "inactiveFlag",
        "notifyFlag",
        "disallowSavingFlag"
    ],
    Label::Name
);
lookup_resource!(
    CONTACT_TYPES,
    "contact_types",
    "contactType",
    "ContactType",
    "description",
    ["defaultFlag"],
    Label::Description
);
lookup_resource!(
    COMMUNICATION_TYPES,
    "communication_types",
    "communicationType",
    "CommunicationType",
    "description",
    ["phoneFlag", "faxFlag", "emailFlag", "defaultFlag"],
    Label::Description
);
lookup_resource!(
    CONFIGURATION_TYPES,
    "configuration_types",
    "configurationType",
    "ConfigurationType",
    "name",
    ["inactiveFlag", "systemFlag"],
    Label::Name
);
lookup_resource!(
    CONFIGURATION_STATUSES,
    "configuration_statuses",
    "configurationStatus",
    "ConfigurationStatus",
    "description",
    ["closedFlag", "defaultFlag"],
    Label::Description
);
lookup_resource!(
    MANUFACTURERS,
    "manufacturers",
    "manufacturer",
    "Manufacturer",
    "name",
    ["inactiveFlag"],
    Label::Name
);
lookup_resource!(
    COUNTRIES,
    "countries",
    "country",
    "Country",
    "name",
    ["identifier"],
    Label::Name
);

lookup_resource!(
    BOARDS,
    "boards",
    "board",
    "Board",
    "name",
    ["inactiveFlag", "projectFlag"],
    Label::Name
);
lookup_resource!(
    PRIORITIES,
    "priorities",
    "priority",
    "Priority",
    "name",
    ["color", "sortOrder", "defaultFlag"],
    Label::Name
);

pub(super) const BOARD_REF: RefSpec = RefSpec {
    member: "board",
    table: "boards",
    href: "/service/boards/{id}",
    href_key: "board_href",
    label: Label::Name,
    type_name: "BoardReference",
};
