//! [`Guardrail`]: a Bedrock guardrail applied to a request.

use serde::{Deserialize, Serialize};

/// A guardrail the service applies to the request and its answer
/// (Bedrock's `guardrailConfig`). When it intervenes the response stops
/// with [`crate::StopReason::GuardrailIntervened`] and the agent ends the
/// run there. Backends without guardrails refuse a request carrying one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardrail {
    /// The guardrail's id or ARN.
    pub id: String,
    /// Its version: a number, or `DRAFT`.
    pub version: String,
    /// Whether the response carries the guardrail's trace.
    #[serde(default)]
    pub trace: bool,
}

impl Guardrail {
    /// The version used when `ID` comes without `:VERSION`.
    pub const DEFAULT_VERSION: &'static str = "DRAFT";

    /// `ID[:VERSION]` as `--guardrail` takes it (version `DRAFT` when left
    /// out). An ARN's own colons are kept: the version is what follows the
    /// last colon, when that is a number or `DRAFT`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        let (id, version) = match spec.rsplit_once(':') {
            Some((id, v))
                if !id.is_empty() && (v == "DRAFT" || v.chars().all(|c| c.is_ascii_digit())) =>
            {
                (id, v)
            }
            _ => (spec, Self::DEFAULT_VERSION),
        };
        if id.is_empty() || version.is_empty() {
            return Err(format!(
                "`{spec}` is not a guardrail (ID or ID:VERSION, the version a number or DRAFT)"
            ));
        }
        Ok(Self {
            id: id.to_owned(),
            version: version.to_owned(),
            trace: false,
        })
    }
}

impl std::fmt::Display for Guardrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.id, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_and_version_as_the_flag_takes_them() {
        let g = Guardrail::parse("gr-abc:3").unwrap();
        assert_eq!((g.id.as_str(), g.version.as_str()), ("gr-abc", "3"));
        assert_eq!(Guardrail::parse("gr-abc").unwrap().version, "DRAFT");
        let arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr-abc";
        let g = Guardrail::parse(&format!("{arn}:DRAFT")).unwrap();
        assert_eq!(g.id, arn);
        assert_eq!(Guardrail::parse(arn).unwrap().id, arn);
        assert!(Guardrail::parse("").is_err());
    }
}
