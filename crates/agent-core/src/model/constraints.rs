//! The rules a service enforces on a request's options, checked before the
//! request is sent: a request that breaks one would be refused anyway, and
//! the refusal would cost a round trip (and, in the middle of a run, leave a
//! turn half done). One function, [`check_request`], holds every rule, so
//! each backend and the agent loop call the same check.
//!
//! Extended thinking ([`crate::Thinking`]), as Bedrock and the Anthropic API
//! enforce it:
//! - the budget is at least [`Thinking::MIN_BUDGET`] tokens;
//! - the budget is below `max_tokens` (it is part of them);
//! - `temperature` is left unset (thinking needs the default sampling);
//! - `top_p`, if set, is between 0.95 and 1;
//! - the tool choice is not forced (`any` or a named tool).

use crate::{ModelError, ModelErrorKind, ModelRequest, Thinking};

/// A rule a request breaks; the message says what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestRuleError {
    /// The thinking budget is under the minimum.
    #[error(
        "the thinking budget is {budget} tokens; extended thinking needs at least {} \
         (raise --thinking)",
        Thinking::MIN_BUDGET
    )]
    ThinkingBudgetTooSmall {
        /// The budget asked for.
        budget: u32,
    },
    /// The thinking budget does not leave room for the answer.
    #[error(
        "the thinking budget ({budget} tokens) must be below max tokens ({max_tokens}): \
         lower --thinking or raise --max-tokens"
    )]
    ThinkingBudgetNotBelowMaxTokens {
        /// The budget asked for.
        budget: u32,
        /// The request's max tokens.
        max_tokens: u32,
    },
    /// Thinking with a temperature set.
    #[error(
        "extended thinking cannot be combined with a temperature ({temperature}): leave the \
         temperature unset"
    )]
    ThinkingWithTemperature {
        /// The temperature set.
        temperature: f32,
    },
    /// Thinking with a forced tool choice.
    #[error(
        "extended thinking cannot be combined with a forced tool choice ({choice}): use \
         --tool-choice auto, or turn thinking off"
    )]
    ThinkingWithForcedToolChoice {
        /// The tool choice asked for.
        choice: String,
    },
    /// Thinking with `top_p` below 0.95.
    #[error("extended thinking needs top_p between 0.95 and 1, or unset (it is {top_p})")]
    ThinkingWithTopP {
        /// The `top_p` set.
        top_p: f32,
    },
}

impl From<RequestRuleError> for ModelError {
    fn from(e: RequestRuleError) -> Self {
        ModelError::new(ModelErrorKind::InvalidRequest, e.to_string())
    }
}

/// Every rule of this module, on `request`; the first broken one.
///
/// ```
/// use agent_core::{InferenceConfig, Message, ModelRequest, Thinking};
/// use agent_core::model::constraints::check_request;
///
/// let mut request = ModelRequest {
///     system: None,
///     messages: vec![Message::user("Hi")],
///     tools: vec![],
///     inference: InferenceConfig { thinking: Some(Thinking::budget(2048)), ..Default::default() },
///     ..Default::default()
/// };
/// assert!(check_request(&request).is_ok());
/// request.inference.temperature = Some(0.2);
/// assert!(check_request(&request).is_err());
/// ```
pub fn check_request(request: &ModelRequest) -> Result<(), RequestRuleError> {
    let inference = &request.inference;
    if let Some(thinking) = inference.thinking {
        let budget = thinking.budget_tokens;
        if budget < Thinking::MIN_BUDGET {
            return Err(RequestRuleError::ThinkingBudgetTooSmall { budget });
        }
        if budget >= inference.max_tokens {
            return Err(RequestRuleError::ThinkingBudgetNotBelowMaxTokens {
                budget,
                max_tokens: inference.max_tokens,
            });
        }
        if let Some(temperature) = inference.temperature {
            return Err(RequestRuleError::ThinkingWithTemperature { temperature });
        }
        if let Some(top_p) = inference.top_p
            && !(0.95..=1.0).contains(&top_p)
        {
            return Err(RequestRuleError::ThinkingWithTopP { top_p });
        }
        if let Some(choice) = request.tool_choice.as_ref().filter(|c| c.is_forced()) {
            return Err(RequestRuleError::ThinkingWithForcedToolChoice {
                choice: choice.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InferenceConfig, Message};

    fn request(budget: u32, max_tokens: u32) -> ModelRequest {
        ModelRequest {
            system: None,
            messages: vec![Message::user("x")],
            tools: vec![],
            inference: InferenceConfig {
                max_tokens,
                thinking: Some(Thinking::budget(budget)),
                ..InferenceConfig::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn thinking_rules() {
        assert_eq!(check_request(&request(1024, 1025)), Ok(()));
        assert_eq!(
            check_request(&request(1023, 4000)),
            Err(RequestRuleError::ThinkingBudgetTooSmall { budget: 1023 })
        );
        let e = check_request(&request(4000, 4000)).unwrap_err();
        assert!(e.to_string().contains("below max tokens (4000)"), "{e}");
        let mut r = request(2000, 4000);
        r.inference.temperature = Some(1.0);
        assert!(matches!(
            check_request(&r),
            Err(RequestRuleError::ThinkingWithTemperature { .. })
        ));
        let mut r = request(2000, 4000);
        r.inference.top_p = Some(0.5);
        assert!(check_request(&r).is_err());
        let mut plain = request(0, 10);
        plain.inference.thinking = None;
        plain.inference.temperature = Some(0.3);
        assert_eq!(check_request(&plain), Ok(()));
        let model = ModelError::from(RequestRuleError::ThinkingBudgetTooSmall { budget: 5 });
        assert!(!model.is_retryable());
    }

    #[test]
    fn thinking_refuses_a_forced_tool_choice_only() {
        let mut r = request(2000, 4000);
        r.tool_choice = Some(crate::ToolChoice::Auto);
        assert_eq!(check_request(&r), Ok(()));
        r.tool_choice = Some(crate::ToolChoice::Any);
        let e = check_request(&r).unwrap_err();
        assert!(
            matches!(e, RequestRuleError::ThinkingWithForcedToolChoice { .. }),
            "{e}"
        );
        assert!(e.to_string().contains("--tool-choice auto"), "{e}");
        r.tool_choice = Some(crate::ToolChoice::Tool("get_weather".into()));
        assert!(check_request(&r).is_err());
        r.inference.thinking = None;
        assert_eq!(check_request(&r), Ok(()));
    }
}
