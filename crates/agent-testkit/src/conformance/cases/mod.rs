//! The conformance cases, one family per file: each case starts a fresh
//! server through the [`Harness`], runs the real [`agent_core::Agent`]
//! against the backend under test, and checks the answer, the events, and
//! what the server received.
//!
//! - `reference_work.rs`: Q1–Q4 at once, and CHAIN-3;
//! - `streaming.rs`: a streamed answer;
//! - `tool_results.rs`: unknown tools, failing tools, bad input;
//! - `faults.rs`: throttling, 5xx and cut streams retried, refusals not;
//! - `max_tokens.rs`: a response cut by `max_tokens`;
//! - `content.rs`: thinking, images and documents, carried exactly or
//!   refused by name.
//! - `request_options.rs`: tool choice, prompt caching, structured output.

mod content;
mod faults;
mod max_tokens;
mod reference_work;
mod request_options;
mod streaming;
mod tool_results;

use std::fmt;

use super::harness::Harness;

/// One conformance case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// Q1–Q4 run concurrently, streaming and not: the answers, and the
    /// second request holding every result in call order.
    ReferenceQueries,
    /// CHAIN-3: four model turns, the history growing each turn.
    Chain,
    /// A streamed answer: text deltas arrive as events and add up.
    StreamedAnswer,
    /// A call to a tool nobody offers is answered with an error result.
    UnknownTool,
    /// A failing tool and bad input are answered with error results.
    ToolError,
    /// A 429 with `retry-after`, then a 5xx, then success.
    ThrottledThenSuccess,
    /// A stream cut midway is retried and the answer is whole.
    StreamCutThenSuccess,
    /// A refused request stops the run at once, without retries.
    NonRetryableError,
    /// A response cut by `max_tokens`: partial answer, no tool runs.
    MaxTokens,
    /// Extended thinking on a tool round: the reasoning goes back first,
    /// unchanged (or the backend refuses thinking by name, sending nothing).
    ThinkingToolRound,
    /// An image and a document attached to the prompt arrive as sent (or
    /// are refused by name).
    AttachedImageAndDocument,
    /// A tool's image reaches the server in its result (or is refused by
    /// name).
    ToolReturningAnImage,
    /// A forced tool choice reaches the server on a run's first call only,
    /// and the model calls that tool.
    ToolChoiceFirstCallOnly,
    /// Automatic prompt caching: Q2 answers, at most 4 cache points per
    /// request, none left in the conversation.
    PromptCaching,
    /// Structured output: the output tool offered, forced once the model
    /// answers without it, an invalid value repaired, the valid one kept.
    StructuredOutput,
}

impl Case {
    /// Every case, in the order [`run`](crate::conformance::run) runs them.
    pub const ALL: [Case; 15] = [
        Case::ReferenceQueries,
        Case::Chain,
        Case::StreamedAnswer,
        Case::UnknownTool,
        Case::ToolError,
        Case::ThrottledThenSuccess,
        Case::StreamCutThenSuccess,
        Case::NonRetryableError,
        Case::MaxTokens,
        Case::ThinkingToolRound,
        Case::AttachedImageAndDocument,
        Case::ToolReturningAnImage,
        Case::ToolChoiceFirstCallOnly,
        Case::PromptCaching,
        Case::StructuredOutput,
    ];

    /// The case's name, as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Case::ReferenceQueries => "reference_queries",
            Case::Chain => "chain",
            Case::StreamedAnswer => "streamed_answer",
            Case::UnknownTool => "unknown_tool",
            Case::ToolError => "tool_error",
            Case::ThrottledThenSuccess => "throttled_then_success",
            Case::StreamCutThenSuccess => "stream_cut_then_success",
            Case::NonRetryableError => "non_retryable_error",
            Case::MaxTokens => "max_tokens",
            Case::ThinkingToolRound => "thinking_tool_round",
            Case::AttachedImageAndDocument => "attached_image_and_document",
            Case::ToolReturningAnImage => "tool_returning_an_image",
            Case::ToolChoiceFirstCallOnly => "tool_choice_first_call_only",
            Case::PromptCaching => "prompt_caching",
            Case::StructuredOutput => "structured_output",
        }
    }

    /// Runs this case against `harness`: `Err` says what failed.
    pub(super) async fn run(self, harness: &dyn Harness) -> Result<(), String> {
        match self {
            Case::ReferenceQueries => reference_work::reference_queries(harness).await,
            Case::Chain => reference_work::chain(harness).await,
            Case::StreamedAnswer => streaming::streamed_answer(harness).await,
            Case::UnknownTool => tool_results::unknown_tool(harness).await,
            Case::ToolError => tool_results::tool_error(harness).await,
            Case::ThrottledThenSuccess => faults::throttled_then_success(harness).await,
            Case::StreamCutThenSuccess => faults::stream_cut_then_success(harness).await,
            Case::NonRetryableError => faults::non_retryable_error(harness).await,
            Case::MaxTokens => max_tokens::max_tokens(harness).await,
            Case::ThinkingToolRound => content::thinking_tool_round(harness).await,
            Case::AttachedImageAndDocument => content::attached_image_and_document(harness).await,
            Case::ToolReturningAnImage => content::tool_returning_an_image(harness).await,
            Case::ToolChoiceFirstCallOnly => {
                request_options::tool_choice_first_call_only(harness).await
            }
            Case::PromptCaching => request_options::prompt_caching(harness).await,
            Case::StructuredOutput => request_options::structured_output(harness).await,
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
