//! The BMS V2 client (Kaseya BMS, Pulseway PSA, Vorex PSA): bearer token from
//! `/v2/security/authenticate`, `{success, error, result}` envelopes, JSON Patch updates.
//! Locations are written through the legacy V1 API because V2 has no write route for them.

use super::{create_record, reject, write_checked, Http, RawKind, RawListing, Reply};
use crate::psa::*;
use async_trait::async_trait;
use psa_core::Personality;
use reqwest::Method;
use serde_json::{json, Map, Value};

/// Pages asked for: the documented maximum `PageSize`.
const PAGE_SIZE: usize = 100;
/// Account summaries, which nest their locations.
const ACCOUNTS: &str = "/crm/accounts/summary";

const ORG_MAP: &[FieldMap] = &[
    FieldMap::both("name", "accountName", Codec::Text),
    FieldMap::both("short_name", "accountCode", Codec::Text),
    FieldMap::both("type", "accountTypeId", Codec::LookupId("company_types")),
    FieldMap::both("status", "isActive", Codec::ActiveFlag),
    FieldMap::both("parent", "parentId", Codec::IdRef),
];

/// Location members on a V2 location (read) and, PascalCase, on a V1 location (write).
const LOCATION_MAP: &[FieldMap] = &[
    FieldMap::both("org", "accountId", Codec::IdRef),
    FieldMap::both("name", "locationName", Codec::Text),
    FieldMap::both("primary", "isMain", Codec::Bool),
];
const LOCATION_V1_MAP: &[FieldMap] = &[
    FieldMap::both("org", "AccountId", Codec::IdRef),
    FieldMap::both("name", "LocationName", Codec::Text),
    FieldMap::both("primary", "IsMain", Codec::Bool),
];
/// The first address of a location carries the canonical address fields.
const ADDRESS_MAP: &[FieldMap] = &[
    FieldMap::both("address1", "address1", Codec::Text),
    FieldMap::both("address2", "address2", Codec::Text),
    FieldMap::both("city", "city", Codec::Text),
    FieldMap::both("state", "state", Codec::Text),
    FieldMap::both("zip", "zipCode", Codec::Text),
    FieldMap::both("country", "country", Codec::Text),
    FieldMap::both("phone", "phone", Codec::Text),
    FieldMap::both("fax", "fax", Codec::Text),
];
const ADDRESS_V1_MAP: &[FieldMap] = &[
    FieldMap::both("address1", "Address1", Codec::Text),
    FieldMap::both("address2", "Address2", Codec::Text),
    FieldMap::both("city", "City", Codec::Text),
    FieldMap::both("state", "State", Codec::Text),
    FieldMap::both("zip", "ZipCode", Codec::Text),
    FieldMap::both("country", "Country", Codec::Text),
    FieldMap::both("phone", "Phone", Codec::Text),
    FieldMap::both("fax", "Fax", Codec::Text),
];

/// Contact scalars (e-mail and phone live in `emails[]` / `phones[]`, handled apart).
const CONTACT_MAP: &[FieldMap] = &[
    FieldMap::both("org", "accountId", Codec::IdRef),
    FieldMap::both("first_name", "firstName", Codec::Text),
    FieldMap::both("last_name", "lastName", Codec::Text),
    FieldMap::both("title", "jobTitle", Codec::Text),
    FieldMap::both("important", "isPoc", Codec::Bool),
    FieldMap::both("location", "locationId", Codec::IdRef),
];

/// Tickets (R38): the list rows carry the names beside the ids.
const TICKET_MAP: &[FieldMap] = &[
    FieldMap::pull_only("number", "ticketNumber", Codec::Text),
    FieldMap::pull_only("title", "title", Codec::Text),
    FieldMap::pull_only("board", "queueName", Codec::Text),
    FieldMap::pull_only("status", "statusName", Codec::Text),
    FieldMap::pull_only("priority", "priorityName", Codec::Text),
    FieldMap::pull_only("org", "accountId", Codec::IdRef),
    FieldMap::pull_only("contact", "contactName", Codec::Text),
    FieldMap::pull_only("created", "openDate", Codec::Text),
    FieldMap::pull_only("updated", "modifiedOn", Codec::Text),
];

const CONFIG_MAP: &[FieldMap] = &[
    FieldMap::both("org", "accountId", Codec::IdRef),
    FieldMap::both("name", "name", Codec::Text),
    FieldMap::both("type", "categoryId", Codec::LookupId("configuration_types")),
    FieldMap::both(
        "status",
        "statusId",
        Codec::LookupId("configuration_statuses"),
    ),
    FieldMap::both("serial_number", "serialNumber", Codec::Text),
    FieldMap::both("mac_address", "macAddress", Codec::Text),
    FieldMap::both(
        "manufacturer",
        "manufacturerId",
        Codec::LookupId("manufacturers"),
    ),
    FieldMap::both("model", "modelNumber", Codec::Text),
    FieldMap::both("notes", "description", Codec::Text),
    FieldMap::both("location", "accountLocationId", Codec::IdRef),
];

