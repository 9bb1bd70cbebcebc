//! The entity models: tables, fields and their types, and which routes each entity has.

pub(super) const COMPANIES: &str = "companies";
pub(super) const LOCATIONS: &str = "company_locations";
pub(super) const CONTACTS: &str = "contacts";
pub(super) const CIS: &str = "configuration_items";
pub(super) const PRODUCTS: &str = "products";
pub(super) const RESOURCES: &str = "resources";
pub(super) const COUNTRIES: &str = "countries";
pub(super) const BILLING_CODES: &str = "billing_codes";
pub(super) const COMPANY_TYPES: &str = "company_types";
pub(super) const CI_TYPES: &str = "configuration_item_types";
pub(super) const NAME_SUFFIXES: &str = "name_suffixes";
pub(super) const LICENSE_TYPES: &str = "license_types";
pub(super) const TICKETS: &str = "tickets";
pub(super) const TICKET_STATUSES: &str = "ticket_statuses";
pub(super) const TICKET_PRIORITIES: &str = "ticket_priorities";
pub(super) const TICKET_QUEUES: &str = "ticket_queues";

/// The tenant's own company (apigrate's tests read `Companies/0`).
pub(super) const OWN_COMPANY_ID: i64 = 0;
/// The normal resource that owns companies by default.
pub(super) const ADMIN_RESOURCE_ID: i64 = 29682885;
/// The integration's API-only user; records created over the API are attributed to it.
pub(super) const API_RESOURCE_ID: i64 = 29682886;
/// `licenseType` picklist value marking an API-only resource (our choice, see module docs).
pub(super) const API_ONLY_LICENSE: i64 = 7;
/// The seeded allocation (billing) code products use.
pub(super) const HARDWARE_BILLING_CODE: i64 = 29682833;
pub(super) const MAX_PAGE: usize = 500;

// ---------------------------------------------------------------------------------------------
// Entity models as data.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Str(u32),
    Int,
    Long,
    Short,
    Bool,
    Date,
    Double,
}

impl Ty {
    pub(super) fn data_type(self) -> &'static str {
        match self {
            Ty::Str(_) => "string",
            Ty::Int => "integer",
            Ty::Long => "long",
            Ty::Short => "short",
            Ty::Bool => "boolean",
            Ty::Date => "datetime",
            Ty::Double => "double",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) ty: Ty,
    pub(super) required: bool,
    pub(super) read_only: bool,
    /// Picklist table holding the allowed values.
    pub(super) pick: Option<&'static str>,
    /// Referenced entity type (Autotask's name) and its table.
    pub(super) refers: Option<(&'static str, &'static str)>,
}

pub(super) const fn f(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        read_only: false,
        pick: None,
        refers: None,
    }
}

pub(super) const fn s(name: &'static str, len: u32) -> Field {
    f(name, Ty::Str(len))
}

impl Field {
    pub(super) const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    pub(super) const fn ro(mut self) -> Self {
        self.read_only = true;
        self
    }
    pub(super) const fn pick(mut self, table: &'static str) -> Self {
        self.pick = Some(table);
        self
    }
    pub(super) const fn refs(mut self, entity: &'static str, table: &'static str) -> Self {
        self.refers = Some((entity, table));
        self
    }
}

pub(super) const ID: Field = f("id", Ty::Long).ro();

