//! Native members (what the neutral vocabulary lacks, in a dialect's own member names):
//! which are personal, and how each is replaced consistently with the neutral rows.

use super::{Anonymiser, Class, FullNames};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Members never replaced, whatever their value looks like: ids, flags, dates and times,
/// links, the PSA's ticket numbers.
fn is_kept(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // Who entered or changed a record (`updatedBy`, `createdByName`) is a person.
    if k.ends_with("by") || k.ends_with("byname") {
        return false;
    }
    k.ends_with("id")
        || k.ends_with("ids")
        || k.ends_with("flag")
        || k.starts_with("is")
        || [
            "date",
            "time",
            "href",
            "guid",
            "createdon",
            "modifiedon",
            "updatedon",
            "ticketnumber",
        ]
        .iter()
        .any(|w| k.contains(w))
}

/// The class of a native member by its name (any dialect's spelling), `None` for what is kept:
/// ids, flags, dates, numbers, and lookups the PSA resolves (types, statuses, priorities, ...).
fn native_class(key: &str) -> Option<Class> {
    let k = key.to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|w| k.contains(w));
    let class = if is_kept(&k) {
        return None;
    } else if has(&["email"]) {
        Class::Email
    } else if has(&["phone", "fax", "mobile", "pager"]) {
        Class::Phone
    } else if has(&["firstname", "first_name"]) {
        Class::FirstName
    } else if has(&["lastname", "last_name", "surname"]) {
        Class::LastName
    } else if has(&["macaddress", "mac_address"]) {
        Class::Mac
    } else if has(&["web", "url", "ipaddress", "ip_address", "computer", "host"]) {
        Class::Code
    } else if has(&["address", "street", "room"]) {
        Class::Street
    } else if has(&["city", "town"]) {
        Class::City
    } else if is_lookup(&k) {
        return None;
    } else if has(&[
        "zip",
        "postal",
        "serial",
        "tag",
        "barcode",
        "identifier",
        "number",
        "code",
        "middle",
        "initial",
        "nick",
        "extension",
        "symbol",
    ]) {
        Class::Code
    } else if has(&["title", "position", "profession"]) && !has(&["reference"]) {
        Class::JobTitle
    } else if has(&[
        "name",
        "note",
        "description",
        "detail",
        "summary",
        "comment",
        "instruction",
        "text",
        "reference",
        "info",
        "by",
        "analysis",
        "resolution",
        "location",
        "department",
        "school",
        "children",
        "significant",
    ]) {
        Class::Text
    } else {
        return None;
    };
    Some(class)
}

/// A list of custom fields (ConnectWise `customFields`, Autotask `userDefinedFields`).
fn is_custom_field(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("customfield") || k.contains("userdefinedfield")
}

/// A member naming a lookup the PSA resolves (its id and label are not personal).
fn is_lookup(key: &str) -> bool {
    const LOOKUP: [&str; 22] = [
        "type",
        "status",
        "priority",
        "queue",
        "board",
        "source",
        "category",
        "manufacturer",
        "currency",
        "class",
        "country",
        "state",
        "impact",
        "severity",
        "tax",
        "territory",
        "segment",
        "template",
        "method",
        "model",
        "format",
        "zone",
    ];
    let k = key.to_ascii_lowercase();
    LOOKUP.iter().any(|w| k.contains(w))
}

/// The class of a value whose member's name says nothing (a ConnectWise communication item's
/// `value`, a user-defined field): e-mail addresses and phone numbers by their shape.
fn looks_like(key: &str, s: &str) -> Option<Class> {
    if is_kept(key) {
        return None;
    }
    let t = s.trim();
    // A date (2020-01-01) has a phone's characters but not its shape.
    let date = t.len() >= 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if t.contains('@') && !t.contains(char::is_whitespace) {
        Some(Class::Email)
    } else if digits >= 7
        && !date
        && t.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        Some(Class::Phone)
    } else {
        None
    }
}