/// E-mail or phone: which sub-collection and its member names.
#[derive(Clone, Copy)]
struct Channel {
    canonical: &'static str,
    canonical_type: &'static str,
    list: &'static str,
    out_value: &'static str,
    out_type: &'static str,
    in_value: &'static str,
    in_new_value: &'static str,
    in_type: &'static str,
    lookup: &'static str,
}

const EMAIL: Channel = Channel {
    canonical: "email",
    canonical_type: "email_type",
    list: "emails",
    out_value: "emailAddress",
    out_type: "emailType",
    in_value: "EmailAddress",
    in_new_value: "NewEmailAddress",
    in_type: "EmailTypeId",
    lookup: "email_types",
};
const PHONE: Channel = Channel {
    canonical: "phone",
    canonical_type: "phone_type",
    list: "phones",
    out_value: "phone",
    out_type: "phoneType",
    in_value: "PhoneNumber",
    in_new_value: "NewPhoneNumber",
    in_type: "PhoneTypeId",
    lookup: "phone_types",
};

pub struct BmsClient {
    conn: Connection,
    http: Http,
    token: Option<String>,
    v1_token: Option<String>,
    lookups: Lookups,
    /// Employee ids in lookup order, with the API user (from userinfo) left out.
    managers: Vec<(i64, String)>,
    /// New accounts get the first business type (the client has no mapping for it).
    first_business_type: Option<i64>,
    /// The locations nested in the account pages of the last organization list, kept for the
    /// location list that follows it in a sync: each page read once.
    locations: Option<Vec<PsaRecord>>,
}

/// Where a paged V2 list stands: the page last read and the rows seen so far.
struct Pages<'p> {
    path: &'p str,
    extra: &'p str,
    number: u32,
    seen: u64,
    done: bool,
}

impl<'p> Pages<'p> {
    fn new(path: &'p str, extra: &'p str) -> Self {
        Pages {
            path,
            extra,
            number: 0,
            seen: 0,
            done: false,
        }
    }
}

/// How a V2 answer came back.
enum Answer {
    /// `{success: true, result}`.
    Enveloped,
    /// A success without the envelope: `summary/{id}` may answer the bare DTO its spec declares.
    Bare,
    /// A failure status, or `success: false`.
    Failed,
}

impl Answer {
    fn of(reply: &Reply) -> Answer {
        let success = reply.body.get("success").and_then(Value::as_bool);
        match ((200..300).contains(&reply.status), success) {
            (true, Some(true)) => Answer::Enveloped,
            (true, None) => Answer::Bare,
            _ => Answer::Failed,
        }
    }
}

impl BmsClient {
    pub fn new(conn: Connection) -> Self {
        Self::with_http(conn, Http::default())
    }

