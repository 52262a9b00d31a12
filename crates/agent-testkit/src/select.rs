//! Which [`Scenario`] answers a request: matched on the first user
//! message's text, so a conversation keeps its scenario on every turn, on
//! retries, and across servers and restarts.

use agent_core::{Message, ModelRequest, Role};

use crate::scenario::Scenario;

/// The first user message's text: what scenarios are matched on.
pub fn first_prompt(request: &ModelRequest) -> String {
    request
        .messages
        .iter()
        .find(|m| m.role == Role::User)
        .map(Message::text)
        .unwrap_or_default()
}

/// The scenario among `scenarios` that answers `request`: an exact prompt
/// match, else a case-insensitive substring match, else one without prompt.
pub fn select<'a>(scenarios: &'a [Scenario], request: &ModelRequest) -> Option<&'a Scenario> {
    let prompt = first_prompt(request);
    let prompt_lc = prompt.to_lowercase();
    scenarios
        .iter()
        .find(|s| s.prompt.as_deref() == Some(prompt.as_str()))
        .or_else(|| {
            scenarios.iter().find(|s| {
                s.prompt
                    .as_ref()
                    .is_some_and(|p| !p.is_empty() && prompt_lc.contains(&p.to_lowercase()))
            })
        })
        .or_else(|| scenarios.iter().find(|s| s.prompt.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, prompt: Option<&str>) -> Scenario {
        Scenario::new(name, prompt, vec![])
    }

    fn asking(prompt: &str) -> ModelRequest {
        ModelRequest {
            system: None,
            messages: vec![Message::user(prompt)],
            tools: vec![],
            inference: Default::default(),
            ..Default::default()
        }
    }

    #[test]
    fn exact_then_substring_then_catch_all() {
        let all = [
            named("any", None),
            named("sub", Some("PARIS")),
            named("exact", Some("Weather in Paris?")),
        ];
        let pick = |p: &str| select(&all, &asking(p)).map(|s| s.name.as_str());
        assert_eq!(pick("Weather in Paris?"), Some("exact"));
        assert_eq!(pick("Is it warm in paris today?"), Some("sub"));
        assert_eq!(pick("Hello"), Some("any"));
        assert_eq!(select(&all[1..], &asking("Hello")), None);
        assert_eq!(first_prompt(&asking("Hello")), "Hello");
    }
}