pub(super) const COMPANY_FIELDS: &[Field] = &[
    ID,
    s("additionalAddressInformation", 100),
    s("address1", 150),
    s("address2", 150),
    s("alternatePhone1", 25),
    s("alternatePhone2", 25),
    f("apiVendorID", Ty::Int).ro(),
    f("assetValue", Ty::Double),
    f("billToCompanyLocationID", Ty::Int),
    s("billToAdditionalAddressInformation", 100),
    s("billingAddress1", 150),
    s("billingAddress2", 150),
    f("billToAddressToUse", Ty::Int),
    s("billToAttention", 50),
    s("billToCity", 50),
    f("billToCountryID", Ty::Int).refs("Country", COUNTRIES),
    s("billToState", 25),
    s("billToZipCode", 10),
    s("city", 50),
    f("classification", Ty::Int),
    f("companyCategoryID", Ty::Int),
    s("companyName", 100).req(),
    s("companyNumber", 50),
    f("companyType", Ty::Short).req().pick(COMPANY_TYPES),
    f("competitorID", Ty::Int),
    f("countryID", Ty::Int).refs("Country", COUNTRIES),
    f("createDate", Ty::Date).ro(),
    f("createdByResourceID", Ty::Int)
        .ro()
        .refs("Resource", RESOURCES),
    f("currencyID", Ty::Int),
    s("fax", 25),
    f("impersonatorCreatorResourceID", Ty::Int).ro(),
    f("invoiceEmailMessageID", Ty::Int),
    f("invoiceMethod", Ty::Int),
    f("invoiceNonContractItemsToParentCompany", Ty::Bool),
    f("invoiceTemplateID", Ty::Int),
    f("isActive", Ty::Bool),
    f("isClientPortalActive", Ty::Bool).ro(),
    f("isEnabledForComanaged", Ty::Bool),
    f("isSample", Ty::Bool).ro(),
    f("isTaskFireActive", Ty::Bool).ro(),
    f("isTaxExempt", Ty::Bool),
    f("lastActivityDate", Ty::Date).ro(),
    f("lastTrackedModifiedDateTime", Ty::Date).ro(),
    f("marketSegmentID", Ty::Int),
    f("ownerResourceID", Ty::Int)
        .req()
        .refs("Resource", RESOURCES),
    f("parentCompanyID", Ty::Int).refs("Company", COMPANIES),
    s("phone", 25).req(),
    s("postalCode", 10),
    f("purchaseOrderTemplateID", Ty::Int),
    f("quoteEmailMessageID", Ty::Int),
    f("quoteTemplateID", Ty::Int),
    s("sicCode", 32),
    s("state", 25),
    s("stockMarket", 10),
    s("stockSymbol", 10),
    f("surveyCompanyRating", Ty::Double).ro(),
    s("taxID", 50),
    f("taxRegionID", Ty::Int),
    f("territoryID", Ty::Int),
    s("webAddress", 255),
];

pub(super) const CONTACT_FIELDS: &[Field] = &[
    ID,
    s("additionalAddressInformation", 100),
    s("addressLine", 128),
    s("addressLine1", 128),
    s("alternatePhone", 32),
    f("apiVendorID", Ty::Int).ro(),
    f("bulkEmailOptOutTime", Ty::Date).ro(),
    s("city", 32),
    f("companyID", Ty::Int).req().refs("Company", COMPANIES),
    f("companyLocationID", Ty::Int).refs("CompanyLocation", LOCATIONS),
    f("countryID", Ty::Int).refs("Country", COUNTRIES),
    f("createDate", Ty::Date).ro(),
    s("emailAddress", 254),
    s("emailAddress2", 254),
    s("emailAddress3", 254),
    s("extension", 10),
    s("externalID", 50),
    s("facebookUrl", 200),
    s("faxNumber", 25),
    s("firstName", 50).req(),
    f("impersonatorCreatorResourceID", Ty::Int).ro(),
    f("isActive", Ty::Int).req(),
    f("isOptedOutFromBulkEmail", Ty::Bool),
    f("lastActivityDate", Ty::Date).ro(),
    f("lastModifiedDate", Ty::Date).ro(),
    s("lastName", 50).req(),
    s("linkedInUrl", 200),
    s("middleInitial", 50),
    s("mobilePhone", 25),
    f("namePrefix", Ty::Int),
    f("nameSuffix", Ty::Int).pick(NAME_SUFFIXES),
    s("note", 2000),
    f("receivesEmailNotifications", Ty::Bool),
    s("phone", 25),
    f("primaryContact", Ty::Bool),
    f("billingContact", Ty::Bool),
    s("roomNumber", 50),
    f("solicitationOptOut", Ty::Bool),
    f("solicitationOptOutTime", Ty::Date).ro(),
    s("state", 40),
    f("surveyOptOut", Ty::Bool),
    s("title", 50),
    s("twitterUrl", 200),
    s("zipCode", 16),
];

