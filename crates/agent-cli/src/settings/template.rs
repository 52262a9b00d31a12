//! What the table tells a newcomer without reading code: a commented
//! `agent.toml` holding every setting at its default ([`config_file`],
//! written by `agent config init`), and each flag's default as `--help`
//! shows it ([`flag_default`]). Both come from the table (`table.rs`), so a
//! new setting appears in them with no edit here; only a setting whose
//! default is "none" needs an example value ([`example`]).

use serde_json::Value;

use super::values::BackendKind;
use super::{ConfigError, Settings};

/// An example value (TOML) for a setting whose default is unset, so the
/// commented line shows the form a value takes.
fn example(key: &str) -> Option<String> {
    Some(match key {
        "base_url" => "\"http://localhost:11434/v1\"".to_owned(),
        "api_key" => "\"sk-...\"".to_owned(),
        "region" => "\"us-east-1\"".to_owned(),
        "profile" => "\"default\"".to_owned(),
        "endpoint_url" => "\"https://bedrock-runtime.us-east-1.amazonaws.com\"".to_owned(),
        "plugins" => format!(
            "[\"plugins/{}\"]   # relative to this file",
            crate::plugins::demo_file_name()
        ),
        "plugins_dir" => "\"plugins\"".to_owned(),
        "system" => "\"You are a concise assistant.\"".to_owned(),
        "context_window" => "100000".to_owned(),
        "thinking" => "2048   # extended thinking's budget in tokens (bedrock, anthropic)".to_owned(),
        "plugin_prefixes" => format!(
            "{{ web_ = \"plugins/{}\" }}   # its tools are named web_<name>",
            crate::plugins::demo_file_name()
        ),
        "approve" => "[\"search_restaurants\"]   # or [\"all\"]; also [tools.NAME] approve = true".to_owned(),
        "tool_choice" => "\"any\"   # or \"auto\", or a tool's name".to_owned(),
        "cache_ttl" => "\"1h\"".to_owned(),
        "output_schema" => "\"answer.schema.json\"   # relative to the working directory".to_owned(),
        "guardrail" => "\"gr-abc123:1\"".to_owned(),
        "model_fields" => "{ top_k = 200 }".to_owned(),
        "response_fields" => "[\"/stop_sequence\"]".to_owned(),
        "mcp" => "{ fs = { command = \"npx\", args = [\"-y\", \"@modelcontextprotocol/server-filesystem\", \".\"] } }   # or [mcp.fs] tables".to_owned(),
        _ => return None,
    })
}

/// A default as a TOML value; `None` for an unset one.
fn toml_value(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        // JSON's strings, numbers and booleans are written as TOML's.
        other => Some(other.to_string()),
    }
}

/// A commented `agent.toml`: every setting, its description, its flag and
/// variable, and its default (or an example), each line commented out so
/// the file changes nothing until a line is uncommented.
pub fn config_file() -> Result<String, ConfigError> {
    let settings = Settings::defaults()?;
    let json = serde_json::to_value(&settings).unwrap_or(Value::Null);
    let mut out = String::from(
        "# agent.toml: settings of `agent run`, `agent chat`, `agent tools` and `agent demo \
         --backend`.\n\
         # Every setting is commented out at its default (or an example where it has none):\n\
         # uncomment a line to set it. A flag wins over an AGENT_* variable, which wins over\n\
         # this file. `agent config` shows the effective values and where each came from.\n",
    );
    for entry in settings.entries() {
        if entry.key == "tools" {
            continue;
        }
        let also: Vec<String> = entry
            .flag
            .map(|f| format!("flag {f}"))
            .into_iter()
            .chain(entry.env.map(|e| format!("env {e}")))
            .collect();
        out.push_str(&format!("\n# {}", entry.about));
        if !also.is_empty() {
            out.push_str(&format!(" ({})", also.join(", ")));
        }
        out.push('\n');
        let default = toml_value(&json[entry.key]["value"]);
        match (default, example(entry.key)) {
            (Some(v), _) => out.push_str(&format!("# {} = {v}\n", entry.key)),
            (None, Some(e)) => out.push_str(&format!("# {} = {e}\n", entry.key)),
            (None, None) => {}
        }
    }
    out.push_str(
        "\n# One tool's own limits, by tool name (here the demo's search_restaurants).\n\
         # [tools.search_restaurants]\n\
         # timeout = 90\n\
         # retries = 4\n\
         # approve = true   # ask before each call (docs/HOOKS.md)\n",
    );
    Ok(out)
}

/// The default of the setting `key` as `--help` shows it; `None` for a
/// setting that is unset by default. The model's depends on the backend.
pub fn flag_default(key: &str) -> Option<String> {
    let backends = [
        BackendKind::Bedrock,
        BackendKind::Anthropic,
        BackendKind::Openai,
    ];
    match key {
        "model" => Some(
            backends
                .iter()
                .map(|b| format!("{b}: {}", b.default_model()))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        "base_url" => Some(
            backends
                .iter()
                .map(|b| format!("{b}: {}", b.default_base_url()))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => {
            let settings = Settings::defaults().ok()?;
            let json = serde_json::to_value(&settings).ok()?;
            match &json[key]["value"] {
                Value::String(s) => Some(s.clone()),
                Value::Bool(_) => None,
                other => toml_value(other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::file::FileConfig;

    #[test]
    fn the_template_is_all_comments_and_parses_uncommented() {
        let text = config_file().unwrap();
        assert!(
            text.lines().all(|l| l.is_empty() || l.starts_with('#')),
            "{text}"
        );
        // Every setting of the table is in it.
        for entry in Settings::defaults().unwrap().entries() {
            let line = if entry.key == "tools" {
                "# [tools.".to_owned()
            } else {
                format!("# {} = ", entry.key)
            };
            assert!(text.contains(&line), "{}: {text}", entry.key);
        }
        // Uncommented, the settings lines are a valid file.
        let uncommented: String = text
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.starts_with("[tools.")
                    || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let parsed: Result<FileConfig, _> = toml::from_str(&uncommented);
        assert!(parsed.is_ok(), "{parsed:?}\n{uncommented}");
        assert!(
            uncommented.contains("max_concurrency = 64"),
            "{uncommented}"
        );
    }

    #[test]
    fn help_shows_the_defaults() {
        assert_eq!(flag_default("max_concurrency").as_deref(), Some("64"));
        assert_eq!(flag_default("backend").as_deref(), Some("bedrock"));
        assert_eq!(
            flag_default("model_retry_max_wait").as_deref(),
            Some("0.75")
        );
        assert!(flag_default("model").unwrap().contains("anthropic: "));
        assert_eq!(flag_default("region"), None);
        assert_eq!(flag_default("stream"), None);
    }
}