/// Native rows carry the members the neutral vocabulary lacks. A value the neutral rows
/// already replaced gets the same replacement (whatever the member is called), a contact's
/// "First Last" the replacement of its two names; any other string is replaced by the class
/// its member's name gives ([`native_class`]) and kept when it has none.
pub(super) fn scrub_native<T: Serialize + for<'de> Deserialize<'de>>(
    native: &mut T,
    full_names: &FullNames,
    a: &mut Anonymiser,
) {
    let Ok(mut v) = serde_json::to_value(&*native) else {
        return;
    };
    let persons: BTreeMap<&str, &(String, String)> = full_names
        .iter()
        .map(|((_, full), parts)| (full.as_str(), parts))
        .collect();
    fn walk(
        v: &mut Value,
        key: &str,
        persons: &BTreeMap<&str, &(String, String)>,
        a: &mut Anonymiser,
    ) {
        match v {
            // A reference to a lookup (`status: {id, name}`): its label is the PSA's.
            Value::Object(_) if is_lookup(key) => {}
            // A custom or user-defined field names itself (`name`, `caption`: the tenant's
            // schema, which a replay must match); its `value` is judged by its shape.
            Value::Object(m) if is_custom_field(key) => {
                for (k, v) in m.iter_mut() {
                    if !matches!(
                        k.to_ascii_lowercase().as_str(),
                        "name" | "caption" | "label"
                    ) {
                        walk(v, k, persons, a);
                    }
                }
            }
            Value::Object(m) => m.iter_mut().for_each(|(k, v)| walk(v, k, persons, a)),
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, key, persons, a)),
            Value::String(_) if is_kept(key) => {}
            Value::String(s) => {
                if let Some(done) = a.replaced(s) {
                    *s = done;
                } else if let Some((first, last)) = persons.get(s.trim()) {
                    let f = a.replace(Class::FirstName, first);
                    let l = a.replace(Class::LastName, last);
                    *s = format!("{f} {l}").trim().to_string();
                } else if let Some(class) = native_class(key).or_else(|| looks_like(key, s)) {
                    *s = a.replace(class, s);
                }
            }
            _ => {}
        }
    }
    walk(&mut v, "", &persons, a);
    if let Ok(back) = serde_json::from_value(v) {
        *native = back;
    }
}

#[cfg(test)]
mod tests {
    use super::super::anonymise;
    use crate::seed::SeedDocument;
    use serde_json::{json, Value};

    fn seed(v: Value) -> SeedDocument {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn native_members_are_replaced_by_value_by_full_name_by_member_name_or_by_shape() {
        let s = seed(json!({
            "companies": [{"name": "Acme Ltd"}],
            "contacts": [{"company": "Acme Ltd", "first_name": "Ann", "last_name": "Lee",
                          "email": "ann@acme.com"}],
            "native": {"connectwise": {"companies": [{"id": 1, "userDefinedField1": "Acme Ltd",
                "website": "www.acme.example", "faxNumber": "+1 212-555-0101",
                "status": {"id": 1, "name": "Active"}, "dateAcquired": "2020-01-01T00:00:00Z",
                "leadSource": "Referral", "createdOn": "2020-01-01",
                "_info": {"updatedBy": "Jo Bloggs", "enteredBy": "Jo Bloggs"}}],
              "contacts": [{"id": 2, "lastUser": "Ann Lee", "anniversary": "2019-06-15",
                "userDefinedFields": [{"name": "Tier", "value": "ann@acme.com"},
                                      {"name": "Private line", "value": "+1 917-555-0199"}],
                "communicationItems": [
                {"value": "ann@acme.com"}, {"value": "+1 917-555-0199"}, {"value": "Skype"}]}]}},
        }));
        let (out, _) = anonymise(&s, "salt", None);
        let native = serde_json::to_value(&out.native).unwrap();
        let company = &native["connectwise"]["companies"][0];
        let contact = &native["connectwise"]["contacts"][0];
        assert_eq!(company["userDefinedField1"], out.companies[0]["name"]);
        let full = format!(
            "{} {}",
            out.contacts[0]["first_name"].as_str().unwrap(),
            out.contacts[0]["last_name"].as_str().unwrap()
        );
        assert_eq!(contact["lastUser"], full.as_str());
        let items = &contact["communicationItems"];
        assert_eq!(items[0]["value"], out.contacts[0]["email"]);
        let phone = items[1]["value"].as_str().unwrap();
        assert!(phone != "+1 917-555-0199" && phone.len() == 15, "{phone}");
        assert_eq!(items[2]["value"], "Skype", "nothing personal in its shape");
        let udf = &contact["userDefinedFields"];
        assert_eq!(udf[0]["name"], "Tier", "the tenant's field names stay");
        assert_eq!(udf[1]["name"], "Private line");
        assert_eq!(udf[0]["value"], out.contacts[0]["email"]);
        assert_eq!(udf[1]["value"], items[1]["value"]);
        for (k, kept) in [
            ("website", false),
            ("faxNumber", false),
            ("leadSource", true),
        ] {
            let same = company[k] == s_native(&s)["connectwise"]["companies"][0][k];
            assert_eq!(same, kept, "{k}: {}", company[k]);
        }
        assert_eq!(company["status"]["name"], "Active");
        assert_eq!(company["dateAcquired"], "2020-01-01T00:00:00Z");
        assert_eq!(company["createdOn"], "2020-01-01");
        assert_eq!(contact["anniversary"], "2019-06-15");
        // The same person entered and updated the record: one replacement, both places.
        let info = &company["_info"];
        assert_ne!(info["updatedBy"], "Jo Bloggs");
        assert_eq!(info["updatedBy"], info["enteredBy"]);
    }

    fn s_native(s: &SeedDocument) -> Value {
        serde_json::to_value(&s.native).unwrap()
    }
}
