//! `entityInformation`, `entityInformation/fields` and `userDefinedFields`.

use super::super::*;
use super::schema::*;
use super::values::*;
use super::wire::*;
use http::Method;
use serde_json::json;

pub(super) fn entity_info(
    state: &MockState,
    e: &Entity,
    rest: &[&str],
    method: &Method,
    path: &str,
) -> Response {
    if method != Method::GET {
        return not_allowed(method);
    }
    let access = |yes: bool| if yes { "All" } else { "None" };
    match rest {
        [] => ok(json!({"info": {
            "name": e.model,
            "canCreate": e.can_create(),
            "canDelete": e.can_delete(),
            "canQuery": true,
            "canUpdate": e.can_write(),
            "userAccessForCreate": access(e.can_create()),
            "userAccessForDelete": access(e.can_delete()),
            "userAccessForQuery": "All",
            "userAccessForUpdate": access(e.can_write()),
            "hasUserDefinedFields": e.udf,
            "supportsWebhookCallouts": e.webhooks,
        }})),
        ["fields"] => {
            let world = state.world();
            let fields: Vec<Value> = e
                .fields
                .iter()
                .map(|field| {
                    let fixed = field.pick_values.as_ref().map(|values| {
                        values
                            .iter()
                            .enumerate()
                            .map(|(i, p)| {
                                json!({
                                    "value": p.value.to_string(),
                                    "label": p.label,
                                    "isDefaultValue": field.default.as_ref().and_then(Value::as_i64) == Some(p.value),
                                    "sortOrder": i + 1,
                                    "parentValue": "",
                                    "isActive": true,
                                    "isSystem": true,
                                })
                            })
                            .collect::<Vec<_>>()
                    });
                    let picklist = field.pick.map(|t| {
                        world
                            .store
                            .rows(t)
                            .map(|r| {
                                json!({
                                    "value": int(&r, "id").unwrap_or_default().to_string(),
                                    "label": r.get("label").cloned().unwrap_or(Value::Null),
                                    "isDefaultValue": r.get("isDefaultValue").cloned().unwrap_or(Value::Bool(false)),
                                    "sortOrder": r.get("sortOrder").cloned().unwrap_or(Value::from(0)),
                                    "parentValue": "",
                                    "isActive": r.get("isActive").cloned().unwrap_or(Value::Bool(true)),
                                    "isSystem": true,
                                })
                            })
                            .collect::<Vec<_>>()
                    }).or(fixed);
                    json!({
                        "name": field.name,
                        "dataType": field.ty.data_type(),
                        "length": match field.ty { Ty::Str(n) if n < u32::MAX => n, _ => 0 },
                        "isRequired": field.required,
                        "isReadOnly": field.read_only,
                        "isQueryable": true,
                        "isReference": field.refers.is_some(),
                        "referenceEntityType": field.refers.map(|r| r.0).unwrap_or(""),
                        "isPickList": picklist.is_some(),
                        "picklistValues": picklist,
                        "picklistParentValueField": "",
                        "isSupportedWebhookField": false,
                    })
                })
                .collect();
            ok(json!({ "fields": fields }))
        }
        ["userdefinedfields"] if e.udf => ok(super::udf::info(&state.world().store, e)),
        ["userdefinedfields"] => ok(json!({ "fields": [] })),
        _ => not_found(path),
    }
}
