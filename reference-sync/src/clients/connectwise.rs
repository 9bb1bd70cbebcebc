//! ConnectWise Manage REST 3.0 client: Basic `company+public:private` with a clientId,
//! `page`/`pageSize` paging until a short page, PATCH operations for partial updates.

use super::{create_record, objects, reject, Http, RawKind, RawListing, Reply};
use crate::psa::*;
use async_trait::async_trait;
use base64::Engine;
use psa_core::Personality;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const PAGE_SIZE: usize = 1000;
/// The integration's clientId (any non-empty value is accepted by the mock).
const CLIENT_ID: &str = "psa-conformance-reference-sync";

/// Where a paged list stands: its path and the page last read.
struct Pages<'p> {
    path: &'p str,
    number: u32,
    done: bool,
}

impl<'p> Pages<'p> {
    fn new(path: &'p str) -> Self {
        Pages {
            path,
            number: 0,
            done: false,
        }
    }
}

const ORGANIZATION: &[FieldMap] = &[
    FieldMap::both("name", "name", Codec::Text),
    FieldMap::both("short_name", "identifier", Codec::Text),
    FieldMap::both("type", "types", Codec::RefObjectListFirst("company_types")),
    FieldMap::both("status", "status", Codec::RefObject("company_statuses")),
    FieldMap::both("parent", "parentCompany", Codec::IdRef),
];

const LOCATION: &[FieldMap] = &[
    FieldMap::both("name", "name", Codec::Text),
    FieldMap::both("address1", "addressLine1", Codec::Text),
    FieldMap::both("address2", "addressLine2", Codec::Text),
    FieldMap::both("city", "city", Codec::Text),
    FieldMap::both("zip", "zip", Codec::Text),
    FieldMap::both("country", "country", Codec::RefObject("countries")),
    FieldMap::both("primary", "primaryAddressFlag", Codec::Bool),
    // Site phone and fax are pulled but never pushed (R36).
    FieldMap::pull_only("phone", "phoneNumber", Codec::Text),
    FieldMap::pull_only("fax", "faxNumber", Codec::Text),
];

const CONTACT: &[FieldMap] = &[
    FieldMap::both("org", "company", Codec::IdRef),
    FieldMap::both("first_name", "firstName", Codec::Text),
    FieldMap::both("last_name", "lastName", Codec::Text),
    FieldMap::both("title", "title", Codec::Text),
    FieldMap::both("type", "types", Codec::RefObjectListFirst("contact_types")),
    FieldMap::both("location", "site", Codec::IdRef),
];

const CONFIGURATION: &[FieldMap] = &[
    FieldMap::both("org", "company", Codec::IdRef),
    FieldMap::both("name", "name", Codec::Text),
    FieldMap::both("type", "type", Codec::RefObject("configuration_types")),
    FieldMap::both(
        "status",
        "status",
        Codec::RefObject("configuration_statuses"),
    ),
    FieldMap::both("serial_number", "serialNumber", Codec::Text),
    FieldMap::both("mac_address", "macAddress", Codec::Text),
    FieldMap::both(
        "manufacturer",
        "manufacturer",
        Codec::RefObject("manufacturers"),
    ),
    FieldMap::both("model", "modelNumber", Codec::Text),
    FieldMap::both("notes", "notes", Codec::Text),
    FieldMap::both("location", "site", Codec::IdRef),
];

/// Tickets (R38): the number is the ticket id; references carry their names, so no lookups.
const TICKET: &[FieldMap] = &[
    FieldMap::pull_only("number", "id", Codec::IdRef),
    FieldMap::pull_only("title", "summary", Codec::Text),
    FieldMap::pull_only("board", "board", Codec::RefObject("boards")),
    FieldMap::pull_only("status", "status", Codec::RefObject("ticket_statuses")),
    FieldMap::pull_only("priority", "priority", Codec::RefObject("priorities")),
    FieldMap::pull_only("org", "company", Codec::IdRef),
    FieldMap::pull_only("contact", "contactName", Codec::Text),
    FieldMap::pull_only("created", "_info/dateEntered", Codec::Text),
    FieldMap::pull_only("updated", "_info/lastUpdated", Codec::Text),
];

