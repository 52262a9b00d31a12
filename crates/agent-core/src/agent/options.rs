//! [`RequestOptions`]: what an agent asks of every model request besides
//! the conversation: tool choice, prompt caching, a guardrail and
//! pass-through fields.

use serde_json::{Map, Value};

use crate::{CacheSettings, Guardrail, ModelRequest, ToolChoice};

/// The request options an [`super::Agent`] sends; set with the builder's
/// `tool_choice`, `cache`, `guardrail`, `model_field` and
/// `response_field_path`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RequestOptions {
    /// Forced on the first model call of each run only.
    pub tool_choice: Option<ToolChoice>,
    pub cache: Option<CacheSettings>,
    pub guardrail: Option<Guardrail>,
    pub model_fields: Map<String, Value>,
    pub response_field_paths: Vec<String>,
    /// Structured output for every run that does not set its own.
    pub output: Option<super::OutputSchema>,
}

impl RequestOptions {
    /// A request carrying the options every call of a run carries (all but
    /// the tool choice, which the run decides per call), to complete with
    /// the call's own fields.
    pub fn base_request(&self) -> ModelRequest {
        ModelRequest {
            cache: self.cache,
            guardrail: self.guardrail.clone(),
            model_fields: self.model_fields.clone(),
            response_field_paths: self.response_field_paths.clone(),
            ..ModelRequest::default()
        }
    }
}
