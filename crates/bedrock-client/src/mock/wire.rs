//! The Converse wire format as the service reads and writes it (JSON,
//! camelCase), and its translation to and from the core types.

use agent_core::{
    Blob, CachePoint, ContentBlock, Guardrail, InferenceConfig, Message, ModelRequest,
    ModelResponse, Reasoning, Role, StopReason, ToolChoice, ToolResult, ToolResultContent,
    ToolResultStatus, ToolUse,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tool_api::ToolSpec;

use super::{media, thinking};

/// A Converse request body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireRequest {
    #[serde(default)]
    pub messages: Vec<WireMessage>,
    #[serde(default)]
    pub system: Vec<WireSystem>,
    pub tool_config: Option<WireToolConfig>,
    pub inference_config: Option<WireInference>,
    pub guardrail_config: Option<WireGuardrail>,
    pub additional_model_request_fields: Option<Value>,
    pub additional_model_response_field_paths: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireGuardrail {
    pub guardrail_identifier: String,
    pub guardrail_version: String,
    pub trace: Option<String>,
}

/// A `cachePoint` block, wherever it is (messages, system, tools).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WireCachePoint {
    #[serde(rename = "type")]
    pub kind: String,
    pub ttl: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireMessage {
    pub role: String,
    #[serde(default)]
    pub content: Vec<WireBlock>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireBlock {
    pub text: Option<String>,
    pub tool_use: Option<WireToolUse>,
    pub tool_result: Option<WireToolResult>,
    pub reasoning_content: Option<Value>,
    pub image: Option<Value>,
    pub document: Option<Value>,
    pub cache_point: Option<WireCachePoint>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireToolUse {
    pub tool_use_id: String,
    pub name: String,
    #[serde(default)]
    pub input: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireToolResult {
    pub tool_use_id: String,
    #[serde(default)]
    pub content: Vec<WireResultPart>,
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireResultPart {
    pub json: Option<Value>,
    pub text: Option<String>,
    pub image: Option<Value>,
    pub document: Option<Value>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireSystem {
    pub text: Option<String>,
    pub cache_point: Option<WireCachePoint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireToolConfig {
    #[serde(default)]
    pub tools: Vec<WireTool>,
    pub tool_choice: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireTool {
    pub tool_spec: Option<WireToolSpec>,
    pub cache_point: Option<WireCachePoint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireToolSpec {
    pub name: String,
    pub description: Option<String>,
    pub input_schema: WireInputSchema,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireInputSchema {
    pub json: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireInference {
    pub max_tokens: Option<i64>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub stop_sequences: Option<Vec<String>>,
}

impl WireRequest {
    /// The request as core types, or the service's validation message for
    /// what does not fit the wire format's rules.
    pub(crate) fn to_core(&self) -> Result<ModelRequest, String> {
        if let Some(tc) = &self.tool_config
            && tc.tools.is_empty()
        {
            return Err(
                "1 validation error detected: Value '[]' at 'toolConfig.tools' failed to \
                        satisfy constraint: Member must have length greater than or equal to 1"
                    .into(),
            );
        }
        let mut inference = InferenceConfig::default();
        if let Some(inf) = &self.inference_config {
            if let Some(max) = inf.max_tokens {
                if max < 1 {
                    return Err(format!(
                        "1 validation error detected: Value '{max}' at 'inferenceConfig.maxTokens' \
                         failed to satisfy constraint: Member must have value greater than or equal to 1"
                    ));
                }
                inference.max_tokens = u32::try_from(max).unwrap_or(u32::MAX);
            }
            inference.temperature = inf.temperature;
            inference.top_p = inf.top_p;
            inference.stop_sequences = inf.stop_sequences.clone().unwrap_or_default();
        }
        let mut tools = Vec::new();
        for (i, tool) in self.tool_config.iter().flat_map(|t| &t.tools).enumerate() {
            if tool.cache_point.is_some() {
                continue;
            }
            let Some(spec) = &tool.tool_spec else {
                return Err(format!(
                    "The mock server supports only toolSpec tools (toolConfig.tools.{i})."
                ));
            };
            tools.push(ToolSpec::new(
                spec.name.clone(),
                spec.description.clone().unwrap_or_default(),
                spec.input_schema.json.clone(),
            ));
        }
        let mut messages = Vec::with_capacity(self.messages.len());
        for (n, m) in self.messages.iter().enumerate() {
            let role = match m.role.as_str() {
                "user" => Role::User,
                "assistant" => Role::Assistant,
                other => {
                    return Err(format!(
                        "1 validation error detected: Value '{other}' at 'messages.{}.member.role' \
                         failed to satisfy constraint: Member must satisfy enum value set: \
                         [user, assistant]",
                        n + 1
                    ));
                }
            };
            let mut content = Vec::with_capacity(m.content.len());
            for (b, block) in m.content.iter().enumerate() {
                content.push(block_to_core(block, n, b)?);
            }
            messages.push(Message { role, content });
        }
        let system = self
            .system
            .iter()
            .filter_map(|s| s.text.as_deref())
            .collect::<Vec<_>>()
            .join("\n");
        let tool_choice = self
            .tool_config
            .as_ref()
            .and_then(|t| t.tool_choice.as_ref())
            .map(tool_choice_to_core)
            .transpose()?;
        let mut request = ModelRequest {
            system: (!system.is_empty()).then_some(system),
            messages,
            tools,
            inference,
            tool_choice,
            guardrail: self.guardrail_config.as_ref().map(|g| Guardrail {
                id: g.guardrail_identifier.clone(),
                version: g.guardrail_version.clone(),
                trace: g.trace.as_deref() == Some("enabled"),
            }),
            model_fields: match &self.additional_model_request_fields {
                Some(Value::Object(fields)) => fields.clone(),
                _ => Map::new(),
            },
            response_field_paths: self
                .additional_model_response_field_paths
                .clone()
                .unwrap_or_default(),
            ..Default::default()
        };
        request.inference.thinking =
            thinking::read_fields(self.additional_model_request_fields.as_ref(), &request)?;
        Ok(request)
    }

    /// Every cache point of the request with where it is, in the order the
    /// service reads them: tools, system, messages.
    pub(crate) fn cache_points(&self) -> Vec<(String, &WireCachePoint)> {
        let mut points = Vec::new();
        for (i, tool) in self.tool_config.iter().flat_map(|t| &t.tools).enumerate() {
            if let Some(p) = &tool.cache_point {
                points.push((format!("toolConfig.tools.{}.member.cachePoint", i + 1), p));
            }
        }
        for (i, block) in self.system.iter().enumerate() {
            if let Some(p) = &block.cache_point {
                points.push((format!("system.{}.member.cachePoint", i + 1), p));
            }
        }
        for (n, message) in self.messages.iter().enumerate() {
            for (b, block) in message.content.iter().enumerate() {
                if let Some(p) = &block.cache_point {
                    points.push((
                        format!(
                            "messages.{}.member.content.{}.member.cachePoint",
                            n + 1,
                            b + 1
                        ),
                        p,
                    ));
                }
            }
        }
        points
    }
}

/// `toolConfig.toolChoice` as core: exactly one of `auto`, `any`, `tool`.
fn tool_choice_to_core(choice: &Value) -> Result<ToolChoice, String> {
    let keys: Vec<&str> = choice
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    match keys.as_slice() {
        ["auto"] => Ok(ToolChoice::Auto),
        ["any"] => Ok(ToolChoice::Any),
        ["tool"] => choice
            .pointer("/tool/name")
            .and_then(Value::as_str)
            .map(|name| ToolChoice::Tool(name.to_owned()))
            .ok_or_else(|| {
                "1 validation error detected: Value null at 'toolConfig.toolChoice.tool.name' \
                 failed to satisfy constraint: Member must not be null"
                    .to_owned()
            }),
        _ => Err(
            "Invalid input for toolConfig.toolChoice: exactly one of auto, any or tool must be set."
                .to_owned(),
        ),
    }
}

fn block_to_core(block: &WireBlock, n: usize, b: usize) -> Result<ContentBlock, String> {
    if let Some(text) = &block.text {
        if text.trim().is_empty() {
            return Err(format!(
                "The text field in the ContentBlock object at messages.{n}.content.{b} is blank. \
                 Add text to the text field, and try again."
            ));
        }
        return Ok(ContentBlock::Text { text: text.clone() });
    }
    if let Some(u) = &block.tool_use {
        return Ok(ContentBlock::ToolUse(ToolUse {
            id: u.tool_use_id.clone(),
            name: u.name.clone(),
            input: u.input.clone(),
        }));
    }
    if let Some(r) = &block.reasoning_content {
        return reasoning(r, n, b);
    }
    if let Some(image) = &block.image {
        let at = format!("messages.{n}.content.{b}.image");
        return Ok(ContentBlock::Image(media::image(image, &at)?));
    }
    if let Some(doc) = &block.document {
        let at = format!("messages.{n}.content.{b}.document");
        return Ok(ContentBlock::Document(media::document(doc, &at)?));
    }
    if let Some(p) = &block.cache_point {
        return Ok(ContentBlock::CachePoint(CachePoint {
            ttl: p.ttl.as_deref().and_then(|t| t.parse().ok()),
        }));
    }
    if let Some(r) = &block.tool_result {
        let mut parts = Vec::with_capacity(r.content.len());
        for (k, part) in r.content.iter().enumerate() {
            if let Some(json) = &part.json {
                if !json.is_object() {
                    return Err(format!(
                        "The format of the value at messages.{n}.content.{b}.toolResult.content.{k}.json \
                         is invalid. Provide a json object for the field and try again."
                    ));
                }
                parts.push(ToolResultContent::Json(json.clone()));
            } else if let Some(text) = &part.text {
                if text.trim().is_empty() {
                    return Err(format!(
                        "The text field in the ToolResultContentBlock object at \
                         messages.{n}.content.{b}.toolResult.content.{k} is blank. Add text to the \
                         text field, and try again."
                    ));
                }
                parts.push(ToolResultContent::Text(text.clone()));
            } else if let Some(image) = &part.image {
                let at = format!("messages.{n}.content.{b}.toolResult.content.{k}.image");
                parts.push(ToolResultContent::Image(media::image(image, &at)?));
            } else if let Some(doc) = &part.document {
                let at = format!("messages.{n}.content.{b}.toolResult.content.{k}.document");
                parts.push(ToolResultContent::Document(media::document(doc, &at)?));
            } else {
                let kind = part
                    .other
                    .keys()
                    .next()
                    .map(String::as_str)
                    .unwrap_or("empty");
                return Err(format!(
                    "The mock server does not support `{kind}` tool result content \
                     (messages.{n}.content.{b}.toolResult.content.{k})."
                ));
            }
        }
        return Ok(ContentBlock::ToolResult(ToolResult {
            tool_use_id: r.tool_use_id.clone(),
            content: parts,
            status: match r.status.as_deref() {
                Some("error") => ToolResultStatus::Error,
                _ => ToolResultStatus::Success,
            },
        }));
    }
    let kind = block
        .other
        .keys()
        .next()
        .map(String::as_str)
        .unwrap_or("empty");
    Err(format!(
        "The mock server does not support `{kind}` content blocks (messages.{n}.content.{b})."
    ))
}

/// A `reasoningContent` block: signed text or redacted bytes, kept as sent.
fn reasoning(r: &Value, n: usize, b: usize) -> Result<ContentBlock, String> {
    if let Some(t) = r.get("reasoningText") {
        let Some(text) = t.get("text").and_then(Value::as_str) else {
            return Err(format!(
                "1 validation error detected: Value null at 'messages.{n}.content.{b}.reasoningContent.reasoningText.text' failed to satisfy constraint: Member must not be null"
            ));
        };
        return Ok(ContentBlock::Reasoning(Reasoning {
            text: text.to_owned(),
            signature: t
                .get("signature")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }));
    }
    if let Some(data) = r.get("redactedContent").and_then(Value::as_str) {
        let data = Blob::from_base64(data).ok_or_else(|| {
            format!("messages.{n}.content.{b}.reasoningContent.redactedContent is not valid base64")
        })?;
        return Ok(ContentBlock::RedactedReasoning { data });
    }
    Err(format!(
        "The reasoningContent at messages.{n}.content.{b} must hold reasoningText or redactedContent."
    ))
}

/// The wire name of a stop reason.
pub(crate) fn stop_reason(reason: &StopReason) -> String {
    match reason {
        StopReason::EndTurn => "end_turn".into(),
        StopReason::ToolUse => "tool_use".into(),
        StopReason::MaxTokens => "max_tokens".into(),
        StopReason::StopSequence => "stop_sequence".into(),
        StopReason::GuardrailIntervened => "guardrail_intervened".into(),
        StopReason::ContentFiltered => "content_filtered".into(),
        StopReason::Unknown(s) => s.clone(),
    }
}

/// The wire form of an assistant block.
pub(crate) fn block_json(block: &ContentBlock) -> Value {
    match block {
        ContentBlock::Text { text } => json!({ "text": text }),
        ContentBlock::ToolUse(u) => json!({
            "toolUse": { "toolUseId": u.id, "name": u.name, "input": u.input }
        }),
        ContentBlock::ToolResult(r) => json!({ "toolResult": { "toolUseId": r.tool_use_id } }),
        ContentBlock::Reasoning(r) => json!({
            "reasoningContent": { "reasoningText": { "text": r.text, "signature": r.signature } }
        }),
        ContentBlock::RedactedReasoning { data } => json!({
            "reasoningContent": { "redactedContent": data.to_base64() }
        }),
        ContentBlock::CachePoint(_) => json!({ "cachePoint": { "type": "default" } }),
        // The scripted model writes no images or documents (nor anything
        // a later version adds).
        _ => json!({}),
    }
}

/// The `additionalModelResponseFields` asked for with
/// `additionalModelResponseFieldPaths`: each path (a JSON pointer) looked
/// up in the model's own response (as the Messages API writes it), and
/// returned at the same place; `None` when none was asked for.
pub(crate) fn model_fields(
    request: &ModelRequest,
    response: &ModelResponse,
    model_id: &str,
) -> Option<Value> {
    if request.response_field_paths.is_empty() {
        return None;
    }
    let native = json!({
        "type": "message",
        "role": "assistant",
        "model": model_id,
        "stop_reason": stop_reason(&response.stop_reason),
        "stop_sequence": null,
    });
    let mut fields = Value::Object(Map::new());
    for path in &request.response_field_paths {
        let Some(value) = native.pointer(path) else {
            continue;
        };
        let mut at = &mut fields;
        let keys: Vec<&str> = path.split('/').skip(1).collect();
        for (i, key) in keys.iter().enumerate() {
            let Value::Object(map) = at else { break };
            let next = if i + 1 == keys.len() {
                value.clone()
            } else {
                Value::Object(Map::new())
            };
            at = map.entry((*key).to_owned()).or_insert(next);
        }
    }
    Some(fields)
}

/// Usage as the service writes it.
pub(crate) fn usage_json(response: &ModelResponse) -> Value {
    let u = response.usage;
    let mut usage = json!({
        "inputTokens": u.input_tokens,
        "outputTokens": u.output_tokens,
        "totalTokens": u.input_tokens + u.output_tokens
            + u.cache_read_input_tokens + u.cache_write_input_tokens,
    });
    // As the service does: the cache figures only when caching was asked for.
    if u.cache_read_input_tokens + u.cache_write_input_tokens > 0 {
        usage["cacheReadInputTokens"] = json!(u.cache_read_input_tokens);
        usage["cacheWriteInputTokens"] = json!(u.cache_write_input_tokens);
    }
    usage
}

/// A Converse response body.
pub(crate) fn converse_output(response: &ModelResponse) -> Value {
    let mut output = json!({
        "output": {
            "message": {
                "role": "assistant",
                "content": response.message.content.iter().map(block_json).collect::<Vec<_>>(),
            }
        },
        "stopReason": stop_reason(&response.stop_reason),
        "usage": usage_json(response),
        "metrics": { "latencyMs": response.latency.as_millis() as u64 },
    });
    if let Some(fields) = &response.model_fields {
        output["additionalModelResponseFields"] = fields.clone();
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<ModelRequest, String> {
        serde_json::from_value::<WireRequest>(v).unwrap().to_core()
    }

    #[test]
    fn reads_the_services_wire_format() {
        let r = parse(json!({
            "inferenceConfig": {"maxTokens": 100, "temperature": 0.5},
            "messages": [
                {"role": "user", "content": [{"text": "hi"}]},
                {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {"a": 1}}}]},
                {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "content": [{"json": {"ok": true}}, {"text": "fine"}], "status": "error"}}]}
            ],
            "system": [{"text": "Be brief."}],
            "toolConfig": {"tools": [{"toolSpec": {"name": "f", "description": "d", "inputSchema": {"json": {"type": "object"}}}}]}
        }))
        .unwrap();
        assert_eq!(r.system.as_deref(), Some("Be brief."));
        assert_eq!(r.inference.max_tokens, 100);
        assert_eq!(r.tools[0].name, "f");
        let ContentBlock::ToolResult(res) = &r.messages[2].content[0] else {
            panic!("not a tool result")
        };
        assert_eq!(res.status, ToolResultStatus::Error);
        assert_eq!(res.content.len(), 2);
    }

    #[test]
    fn refuses_what_the_service_refuses() {
        let e =
            parse(json!({"messages": [{"role": "user", "content": [{"text": " "}]}]})).unwrap_err();
        assert!(e.contains("is blank"), "{e}");
        let e = parse(json!({"messages": [
            {"role": "user", "content": [{"text": "x"}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "content": [{"json": [1]}]}}]}
        ]}))
        .unwrap_err();
        assert!(e.contains("Provide a json object"), "{e}");
        let e = parse(json!({"messages": [], "toolConfig": {"tools": []}})).unwrap_err();
        assert!(e.contains("toolConfig.tools"), "{e}");
        let e =
            parse(json!({"messages": [{"role": "user", "content": [{"video": {}}]}]})).unwrap_err();
        assert!(e.contains("`video`"), "{e}");
    }
}
