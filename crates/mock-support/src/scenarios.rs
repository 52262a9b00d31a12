//! The scripted turns a local server plays: [`Scenarios`] (the reference
//! work, `agent_testkit::reference::all()`, plus any given), scenario files
//! ([`load_scenarios`]), and the choice of a scenario for a request
//! ([`pick`]).
//!
//! A scenario file holds `agent_testkit`'s format (see
//! `agent_testkit::Scenario` and `docs/BEDROCK.md`, "Scenario
//! files"): a JSON list of scenarios, or a single one.
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

use agent_core::{ModelRequest, Role};
use agent_testkit::{Scenario, first_prompt, select};

use crate::MockError;

/// The scenarios a server is built with: those given, in the order they
/// are matched, then (unless left out) the reference work. The reference
/// scenarios are made when the server starts.
///
/// ```
/// use mock_support::Scenarios;
///
/// let mut scenarios = Scenarios::default();
/// scenarios.add(mock_support::parse_scenarios(r#"{"name": "hi", "turns": [{"text": "Hello!"}]}"#).unwrap());
/// let all = scenarios.clone().resolve();
/// assert_eq!(all[0].name, "hi");
/// assert!(all.len() > 1, "the reference work follows");
/// scenarios.without_reference();
/// assert_eq!(scenarios.resolve().len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Scenarios {
    given: Vec<Scenario>,
    reference: bool,
}

impl Default for Scenarios {
    fn default() -> Self {
        Self {
            given: Vec::new(),
            reference: true,
        }
    }
}

impl Scenarios {
    /// Adds `scenarios` after those given so far, before the reference work.
    pub fn add(&mut self, scenarios: impl IntoIterator<Item = Scenario>) {
        self.given.extend(scenarios);
    }

    /// Adds `scenarios` ahead of all others, so they win.
    pub fn add_first(&mut self, scenarios: impl IntoIterator<Item = Scenario>) {
        let mut first: Vec<Scenario> = scenarios.into_iter().collect();
        first.append(&mut self.given);
        self.given = first;
    }

    /// Plays exactly `scenarios`: those given so far and the reference work
    /// are dropped.
    pub fn replace(&mut self, scenarios: Vec<Scenario>) {
        self.given = scenarios;
        self.reference = false;
    }

    /// Leaves out the reference work (Q1–Q4, FANOUT-n, CHAIN-50).
    pub fn without_reference(&mut self) {
        self.reference = false;
    }

    /// The list to play, in match order.
    pub fn resolve(self) -> Vec<Scenario> {
        let mut all = self.given;
        if self.reference {
            all.extend(agent_testkit::reference::all());
        }
        all
    }
}

/// Reads a scenario file; the error names the file.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("scenarios-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("s.json");
/// std::fs::write(&path, r#"[{"name": "hi", "prompt": "Hi", "turns": [{"text": "Hello!"}]}]"#).unwrap();
/// let scenarios = mock_support::load_scenarios(&path).unwrap();
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

/// Parses scenarios from JSON text: a list, or a single scenario. Parsed
/// straight from the text (not through a `Value`) so that every error,
/// an unknown key included, says its line and column.
pub fn parse_scenarios(text: &str) -> Result<Vec<Scenario>, serde_json::Error> {
    if text.trim_start().starts_with('[') {
        serde_json::from_str(text)
    } else {
        serde_json::from_str(text).map(|s| vec![s])
    }
}

