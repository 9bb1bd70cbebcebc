//! Autotask REST V1.0 client: zone lookup, header credentials, JSON filter queries followed
//! through `nextPageUrl`, child write routes under `Companies/{id}`, and 500 business errors.
//!
//! Choices: the own company (id 0) is never listed; picklists come from
//! `entityInformation/fields`; a resource whose `licenseType` label mentions "API" is API-only
//! and is never picked as an account manager; configurations point at a product found (or
//! created) by manufacturer and model, using the first active billing code.

use super::{create_record, objects, reject, write_checked, Http, RawKind, RawListing, Reply};
use crate::psa::*;
use async_trait::async_trait;
use psa_core::Personality;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const ORG_MAP: &[FieldMap] = &[
    FieldMap::both("name", "companyName", Codec::Text),
    FieldMap::both("short_name", "companyNumber", Codec::Text),
    FieldMap::both("type", "companyType", Codec::LookupId("company_types")),
    FieldMap::both("status", "isActive", Codec::ActiveFlag),
    FieldMap::both("parent", "parentCompanyID", Codec::IdRef),
];

const LOCATION_MAP: &[FieldMap] = &[
    FieldMap::pull_only("org", "companyID", Codec::IdRef),
    FieldMap::both("name", "name", Codec::Text),
    FieldMap::both("address1", "address1", Codec::Text),
    FieldMap::both("address2", "address2", Codec::Text),
    FieldMap::both("city", "city", Codec::Text),
    FieldMap::both("state", "state", Codec::Text),
    FieldMap::both("zip", "postalCode", Codec::Text),
    FieldMap::both("country", "countryID", Codec::LookupId("countries")),
    FieldMap::both("phone", "phone", Codec::Text),
    FieldMap::both("fax", "fax", Codec::Text),
    FieldMap::both("primary", "isPrimary", Codec::Bool),
];

/// E-mail and phone are handled in code: they are sent only when a type is configured (R17).
const CONTACT_MAP: &[FieldMap] = &[
    FieldMap::pull_only("org", "companyID", Codec::IdRef),
    FieldMap::both("first_name", "firstName", Codec::Text),
    FieldMap::both("last_name", "lastName", Codec::Text),
    FieldMap::both("title", "title", Codec::Text),
    FieldMap::both("location", "companyLocationID", Codec::IdRef),
];

/// Name, manufacturer and model are handled in code (referenceTitle and the product).
/// Tickets (R38): queue, status and priority are picklist ids; the contact is an id whose
/// name is read separately (`ticket_contacts`).
const TICKET_MAP: &[FieldMap] = &[
    FieldMap::pull_only("number", "ticketNumber", Codec::Text),
    FieldMap::pull_only("title", "title", Codec::Text),
    FieldMap::pull_only("board", "queueID", Codec::LookupId("ticket_queues")),
    FieldMap::pull_only("status", "status", Codec::LookupId("ticket_statuses")),
    FieldMap::pull_only("priority", "priority", Codec::LookupId("ticket_priorities")),
    FieldMap::pull_only("org", "companyID", Codec::IdRef),
    FieldMap::pull_only("contact", "contactID", Codec::LookupId("ticket_contacts")),
    FieldMap::pull_only("created", "createDate", Codec::Text),
    FieldMap::pull_only("updated", "lastActivityDate", Codec::Text),
];

/// Autotask filters take at most this many values in one `in`.
const IN_LIMIT: usize = 500;

const CONFIG_MAP: &[FieldMap] = &[
    FieldMap::pull_only("org", "companyID", Codec::IdRef),
    FieldMap::both(
        "type",
        "configurationItemType",
        Codec::LookupId("configuration_types"),
    ),
    FieldMap::both("status", "isActive", Codec::ActiveFlag),
    FieldMap::both("serial_number", "serialNumber", Codec::Text),
    FieldMap::both("notes", "notes", Codec::Text),
    FieldMap::both("location", "companyLocationID", Codec::IdRef),
];

#[derive(Debug, Clone)]
struct Product {
    name: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
}

#[derive(Debug, Clone)]
struct Resource {
    id: i64,
    name: String,
    api_only: bool,
}