    pub fn with_http(conn: Connection, http: Http) -> Self {
        BmsClient {
            conn,
            http,
            token: None,
            v1_token: None,
            lookups: Lookups::default(),
            managers: Vec::new(),
            first_business_type: None,
            locations: None,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2{path}", self.conn.origin.trim_end_matches('/'))
    }

    fn form(pairs: &[(&str, &str)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    async fn authenticate(&mut self) -> Result<(), PsaError> {
        let c = &self.conn.credentials;
        let body = Self::form(&[
            ("grantType", "password"),
            ("userName", &c.user),
            ("password", &c.secret),
            ("tenant", &c.company),
        ]);
        let req = self
            .http
            .request(Method::POST, &self.url("/security/authenticate"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let reply = self.http.send(req).await?;
        let result = Self::check(&reply)?;
        let token = result
            .get("accessToken")
            .and_then(Value::as_str)
            .ok_or_else(|| PsaError::Transient("authenticate returned no accessToken".into()))?;
        self.token = Some(token.to_string());
        Ok(())
    }

    /// The envelope's `result`, or the PSA's error.
    fn check(reply: &Reply) -> Result<Value, PsaError> {
        match Answer::of(reply) {
            Answer::Enveloped => Ok(reply.body.get("result").cloned().unwrap_or_default()),
            Answer::Bare => Ok(reply.body.clone()),
            Answer::Failed => Err(Self::failure(reply)),
        }
    }

    /// [`check`](Self::check), moving the result out of the reply (a page of a hundred
    /// accounts is not copied).
    fn into_result(mut reply: Reply) -> Result<Value, PsaError> {
        match Answer::of(&reply) {
            Answer::Enveloped => Ok(reply
                .body
                .get_mut("result")
                .map(Value::take)
                .unwrap_or_default()),
            Answer::Bare => Ok(std::mem::take(&mut reply.body)),
            Answer::Failed => Err(Self::failure(&reply)),
        }
    }

    fn failure(reply: &Reply) -> PsaError {
        let err = reply.body.get("error");
        let mut message = err
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {}: {}", reply.status, reply.text));
        if let Some(subs) = err
            .and_then(|e| e.get("subErrors"))
            .and_then(Value::as_array)
        {
            let subs: Vec<&str> = subs.iter().filter_map(Value::as_str).collect();
            if !subs.is_empty() {
                message = format!("{message} ({})", subs.join("; "));
            }
        }
        reject(reply, message, false)
    }

    /// One V2 call with the bearer token; re-authenticates once on a 401.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, PsaError> {
        self.send_with(method, path, body, false).await
    }

    /// A V2 POST that creates: sent once, for [`create_record`] to repeat safely.
    async fn post_create(&mut self, path: &str, body: &Value) -> Result<String, PsaError> {
        let reply = self.send_with(Method::POST, path, Some(body), true).await?;
        id_of_result(&Self::check(&reply)?)
    }

    async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        create: bool,
    ) -> Result<Reply, PsaError> {
        if self.token.is_none() {
            self.authenticate().await?;
        }
        for attempt in 0..2 {
            let mut req = self
                .http
                .request(method.clone(), &self.url(path))
                .bearer_auth(self.token.as_deref().unwrap_or_default());
            if let Some(b) = body {
                req = req.json(b);
            }
            let reply = if create {
                self.http.send_once(req).await?
            } else {
                self.http.send(req).await?
            };
            if reply.status == 401 && attempt == 0 {
                self.authenticate().await?;
                continue;
            }
            return Ok(reply);
        }
        Err(PsaError::Transient("unreachable retry loop".into()))
    }

    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, PsaError> {
        let reply = self.send(method, path, body).await?;
        Self::into_result(reply)
    }

    async fn get(&mut self, path: &str) -> Result<Value, PsaError> {
        self.call(Method::GET, path, None).await
    }

    /// The next page of a paged list, `None` after the last: stops at `totalRecords` when
    /// given, else at a short page.
    async fn next_page(&mut self, pages: &mut Pages<'_>) -> Result<Option<Vec<Value>>, PsaError> {
        if pages.done {
            return Ok(None);
        }
        pages.number += 1;
        let q = format!(
            "{}?PageSize={PAGE_SIZE}&PageNumber={}{}",
            pages.path, pages.number, pages.extra
        );
        let reply = self.send(Method::GET, &q, None).await?;
        let total = reply.body.get("totalRecords").and_then(Value::as_u64);
        let rows = match Self::into_result(reply)? {
            Value::Array(rows) => rows,
            _ => Vec::new(),
        };
        pages.seen += rows.len() as u64;
        pages.done = match total {
            Some(total) => rows.is_empty() || pages.seen >= total,
            None => rows.len() < PAGE_SIZE,
        };
        Ok(Some(rows))
    }

    /// Every row of a paged list.
    async fn all_pages(&mut self, path: &str, extra: &str) -> Result<Vec<Value>, PsaError> {
        self.decoded_pages(path, extra, |_, row| Some(row)).await
    }

    /// Every row of a paged list as `decode` makes it, page by page: a list's wire rows are
    /// let go as each page is decoded (50,000 contacts held as wire JSON took 190 MB).
    async fn decoded_pages<T: Send>(
        &mut self,
        path: &str,
        extra: &str,
        mut decode: impl FnMut(&Self, Value) -> Option<T> + Send,
    ) -> Result<Vec<T>, PsaError> {
        let mut pages = Pages::new(path, extra);
        let mut out = Vec::new();
        while let Some(rows) = self.next_page(&mut pages).await? {
            out.extend(rows.into_iter().filter_map(|row| decode(self, row)));
        }
        Ok(out)
    }

    /// The locations nested in one account summary.
    fn account_locations<'a>(&'a self, account: &'a Value) -> impl Iterator<Item = PsaRecord> + 'a {
        account
            .get("locations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|loc| self.decode_location(loc))
    }

    /// Every location, read nested in the account pages, in id order.
    async fn list_locations(&mut self) -> Result<Vec<PsaRecord>, PsaError> {
        let nested = self
            .decoded_pages(ACCOUNTS, "", |c, account| {
                Some(c.account_locations(&account).collect::<Vec<_>>())
            })
            .await?;
        Ok(in_id_order(nested.into_iter().flatten().collect()))
    }

    async fn load_lookup(&mut self, path: &str) -> Result<Vec<(i64, String)>, PsaError> {
        let rows = self.get(path).await?;
        Ok(rows
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| {
                        Some((r.get("id")?.as_i64()?, r.get("name")?.as_str()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    // -- V1 (locations only) ------------------------------------------------------------------

    async fn v1_authenticate(&mut self) -> Result<(), PsaError> {
        let c = &self.conn.credentials;
        let body = Self::form(&[
            ("grant_type", "password"),
            ("username", &c.user),
            ("password", &c.secret),
            ("tenant", &c.company),
        ]);
        let url = format!("{}/api/token", self.conn.origin.trim_end_matches('/'));
        let req = self
            .http
            .request(Method::POST, &url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let reply = self.http.send(req).await?;
        match reply.body.get("access_token").and_then(Value::as_str) {
            Some(t) if (200..300).contains(&reply.status) => {
                self.v1_token = Some(t.to_string());
                Ok(())
            }
            _ => {
                let msg = reply
                    .body
                    .get("error_description")
                    .or_else(|| reply.body.get("error"))
                    .and_then(Value::as_str)
                    .unwrap_or("V1 token request failed")
                    .to_string();
                Err(reject(&reply, msg, false))
            }
        }
    }

    async fn v1_call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, PsaError> {
        self.v1_call_with(method, path, body, false).await
    }

    async fn v1_call_with(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        create: bool,
    ) -> Result<Value, PsaError> {
        if self.v1_token.is_none() {
            self.v1_authenticate().await?;
        }
        let url = format!("{}/api{path}", self.conn.origin.trim_end_matches('/'));
        for attempt in 0..2 {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(self.v1_token.as_deref().unwrap_or_default());
            if let Some(b) = body {
                req = req.json(b);
            }
            let reply = if create {
                self.http.send_once(req).await?
            } else {
                self.http.send(req).await?
            };
            if reply.status == 401 && attempt == 0 {
                self.v1_authenticate().await?;
                continue;
            }
            let error = reply.body.get("Error").and_then(Value::as_str);
            if (200..300).contains(&reply.status) && matches!(error, Some("None") | None) {
                return Ok(reply.body.get("Result").cloned().unwrap_or(Value::Null));
            }
            let msg = error
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP {}: {}", reply.status, reply.text));
            return Err(reject(&reply, msg, false));
        }
        Err(PsaError::Transient("unreachable retry loop".into()))
    }

    // -- helpers ------------------------------------------------------------------------------

    fn id_path(id: &str) -> Result<i64, PsaError> {
        id.parse()
            .map_err(|_| PsaError::Unmappable(format!("`{id}` is not a BMS id")))
    }

    fn ref_id(fields: &Fields, key: &str) -> Result<Option<i64>, PsaError> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_i64()),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Self::id_path(s).map(Some),
            Some(other) => Err(PsaError::Unmappable(format!(
                "{key} `{other}` is not an id"
            ))),
        }
    }

    /// The main location of an account (for assets created without one: AccountLocationId is
    /// required on a hardware asset).
    async fn main_location(&mut self, org: i64) -> Result<Option<i64>, PsaError> {
        let rows = self
            .get(&format!("/crm/accounts/{org}/locations/lookup"))
            .await?;
        let rows = rows.as_array().cloned().unwrap_or_default();
        Ok(rows
            .iter()
            .find(|l| l.get("isMain") == Some(&Value::Bool(true)))
            .or(rows.first())
            .and_then(|l| l.get("id")?.as_i64()))
    }

    fn default_entry(wire: &Value, ch: Channel) -> Option<&Value> {
        let items = wire.get(ch.list)?.as_array()?;
        items
            .iter()
            .find(|v| v.get("isDefault") == Some(&Value::Bool(true)))
            .or(items.first())
    }

    fn decode_contact(&self, wire: &Value) -> Option<PsaRecord> {
        let obj = wire.as_object()?;
        let mut fields = decode(CONTACT_MAP, obj, &self.lookups);
        for ch in [EMAIL, PHONE] {
            if let Some(e) = Self::default_entry(wire, ch) {
                if let Some(v) = e.get(ch.out_value).and_then(Value::as_str) {
                    fields.insert(ch.canonical.into(), json!(v));
                }
                if let Some(t) = e.get(ch.out_type).and_then(Value::as_str) {
                    fields.insert(ch.canonical_type.into(), json!(t));
                }
            }
        }
        Some(PsaRecord {
            id: obj.get("id")?.to_string(),
            fields,
        })
    }

    fn decode_location(&self, wire: &Value) -> Option<PsaRecord> {
        let obj = wire.as_object()?;
        let mut fields = decode(LOCATION_MAP, obj, &self.lookups);
        if let Some(addr) = wire
            .get("addresses")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_object)
        {
            fields.extend(decode(ADDRESS_MAP, addr, &self.lookups));
        }
        Some(PsaRecord {
            id: obj.get("id")?.to_string(),
            fields,
        })
    }

    /// Type id for a channel: the push context's choice, else the canonical type field.
    fn channel_type(
        &self,
        ch: Channel,
        fields: &Fields,
        ctx_type: Option<&String>,
    ) -> Result<Option<i64>, PsaError> {
        let name = ctx_type.cloned().or_else(|| {
            fields
                .get(ch.canonical_type)
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        match name {
            None => Ok(None),
            Some(n) => self.lookups.id_of(ch.lookup, &n).map(Some).ok_or_else(|| {
                PsaError::Unmappable(format!("the PSA has no {} named `{n}`", ch.lookup))
            }),
        }
    }

    /// E-mail / phone changes through `PATCH /crm/contacts/{id}/emails|phones`.
    async fn update_channel(
        &mut self,
        id: i64,
        current: &Value,
        ch: Channel,
        changed: &Fields,
        ctx_type: Option<&String>,
    ) -> Result<(), PsaError> {
        let value_changed = changed.contains_key(ch.canonical);
        let type_changed = changed.contains_key(ch.canonical_type);
        if !value_changed && !type_changed {
            return Ok(());
        }
        let new_value = changed
            .get(ch.canonical)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let type_id = if type_changed {
            self.channel_type(ch, changed, None)?
        } else {
            self.channel_type(ch, changed, ctx_type)?
        };
        let old = Self::default_entry(current, ch)
            .and_then(|e| e.get(ch.out_value))
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut op = Map::new();
        match (old, new_value, value_changed) {
            (Some(old), None, true) => {
                op.insert("Operation".into(), json!(2));
                op.insert(ch.in_value.into(), json!(old));
            }
            (Some(old), new, _) => {
                op.insert("Operation".into(), json!(1));
                op.insert(ch.in_value.into(), json!(old));
                if let Some(n) = new {
                    op.insert(ch.in_new_value.into(), json!(n));
                }
                if let Some(t) = type_id {
                    op.insert("TypeId".into(), json!(t));
                }
                op.insert("IsDefault".into(), json!(true));
            }
            (None, Some(new), _) => {
                op.insert("Operation".into(), json!(0));
                op.insert(ch.in_value.into(), json!(new));
                if let Some(t) = type_id {
                    op.insert("TypeId".into(), json!(t));
                }
                op.insert("IsDefault".into(), json!(true));
            }
            (None, None, _) => return Ok(()),
        }
        // Adding or renaming an entry cannot be repeated once it landed (the old value is gone,
        // or a second entry appears): look at the contact before sending it again.
        let path = format!("/crm/contacts/{id}/{}", ch.list);
        let ops = json!([op]);
        if !value_changed {
            // A type change names the same value again: repeating it is harmless.
            self.call(Method::PATCH, &path, Some(&ops)).await?;
            return Ok(());
        }
        let want = new_value.map(str::to_string);
        write_checked(
            self,
            |c| {
                let (path, ops) = (path.clone(), ops.clone());
                Box::pin(async move {
                    let reply = c.send_with(Method::PATCH, &path, Some(&ops), true).await?;
                    Self::check(&reply).map(|_| String::new())
                })
            },
            |c| {
                let want = want.clone();
                Box::pin(async move {
                    let now = c.get(&format!("/crm/contacts/summary/{id}")).await?;
                    let now = Self::default_entry(&now, ch)
                        .and_then(|e| e.get(ch.out_value))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    Ok((now == want).then(|| want.unwrap_or_else(|| "removed".into())))
                })
            },
            "not sent again",
        )
        .await?;
        Ok(())
    }

    fn patch_ops(wire: &Map<String, Value>) -> Value {
        Value::Array(
            wire.iter()
                .map(|(k, v)| json!({"op": "replace", "path": format!("/{k}"), "value": v}))
                .collect(),
        )
    }

    async fn list_accounts(&mut self) -> Result<Vec<Value>, PsaError> {
        self.all_pages(ACCOUNTS, "").await
    }
}

#[async_trait]
impl PsaClient for BmsClient {
    fn personality(&self) -> Personality {
        self.conn.personality
    }

    fn http(&self) -> &Http {
        &self.http
    }

    async fn connect(&mut self) -> Result<(), PsaError> {
        self.authenticate().await?;
        let me = self.get("/security/userinfo").await?;
        let my_id = me.get("userId").and_then(Value::as_i64);
        let tables: [(&'static str, &str); 8] = [
            ("company_types", "/system/accounttypes/lookup"),
            ("business_types", "/system/lookup/businesstypes"),
            ("employees", "/hr/employees/lookup"),
            ("email_types", "/system/lookup/emailtypes"),
            ("phone_types", "/system/lookup/phonetypes"),
            ("configuration_types", "/system/lookup/assetcategories"),
            ("configuration_statuses", "/system/lookup/assetstatuses"),
            ("manufacturers", "/system/lookup/manufacturers"),
        ];
        for (table, path) in tables {
            let rows = self.load_lookup(path).await?;
            if table == "business_types" {
                self.first_business_type = rows.first().map(|(id, _)| *id);
            }
            if table == "employees" {
                self.managers = rows
                    .iter()
                    .filter(|(id, _)| Some(*id) != my_id)
                    .cloned()
                    .collect();
            }
            self.lookups.set(table, rows);
        }
        Ok(())
    }

    async fn list(&mut self, kind: Kind) -> Result<Vec<PsaRecord>, PsaError> {
        match kind {
            Kind::Organization => {
                let mut locations = Vec::new();
                let records = self
                    .decoded_pages(ACCOUNTS, "", |c, account| {
                        locations.extend(c.account_locations(&account));
                        Some(PsaRecord {
                            id: account.get("id")?.to_string(),
                            fields: decode(ORG_MAP, account.as_object()?, &c.lookups),
                        })
                    })
                    .await?;
                // Kept for the location list, which comes nested in these pages.
                self.locations = Some(in_id_order(locations));
                Ok(records)
            }
            Kind::Location => {
                // Account summaries nest their locations with addresses: no per-location calls,
                // and the pages the organization list just read are not read again.
                let cached = self.locations.take();
                match cached.filter(|_| !self.http.defects().reread_account_pages) {
                    Some(locations) => Ok(locations),
                    None => self.list_locations().await,
                }
            }
            Kind::Contact => {
                self.decoded_pages("/crm/contacts/summary", "", |c, row| c.decode_contact(&row))
                    .await
            }
            Kind::Configuration => {
                // The list carries no status, MAC, manufacturer or model: each asset is read.
                let ids = self
                    .decoded_pages("/servicedesk/hardwareasset/searchselect", "", |_, row| {
                        row.get("id").and_then(Value::as_i64)
                    })
                    .await?;
                let mut out = Vec::new();
                for id in ids {
                    let full = self
                        .get(&format!("/servicedesk/hardwareasset/{id}"))
                        .await?;
                    if let Some(o) = full.as_object() {
                        out.push(PsaRecord {
                            id: id.to_string(),
                            fields: decode(CONFIG_MAP, o, &self.lookups),
                        });
                    }
                }
                Ok(out)
            }
        }
    }

    async fn get(&mut self, kind: Kind, id: &str) -> Result<Option<PsaRecord>, PsaError> {
        let id = Self::id_path(id)?;
        let path = match kind {
            Kind::Organization => format!("/crm/accounts/summary/{id}"),
            // Locations are read nested in account summaries, as the list does.
            Kind::Location => {
                let id = id.to_string();
                return Ok(self
                    .list_locations()
                    .await?
                    .into_iter()
                    .find(|r| r.id == id));
            }
            Kind::Contact => format!("/crm/contacts/summary/{id}"),
            Kind::Configuration => format!("/servicedesk/hardwareasset/{id}"),
        };
        let Some(wire) = found(self.call(Method::GET, &path, None).await)? else {
            return Ok(None);
        };
        Ok(match kind {
            Kind::Contact => self.decode_contact(&wire),
            Kind::Organization => wire.as_object().map(|o| PsaRecord {
                id: id.to_string(),
                fields: decode(ORG_MAP, o, &self.lookups),
            }),
            _ => wire.as_object().map(|o| PsaRecord {
                id: id.to_string(),
                fields: decode(CONFIG_MAP, o, &self.lookups),
            }),
        })
    }

    async fn create(
        &mut self,
        kind: Kind,
        fields: &Fields,
        ctx: &PushContext,
    ) -> Result<String, PsaError> {
        // A write makes the kept locations stale.
        self.locations = None;
        match kind {
            Kind::Organization => {
                let mut body = encode(ORG_MAP, fields, &self.lookups)?;
                if !body.contains_key("accountTypeId") {
                    let t = self.lookups.id_of("company_types", "Customer");
                    body.insert("accountTypeId".into(), json!(t));
                }
                let bt = self
                    .first_business_type
                    .ok_or_else(|| PsaError::Unmappable("the PSA has no business types".into()))?;
                let manager =
                    match &ctx.account_manager {
                        Some(name) => self.lookups.id_of("employees", name).ok_or_else(|| {
                            PsaError::Unmappable(format!("the PSA has no employee named `{name}`"))
                        })?,
                        None => self.managers.first().map(|(id, _)| *id).ok_or_else(|| {
                            PsaError::Unmappable("the PSA has no employees".into())
                        })?,
                    };
                body.insert("businessTypeId".into(), json!(bt));
                body.insert("accountManagerId".into(), json!(manager));
                if !body.contains_key("isActive") {
                    body.insert("isActive".into(), json!(true));
                }
                body.insert(
                    "locations".into(),
                    json!([{"LocationName": "Main", "IsMain": true, "Addresses": [{}]}]),
                );
                let body = Value::Object(body);
                create_record(self, kind, fields, |c| {
                    let body = body.clone();
                    Box::pin(async move { c.post_create("/crm/accounts", &body).await })
                })
                .await
            }
            Kind::Location => {
                let mut body = encode(LOCATION_V1_MAP, fields, &self.lookups)?;
                if !body.contains_key("AccountId") {
                    return Err(PsaError::Unmappable("a location needs an org".into()));
                }
                let addr = encode(ADDRESS_V1_MAP, fields, &self.lookups)?;
                body.insert("Addresses".into(), json!([addr]));
                let body = Value::Object(body);
                create_record(self, kind, fields, |c| {
                    let body = body.clone();
                    Box::pin(async move {
                        let result = c
                            .v1_call_with(Method::POST, "/crm/locations", Some(&body), true)
                            .await?;
                        match result.get("Id") {
                            Some(id) => Ok(id.to_string()),
                            None => Err(PsaError::Transient("V1 create returned no Id".into())),
                        }
                    })
                })
                .await
            }
            Kind::Contact => {
                let org = Self::ref_id(fields, "org")?
                    .ok_or_else(|| PsaError::Unmappable("a contact needs an org".into()))?;
                // Sent as it is: no main location is picked for a contact without one (R19:
                // on Kaseya BMS the engine holds such a contact back; docs/decisions.md).
                let location = Self::ref_id(fields, "location")?;
                let mut body = Map::new();
                body.insert(
                    "FirstName".into(),
                    fields.get("first_name").cloned().unwrap_or(Value::Null),
                );
                body.insert(
                    "LastName".into(),
                    fields.get("last_name").cloned().unwrap_or(Value::Null),
                );
                body.insert("AccountId".into(), json!(org));
                if let Some(l) = location {
                    body.insert("LocationId".into(), json!(l));
                }
                for (ch, ctx_type) in [(EMAIL, &ctx.email_type), (PHONE, &ctx.phone_type)] {
                    let value = fields
                        .get(ch.canonical)
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty());
                    if let (Some(t), Some(v)) = (ctx_type, value) {
                        let tid = self.lookups.id_of(ch.lookup, t).ok_or_else(|| {
                            PsaError::Unmappable(format!(
                                "the PSA has no {} named `{t}`",
                                ch.lookup
                            ))
                        })?;
                        body.insert(
                            pascal(ch.list),
                            json!([{ch.in_value: v, ch.in_type: tid, "IsDefault": true}]),
                        );
                    }
                }
                let body = Value::Object(body);
                let id = create_record(self, kind, fields, |c| {
                    let body = body.clone();
                    Box::pin(async move { c.post_create("/crm/contacts/summary", &body).await })
                })
                .await?;
                // ContactInputDto has no job title or point-of-contact flag: patch them in.
                let mut rest = Fields::new();
                for k in ["title", "important"] {
                    if let Some(v) = fields.get(k) {
                        rest.insert(k.into(), v.clone());
                    }
                }
                if !rest.is_empty() {
                    let wire = encode(CONTACT_MAP, &rest, &self.lookups)?;
                    self.call(
                        Method::PATCH,
                        &format!("/crm/contacts/{id}"),
                        Some(&Self::patch_ops(&wire)),
                    )
                    .await?;
                }
                Ok(id)
            }
            Kind::Configuration => {
                let mut body = encode(CONFIG_MAP, fields, &self.lookups)?;
                let org = Self::ref_id(fields, "org")?
                    .ok_or_else(|| PsaError::Unmappable("a configuration needs an org".into()))?;
                if body.get("accountLocationId").is_none_or(Value::is_null) {
                    body.insert(
                        "accountLocationId".into(),
                        json!(self.main_location(org).await?),
                    );
                }
                let body = Value::Object(body);
                create_record(self, kind, fields, |c| {
                    let body = body.clone();
                    Box::pin(
                        async move { c.post_create("/servicedesk/hardwareasset", &body).await },
                    )
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
        self.locations = None;
        let nid = Self::id_path(id)?;
        match kind {
            Kind::Organization => {
                let wire = encode(ORG_MAP, changed, &self.lookups)?;
                if wire.is_empty() {
                    return Ok(());
                }
                self.call(
                    Method::PATCH,
                    &format!("/crm/accounts/{nid}"),
                    Some(&Self::patch_ops(&wire)),
                )
                .await?;
                Ok(())
            }
            Kind::Location => {
                // V1 PUT of the whole location, with the changed members applied.
                let mut current = self
                    .v1_call(Method::GET, &format!("/crm/locations/{nid}"), None)
                    .await?;
                let wire = encode(LOCATION_V1_MAP, changed, &self.lookups)?;
                let addr = encode(ADDRESS_V1_MAP, changed, &self.lookups)?;
                let Some(obj) = current.as_object_mut() else {
                    return Err(PsaError::Transient("V1 location is not an object".into()));
                };
                obj.extend(wire);
                if !addr.is_empty() {
                    let mut addrs = obj
                        .get("Addresses")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    match addrs.first_mut().and_then(Value::as_object_mut) {
                        Some(first) => first.extend(addr),
                        None => addrs.push(Value::Object(addr)),
                    }
                    obj.insert("Addresses".into(), Value::Array(addrs));
                }
                self.v1_call(
                    Method::PUT,
                    &format!("/crm/locations/{nid}"),
                    Some(&current),
                )
                .await?;
                Ok(())
            }
            Kind::Contact => {
                let wire = encode(CONTACT_MAP, changed, &self.lookups)?;
                if !wire.is_empty() {
                    self.call(
                        Method::PATCH,
                        &format!("/crm/contacts/{nid}"),
                        Some(&Self::patch_ops(&wire)),
                    )
                    .await?;
                }
                let touches_channels = [EMAIL, PHONE].iter().any(|c| {
                    changed.contains_key(c.canonical) || changed.contains_key(c.canonical_type)
                });
                if touches_channels {
                    let current = self.get(&format!("/crm/contacts/summary/{nid}")).await?;
                    self.update_channel(nid, &current, EMAIL, changed, ctx.email_type.as_ref())
                        .await?;
                    self.update_channel(nid, &current, PHONE, changed, ctx.phone_type.as_ref())
                        .await?;
                }
                Ok(())
            }
            Kind::Configuration => {
                // PUT is the only write: send the current asset with the changes applied.
                let mut current = self
                    .get(&format!("/servicedesk/hardwareasset/{nid}"))
                    .await?;
                let wire = encode(CONFIG_MAP, changed, &self.lookups)?;
                let Some(obj) = current.as_object_mut() else {
                    return Err(PsaError::Transient("asset is not an object".into()));
                };
                obj.extend(wire);
                self.call(
                    Method::PUT,
                    &format!("/servicedesk/hardwareasset/{nid}"),
                    Some(&current),
                )
                .await?;
                Ok(())
            }
        }
    }

    async fn list_tickets(&mut self) -> Result<Vec<PsaRecord>, PsaError> {
        let rows = self.all_pages("/servicedesk/tickets", "").await?;
        Ok(rows
            .iter()
            .filter_map(|r| decode_row(TICKET_MAP, r, &self.lookups))
            .collect())
    }
}

#[async_trait]
impl RawListing for BmsClient {
    /// Account summaries (with their locations, as `list` reads them), contact summaries,
    /// each hardware asset's detail (the list holds only a few members), tickets.
    async fn list_raw(&mut self, kind: RawKind) -> Result<Vec<Map<String, Value>>, PsaError> {
        let objects = |rows: Vec<Value>| -> Vec<Map<String, Value>> {
            rows.into_iter()
                .filter_map(|r| match r {
                    Value::Object(o) => Some(o),
                    _ => None,
                })
                .collect()
        };
        Ok(match kind {
            RawKind::Record(Kind::Organization) => objects(self.list_accounts().await?),
            RawKind::Record(Kind::Location) => {
                let mut out: Vec<Map<String, Value>> = self
                    .list_accounts()
                    .await?
                    .iter()
                    .filter_map(|a| a.get("locations").and_then(Value::as_array))
                    .flatten()
                    .filter_map(|l| l.as_object().cloned())
                    .collect();
                out.sort_by_key(|l| l.get("id").and_then(Value::as_i64).unwrap_or(0));
                out
            }
            RawKind::Record(Kind::Contact) => {
                objects(self.all_pages("/crm/contacts/summary", "").await?)
            }
            RawKind::Record(Kind::Configuration) => {
                let rows = self
                    .all_pages("/servicedesk/hardwareasset/searchselect", "")
                    .await?;
                let mut out = Vec::new();
                for id in rows.iter().filter_map(|r| r.get("id")?.as_i64()) {
                    let full = self
                        .get(&format!("/servicedesk/hardwareasset/{id}"))
                        .await?;
                    out.extend(full.as_object().cloned());
                }
                out
            }
            RawKind::Ticket => objects(self.all_pages("/servicedesk/tickets", "").await?),
        })
    }
}

/// Locations as the list gives them: in id order, whichever account they came nested in.
fn in_id_order(mut locations: Vec<PsaRecord>) -> Vec<PsaRecord> {
    locations.sort_by_key(|r| r.id.parse::<i64>().unwrap_or(0));
    locations
}

fn pascal(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn id_of_result(result: &Value) -> Result<String, PsaError> {
    match result.get("id") {
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(PsaError::Transient("the PSA returned no result.id".into())),
    }
}
