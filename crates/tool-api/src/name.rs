//! The rule for tool names: Bedrock's `^[a-zA-Z0-9_-]{1,64}$`.

use crate::SpecError;

/// Longest name Bedrock accepts.
pub const MAX_TOOL_NAME_LEN: usize = 64;

/// Checks `name` against `^[a-zA-Z0-9_-]{1,64}$`.
///
/// ```
/// assert!(tool_api::validate_tool_name("get_weather").is_ok());
/// assert!(tool_api::validate_tool_name("get weather").is_err());
/// ```
pub fn validate_tool_name(name: &str) -> Result<(), SpecError> {
    let fail = |reason: String| {
        Err(SpecError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return fail("it is empty".into());
    }
    if name.len() > MAX_TOOL_NAME_LEN {
        return fail(format!("it is {} characters long", name.len()));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return fail(format!("it contains {bad:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_allowed_alphabet() {
        assert!(validate_tool_name("a").is_ok());
        assert!(validate_tool_name("Get_Weather-2").is_ok());
        assert!(validate_tool_name(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn refuses_empty_long_and_odd_names() {
        for bad in ["", "has space", "dot.ted", "ünï", "a/b"] {
            let err = validate_tool_name(bad).unwrap_err();
            assert!(err.to_string().contains("^[a-zA-Z0-9_-]{1,64}$"), "{err}");
        }
        let err = validate_tool_name(&"x".repeat(65)).unwrap_err();
        assert!(err.to_string().contains("65 characters"), "{err}");
    }
}