/// The scenario that answers `request` (see `agent_testkit::select`),
/// or why none does, for the protocol to send in its own error shape:
/// naming the prompt and the scenarios known; or, when the turn to play
/// calls tools and the client offered none, naming those tools. (A real
/// model never calls a tool it was not offered; answering anyway would
/// only fail a turn later, on the service's rule that tool blocks need
/// tools, far from the cause: a client started without its tools.)
pub fn pick<'a>(scenarios: &'a [Scenario], request: &ModelRequest) -> Result<&'a Scenario, String> {
    let scenario = select(scenarios, request).ok_or_else(|| {
        let known: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        format!(
            "The mock server has no scenario for the prompt {:?} (known: {}); add one with a \
             scenario file.",
            first_prompt(request),
            known.join(", ")
        )
    })?;
    if request.tools.is_empty() {
        let turn = request
            .messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .count();
        if let Some(turn) = scenario
            .turns
            .get(turn)
            .filter(|t| !t.tool_calls.is_empty())
        {
            let mut names: Vec<&str> = turn.tool_calls.iter().map(|c| c.name.as_str()).collect();
            names.dedup();
            return Err(format!(
                "The mock server's scenario {} calls the tools {}, but the request offered no \
                 tools: start the client with tools that provide them (the reference tools are \
                 the demo plugin's: agent run --plugin <path to the demo plugin library>, built \
                 by `cargo build --release -p demo-tools`; `agent demo` has them built in).",
                scenario.name,
                names.join(", ")
            ));
        }
    }
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use agent_core::Message;

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
    fn unknown_keys_are_refused_with_the_key_and_line() {
        for (text, key, line) in [
            ("[\n {\"name\": \"a\",\n  \"turn\": []}\n]", "turn", 3),
            (
                "{\"name\": \"a\", \"turns\": [\n {\"txt\": \"x\"}]}",
                "txt",
                2,
            ),
            (
                "{\"name\": \"a\", \"turns\": [{\"tool_calls\": [\n\n {\"name\": \"t\", \"input\": {}, \"args\": 1}]}]}",
                "args",
                3,
            ),
        ] {
            let err = parse_scenarios(text).unwrap_err().to_string();
            assert!(err.contains(&format!("unknown field `{key}`")), "{err}");
            assert!(err.contains(&format!("line {line}")), "{err}");
        }
    }

    #[test]
    fn file_errors_name_the_file() {
        let err = load_scenarios("/nonexistent/s.json").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/s.json"), "{err}");
        let path =
            std::env::temp_dir().join(format!("mock-support-bad-{}.json", std::process::id()));
        std::fs::write(&path, "[{").unwrap();
        let err = load_scenarios(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(err, MockError::ScenarioParse { .. }));
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }

    fn named(name: &str, prompt: &str) -> Scenario {
        let mut s = parse_scenarios(r#"{"name": "", "turns": [{"text": "x"}]}"#).unwrap();
        let mut s = s.remove(0);
        s.name = name.into();
        s.prompt = Some(prompt.into());
        s
    }

    #[test]
    fn order_first_replace_and_reference() {
        let mut s = Scenarios::default();
        s.add([named("b", "b")]);
        s.add_first([named("a", "a")]);
        s.add([named("c", "c")]);
        let names: Vec<String> = s.clone().resolve().into_iter().map(|s| s.name).collect();
        assert_eq!(names[..3], ["a", "b", "c"]);
        assert_eq!(names.len(), 3 + agent_testkit::reference::all().len());
        s.replace(vec![named("z", "z")]);
        assert_eq!(s.resolve().len(), 1);
    }

    #[test]
    fn a_scenario_calling_tools_the_request_did_not_offer_says_so() {
        let reference = Scenarios::default().resolve();
        let mut request = ModelRequest {
            system: None,
            messages: vec![Message::user(
                "What's the weather in New York and the stock price of AAPL?",
            )],
            tools: Vec::new(),
            inference: Default::default(),
            ..Default::default()
        };
        let e = pick(&reference, &request).unwrap_err();
        assert!(
            e.contains("scenario Q1 calls the tools get_weather, get_stock_price")
                && e.contains("offered no tools")
                && e.contains("--plugin"),
            "{e}"
        );
        // With tools offered (even others: a model may call an unknown
        // tool), the scenario plays.
        request.tools = vec![tool_api::ToolSpec::new(
            "noop",
            "Does nothing.",
            serde_json::json!({"type": "object", "properties": {}}),
        )];
        assert_eq!(pick(&reference, &request).unwrap().name, "Q1");
        // A text-only turn needs no tools.
        let hi = vec![named("hi", "hi")];
        request.tools.clear();
        request.messages = vec![Message::user("hi")];
        assert_eq!(pick(&hi, &request).unwrap().name, "hi");
    }

    #[test]
    fn pick_names_the_prompt_and_the_known_scenarios() {
        let scenarios = vec![named("greeting", "hello")];
        let request = ModelRequest {
            system: None,
            messages: vec![Message::user("Hello there")],
            tools: Vec::new(),
            inference: Default::default(),
            ..Default::default()
        };
        assert_eq!(pick(&scenarios, &request).unwrap().name, "greeting");
        let request = ModelRequest {
            messages: vec![Message::user("bye")],
            ..request
        };
        let e = pick(&scenarios, &request).unwrap_err();
        assert!(
            e.contains("\"bye\"") && e.contains("known: greeting"),
            "{e}"
        );
    }
}
