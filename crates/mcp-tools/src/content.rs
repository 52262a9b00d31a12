//! A `tools/call` result as the model's tool output.
//!
//! - `isError: true` becomes [`ToolError::Fatal`] with the result's text:
//!   the model reads it as the call's error result.
//! - `structuredContent` becomes [`ToolOutput::Json`].
//! - Otherwise the content blocks become [`ToolOutput::Text`], one block a
//!   paragraph: text as is, embedded text resources with their URI, and a
//!   one-line description for what the content model cannot carry: audio,
//!   binary resources and resource links.
//! - Images (PNG, JPEG, GIF, WebP, checked by their bytes) become image
//!   parts: the output is then [`ToolOutput::Parts`], the paragraphs
//!   between images joined as text parts. An image of another format, or
//!   whose bytes are not the format it claims, is described instead.
//!
//! Blocks are read by their wire names (the MCP schema), so a block kind a
//! newer server sends is described rather than dropped.

use rmcp::model::CallToolResult;
use serde_json::Value;
use tool_api::{Blob, Image, ImageFormat, OutputPart, ToolError, ToolOutput};

/// The tool output (or error result) for `result`.
pub(crate) fn to_output(result: CallToolResult) -> Result<ToolOutput, ToolError> {
    let is_error = result.is_error == Some(true);
    // Structured content is the output: its text copy is not read (nor
    // converted, which would cost every such call a pass over its blocks).
    if !is_error && let Some(structured) = result.structured_content {
        return Ok(ToolOutput::Json(structured));
    }
    let blocks: Vec<Value> = result
        .content
        .iter()
        .filter_map(|block| serde_json::to_value(block).ok())
        .collect();
    if is_error {
        let text = blocks.iter().map(describe).collect::<Vec<_>>().join("\n\n");
        let message = if text.is_empty() {
            "the tool reported an error and gave no text".to_owned()
        } else {
            text
        };
        return Err(ToolError::fatal(message));
    }
    let mut parts = Vec::new();
    let mut paragraphs: Vec<String> = Vec::new();
    for block in &blocks {
        match image(block) {
            Some(image) => {
                if !paragraphs.is_empty() {
                    parts.push(OutputPart::Text(paragraphs.join("\n\n")));
                    paragraphs.clear();
                }
                parts.push(OutputPart::Image(image));
            }
            None => paragraphs.push(describe(block)),
        }
    }
    if parts.is_empty() {
        return Ok(ToolOutput::Text(paragraphs.join("\n\n")));
    }
    if !paragraphs.is_empty() {
        parts.push(OutputPart::Text(paragraphs.join("\n\n")));
    }
    Ok(ToolOutput::Parts(parts))
}

/// An image block the model can take: base64 bytes of a supported format
/// that matches its `mimeType`.
fn image(block: &Value) -> Option<Image> {
    if block.get("type").and_then(Value::as_str) != Some("image") {
        return None;
    }
    let claimed = ImageFormat::from_mime_type(block.get("mimeType")?.as_str()?)?;
    let bytes = Blob::from_base64(block.get("data")?.as_str()?)?;
    let image = Image::from_bytes(bytes).ok()?;
    (image.format == claimed).then_some(image)
}

/// One content block as text.
fn describe(block: &Value) -> String {
    let field = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or("");
    let size = |name: &str| base64_len(field(name));
    match field("type") {
        "text" => field("text").to_owned(),
        "image" => format!(
            "[image: {}, {} bytes; not a PNG, JPEG, GIF or WebP image, so not shown]",
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
            {"type": "image", "data": "AAAA", "mimeType": "image/bmp"},
            {"type": "resource", "resource": {"uri": "file:///a", "text": "A"}},
            {"type": "resource", "resource": {"uri": "file:///b", "blob": "AA==", "mimeType": "x/y"}},
            {"type": "resource_link", "uri": "file:///c", "name": "c"}
        ]})))
        .unwrap();
        assert_eq!(
            out,
            ToolOutput::Text(
                "hello\n\n[image: image/bmp, 3 bytes; not a PNG, JPEG, GIF or WebP image, so not shown]\n\n\
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
    fn images_become_image_parts_between_text() {
        let gif = Blob::from(b"GIF89a".to_vec()).to_base64();
        let out = to_output(result(json!({"content": [
            {"type": "text", "text": "a"},
            {"type": "text", "text": "b"},
            {"type": "image", "data": gif, "mimeType": "image/gif"},
            {"type": "image", "data": gif, "mimeType": "image/png"},
        ]})))
        .unwrap();
        let ToolOutput::Parts(parts) = out else {
            panic!("not parts: {out:?}")
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], OutputPart::Text("a\n\nb".into()));
        assert!(matches!(&parts[1], OutputPart::Image(i) if i.format == ImageFormat::Gif));
        // Bytes that are not the claimed format are described, not sent.
        let OutputPart::Text(t) = &parts[2] else {
            panic!("not text")
        };
        assert!(t.starts_with("[image: image/png, 6 bytes"), "{t}");
    }

    #[test]
    fn is_error_becomes_an_error_result_with_the_text() {
        let err = to_output(result(json!({"isError": true,
            "content": [{"type": "text", "text": "no such file"}]})))
        .unwrap_err();
        assert_eq!(err, ToolError::fatal("no such file"));
    }
}
