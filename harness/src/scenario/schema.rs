//! The JSON Schema of scenario files, generated from the scenario types for editors.

use super::{Scenario, Step, StepDoc};
use serde_json::{Map, Value};

/// A step is written as [`StepDoc`]: an object with exactly one action.
impl schemars::JsonSchema for Step {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Step".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = StepDoc::json_schema(generator);
        schema.insert("minProperties".into(), 1.into());
        schema.insert("maxProperties".into(), 1.into());
        schema
    }
}

/// `fields` and `set` name the same member of record actions (serde aliases, which the schema
/// derive does not see).
pub(super) fn fields_alias(schema: &mut schemars::Schema) {
    let props = schema
        .as_object_mut()
        .and_then(|o| o.get_mut("properties"))
        .and_then(Value::as_object_mut);
    if let Some(props) = props {
        for (name, alias) in [("fields", "set"), ("set", "fields")] {
            if let Some(p) = props.get(name).cloned() {
                props.entry(alias).or_insert(p);
            }
        }
    }
}

pub(super) fn manage_action_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "A Manage Data bulk action.",
        "enum": ["pause", "resume", "disconnect", "reconnect", "delete"]
    })
}

pub(super) fn removal_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "How the integration is removed.",
        "enum": ["disconnect", "delete", null]
    })
}

/// The JSON Schema of a scenario file (docs/scenario.schema.json), for editors: the README's
/// `yaml-language-server` line makes them complete and check scenario files as you type.
pub fn schema() -> Value {
    let generated = schemars::schema_for!(Scenario).to_value();
    let mut out = Map::new();
    if let Some(v) = generated.get("$schema") {
        out.insert("$schema".into(), v.clone());
    }
    out.insert("title".into(), Value::from("PSA conformance scenario"));
    out.insert(
        "description".into(),
        Value::from("One case of the PSA sync conformance suite (scenarios/*.yaml). See README.md, `Writing a scenario`. Expectation paths are checked against the outcome when the file is loaded, which this schema cannot do."),
    );
    for (k, v) in generated.as_object().into_iter().flatten() {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::discover;
    use std::path::PathBuf;

    fn workspace() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// docs/scenario.schema.json is the one the types give (PSA_UPDATE_SCHEMA=1 rewrites it),
    /// and every scenario of the suite fits it, while a misspelled key does not.
    #[test]
    fn the_editor_schema_is_current_and_fits_every_scenario() {
        let file = workspace().join("docs/scenario.schema.json");
        let generated = serde_json::to_string_pretty(&schema()).unwrap() + "\n";
        if std::env::var_os("PSA_UPDATE_SCHEMA").is_some() {
            std::fs::write(&file, &generated).unwrap();
        }
        let published = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            published == generated,
            "docs/scenario.schema.json is stale: rerun with PSA_UPDATE_SCHEMA=1"
        );
        let validator = jsonschema::validator_for(&schema()).unwrap();
        let files = discover(&[workspace().join("scenarios")]).unwrap();
        assert!(files.len() > 50, "{}", files.len());
        for f in files {
            let doc: Value = serde_norway::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", f.display());
        }
        for bad in [
            "psas: all\nsteps: [{sync: full, edit: {kind: contact}}]\n",
            "psas: all\nexpect: [{that: log, contians: x}]\n",
            "psas: all\nstpes: []\n",
        ] {
            let doc: Value = serde_norway::from_str(bad).unwrap();
            assert!(!validator.is_valid(&doc), "{bad}");
        }
    }
}