pub(super) const CI_FIELDS: &[Field] = &[
    ID,
    f("apiVendorID", Ty::Int).ro(),
    f("configurationItemCategoryID", Ty::Int),
    f("companyID", Ty::Int).req().refs("Company", COMPANIES),
    f("companyLocationID", Ty::Int).refs("CompanyLocation", LOCATIONS),
    f("configurationItemType", Ty::Int).pick(CI_TYPES),
    f("contactID", Ty::Int).refs("Contact", CONTACTS),
    f("contractID", Ty::Int),
    f("contractServiceBundleID", Ty::Int),
    f("contractServiceID", Ty::Int),
    f("createDate", Ty::Date).ro(),
    f("createdByPersonID", Ty::Int).ro(),
    f("dailyCost", Ty::Double),
    s("domain", 250),
    f("hourlyCost", Ty::Double),
    f("installDate", Ty::Date),
    f("installedByContactID", Ty::Int),
    f("installedByID", Ty::Int),
    f("isActive", Ty::Bool).req(),
    f("lastActivityPersonID", Ty::Int).ro(),
    f("lastActivityPersonType", Ty::Int).ro(),
    f("lastModifiedTime", Ty::Date).ro(),
    s("location", 100),
    f("monthlyCost", Ty::Double),
    s("notes", 5000),
    f("numberOfUsers", Ty::Double),
    f("parentConfigurationItemID", Ty::Int),
    f("perUseCost", Ty::Double),
    f("productID", Ty::Int).req().refs("Product", PRODUCTS),
    s("referenceNumber", 50),
    s("referenceTitle", 200),
    s("serialNumber", 100),
    f("serviceBundleID", Ty::Int),
    f("serviceID", Ty::Int),
    f("serviceLevelAgreementID", Ty::Int),
    f("setupFee", Ty::Double),
    f("vendorID", Ty::Int).refs("Company", COMPANIES),
    f("warrantyExpirationDate", Ty::Date),
];

pub(super) const LOCATION_FIELDS: &[Field] = &[
    ID,
    s("address1", 100),
    s("address2", 100),
    s("alternatePhone1", 25),
    s("alternatePhone2", 25),
    s("city", 50),
    f("companyID", Ty::Int).req().refs("Company", COMPANIES),
    f("countryID", Ty::Int).refs("Country", COUNTRIES),
    s("description", 500),
    s("fax", 25),
    f("isActive", Ty::Bool),
    f("isPrimary", Ty::Bool),
    f("isTaxExempt", Ty::Bool),
    f("overrideCompanyTaxSettings", Ty::Bool),
    s("name", 100).req(),
    s("phone", 25),
    s("postalCode", 20),
    f("roundtripDistance", Ty::Double),
    s("state", 25),
    f("taxRegionID", Ty::Int),
];

pub(super) const PRODUCT_FIELDS: &[Field] = &[
    ID,
    f("billingType", Ty::Int),
    f("chargeBillingCodeID", Ty::Int),
    f("createdByResourceID", Ty::Int).ro(),
    f("createdTime", Ty::Date).ro(),
    f("defaultInstalledProductCategoryID", Ty::Int),
    f("defaultVendorID", Ty::Int),
    s("description", 2000),
    f("doesNotRequireProcurement", Ty::Bool),
    s("externalProductID", 50),
    s("internalProductID", 100),
    f("isActive", Ty::Bool).req(),
    f("isEligibleForRma", Ty::Bool),
    f("isSerialized", Ty::Bool).req(),
    s("link", 500),
    s("manufacturerName", 100),
    s("manufacturerProductName", 100),
    f("markupRate", Ty::Double),
    f("msrp", Ty::Double),
    s("name", 100).req(),
    f("periodType", Ty::Int),
    f("priceCostMethod", Ty::Int),
    f("productBillingCodeID", Ty::Int)
        .req()
        .refs("BillingCode", BILLING_CODES),
    f("productCategory", Ty::Int),
    s("sku", 50),
    f("unitCost", Ty::Double),
    f("unitPrice", Ty::Double),
    s("vendorProductNumber", 50),
];

pub(super) const RESOURCE_FIELDS: &[Field] = &[
    ID,
    s("email", 254).ro(),
    s("firstName", 50).ro(),
    s("lastName", 50).ro(),
    f("isActive", Ty::Bool).ro(),
    f("licenseType", Ty::Int).ro().pick(LICENSE_TYPES),
    s("title", 50).ro(),
    s("userName", 50).ro(),
];

pub(super) const COUNTRY_FIELDS: &[Field] = &[
    ID,
    s("countryCode", 2).ro(),
    s("displayName", 100).ro(),
    f("isActive", Ty::Bool).ro(),
    f("isDefaultCountry", Ty::Bool).ro(),
    s("name", 100).ro(),
];

pub(super) const BILLING_CODE_FIELDS: &[Field] = &[
    ID,
    f("billingCodeType", Ty::Int).ro(),
    s("description", 500).ro(),
    f("isActive", Ty::Bool).ro(),
    s("name", 200).ro(),
    f("useType", Ty::Int).ro(),
];

