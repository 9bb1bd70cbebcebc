//! Lookups other records reference: company types and statuses, contact and communication
//! types, configuration types and statuses, manufacturers, countries, boards, priorities.

use super::schema::{Label, Resource};

macro_rules! lookup_resource {
    ($name:ident, $table:literal, $object:literal, $type_name:literal, $unique:literal, $label:expr) => {
        pub(super) static $name: Resource = Resource {
            table: $table,
            object: $object,
            type_name: $type_name,
            parent: None,
            fill: None,
            unique: &[$unique],
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
    Label::Name
);
lookup_resource!(
    COMPANY_STATUSES,
    "company_statuses",
    "companyStatus",
    "CompanyStatus",
    "name",
    Label::Name
);
lookup_resource!(
    CONTACT_TYPES,
    "contact_types",
    "contactType",
    "ContactType",
    "description",
    Label::Description
);
lookup_resource!(
    COMMUNICATION_TYPES,
    "communication_types",
    "communicationType",
    "CommunicationType",
    "description",
    Label::Description
);
lookup_resource!(
    CONFIGURATION_TYPES,
    "configuration_types",
    "configurationType",
    "ConfigurationType",
    "name",
    Label::Name
);
lookup_resource!(
    CONFIGURATION_STATUSES,
    "configuration_statuses",
    "configurationStatus",
    "ConfigurationStatus",
    "description",
    Label::Description
);
lookup_resource!(
    MANUFACTURERS,
    "manufacturers",
    "manufacturer",
    "Manufacturer",
    "name",
    Label::Name
);
lookup_resource!(
    COUNTRIES,
    "countries",
    "country",
    "Country",
    "name",
    Label::Name
);

lookup_resource!(BOARDS, "boards", "board", "Board", "name", Label::Name);
lookup_resource!(
    PRIORITIES,
    "priorities",
    "priority",
    "Priority",
    "name",
    Label::Name
);
