//! The tenant every Autotask mock starts with: picklists, resources, countries, the own company.

use super::super::*;
use super::schema::*;
use super::values::*;
use serde_json::json;

pub(super) fn seed(world: &mut World) {
    let now = world.clock.rfc3339();
    let store = &mut world.store;
    store.set_first_id(COMPANIES, OWN_COMPANY_ID);
    store.set_first_id(LOCATIONS, 20001);
    store.set_first_id(CONTACTS, 30001);
    store.set_first_id(CIS, 40001);
    store.set_first_id(PRODUCTS, 50001);
    store.set_first_id(TICKETS, 7001);
    super::udf::seed(store);
    // Commonly seen default values; the real list differs per instance.
    seed_picklist(
        store,
        COMPANY_TYPES,
        &[
            (1, "Customer"),
            (2, "Lead"),
            (3, "Prospect"),
            (4, "Dead"),
            (6, "Cancellation"),
            (7, "Vendor"),
            (8, "Partner"),
        ],
    );
    seed_picklist(
        store,
        CI_TYPES,
        &[
            (1, "Server"),
            (2, "Workstation"),
            (3, "Printer"),
            (4, "Network Device"),
            (5, "Laptop"),
            (6, "Mobile Device"),
        ],
    );
    seed_picklist(
        store,
        NAME_SUFFIXES,
        &[
            (1, "Jr."),
            (2, "Sr."),
            (3, "II"),
            (4, "III"),
            (5, "IV"),
            (6, "PhD"),
            (7, "MD"),
        ],
    );
    // Autotask's system ticket statuses and priorities; queues are the instance's own (our
    // names match the other PSAs' boards and queues, so one neutral case reads alike).
    seed_picklist(
        store,
        TICKET_STATUSES,
        &[
            (1, "New"),
            (5, "Complete"),
            (7, "Waiting Customer"),
            (8, "In Progress"),
        ],
    );
    seed_picklist(
        store,
        TICKET_PRIORITIES,
        &[(2, "Medium"), (1, "High"), (3, "Low"), (4, "Critical")],
    );
    seed_picklist(
        store,
        TICKET_QUEUES,
        &[(29683481, "Service Desk"), (29683482, "Projects")],
    );
    seed_picklist(
        store,
        LICENSE_TYPES,
        &[
            (1, "Full"),
            (2, "Time and Expense"),
            (API_ONLY_LICENSE, "API User"),
        ],
    );
    store.insert(
        RESOURCES,
        row(
            json!({"id": ADMIN_RESOURCE_ID, "firstName": "Alex", "lastName": "Admin",
                   "userName": "alex", "email": "alex@acme-msp.example", "isActive": true,
                   "licenseType": 1, "title": "Service Manager"}),
        ),
    );
    store.insert(
        RESOURCES,
        row(
            json!({"id": API_RESOURCE_ID, "firstName": "API", "lastName": "User",
                   "userName": "api@example.com", "email": "api@example.com", "isActive": true,
                   "licenseType": API_ONLY_LICENSE}),
        ),
    );
    for (id, code, name) in [
        (237, "US", "United States"),
        (39, "CA", "Canada"),
        (236, "GB", "United Kingdom"),
    ] {
        store.insert(
            COUNTRIES,
            row(
                json!({"id": id, "countryCode": code, "displayName": name, "name": name,
                       "isActive": true, "isDefaultCountry": id == 237}),
            ),
        );
    }
    store.insert(
        BILLING_CODES,
        row(
            json!({"id": HARDWARE_BILLING_CODE, "name": "Hardware", "description": "Hardware sales",
                   "billingCodeType": 2, "useType": 4, "isActive": true}),
        ),
    );
    // Table::insert never honours id 0, so the own company takes the table's first id (0)
    // and a placeholder at 1000 moves the sequence on so new companies start at 1001.
    store.insert(
        COMPANIES,
        row(
            json!({"companyName": "Acme MSP (owner)", "companyType": 8, "isActive": true,
                   "ownerResourceID": ADMIN_RESOURCE_ID, "phone": "", "createDate": now,
                   "lastActivityDate": now, "lastTrackedModifiedDateTime": now}),
        ),
    );
    store.insert(COMPANIES, row(json!({"id": 1000})));
    store.table_mut(COMPANIES).remove(1000);
    store.insert(
        LOCATIONS,
        row(
            json!({"companyID": OWN_COMPANY_ID, "name": "Acme MSP (owner) - Main",
                   "isActive": true, "isPrimary": true}),
        ),
    );
    for (name, man, model) in [
        ("Dell OptiPlex 7090", Some("Dell"), Some("OptiPlex 7090")),
        (
            "HP LaserJet Pro M404",
            Some("HP"),
            Some("LaserJet Pro M404"),
        ),
        ("Generic Device", None, None),
    ] {
        let mut rec = row(json!({"name": name, "isActive": true, "isSerialized": true,
                                 "productBillingCodeID": HARDWARE_BILLING_CODE,
                                 "createdTime": now}));
        put(&mut rec, "manufacturerName", man.map(Value::from));
        put(&mut rec, "manufacturerProductName", model.map(Value::from));
        store.insert(PRODUCTS, rec);
    }
}

pub(super) fn seed_picklist(store: &mut Store, table: &str, values: &[(i64, &str)]) {
    for (i, (id, label)) in values.iter().enumerate() {
        store.insert(
            table,
            row(json!({"id": id, "label": label, "isActive": true,
                       "isDefaultValue": i == 0, "sortOrder": i + 1})),
        );
    }
}
