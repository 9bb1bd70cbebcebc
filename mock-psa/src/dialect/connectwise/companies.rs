//! Companies and their sites.

use super::lookups::COUNTRY_REF;
use super::schema::{Label, RefSpec, Resource};
use super::wire::stamp;
use super::*;

pub(super) const COMPANY_REF: RefSpec = RefSpec {
    member: "company",
    table: "companies",
    href: "/company/companies/{id}",
    href_key: "company_href",
    label: Label::IdentifierName,
    type_name: "CompanyReference",
};
pub(super) const SITE_REF: RefSpec = RefSpec {
    member: "site",
    table: "company_sites",
    href: "/company/companies/{company}/sites/{id}",
    href_key: "site_href",
    label: Label::Name,
    type_name: "SiteReference",
};

pub(super) static COMPANIES: Resource = Resource {
    table: "companies",
    object: "company",
    type_name: "Company",
    required: &["identifier", "name"],
    members: &[
        "identifier",
        "name",
        "status",
        "types",
        "addressLine1",
        "addressLine2",
        "city",
        "state",
        "zip",
        "country",
        "phoneNumber",
        "faxNumber",
        "website",
        "parentCompany",
        "site",
        "accountNumber",
        "dateAcquired",
        "deletedFlag",
        "leadFlag",
        "unsubscribeFlag",
        "userDefinedField1",
        "numberOfEmployees",
        "annualRevenue",
        "customFields",
    ],
    refs: &[
        RefSpec {
            member: "status",
            table: "company_statuses",
            href: "/company/companies/statuses/{id}",
            href_key: "status_href",
            label: Label::Name,
            type_name: "CompanyStatusReference",
        },
        RefSpec {
            member: "parentCompany",
            ..COMPANY_REF
        },
        RefSpec {
            member: "site",
            table: "company_sites",
            href: "/company/companies/{company}/sites/{id}",
            href_key: "site_href",
            label: Label::Name,
            type_name: "SiteReference",
        },
        COUNTRY_REF,
    ],
    ref_lists: &[RefSpec {
        member: "types",
        table: "company_types",
        href: "/company/companies/types/{id}",
        href_key: "type_href",
        label: Label::Name,
        type_name: "CompanyTypeReference",
    }],
    parent: None,
    fill: None,
    unique: &["identifier"],
    label: Label::IdentifierName,
};

pub(super) static SITES: Resource = Resource {
    table: "company_sites",
    object: "site",
    type_name: "CompanySite",
    required: &["name"],
    members: &[
        "name",
        "addressLine1",
        "addressLine2",
        "city",
        "stateReference",
        "zip",
        "country",
        "phoneNumber",
        "faxNumber",
        "primaryAddressFlag",
        "defaultShippingFlag",
        "defaultBillingFlag",
        "defaultMailingFlag",
        "inactiveFlag",
        "company",
    ],
    refs: &[COUNTRY_REF, COMPANY_REF],
    ref_lists: &[],
    parent: Some(("company", &COMPANIES)),
    fill: None,
    unique: &[],
    label: Label::Name,
};

pub(super) fn insert_site(world: &mut World, company: i64, name: String, primary: bool) -> i64 {
    let now = world.clock.rfc3339();
    let mut site = Record::new();
    site.insert("name".into(), json!(name));
    site.insert("company".into(), json!({ "id": company }));
    site.insert("primaryAddressFlag".into(), json!(primary));
    stamp(&mut site, &now, None);
    world.store.insert("company_sites", site)
}