pub struct AutotaskClient {
    conn: Connection,
    http: Http,
    /// `.../ATServicesRest/V1.0`, from the zone lookup.
    base: String,
    lookups: Lookups,
    resources: Vec<Resource>,
    products: BTreeMap<i64, Product>,
    billing_code: Option<i64>,
    /// Parent company of each location and contact seen, for the child write URLs.
    parents: BTreeMap<(Kind, i64), i64>,
}

impl AutotaskClient {
    pub fn new(conn: Connection) -> Self {
        Self::with_http(conn, Http::default())
    }

    pub fn with_http(conn: Connection, http: Http) -> Self {
        let base = format!("{}/ATServicesRest/V1.0", conn.origin);
        AutotaskClient {
            conn,
            http: http.with_business_500(),
            base,
            lookups: Lookups::default(),
            resources: Vec::new(),
            products: BTreeMap::new(),
            billing_code: None,
            parents: BTreeMap::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// Sends one authenticated request; non-2xx (and 2xx carrying `errors`) become errors.
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value, PsaError> {
        let reply = self.http.send(self.authed(method, url, body)).await?;
        check(reply)
    }

    /// A POST that creates: sent once, for [`create_record`] to repeat safely.
    async fn post_create(&self, url: &str, body: &Value) -> Result<i64, PsaError> {
        let req = self.authed(Method::POST, url, Some(body));
        item_id(&check(self.http.send_once(req).await?)?)
    }

    fn authed(&self, method: Method, url: &str, body: Option<&Value>) -> reqwest::RequestBuilder {
        let c = &self.conn.credentials;
        let mut req = self
            .http
            .request(method, url)
            .header("ApiIntegrationCode", &c.integration_code)
            .header("UserName", &c.user)
            .header("Secret", &c.secret);
        if let Some(b) = body {
            req = req.json(b);
        }
        req
    }

    /// The product with this manufacturer and model, if the PSA has one.
    async fn find_product(
        &mut self,
        manufacturer: &str,
        model: &str,
    ) -> Result<Option<i64>, PsaError> {
        let found = self
            .query(
                "Products",
                json!([
                    { "op": "eq", "field": "manufacturerName", "value": manufacturer },
                    { "op": "eq", "field": "manufacturerProductName", "value": model }
                ]),
            )
            .await?;
        let Some(rec) = found.first() else {
            return Ok(None);
        };
        self.remember_product(rec);
        Ok(rec.get("id").and_then(Value::as_i64))
    }

    /// Every row of a query, following `nextPageUrl` (POSTing the same body again).
    async fn query(
        &self,
        entity: &str,
        filter: Value,
    ) -> Result<Vec<Map<String, Value>>, PsaError> {
        let mut pages = self.pages(entity, filter);
        let mut out = Vec::new();
        while let Some(items) = self.next_page(&mut pages).await? {
            out.extend(items);
        }
        Ok(out)
    }

    /// A query read one page at a time ([`Self::next_page`]).
    fn pages(&self, entity: &str, filter: Value) -> Pages {
        Pages {
            url: Some(self.url(&format!("{entity}/query"))),
            body: json!({ "filter": filter, "MaxRecords": 500 }),
        }
    }

    /// The next page of a query, `None` after the last (the one without `nextPageUrl`).
    async fn next_page(
        &self,
        pages: &mut Pages,
    ) -> Result<Option<Vec<Map<String, Value>>>, PsaError> {
        let Some(url) = pages.url.take() else {
            return Ok(None);
        };
        let mut page = self.call(Method::POST, &url, Some(&pages.body)).await?;
        pages.url = page
            .pointer("/pageDetails/nextPageUrl")
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(Some(
            page.get_mut("items")
                .map(|items| objects(items.take()))
                .unwrap_or_default(),
        ))
    }

    async fn all(&self, entity: &str) -> Result<Vec<Map<String, Value>>, PsaError> {
        self.query(entity, every_id()).await
    }

    async fn picklist(&self, entity: &str, field: &str) -> Result<Vec<(i64, String)>, PsaError> {
        Ok(self
            .picklists(entity, &[field])
            .await?
            .pop()
            .unwrap_or_default())
    }

    /// The picklists of several fields of one entity, from one metadata read.
    async fn picklists(
        &self,
        entity: &str,
        fields: &[&str],
    ) -> Result<Vec<Vec<(i64, String)>>, PsaError> {
        let info = self
            .call(
                Method::GET,
                &self.url(&format!("{entity}/entityInformation/fields")),
                None,
            )
            .await?;
        let values = |field: &str| {
            info["fields"]
                .as_array()
                .and_then(|fs| fs.iter().find(|f| f["name"] == field))
                .and_then(|f| f["picklistValues"].as_array())
                .cloned()
                .unwrap_or_default()
        };
        Ok(fields
            .iter()
            .map(|field| {
                values(field)
                    .iter()
                    .filter_map(|v| {
                        let id = match &v["value"] {
                            Value::String(s) => s.parse().ok()?,
                            other => other.as_i64()?,
                        };
                        Some((id, v["label"].as_str()?.to_string()))
                    })
                    .collect()
            })
            .collect())
    }

    fn remember_product(&mut self, rec: &Map<String, Value>) {
        if let Some(id) = rec.get("id").and_then(Value::as_i64) {
            let t = |k: &str| {
                rec.get(k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            self.products.insert(
                id,
                Product {
                    name: t("name"),
                    manufacturer: t("manufacturerName"),
                    model: t("manufacturerProductName"),
                },
            );
        }
    }

    async fn product(&mut self, id: i64) -> Result<Option<Product>, PsaError> {
        if !self.products.contains_key(&id) {
            let got = self
                .call(Method::GET, &self.url(&format!("Products/{id}")), None)
                .await?;
            if let Some(rec) = got["item"].as_object() {
                let rec = rec.clone();
                self.remember_product(&rec);
            }
        }
        Ok(self.products.get(&id).cloned())
    }

    /// The product with this manufacturer and model, created when the PSA has none.
    async fn product_for(&mut self, manufacturer: &str, model: &str) -> Result<i64, PsaError> {
        if let Some(id) = self.find_product(manufacturer, model).await? {
            return Ok(id);
        }
        let code = self.billing_code.ok_or_else(|| {
            PsaError::Unmappable("Autotask has no billing code for new products".into())
        })?;
        let body = json!({
            "name": format!("{manufacturer} {model}"),
            "manufacturerName": manufacturer,
            "manufacturerProductName": model,
            "isActive": true,
            "isSerialized": false,
            "productBillingCodeID": code,
        });
        let url = self.url("Products");
        let (man, model_name) = (manufacturer.to_string(), model.to_string());
        let id = write_checked(
            self,
            |c| {
                let (url, body) = (url.clone(), body.clone());
                Box::pin(async move { c.post_create(&url, &body).await.map(|i| i.to_string()) })
            },
            |c| {
                let (man, model) = (man.clone(), model_name.clone());
                Box::pin(
                    async move { Ok(c.find_product(&man, &model).await?.map(|i| i.to_string())) },
                )
            },
            "adopted, not created again",
        )
        .await?;
        let id = parse_id(&id)?;
        self.products.insert(
            id,
            Product {
                name: Some(format!("{manufacturer} {model}")),
                manufacturer: Some(manufacturer.into()),
                model: Some(model.into()),
            },
        );
        Ok(id)
    }

    /// The parent company of a location or contact (from the last list, else read it).
    async fn parent_of(&mut self, kind: Kind, id: i64) -> Result<i64, PsaError> {
        if let Some(p) = self.parents.get(&(kind, id)) {
            return Ok(*p);
        }
        let entity = if kind == Kind::Location {
            "CompanyLocations"
        } else {
            "Contacts"
        };
        let got = self
            .call(Method::GET, &self.url(&format!("{entity}/{id}")), None)
            .await?;
        let pid = got["item"]["companyID"]
            .as_i64()
            .ok_or_else(|| PsaError::Rejected {
                status: 404,
                message: format!("Autotask has no {kind} {id}"),
            })?;
        self.parents.insert((kind, id), pid);
        Ok(pid)
    }

    /// One wire record in canonical form; `None` for the tenant's own company and its children.
    async fn row(
        &mut self,
        kind: Kind,
        rec: &Map<String, Value>,
    ) -> Result<Option<PsaRecord>, PsaError> {
        let fields = match kind {
            Kind::Organization => {
                if rec.get("id").and_then(Value::as_i64) == Some(0) {
                    return Ok(None);
                }
                decode(ORG_MAP, rec, &self.lookups)
            }
            Kind::Location | Kind::Contact => {
                let (Some(id), Some(pid)) = (
                    rec.get("id").and_then(Value::as_i64),
                    rec.get("companyID").and_then(Value::as_i64),
                ) else {
                    return Ok(None);
                };
                self.parents.insert((kind, id), pid);
                if pid == 0 {
                    return Ok(None);
                }
                let map = if kind == Kind::Location {
                    LOCATION_MAP
                } else {
                    CONTACT_MAP
                };
                let mut fields = decode(map, rec, &self.lookups);
                if kind == Kind::Contact {
                    let t = |k: &str| rec.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
                    if let Some(e) = t("emailAddress") {
                        fields.insert("email".into(), json!(e));
                        fields.insert("email_type".into(), json!("Email"));
                    }
                    if let Some(p) = t("phone") {
                        fields.insert("phone".into(), json!(p));
                        fields.insert("phone_type".into(), json!("Direct"));
                    }
                }
                fields
            }
            Kind::Configuration => {
                let mut fields = decode(CONFIG_MAP, rec, &self.lookups);
                let product = match rec.get("productID").and_then(Value::as_i64) {
                    Some(p) => self.product(p).await?,
                    None => None,
                };
                let title = rec
                    .get("referenceTitle")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                // R33: without a reference title the product name shows.
                let name = title.or_else(|| product.as_ref().and_then(|p| p.name.clone()));
                if let Some(n) = name {
                    fields.insert("name".into(), json!(n));
                }
                if let Some(p) = product {
                    if let Some(m) = p.manufacturer {
                        fields.insert("manufacturer".into(), json!(m));
                    }
                    if let Some(m) = p.model {
                        fields.insert("model".into(), json!(m));
                    }
                }
                fields
            }
        };
        Ok(record(rec, fields))
    }

    /// Creates a record with one POST, never twice ([`create_record`]).
    async fn create_once(
        &mut self,
        kind: Kind,
        fields: &Fields,
        url: &str,
        body: &Value,
    ) -> Result<i64, PsaError> {
        let id = create_record(self, kind, fields, |c| {
            let (url, body) = (url.to_string(), body.clone());
            Box::pin(async move { c.post_create(&url, &body).await.map(|i| i.to_string()) })
        })
        .await?;
        parse_id(&id)
    }

    fn owner(&self, ctx: &PushContext) -> Result<i64, PsaError> {
        let pick = match &ctx.account_manager {
            Some(name) => self
                .resources
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(name)),
            None => self.resources.iter().find(|r| !r.api_only),
        };
        pick.map(|r| r.id).ok_or_else(|| {
            PsaError::Unmappable(format!(
                "Autotask has no resource named `{}` to own new companies",
                ctx.account_manager.as_deref().unwrap_or("(any)")
            ))
        })
    }

    /// E-mail and phone go out only with a configured type (R17).
    fn contact_channels(out: &mut Map<String, Value>, fields: &Fields, ctx: &PushContext) {
        let text = |k: &str| {
            fields.get(k).map(|v| match v {
                Value::String(s) if s.is_empty() => Value::Null,
                Value::String(_) | Value::Null => v.clone(),
                other => Value::String(other.to_string()),
            })
        };
        if ctx.email_type.is_some() {
            if let Some(v) = text("email") {
                out.insert("emailAddress".into(), v);
            }
        }
        if ctx.phone_type.is_some() {
            if let Some(v) = text("phone") {
                out.insert("phone".into(), v);
            }
        }
    }
}

fn check(reply: Reply) -> Result<Value, PsaError> {
    let errors: Vec<String> = reply
        .body
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if (200..300).contains(&reply.status) && errors.is_empty() {
        return Ok(reply.body);
    }
    let message = if !errors.is_empty() {
        errors.join("; ")
    } else if let Some(m) = reply.body.get("Message").and_then(Value::as_str) {
        m.to_string()
    } else {
        reply.text.clone()
    };
    Err(reject(&reply, message, true))
}

fn item_id(v: &Value) -> Result<i64, PsaError> {
    v["itemId"]
        .as_i64()
        .ok_or_else(|| PsaError::Transient(format!("Autotask answered without an itemId: {v}")))
}

fn org_of(fields: &Fields) -> Result<i64, PsaError> {
    fields
        .get("org")
        .and_then(|v| match v {
            Value::String(s) => s.parse().ok(),
            other => other.as_i64(),
        })
        .ok_or_else(|| {
            PsaError::Unmappable("an Autotask child record needs its company (org)".into())
        })
}

fn parse_id(id: &str) -> Result<i64, PsaError> {
    id.parse()
        .map_err(|_| PsaError::Unmappable(format!("`{id}` is not an Autotask id")))
}

fn text_of(fields: &Fields, key: &str) -> Option<String> {
    match fields.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn entity_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Organization => "Companies",
        Kind::Location => "CompanyLocations",
        Kind::Contact => "Contacts",
        Kind::Configuration => "ConfigurationItems",
    }
}

fn record(rec: &Map<String, Value>, fields: Fields) -> Option<PsaRecord> {
    let id = rec.get("id")?.as_i64()?;
    Some(PsaRecord {
        id: id.to_string(),
        fields,
    })
}

#[async_trait]
impl PsaClient for AutotaskClient {
    fn personality(&self) -> Personality {
        self.conn.personality
    }

    fn http(&self) -> &Http {
        &self.http
    }

    async fn connect(&mut self) -> Result<(), PsaError> {
        let user: String =
            url::form_urlencoded::byte_serialize(self.conn.credentials.user.as_bytes()).collect();
        let zone_url = format!(
            "{}/atservicesrest/v1.0/zoneInformation?user={user}",
            self.conn.origin
        );
        let zone = check(
            self.http
                .send(self.http.request(Method::GET, &zone_url))
                .await?,
        )?;
        let base = zone["url"]
            .as_str()
            .ok_or_else(|| PsaError::Transient("Autotask zone information has no url".into()))?;
        // The zone url ends with a slash and carries no version.
        self.base = format!("{}/V1.0", base.trim_end_matches('/'));

        let company_types = self.picklist("Companies", "companyType").await?;
        self.lookups.set("company_types", company_types);
        let ci_types = self
            .picklist("ConfigurationItems", "configurationItemType")
            .await?;
        self.lookups.set("configuration_types", ci_types);
        let licenses = self.picklist("Resources", "licenseType").await?;
        let countries = self.all("Countries").await?;
        self.lookups.set(
            "countries",
            countries
                .iter()
                .filter_map(|c| {
                    Some((c.get("id")?.as_i64()?, c.get("name")?.as_str()?.to_string()))
                })
                .collect(),
        );
        self.resources = self
            .all("Resources")
            .await?
            .iter()
            .filter(|r| r.get("isActive").and_then(Value::as_bool) != Some(false))
            .filter_map(|r| {
                let license = r.get("licenseType").and_then(Value::as_i64);
                let api_only = licenses.iter().any(|(id, label)| {
                    Some(*id) == license && label.to_ascii_lowercase().contains("api")
                });
                Some(Resource {
                    id: r.get("id")?.as_i64()?,
                    name: full_name(r),
                    api_only,
                })
            })
            .collect();
        for p in self.all("Products").await? {
            self.remember_product(&p);
        }
        let codes = self
            .query(
                "BillingCodes",
                json!([{ "op": "eq", "field": "isActive", "value": true }]),
            )
            .await?;
        self.billing_code = codes
            .first()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_i64);
        Ok(())
    }

    async fn list(&mut self, kind: Kind) -> Result<Vec<PsaRecord>, PsaError> {
        // Decoded page by page: a list's wire rows are let go as each page is decoded
        // (50,000 contacts held as wire JSON took about 300 MB).
        let mut pages = self.pages(entity_of(kind), every_id());
        let mut out = Vec::new();
        while let Some(items) = self.next_page(&mut pages).await? {
            for rec in &items {
                out.extend(self.row(kind, rec).await?);
            }
        }
        Ok(out)
    }

    async fn get(&mut self, kind: Kind, id: &str) -> Result<Option<PsaRecord>, PsaError> {
        let id = parse_id(id)?;
        let got = self
            .call(
                Method::GET,
                &self.url(&format!("{}/{id}", entity_of(kind))),
                None,
            )
            .await?;
        // An unknown id answers 200 with `{"item": null}`.
        match got["item"].as_object() {
            Some(rec) => self.row(kind, &rec.clone()).await,
            None => Ok(None),
        }
    }

    async fn create(
        &mut self,
        kind: Kind,
        fields: &Fields,
        ctx: &PushContext,
    ) -> Result<String, PsaError> {
        let id = match kind {
            Kind::Organization => {
                let mut body = encode(ORG_MAP, fields, &self.lookups)?;
                if body.get("companyType").is_none_or(Value::is_null) {
                    let customer =
                        self.lookups
                            .id_of("company_types", "Customer")
                            .ok_or_else(|| {
                                PsaError::Unmappable("Autotask has no company type Customer".into())
                            })?;
                    body.insert("companyType".into(), json!(customer));
                }
                if body.get("isActive").is_none_or(Value::is_null) {
                    body.insert("isActive".into(), json!(true));
                }
                body.insert(
                    "phone".into(),
                    json!(text_of(fields, "phone").unwrap_or_default()),
                );
                body.insert("ownerResourceID".into(), json!(self.owner(ctx)?));
                let (url, body) = (self.url("Companies"), Value::Object(body));
                self.create_once(kind, fields, &url, &body).await?
            }
            Kind::Location | Kind::Contact => {
                let org = org_of(fields)?;
                let (map, child) = if kind == Kind::Location {
                    (LOCATION_MAP, "Locations")
                } else {
                    (CONTACT_MAP, "Contacts")
                };
                let mut body = encode(map, fields, &self.lookups)?;
                body.insert("companyID".into(), json!(org));
                if kind == Kind::Contact {
                    body.insert("isActive".into(), json!(1));
                    Self::contact_channels(&mut body, fields, ctx);
                }
                let url = self.url(&format!("Companies/{org}/{child}"));
                let id = self
                    .create_once(kind, fields, &url, &Value::Object(body))
                    .await?;
                self.parents.insert((kind, id), org);
                id
            }
            Kind::Configuration => {
                let org = org_of(fields)?;
                let (Some(man), Some(model)) =
                    (text_of(fields, "manufacturer"), text_of(fields, "model"))
                else {
                    return Err(PsaError::Unmappable(
                        "Autotask configurations need a manufacturer and model".into(),
                    ));
                };
                let product = self.product_for(&man, &model).await?;
                let mut body = encode(CONFIG_MAP, fields, &self.lookups)?;
                body.insert("companyID".into(), json!(org));
                body.insert("productID".into(), json!(product));
                if body.get("isActive").is_none_or(Value::is_null) {
                    body.insert("isActive".into(), json!(true));
                }
                if let Some(n) = text_of(fields, "name") {
                    body.insert("referenceTitle".into(), json!(n));
                }
                let url = self.url("ConfigurationItems");
                self.create_once(kind, fields, &url, &Value::Object(body))
                    .await?
            }
        };
        Ok(id.to_string())
    }

    async fn update(
        &mut self,
        kind: Kind,
        id: &str,
        changed: &Fields,
        ctx: &PushContext,
    ) -> Result<(), PsaError> {
        let id = parse_id(id)?;
        let (url, mut body) = match kind {
            Kind::Organization => (
                self.url("Companies"),
                encode(ORG_MAP, changed, &self.lookups)?,
            ),
            Kind::Location | Kind::Contact => {
                let org = self.parent_of(kind, id).await?;
                let (map, child) = if kind == Kind::Location {
                    (LOCATION_MAP, "Locations")
                } else {
                    (CONTACT_MAP, "Contacts")
                };
                let mut body = encode(map, changed, &self.lookups)?;
                if kind == Kind::Contact {
                    Self::contact_channels(&mut body, changed, ctx);
                }
                (self.url(&format!("Companies/{org}/{child}")), body)
            }
            Kind::Configuration => {
                let mut body = encode(CONFIG_MAP, changed, &self.lookups)?;
                if changed.contains_key("name") {
                    body.insert(
                        "referenceTitle".into(),
                        Value::from(text_of(changed, "name")),
                    );
                }
                if changed.contains_key("manufacturer") || changed.contains_key("model") {
                    let current = self
                        .call(
                            Method::GET,
                            &self.url(&format!("ConfigurationItems/{id}")),
                            None,
                        )
                        .await?;
                    let product = match current["item"]["productID"].as_i64() {
                        Some(p) => self.product(p).await?,
                        None => None,
                    };
                    let pick = |k: &str, old: Option<String>| {
                        if changed.contains_key(k) {
                            text_of(changed, k)
                        } else {
                            old
                        }
                    };
                    let man = pick(
                        "manufacturer",
                        product.as_ref().and_then(|p| p.manufacturer.clone()),
                    );
                    let model = pick("model", product.and_then(|p| p.model));
                    let (Some(man), Some(model)) = (man, model) else {
                        return Err(PsaError::Unmappable(
                            "Autotask configurations need a manufacturer and model".into(),
                        ));
                    };
                    let pid = self.product_for(&man, &model).await?;
                    body.insert("productID".into(), json!(pid));
                }
                (self.url("ConfigurationItems"), body)
            }
        };
        if body.is_empty() {
            return Ok(());
        }
        body.insert("id".into(), json!(id));
        self.call(Method::PATCH, &url, Some(&Value::Object(body)))
            .await?;
        Ok(())
    }
    async fn list_tickets(&mut self) -> Result<Vec<PsaRecord>, PsaError> {
        // Ticket picklists are read only when tickets are pulled, in one metadata call.
        let tables = ["ticket_queues", "ticket_statuses", "ticket_priorities"];
        let lists = self
            .picklists("Tickets", &["queueID", "status", "priority"])
            .await?;
        for (table, rows) in tables.into_iter().zip(lists) {
            self.lookups.set(table, rows);
        }
        let rows = self.all("Tickets").await?;
        let contacts: BTreeSet<i64> = rows
            .iter()
            .filter_map(|r| r.get("contactID")?.as_i64())
            .collect();
        let contacts: Vec<i64> = contacts.into_iter().collect();
        let mut names = Vec::new();
        for ids in contacts.chunks(IN_LIMIT) {
            let filter = json!([{ "op": "in", "field": "id", "value": ids }]);
            for c in self.query("Contacts", filter).await? {
                if let Some(id) = c.get("id").and_then(Value::as_i64) {
                    names.push((id, full_name(&c)));
                }
            }
        }
        self.lookups.set("ticket_contacts", names);
        Ok(rows
            .into_iter()
            .filter_map(|r| decode_row(TICKET_MAP, &Value::Object(r), &self.lookups))
            .collect())
    }
}

#[async_trait]
impl RawListing for AutotaskClient {
    async fn list_raw(&mut self, kind: RawKind) -> Result<Vec<Map<String, Value>>, PsaError> {
        match kind {
            RawKind::Record(k) => self.all(entity_of(k)).await,
            RawKind::Ticket => self.all("Tickets").await,
        }
    }
}

/// Where a query stands: the URL of its next page (none after the last) and its body.
struct Pages {
    url: Option<String>,
    body: Value,
}

/// The filter that matches every row of an entity.
fn every_id() -> Value {
    json!([{ "op": "gte", "field": "id", "value": 0 }])
}

/// "First Last" of a contact or resource.
fn full_name(r: &Map<String, Value>) -> String {
    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
    format!("{} {}", s("firstName"), s("lastName"))
        .trim()
        .to_string()
}
