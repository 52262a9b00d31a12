//! A `tools/call` result as the model's tool output.
//!
//! - `isError: true` becomes [`ToolError::Fatal`] with the result's text:
//!   the model reads it as the call's error result.
//! - `structuredContent` becomes [`ToolOutput::Json`].
//! - Otherwise the content blocks become [`ToolOutput::Text`], one block a
//!   paragraph: text as is, embedded text resources with their URI, and a
//!   one-line description for what the content model cannot carry yet:
//!   images and audio (no image blocks in tool results yet), binary
//!   resources and resource links.
//!
//! Blocks are read by their wire names (the MCP schema), so a block kind a
//! newer server sends is described rather than dropped.

use rmcp::model::CallToolResult;
use serde_json::Value;
use tool_api::{ToolError, ToolOutput};

/// The tool output (or error result) for `result`.
pub(crate) fn to_output(result: CallToolResult) -> Result<ToolOutput, ToolError> {
    let text = result
        .content
        .iter()
        .filter_map(|block| serde_json::to_value(block).ok())
        .map(|block| describe(&block))
        .collect::<Vec<_>>()
        .join("\n\n");
    if result.is_error == Some(true) {
        let message = if text.is_empty() {
            "the tool reported an error and gave no text".to_owned()
        } else {
            text
        };
        return Err(ToolError::fatal(message));
    }
    match result.structured_content {
        Some(structured) => Ok(ToolOutput::Json(structured)),
        None => Ok(ToolOutput::Text(text)),
    }
}

/// One content block as text.
fn describe(block: &Value) -> String {
    let field = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or("");
    let size = |name: &str| base64_len(field(name));
    match field("type") {
        "text" => field("text").to_owned(),
        "image" => format!(
            "[image: {}, {} bytes; images are not passed to the model yet]",
            field("mimeType"),
            size("data")
        ),
        "audio" => format!(
            "[audio: {}, {} bytes; audio is not passed to the model]",
            field("mimeType"),
            size("data")
        ),
        "resource" => {
            let resource = block.get("resource").cloned().unwrap_or_default();
            let get = |name: &str| resource.get(name).and_then(Value::as_str);
            let uri = get("uri").unwrap_or("");
            match (get("text"), get("blob")) {
                (Some(text), _) => format!("[resource {uri}]\n{text}"),
                (None, Some(blob)) => format!(
                    "[resource {uri}: {}, {} bytes of binary data, not shown]",
                    get("mimeType").unwrap_or("application/octet-stream"),
                    base64_len(blob)
                ),
                (None, None) => format!("[resource {uri}]"),
            }
        }
        "resource_link" => {
            let description = field("description");
            let mut out = format!("[resource link {}: {}", field("uri"), field("name"));
            if !description.is_empty() {
                out.push_str(" - ");
                out.push_str(description);
            }
            out.push(']');
            out
        }
        other => format!("[{other} content, not shown]"),
    }
}

/// The decoded size of base64 `data`, without decoding it.
fn base64_len(data: &str) -> usize {
    let padding = data.bytes().rev().take_while(|b| *b == b'=').count();
    (data.len() / 4 * 3).saturating_sub(padding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(v: Value) -> CallToolResult {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn blocks_become_paragraphs_and_structured_content_json() {
        let out = to_output(result(json!({"content": [
            {"type": "text", "text": "hello"},
            {"type": "image", "data": "AAAA", "mimeType": "image/png"},
            {"type": "resource", "resource": {"uri": "file:///a", "text": "A"}},
            {"type": "resource", "resource": {"uri": "file:///b", "blob": "AA==", "mimeType": "x/y"}},
            {"type": "resource_link", "uri": "file:///c", "name": "c"}
        ]})))
        .unwrap();
        assert_eq!(
            out,
            ToolOutput::Text(
                "hello\n\n[image: image/png, 3 bytes; images are not passed to the model yet]\n\n\
                 [resource file:///a]\nA\n\n[resource file:///b: x/y, 1 bytes of binary data, \
                 not shown]\n\n[resource link file:///c: c]"
                    .into()
            )
        );
        let out = to_output(result(json!({"content": [{"type": "text", "text": "{}"}],
            "structuredContent": {"sum": 3}})))
        .unwrap();
        assert_eq!(out, ToolOutput::Json(json!({"sum": 3})));
    }

    #[test]
    fn is_error_becomes_an_error_result_with_the_text() {
        let err = to_output(result(json!({"isError": true,
            "content": [{"type": "text", "text": "no such file"}]})))
        .unwrap_err();
        assert_eq!(err, ToolError::fatal("no such file"));
    }
}