pub(super) const TICKET_FIELDS: &[Field] = &[
    ID,
    f("apiVendorID", Ty::Int).ro(),
    f("companyID", Ty::Int).req().refs("Company", COMPANIES),
    f("companyLocationID", Ty::Int).refs("CompanyLocation", LOCATIONS),
    f("completedDate", Ty::Date).ro(),
    f("configurationItemID", Ty::Int).refs("ConfigurationItem", CIS),
    f("contactID", Ty::Int).refs("Contact", CONTACTS),
    f("createDate", Ty::Date).ro(),
    f("creatorResourceID", Ty::Int).ro(),
    s("description", 8000),
    f("dueDateTime", Ty::Date),
    f("impersonatorCreatorResourceID", Ty::Int).ro(),
    f("lastActivityDate", Ty::Date).ro(),
    f("priority", Ty::Int).req().pick(TICKET_PRIORITIES),
    f("queueID", Ty::Int).pick(TICKET_QUEUES),
    f("status", Ty::Int).req().pick(TICKET_STATUSES),
    s("ticketNumber", 50).ro(),
    s("title", 255).req(),
];

#[derive(Debug)]
pub(super) struct Entity {
    /// URL name, e.g. `Companies`.
    pub(super) name: &'static str,
    /// Singular model name used in messages and entityInformation.
    pub(super) model: &'static str,
    pub(super) table: &'static str,
    pub(super) fields: &'static [Field],
    /// Top-level `POST /{Entity}` and `PATCH|PUT /{Entity}`.
    pub(super) writable: bool,
    /// Segment under `Companies/{id}/` for child writes (Contacts, Locations).
    pub(super) child: Option<&'static str>,
    pub(super) udf: bool,
}

pub(super) const COMPANY: Entity = Entity {
    name: "Companies",
    model: "Company",
    table: COMPANIES,
    fields: COMPANY_FIELDS,
    writable: true,
    child: None,
    udf: true,
};
pub(super) const CONTACT: Entity = Entity {
    name: "Contacts",
    model: "Contact",
    table: CONTACTS,
    fields: CONTACT_FIELDS,
    writable: false,
    child: Some("contacts"),
    udf: true,
};
pub(super) const LOCATION: Entity = Entity {
    name: "CompanyLocations",
    model: "CompanyLocation",
    table: LOCATIONS,
    fields: LOCATION_FIELDS,
    writable: false,
    child: Some("locations"),
    udf: false,
};
pub(super) const CI: Entity = Entity {
    name: "ConfigurationItems",
    model: "ConfigurationItem",
    table: CIS,
    fields: CI_FIELDS,
    writable: true,
    child: None,
    udf: true,
};
pub(super) const PRODUCT: Entity = Entity {
    name: "Products",
    model: "Product",
    table: PRODUCTS,
    fields: PRODUCT_FIELDS,
    writable: true,
    child: None,
    udf: true,
};
pub(super) const RESOURCE: Entity = Entity {
    name: "Resources",
    model: "Resource",
    table: RESOURCES,
    fields: RESOURCE_FIELDS,
    writable: false,
    child: None,
    udf: true,
};
pub(super) const COUNTRY: Entity = Entity {
    name: "Countries",
    model: "Country",
    table: COUNTRIES,
    fields: COUNTRY_FIELDS,
    writable: false,
    child: None,
    udf: false,
};
pub(super) const BILLING_CODE: Entity = Entity {
    name: "BillingCodes",
    model: "BillingCode",
    table: BILLING_CODES,
    fields: BILLING_CODE_FIELDS,
    writable: false,
    child: None,
    udf: false,
};

/// Tickets are created and updated at the top level and, like every top-level entity here,
/// never deleted over the API.
pub(super) const TICKET: Entity = Entity {
    name: "Tickets",
    model: "Ticket",
    table: TICKETS,
    fields: TICKET_FIELDS,
    writable: true,
    child: None,
    udf: true,
};

pub(super) const ENTITIES: &[&Entity] = &[
    &COMPANY,
    &CONTACT,
    &LOCATION,
    &CI,
    &PRODUCT,
    &RESOURCE,
    &COUNTRY,
    &BILLING_CODE,
    &TICKET,
];

pub(super) fn entity_by_segment(seg: &str) -> Option<&'static Entity> {
    ENTITIES
        .iter()
        .copied()
        .find(|e| e.name.eq_ignore_ascii_case(seg))
}

impl Entity {
    pub(super) fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
    pub(super) fn can_delete(&self) -> bool {
        self.child.is_some()
    }
    pub(super) fn can_write(&self) -> bool {
        self.writable || self.child.is_some()
    }
    pub(super) fn unknown_field(&self, name: &str) -> String {
        format!("Unable to find {name} in the {} Entity", self.model)
    }
}
