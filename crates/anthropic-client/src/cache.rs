//! Prompt caching on the Messages API: `cache_control` on the block that
//! ends each cached prefix. The automatic points of
//! [`ModelRequest::cache_plan`] go on the last tool, on the system prompt
//! (sent as a text block to carry it) and on the last block of the last
//! message; a [`ContentBlock::CachePoint`] in a message marks the block
//! before it. Applied to the request's JSON, so the wire types stay those
//! of the API's documented bodies.

use agent_core::{CachePoint, ContentBlock, ModelError, ModelRequest};
use serde_json::{Value, json};

use crate::wire::MessagesRequest;

/// The API's `cache_control` for `point`.
fn control(point: CachePoint) -> Value {
    match point.ttl {
        Some(ttl) => json!({"type": "ephemeral", "ttl": ttl.as_str()}),
        None => json!({"type": "ephemeral"}),
    }
}

/// Whether the client sends `block` as a block of its own (the rest are
/// left out: cache points, empty text).
fn sent(block: &ContentBlock) -> bool {
    match block {
        ContentBlock::CachePoint(_) => false,
        ContentBlock::Text { text } => !text.is_empty(),
        _ => true,
    }
}

fn mark(block: Option<&mut Value>, point: CachePoint) {
    if let Some(Value::Object(block)) = block {
        block.insert("cache_control".into(), control(point));
    }
}

/// The body to send for `request`: `wire` with its cache points.
pub(crate) fn body(request: &ModelRequest, wire: &MessagesRequest) -> Result<Value, ModelError> {
    let mut body = serde_json::to_value(wire)
        .map_err(|e| ModelError::protocol(format!("cannot write the request body: {e}")))?;
    let plan = request.cache_plan();
    if let Some(point) = plan.tools {
        mark(
            body.get_mut("tools")
                .and_then(Value::as_array_mut)
                .and_then(|t| t.last_mut()),
            point,
        );
    }
    if let (Some(point), Some(system)) = (plan.system, body.get_mut("system")) {
        if let Value::String(text) = system {
            *system = json!([{"type": "text", "text": text}]);
        }
        mark(system.as_array_mut().and_then(|b| b.last_mut()), point);
    }
    let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) else {
        return Ok(body);
    };
    for (core, wire) in request.messages.iter().zip(messages.iter_mut()) {
        let Some(blocks) = wire.get_mut("content").and_then(Value::as_array_mut) else {
            continue;
        };
        let mut before = 0usize;
        for block in &core.content {
            match block {
                ContentBlock::CachePoint(point) if before > 0 => {
                    mark(blocks.get_mut(before - 1), *point);
                }
                b if sent(b) => before += 1,
                _ => {}
            }
        }
    }
    if let Some(point) = plan.latest_turn {
        mark(
            messages
                .last_mut()
                .and_then(|m| m.get_mut("content"))
                .and_then(Value::as_array_mut)
                .and_then(|b| b.last_mut()),
            point,
        );
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use agent_core::{CacheSettings, CacheTtl, Message};
    use tool_api::ToolSpec;

    use super::*;
    use crate::convert::to_wire_request;

    #[test]
    fn cache_control_goes_on_the_last_tool_the_system_and_the_latest_turn() {
        let mut request = ModelRequest {
            system: Some("Be brief.".into()),
            messages: vec![
                Message::user("Hi"),
                Message::assistant("Hello"),
                Message::user("Again"),
            ],
            tools: vec![
                ToolSpec::new("a", "A.", json!({"type": "object"})),
                ToolSpec::new("b", "B.", json!({"type": "object"})),
            ],
            cache: Some(CacheSettings::with_ttl(CacheTtl::OneHour)),
            ..ModelRequest::default()
        };
        request.messages[0]
            .content
            .push(ContentBlock::CachePoint(CachePoint::default()));
        let body = body(&request, &to_wire_request(&request, "claude-x", false)).unwrap();
        let hour = json!({"type": "ephemeral", "ttl": "1h"});
        assert_eq!(body["tools"][1]["cache_control"], hour);
        assert!(body["tools"][0].get("cache_control").is_none());
        assert_eq!(
            body["system"],
            json!([{"type": "text", "text": "Be brief.", "cache_control": hour}])
        );
        assert_eq!(
            body["messages"][0]["content"][0]["cache_control"],
            json!({"type": "ephemeral"})
        );
        assert_eq!(body["messages"][2]["content"][0]["cache_control"], hour);
        // Off: the body is the plain one.
        request.cache = None;
        request.messages[0].content.pop();
        let wire = to_wire_request(&request, "claude-x", false);
        assert_eq!(
            body_of(&request, &wire),
            serde_json::to_value(&wire).unwrap()
        );
    }

    fn body_of(request: &ModelRequest, wire: &MessagesRequest) -> Value {
        body(request, wire).unwrap()
    }
}
