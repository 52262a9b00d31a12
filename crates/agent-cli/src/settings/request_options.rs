//! The settings table's rows for the model request options (issue 13):
//! tool choice, prompt caching, structured output, guardrails and
//! pass-through fields. Each row is a [`Spec`] like those of `table.rs`;
//! `assemble.rs` turns the values into the agent builder's options.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::table::Spec;
use super::values::switch;

fn parsed_some(raw: &str) -> Option<Option<String>> {
    Some(Some(raw.trim().to_owned()))
}

fn shown_or(v: &Option<String>, none: &str) -> String {
    v.clone().unwrap_or_else(|| none.to_owned())
}

/// `KEY=JSON`, as `--model-field` takes it.
pub fn parse_model_field(raw: &str) -> Result<(String, serde_json::Value), String> {
    let (key, json) = raw
        .split_once('=')
        .ok_or_else(|| format!("`{raw}` is not KEY=JSON (e.g. top_k=200)"))?;
    if key.trim().is_empty() {
        return Err(format!("`{raw}` has no KEY before `=`"));
    }
    let value = serde_json::from_str(json)
        .map_err(|e| format!("the value of `{key}` is not JSON ({e}): {json}"))?;
    Ok((key.trim().to_owned(), value))
}

/// Which tool the model must call on a run's first model call.
pub const TOOL_CHOICE: Spec<Option<String>> = Spec {
    key: "tool_choice",
    flag: Some("--tool-choice"),
    env: Some("AGENT_TOOL_CHOICE"),
    expected: "auto, any or a tool's name",
    about: "Tool choice of each run's first model call: auto (the model decides), any (it must \
            call a tool) or a tool's name (it must call that one); later calls are left to the \
            model",
    parse: parsed_some,
    check: |v| {
        v.as_deref()
            .filter(|s| s.trim().is_empty())
            .map(|_| "the tool choice is empty (auto, any or a tool's name)".to_owned())
    },
    default: |_| None,
    show: |v, _| shown_or(v, "auto"),
};

/// Prompt caching: `auto` or `off`.
pub const CACHE: Spec<String> = Spec {
    key: "cache",
    flag: Some("--cache"),
    env: Some("AGENT_CACHE"),
    expected: "auto or off",
    about: "Prompt caching: auto (cache points after the tool specs, the system prompt and the \
            latest turn; bedrock and anthropic) or off",
    parse: |raw| Some(raw.trim().to_ascii_lowercase()),
    check: |v| (v != "auto" && v != "off").then(|| format!("cache must be auto or off, not `{v}`")),
    default: |_| "auto".to_owned(),
    show: |v, _| v.clone(),
};

/// How long a cache entry lives.
pub const CACHE_TTL: Spec<Option<String>> = Spec {
    key: "cache_ttl",
    flag: Some("--cache-ttl"),
    env: Some("AGENT_CACHE_TTL"),
    expected: "5m or 1h",
    about: "Prompt cache TTL: 5m or 1h (1h on the models that offer it; writes cost more)",
    parse: parsed_some,
    check: |v| {
        v.as_deref()
            .and_then(|t| t.parse::<agent_core::CacheTtl>().err())
    },
    default: |_| None,
    show: |v, _| shown_or(v, "(the service's: 5m)"),
};

/// A JSON Schema file the final answer must fit.
pub const OUTPUT_SCHEMA: Spec<Option<PathBuf>> = Spec {
    key: "output_schema",
    flag: Some("--output-schema"),
    env: Some("AGENT_OUTPUT_SCHEMA"),
    expected: "a path",
    about: "Structured output: a JSON Schema file the final answer must be valid against (the \
            value is in --json's \"output\")",
    parse: |raw| Some(Some(PathBuf::from(raw.trim()))),
    check: |_| None,
    default: |_| None,
    show: |v, _| {
        v.as_ref()
            .map_or_else(|| "(none)".to_owned(), |p| p.display().to_string())
    },
};

/// A Bedrock guardrail.
pub const GUARDRAIL: Spec<Option<String>> = Spec {
    key: "guardrail",
    flag: Some("--guardrail"),
    env: Some("AGENT_GUARDRAIL"),
    expected: "ID or ID:VERSION",
    about: "A Bedrock guardrail, ID[:VERSION] (version DRAFT by default); bedrock only",
    parse: parsed_some,
    check: |v| {
        v.as_deref()
            .and_then(|g| agent_core::Guardrail::parse(g).err())
    },
    default: |_| None,
    show: |v, _| shown_or(v, "(none)"),
};

/// The guardrail's trace in responses.
pub const GUARDRAIL_TRACE: Spec<bool> = Spec {
    key: "guardrail_trace",
    flag: Some("--guardrail-trace"),
    env: Some("AGENT_GUARDRAIL_TRACE"),
    expected: "true or false (also 1/0, yes/no, on/off)",
    about: "Ask for the guardrail's trace (with --guardrail)",
    parse: switch,
    check: |_| None,
    default: |_| false,
    show: |v, _| v.to_string(),
};

/// Model-specific request fields, passed through.
pub const MODEL_FIELDS: Spec<BTreeMap<String, serde_json::Value>> = Spec {
    key: "model_fields",
    flag: Some("--model-field"),
    env: Some("AGENT_MODEL_FIELDS"),
    expected: "a JSON object",
    about: "A model-specific request field, KEY=JSON (repeatable), sent in Bedrock's \
            additionalModelRequestFields; bedrock only",
    parse: |raw| serde_json::from_str(raw).ok(),
    check: |_| None,
    default: |_| BTreeMap::new(),
    show: |v, _| {
        if v.is_empty() {
            "(none)".to_owned()
        } else {
            serde_json::to_string(v).unwrap_or_default()
        }
    },
};

/// Model-specific response fields to return.
pub const RESPONSE_FIELDS: Spec<Vec<String>> = Spec {
    key: "response_fields",
    flag: Some("--response-field"),
    env: Some("AGENT_RESPONSE_FIELDS"),
    expected: "a comma-separated list of JSON pointers",
    about: "A model-specific response field to return, as a JSON pointer (repeatable; Bedrock's \
            additionalModelResponseFieldPaths; in --json's \"model_fields\"); bedrock only",
    parse: |raw| {
        Some(
            raw.split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        )
    },
    check: |paths| {
        paths
            .iter()
            .find(|p| !p.starts_with('/'))
            .map(|p| format!("the response field `{p}` is not a JSON pointer (start it with /)"))
    },
    default: |_| Vec::new(),
    show: |v, _| {
        if v.is_empty() {
            "(none)".to_owned()
        } else {
            v.join(", ")
        }
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_fields_read_as_key_and_json() {
        assert_eq!(
            parse_model_field("top_k=200").unwrap(),
            ("top_k".to_owned(), serde_json::json!(200))
        );
        assert!(parse_model_field("top_k").is_err());
        assert!(
            parse_model_field("top_k=nope")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!((CACHE.check)(&"sometimes".to_owned()).is_some());
        assert!((CACHE_TTL.check)(&Some("2h".to_owned())).is_some());
        assert!((RESPONSE_FIELDS.check)(&vec!["stop_sequence".to_owned()]).is_some());
    }
}