pub struct ConnectWiseClient {
    conn: Connection,
    http: Http,
    base: String,
    auth: String,
    lookups: Lookups,
    /// Communication type id -> "Email" | "Phone" | "Fax".
    comm_kinds: HashMap<i64, &'static str>,
    /// Site id -> company id (site routes live under their company).
    site_company: HashMap<String, String>,
    companies: Vec<String>,
}

impl ConnectWiseClient {
    pub fn new(conn: Connection) -> Self {
        Self::with_http(conn, Http::default())
    }

    pub fn with_http(conn: Connection, http: Http) -> Self {
        let c = &conn.credentials;
        let auth = base64::engine::general_purpose::STANDARD
            .encode(format!("{}+{}:{}", c.company, c.user, c.secret));
        ConnectWiseClient {
            base: format!("{}/v4_6_release/apis/3.0", conn.origin),
            conn,
            http,
            auth: format!("Basic {auth}"),
            lookups: Lookups::default(),
            comm_kinds: HashMap::new(),
            site_company: HashMap::new(),
            companies: Vec::new(),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, PsaError> {
        self.exchange(method, path, body, false).await
    }

    /// A POST that creates: sent once, for [`create_record`] to repeat safely.
    async fn post_create(&self, path: &str, body: &Value) -> Result<String, PsaError> {
        id_of(&self.exchange(Method::POST, path, Some(body), true).await?)
    }

    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        create: bool,
    ) -> Result<Reply, PsaError> {
        let mut req = self
            .http
            .request(method, &format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .header("clientId", CLIENT_ID)
            .header(
                "Accept",
                "application/vnd.connectwise.com+json; version=2021.1, application/json",
            );
        if let Some(b) = body {
            req = req.json(b);
        }
        let reply = if create {
            self.http.send_once(req).await?
        } else {
            self.http.send(req).await?
        };
        if (200..300).contains(&reply.status) {
            Ok(reply)
        } else {
            Err(reject(&reply, error_message(&reply), false))
        }
    }

    /// The next page of a paged list, `None` after the last.
    async fn next_page(
        &self,
        pages: &mut Pages<'_>,
    ) -> Result<Option<Vec<Map<String, Value>>>, PsaError> {
        if pages.done {
            return Ok(None);
        }
        pages.number += 1;
        let path = pages.path;
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut reply = self
            .call(
                Method::GET,
                &format!("{path}{sep}pageSize={PAGE_SIZE}&page={}", pages.number),
                None,
            )
            .await?;
        let rows = objects(reply.body.take());
        // The Link header names the next page when there is one: no empty page is asked
        // for after the last. Without the header, a short page is the last.
        pages.done = match reply.header("link") {
            Some(link) => !link.split(',').any(|l| l.contains("rel=\"next\"")),
            None => rows.len() < PAGE_SIZE,
        };
        Ok(Some(rows))
    }

    async fn get_all(&self, path: &str) -> Result<Vec<Map<String, Value>>, PsaError> {
        let mut pages = Pages::new(path);
        let mut out = Vec::new();
        while let Some(rows) = self.next_page(&mut pages).await? {
            out.extend(rows);
        }
        Ok(out)
    }

    /// Every row of a paged list as a record of `kind`, decoded page by page: a list's wire
    /// rows are let go as each page is decoded (50,000 contacts held as wire JSON took about
    /// 250 MB).
    async fn decoded(
        &mut self,
        kind: Kind,
        path: &str,
        company: Option<&str>,
        out: &mut Vec<PsaRecord>,
    ) -> Result<(), PsaError> {
        let mut pages = Pages::new(path);
        while let Some(rows) = self.next_page(&mut pages).await? {
            out.extend(rows.iter().map(|r| self.row(kind, r, company)));
        }
        Ok(())
    }

    /// A Company ID derived from `name` that no company holds yet, asked of the PSA candidate
    /// by candidate (IDs are unique regardless of case, as the PSA compares them).
    async fn free_identifier(&self, name: &str) -> Result<String, PsaError> {
        let base = identifier_from(name);
        if self.http.defects().unchecked_company_ids {
            return Ok(base);
        }
        for n in 1..=IDENTIFIER_TRIES {
            let candidate = identifier_candidate(&base, n);
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("conditions", &format!("identifier=\"{candidate}\""))
                .append_pair("fields", "id")
                .append_pair("pageSize", "1")
                .finish();
            let reply = self
                .call(Method::GET, &format!("/company/companies?{query}"), None)
                .await?;
            if reply.body.as_array().is_none_or(Vec::is_empty) {
                return Ok(candidate);
            }
        }
        Err(PsaError::Unmappable(format!(
            "every Company ID derived from `{name}` ({base} to {}) is taken: give it a short name",
            identifier_candidate(&base, IDENTIFIER_TRIES)
        )))
    }

    async fn load_lookup(
        &mut self,
        table: &'static str,
        path: &str,
        label: &str,
    ) -> Result<Vec<Map<String, Value>>, PsaError> {
        let rows = self.get_all(path).await?;
        let pairs = rows
            .iter()
            .filter_map(|r| Some((r.get("id")?.as_i64()?, r.get(label)?.as_str()?.to_string())))
            .collect();
        self.lookups.set(table, pairs);
        Ok(rows)
    }

    /// The default (else first) communication item of a kind: (value, type name).
    fn communication(&self, rec: &Map<String, Value>, kind: &str) -> Option<(String, String)> {
        let items = rec.get("communicationItems")?.as_array()?;
        let of_kind: Vec<&Value> = items
            .iter()
            .filter(|i| {
                let tid = i
                    .get("type")
                    .and_then(|t| t.get("id"))
                    .and_then(Value::as_i64);
                tid.and_then(|t| self.comm_kinds.get(&t)) == Some(&kind)
            })
            .collect();
        let pick = of_kind
            .iter()
            .find(|i| i.get("defaultFlag") == Some(&Value::Bool(true)))
            .or_else(|| of_kind.first())?;
        let value = pick.get("value")?.as_str()?.to_string();
        let type_name = pick
            .get("type")
            .and_then(|t| t.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Some((value, type_name))
    }

    fn comm_item(&self, type_name: &str, value: &str) -> Result<Value, PsaError> {
        let id = self
            .lookups
            .id_of("communication_types", type_name)
            .ok_or_else(|| {
                PsaError::Unmappable(format!(
                    "ConnectWise has no communication type `{type_name}`"
                ))
            })?;
        Ok(json!({ "type": { "id": id }, "value": value, "defaultFlag": true }))
    }

    /// Communication items for a pushed contact: e-mail and phone only when a type was chosen
    /// in two-way settings (R17); other existing items are kept.
    fn communications(
        &self,
        existing: &[Value],
        fields: &Fields,
        ctx: &PushContext,
    ) -> Result<Option<Vec<Value>>, PsaError> {
        let mut items = existing.to_vec();
        let mut touched = false;
        for (key, kind, chosen) in [
            ("email", "Email", &ctx.email_type),
            ("phone", "Phone", &ctx.phone_type),
        ] {
            let (Some(value), Some(type_name)) = (fields.get(key), chosen) else {
                continue;
            };
            touched = true;
            items.retain(|i| {
                let tid = i
                    .get("type")
                    .and_then(|t| t.get("id"))
                    .and_then(Value::as_i64);
                tid.and_then(|t| self.comm_kinds.get(&t)) != Some(&kind)
            });
            if let Some(v) = value.as_str().filter(|v| !v.is_empty()) {
                items.push(self.comm_item(type_name, v)?);
            }
        }
        Ok(touched.then_some(items))
    }

    /// One wire record in canonical form; `company` is the owner of a site.
    fn row(&mut self, kind: Kind, r: &Map<String, Value>, company: Option<&str>) -> PsaRecord {
        let id = r.get("id").map(Value::to_string).unwrap_or_default();
        let fields = match kind {
            Kind::Organization => decode(ORGANIZATION, r, &self.lookups),
            Kind::Location => {
                let mut fields = decode(LOCATION, r, &self.lookups);
                if let Some(company) = company {
                    self.site_company.insert(id.clone(), company.to_string());
                    fields.insert("org".into(), json!(company));
                }
                if let Some(s) = r
                    .get("stateReference")
                    .and_then(|s| s.get("identifier"))
                    .and_then(Value::as_str)
                {
                    fields.insert("state".into(), json!(s));
                }
                fields
            }
            Kind::Contact => {
                let mut fields = decode(CONTACT, r, &self.lookups);
                if let Some((v, t)) = self.communication(r, "Email") {
                    fields.insert("email".into(), json!(v));
                    fields.insert("email_type".into(), json!(t));
                }
                if let Some((v, t)) = self.communication(r, "Phone") {
                    fields.insert("phone".into(), json!(v));
                    fields.insert("phone_type".into(), json!(t));
                }
                fields
            }
            Kind::Configuration => {
                let mut fields = decode(CONFIGURATION, r, &self.lookups);
                if fields
                    .get("mac_address")
                    .and_then(Value::as_str)
                    .is_some_and(|m| !single_mac(m))
                {
                    fields.remove("mac_address");
                }
                fields
            }
        };
        PsaRecord { id, fields }
    }

    fn site_path(&self, org: Option<&str>, id: Option<&str>) -> Result<String, PsaError> {
        let org = match (org, id) {
            (Some(o), _) => o.to_string(),
            (None, Some(i)) => self
                .site_company
                .get(i)
                .cloned()
                .ok_or_else(|| PsaError::Unmappable(format!("site {i} has no known company")))?,
            (None, None) => return Err(PsaError::Unmappable("a site needs its company".into())),
        };
        Ok(match id {
            Some(i) => format!("/company/companies/{org}/sites/{i}"),
            None => format!("/company/companies/{org}/sites"),
        })
    }
}

/// Reference members travel as `{"id": n}`; field maps give bare ids for them.
fn wrap_refs(body: &mut Map<String, Value>) {
    for member in ["company", "site", "parentCompany"] {
        if let Some(c) = body.get_mut(member) {
            if !c.is_null() && !c.is_object() {
                *c = json!({ "id": c.as_i64().unwrap_or_default() });
            }
        }
    }
}

fn error_message(reply: &Reply) -> String {
    let mut msg = reply
        .body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or(&reply.text)
        .to_string();
    if let Some(errors) = reply.body.get("errors").and_then(Value::as_array) {
        for e in errors {
            if let Some(m) = e.get("message").and_then(Value::as_str) {
                msg.push_str(&format!("; {m}"));
            }
        }
    }
    msg
}

fn id_of(reply: &Reply) -> Result<String, PsaError> {
    reply
        .body
        .get("id")
        .and_then(Value::as_i64)
        .map(|i| i.to_string())
        .ok_or_else(|| PsaError::Transient("created record came back without an id".into()))
}

/// R35: a MAC longer than 17 characters, or not one well-formed MAC, is not pulled.
fn single_mac(mac: &str) -> bool {
    let parts: Vec<&str> = mac.split([':', '-']).collect();
    mac.len() <= 17
        && parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The longest Company ID derived from a name: 25, the limit of the versions the reference
/// targets (newer ones allow 30), so the ID is valid on both.
const IDENTIFIER_MAX: usize = 25;

/// How many derived Company IDs are tried before the push is refused with a reason.
const IDENTIFIER_TRIES: u32 = 50;

/// Company ID (identifier) is required in ConnectWise; without a short name the reference sync
/// derives one from the name: its letters and digits in any script (the API's identifier is
/// free text with a length limit; spaces and punctuation are dropped as in a typed ID), at most
/// [`IDENTIFIER_MAX`] characters, `Company` when the name has none (docs/decisions.md).
fn identifier_from(name: &str) -> String {
    let id: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .take(IDENTIFIER_MAX)
        .collect();
    if id.is_empty() {
        "Company".into()
    } else {
        id
    }
}

/// The `n`th candidate for a derived Company ID: the base, then the base cut to make room for
/// the suffix `2`, `3`, ... (deterministic: the first free one in this order is taken).
fn identifier_candidate(base: &str, n: u32) -> String {
    if n < 2 {
        return base.to_string();
    }
    let suffix = n.to_string();
    let keep = IDENTIFIER_MAX.saturating_sub(suffix.len());
    base.chars().take(keep).chain(suffix.chars()).collect()
}

#[async_trait]
impl PsaClient for ConnectWiseClient {
    fn personality(&self) -> Personality {
        self.conn.personality
    }

    fn http(&self) -> &Http {
        &self.http
    }

    /// Sites are read under their company alone, not under every company listed.
    async fn find_existing(
        &mut self,
        kind: Kind,
        fields: &Fields,
    ) -> Result<Option<String>, PsaError> {
        let rows = match (kind, fields.get("org").and_then(Value::as_str)) {
            (Kind::Location, Some(org)) => {
                let saved = std::mem::replace(&mut self.companies, vec![org.to_string()]);
                let rows = self.list(Kind::Location).await;
                self.companies = saved;
                rows?
            }
            _ => self.list(kind).await?,
        };
        Ok(find_match(kind, fields, &rows))
    }

    async fn connect(&mut self) -> Result<(), PsaError> {
        self.load_lookup("company_types", "/company/companies/types", "name")
            .await?;
        self.load_lookup("company_statuses", "/company/companies/statuses", "name")
            .await?;
        self.load_lookup("contact_types", "/company/contacts/types", "description")
            .await?;
        let comm = self
            .load_lookup(
                "communication_types",
                "/company/communicationTypes",
                "description",
            )
            .await?;
        self.comm_kinds = comm
            .iter()
            .filter_map(|r| {
                let kind = if r.get("emailFlag") == Some(&Value::Bool(true)) {
                    "Email"
                } else if r.get("faxFlag") == Some(&Value::Bool(true)) {
                    "Fax"
                } else {
                    "Phone"
                };
                Some((r.get("id")?.as_i64()?, kind))
            })
            .collect();
        self.load_lookup(
            "configuration_types",
            "/company/configurations/types",
            "name",
        )
        .await?;
        self.load_lookup(
            "configuration_statuses",
            "/company/configurations/statuses",
            "description",
        )
        .await?;
        self.load_lookup("manufacturers", "/procurement/manufacturers", "name")
            .await?;
        self.load_lookup("countries", "/company/countries", "name")
            .await?;
        Ok(())
    }

    fn scope_children(&mut self, companies: &[String]) {
        self.companies = companies.to_vec();
    }

    async fn list(&mut self, kind: Kind) -> Result<Vec<PsaRecord>, PsaError> {
        let mut out = Vec::new();
        match kind {
            Kind::Organization => {
                self.decoded(kind, "/company/companies", None, &mut out)
                    .await?;
                self.companies = out
                    .iter()
                    .filter(|r| !r.id.is_empty())
                    .map(|r| r.id.clone())
                    .collect();
            }
            Kind::Location => {
                for company in self.companies.clone() {
                    let path = format!("/company/companies/{company}/sites");
                    self.decoded(kind, &path, Some(&company), &mut out).await?;
                }
            }
            Kind::Contact => {
                self.decoded(kind, "/company/contacts", None, &mut out)
                    .await?
            }
            Kind::Configuration => {
                self.decoded(kind, "/company/configurations", None, &mut out)
                    .await?
            }
        }
        Ok(out)
    }

    async fn get(&mut self, kind: Kind, id: &str) -> Result<Option<PsaRecord>, PsaError> {
        let path = match kind {
            Kind::Organization => format!("/company/companies/{id}"),
            // A site we never listed has no known company: it cannot be read on its own.
            Kind::Location if !self.site_company.contains_key(id) => return Ok(None),
            Kind::Location => self.site_path(None, Some(id))?,
            Kind::Contact => format!("/company/contacts/{id}"),
            Kind::Configuration => format!("/company/configurations/{id}"),
        };
        let Some(reply) = found(self.call(Method::GET, &path, None).await)? else {
            return Ok(None);
        };
        let company = self.site_company.get(id).cloned();
        Ok(reply
            .body
            .as_object()
            .map(|r| self.row(kind, r, company.as_deref())))
    }

    async fn create(
        &mut self,
        kind: Kind,
        fields: &Fields,
        ctx: &PushContext,
    ) -> Result<String, PsaError> {
        match kind {
            Kind::Organization => {
                let mut body = encode(ORGANIZATION, fields, &self.lookups)?;
                if body.get("identifier").is_none_or(Value::is_null) {
                    let name = fields.get("name").and_then(Value::as_str).unwrap_or("");
                    body.insert(
                        "identifier".into(),
                        json!(self.free_identifier(name).await?),
                    );
                }
                wrap_refs(&mut body);
                body.retain(|_, v| !v.is_null());
                let body = Value::Object(body);
                let id = create_record(self, kind, fields, |c| {
                    let body = body.clone();
                    Box::pin(async move { c.post_create("/company/companies", &body).await })
                })
                .await?;
                self.companies.push(id.clone());
                Ok(id)
            }
            Kind::Location => {
                let org = fields
                    .get("org")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let mut body = encode(LOCATION, fields, &self.lookups)?;
                if let Some(s) = fields.get("state").and_then(Value::as_str) {
                    body.insert("stateReference".into(), json!({ "identifier": s }));
                }
                body.retain(|_, v| !v.is_null());
                let path = self.site_path(org.as_deref(), None)?;
                let body = Value::Object(body);
                let id = create_record(self, kind, fields, |c| {
                    let (path, body) = (path.clone(), body.clone());
                    Box::pin(async move { c.post_create(&path, &body).await })
                })
                .await?;
                if let Some(o) = org {
                    self.site_company.insert(id.clone(), o);
                }
                Ok(id)
            }
            Kind::Contact => {
                let mut f = fields.clone();
                if let Some(t) = &ctx.contact_type {
                    f.insert("type".into(), json!(t));
                }
                let mut body = encode(CONTACT, &f, &self.lookups)?;
                wrap_refs(&mut body);
                if let Some(items) = self.communications(&[], &f, ctx)? {
                    body.insert("communicationItems".into(), Value::Array(items));
                }
                body.retain(|_, v| !v.is_null());
                let body = Value::Object(body);
                create_record(self, kind, fields, |c| {
                    let body = body.clone();
                    Box::pin(async move { c.post_create("/company/contacts", &body).await })
                })
                .await
            }
            Kind::Configuration => {
                let mut body = encode(CONFIGURATION, fields, &self.lookups)?;
                wrap_refs(&mut body);
                body.retain(|_, v| !v.is_null());
                let body = Value::Object(body);
                create_record(self, kind, fields, |c| {
                    let body = body.clone();
                    Box::pin(async move { c.post_create("/company/configurations", &body).await })
                })
                .await
            }
        }
    }

    async fn update(
        &mut self,
        kind: Kind,
        id: &str,
        changed: &Fields,
        ctx: &PushContext,
    ) -> Result<(), PsaError> {
        let (map, path) = match kind {
            Kind::Organization => (ORGANIZATION, format!("/company/companies/{id}")),
            Kind::Location => (
                LOCATION,
                self.site_path(changed.get("org").and_then(Value::as_str), Some(id))?,
            ),
            Kind::Contact => (CONTACT, format!("/company/contacts/{id}")),
            Kind::Configuration => (CONFIGURATION, format!("/company/configurations/{id}")),
        };
        let mut body = encode(map, changed, &self.lookups)?;
        wrap_refs(&mut body);
        if kind == Kind::Location {
            if let Some(s) = changed.get("state").and_then(Value::as_str) {
                body.insert("stateReference".into(), json!({ "identifier": s }));
            }
        }
        if kind == Kind::Contact && (changed.contains_key("email") || changed.contains_key("phone"))
        {
            // Communication items are replaced as a whole array: start from what the PSA has.
            let current = self.call(Method::GET, &path, None).await?;
            let existing = current
                .body
                .get("communicationItems")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let existing: Vec<Value> = existing
                .iter()
                .map(|i| json!({ "type": { "id": i["type"]["id"] }, "value": i["value"], "defaultFlag": i["defaultFlag"] }))
                .collect();
            if let Some(items) = self.communications(&existing, changed, ctx)? {
                body.insert("communicationItems".into(), Value::Array(items));
            }
        }
        if body.is_empty() {
            return Ok(());
        }
        let ops: Vec<Value> = body
            .into_iter()
            .map(|(k, v)| {
                if v.is_null() {
                    json!({ "op": "remove", "path": k })
                } else {
                    json!({ "op": "replace", "path": k, "value": v })
                }
            })
            .collect();
        self.call(Method::PATCH, &path, Some(&Value::Array(ops)))
            .await?;
        Ok(())
    }

    async fn list_tickets(&mut self) -> Result<Vec<PsaRecord>, PsaError> {
        let rows = self.get_all("/service/tickets").await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| decode_row(TICKET, &Value::Object(r), &self.lookups))
            .collect())
    }
}

#[async_trait]
impl RawListing for ConnectWiseClient {
    async fn list_raw(&mut self, kind: RawKind) -> Result<Vec<Map<String, Value>>, PsaError> {
        let path = match kind {
            RawKind::Record(Kind::Organization) => "/company/companies",
            RawKind::Record(Kind::Location) => {
                let mut out = Vec::new();
                for company in self.companies.clone() {
                    out.extend(
                        self.get_all(&format!("/company/companies/{company}/sites"))
                            .await?,
                    );
                }
                return Ok(out);
            }
            RawKind::Record(Kind::Contact) => "/company/contacts",
            RawKind::Record(Kind::Configuration) => "/company/configurations",
            RawKind::Ticket => "/service/tickets",
        };
        self.get_all(path).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_ids_keep_letters_of_any_script_within_the_limit() {
        assert_eq!(identifier_from("Smith & Sons, Inc."), "SmithSonsInc");
        assert_eq!(identifier_from("株式会社 東京"), "株式会社東京");
        assert_eq!(identifier_from("Αθήνα Α.Ε."), "ΑθήναΑΕ");
        assert_eq!(identifier_from("شركة القاهرة"), "شركةالقاهرة");
        assert_eq!(identifier_from("!!! ---"), "Company");
        let long = "x".repeat(40);
        assert_eq!(identifier_from(&long).chars().count(), IDENTIFIER_MAX);
    }

    #[test]
    fn collision_candidates_are_numbered_and_stay_within_the_limit() {
        assert_eq!(identifier_candidate("Acme", 1), "Acme");
        assert_eq!(identifier_candidate("Acme", 2), "Acme2");
        let base = "é".repeat(IDENTIFIER_MAX);
        let c = identifier_candidate(&base, 12);
        assert_eq!(c.chars().count(), IDENTIFIER_MAX);
        assert!(c.ends_with("12"));
    }
}
