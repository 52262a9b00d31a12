//! [`ToolChoice`]: whether the model must call a tool on a request.

use serde::{Deserialize, Serialize};

/// Whether, and which, tool the model must call in its answer.
///
/// Sent on one request; the agent forces a choice on the first model call
/// of a run only (see `AgentBuilder::tool_choice`), so a loop cannot force
/// the same tool forever. Every backend carries it: Bedrock's
/// `toolConfig.toolChoice`, the Messages API's and Chat Completions'
/// `tool_choice`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides (the service's default).
    Auto,
    /// The model must call some tool.
    Any,
    /// The model must call this tool.
    Tool(String),
}

impl ToolChoice {
    /// Whether the choice obliges the model to call a tool.
    pub fn is_forced(&self) -> bool {
        !matches!(self, Self::Auto)
    }

    /// The tool a [`ToolChoice::Tool`] names, if it names one.
    pub fn tool_name(&self) -> Option<&str> {
        match self {
            Self::Tool(name) => Some(name),
            _ => None,
        }
    }
}

impl std::fmt::Display for ToolChoice {
    /// As the `--tool-choice` flag takes it: `auto`, `any` or the name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Any => f.write_str("any"),
            Self::Tool(name) => f.write_str(name),
        }
    }
}

impl std::str::FromStr for ToolChoice {
    type Err = std::convert::Infallible;

    /// `auto`, `any`, or a tool's name (anything else).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "auto" => Self::Auto,
            "any" => Self::Any,
            name => Self::Tool(name.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_shows_as_the_flag_takes_it() {
        for s in ["auto", "any", "get_weather"] {
            let choice: ToolChoice = s.parse().unwrap();
            assert_eq!(choice.to_string(), s);
        }
        assert_eq!("any".parse::<ToolChoice>().unwrap(), ToolChoice::Any);
        assert!(!ToolChoice::Auto.is_forced());
        assert_eq!(ToolChoice::Tool("f".into()).tool_name(), Some("f"));
    }
}
