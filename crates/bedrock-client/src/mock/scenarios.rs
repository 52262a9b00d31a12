//! Scenario files: the scripted turns the server plays, beside the
//! reference work. The format is `agent_core`'s (see
//! `agent_core::scripted::Scenario` and `docs/BEDROCK.md`):
//!
//! ```json
//! [
//!   {
//!     "name": "weather",
//!     "prompt": "What's the weather in Paris?",
//!     "turns": [
//!       { "tool_calls": [ { "name": "get_weather", "input": { "location": "Paris" } } ] },
//!       { "text": "It is sunny in Paris." }
//!     ]
//!   }
//! ]
//! ```

use std::path::Path;

use agent_core::Scenario;

use super::MockError;

/// Reads a scenario file.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("scenarios-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("s.json");
/// std::fs::write(&path, r#"[{"name": "hi", "prompt": "Hi", "turns": [{"text": "Hello!"}]}]"#).unwrap();
/// let scenarios = bedrock_client::mock::load_scenarios(&path).unwrap();
/// assert_eq!(scenarios[0].name, "hi");
/// ```
pub fn load_scenarios(path: impl AsRef<Path>) -> Result<Vec<Scenario>, MockError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| MockError::ScenarioRead {
        path: path.to_owned(),
        source,
    })?;
    parse_scenarios(&text).map_err(|source| MockError::ScenarioParse {
        path: path.to_owned(),
        source,
    })
}

/// Parses a scenario list from JSON text: a list, or a single scenario.
pub fn parse_scenarios(text: &str) -> Result<Vec<Scenario>, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    if value.is_array() {
        serde_json::from_value(value)
    } else {
        serde_json::from_value(value).map(|s| vec![s])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_or_a_single_scenario() {
        let one = r#"{"name": "a", "turns": [{"text": "x"}]}"#;
        assert_eq!(parse_scenarios(one).unwrap().len(), 1);
        let two = format!("[{one}, {one}]");
        assert_eq!(parse_scenarios(&two).unwrap().len(), 2);
        assert!(parse_scenarios(r#"{"turns": 3}"#).is_err());
    }

    #[test]
    fn file_errors_name_the_file() {
        let err = load_scenarios("/nonexistent/s.json").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/s.json"), "{err}");
    }
}
