//! # fixture-conformance: the tools the MCP conformance suite calls
//!
//! The server scenarios of `@modelcontextprotocol/conformance` call tools
//! of fixed names and check the shape of what comes back. This plugin
//! offers those our tool output can express, each answering what the
//! scenario's description asks for, so the suite tests how
//! `agent mcp-serve` turns a plugin's result into a `tools/call` result:
//!
//! | tool | scenario | answer |
//! |---|---|---|
//! | `test_simple_text` | `tools-call-simple-text` | one text block |
//! | `test_image_content` | `tools-call-image` | one 1×1 PNG |
//! | `test_multiple_content_types` | `tools-call-mixed-content` | text, PNG, JSON (MCP wants an embedded resource third: our output has none) |
//! | `test_error_handling` | `tools-call-error` | an error (`isError: true`) |
//! | `json_schema_2020_12_tool` | `json-schema-2020-12` | (listed: its schema uses `$schema`, `$defs`, `$ref`) |
//! | `test_tool_with_progress` | `tools-call-with-progress` | progress 0, 50 and 100 of 100, 50 ms apart (through the plugin ABI's progress notifications), then one text block |
//!
//! Left out because a plugin's output cannot carry them: audio
//! (`test_audio_content`), embedded resources (`test_embedded_resource`),
//! log messages, sampling and elicitation.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tool_api::media::Image;
use tool_api::{OutputPart, Tool, ToolContext, ToolError, ToolOutput, ToolSpec, async_trait};

/// A 1×1 red PNG, the "minimal test image" the suite asks for.
const RED_PIXEL_PNG: [u8; 69] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What a tool answers, whatever its input.
type Answer = fn() -> Result<ToolOutput, ToolError>;

/// A tool that takes no input and always gives the same answer.
struct Fixed {
    spec: ToolSpec,
    answer: Answer,
}

impl Fixed {
    fn tool(name: &str, description: &str, answer: Answer) -> Arc<dyn Tool> {
        let schema = json!({ "type": "object", "properties": {} });
        Self::with_schema(name, description, schema, answer)
    }

    fn with_schema(name: &str, description: &str, schema: Value, answer: Answer) -> Arc<dyn Tool> {
        Arc::new(Self {
            spec: ToolSpec::new(name, description, schema),
            answer,
        })
    }
}

#[async_trait]
impl Tool for Fixed {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, _input: Value, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        (self.answer)()
    }
}

/// `test_tool_with_progress`: reports 0, 50 and 100 of 100, 50 ms apart,
/// as the scenario asks, so the suite sees a plugin's progress reach an
/// MCP client through `agent mcp-serve`.
struct WithProgress {
    spec: ToolSpec,
}

#[async_trait]
impl Tool for WithProgress {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, _input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        for (i, step) in [0.0, 50.0, 100.0].into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            ctx.progress(step, Some(100.0), None);
        }
        Ok(ToolOutput::text("Progress test completed."))
    }
}

fn red_pixel() -> Result<Image, ToolError> {
    Image::from_bytes(RED_PIXEL_PNG.to_vec())
        .map_err(|e| ToolError::fatal(format!("the test image: {e}")))
}

fn simple_text() -> Result<ToolOutput, ToolError> {
    Ok(ToolOutput::text(
        "This is a simple text response for testing.",
    ))
}

fn image() -> Result<ToolOutput, ToolError> {
    Ok(ToolOutput::parts([OutputPart::Image(red_pixel()?)]))
}

fn mixed() -> Result<ToolOutput, ToolError> {
    Ok(ToolOutput::parts([
        OutputPart::Text("Multiple content types test:".into()),
        OutputPart::Image(red_pixel()?),
        OutputPart::Json(json!({ "test": "data", "value": 123 })),
    ]))
}

fn error() -> Result<ToolOutput, ToolError> {
    Err(ToolError::fatal(
        "This tool intentionally returns an error for testing",
    ))
}

/// The input schema of `json_schema_2020_12_tool`, as the suite gives it.
fn schema_2020_12() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "type": "object",
                "properties": {
                    "street": { "type": "string" },
                    "city": { "type": "string" }
                }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" }
        },
        "additionalProperties": false
    })
}

/// The plugin's tools, in the order of the table above.
pub fn tools() -> Result<Vec<Arc<dyn Tool>>, tool_api::SpecError> {
    Ok(vec![
        Fixed::tool("test_simple_text", "Returns one text block.", simple_text),
        Fixed::tool("test_image_content", "Returns a 1x1 PNG.", image),
        Fixed::tool(
            "test_multiple_content_types",
            "Returns text, an image and JSON.",
            mixed,
        ),
        Fixed::tool("test_error_handling", "Always fails.", error),
        Fixed::with_schema(
            "json_schema_2020_12_tool",
            "Tool with JSON Schema 2020-12 features",
            schema_2020_12(),
            simple_text,
        ),
        Arc::new(WithProgress {
            spec: ToolSpec::new(
                "test_tool_with_progress",
                "Reports progress 0, 50 and 100 of 100, then answers.",
                json!({ "type": "object", "properties": {} }),
            ),
        }),
    ])
}
