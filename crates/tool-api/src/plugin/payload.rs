//! The JSON payloads that cross the plugin ABI: the [`Manifest`], a
//! [`CallRequest`] and its [`CallResult`].
//!
//! Both sides ignore fields they do not know, so an optional field may be
//! added without changing [`super::abi::ABI_VERSION`].
//!
//! ```
//! use tool_api::plugin::payload::{CallResult, Manifest};
//!
//! let manifest = Manifest::from_json(br#"{
//!     "name": "demo", "version": "1.0.0",
//!     "tools": [{"name": "now", "description": "Current time.",
//!                "input_schema": {"type": "object", "properties": {}}}]
//! }"#).unwrap();
//! assert_eq!(manifest.tools[0].name, "now");
//!
//! let result = CallResult::from_json(br#"{"ok": {"type": "text", "value": "noon"}}"#).unwrap();
//! assert_eq!(result.into_result(), Ok(tool_api::ToolOutput::text("noon")));
//! ```

use std::collections::HashSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{SpecError, ToolError, ToolOutput, ToolSpec};

/// What a plugin offers: its name, version and tools.
///
/// Wire form: `{"name", "version", "sdk_version"?, "panic"?, "build"?, "tools": [ToolSpec...]}`,
/// each tool `{"name", "description", "input_schema", "scheduling"?}` (`"scheduling":
/// {"idempotent": false}` for a tool that must not run twice). A plugin that cannot
/// list its tools returns `{"error": "what went wrong"}` instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The plugin's name (its crate name, for plugins made with `export_plugin!`).
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// The `tool-api` version the plugin was built with, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
    /// The panic strategy the plugin was built with: `"unwind"` or `"abort"`.
    /// A host refuses `"abort"`: such a plugin's panic would kill the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic: Option<String>,
    /// How the plugin was built: `"debug"` (with debug assertions, as
    /// `cargo build` without `--release` does: its tools run several times
    /// slower, so a host warns) or `"release"`. Absent from plugins built
    /// before it existed, which load as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// The tools, in the plugin's order.
    pub tools: Vec<ToolSpec>,
}

/// A manifest the host cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The bytes are not UTF-8 JSON.
    #[error("the manifest is not valid JSON ({0})")]
    NotJson(String),
    /// The plugin said it could not list its tools.
    #[error("the plugin could not list its tools: {0}")]
    PluginFailed(String),
    /// A field is missing or has the wrong type.
    #[error("the manifest does not have the expected shape: at `{path}`: {message}")]
    Shape {
        /// Where in the manifest, e.g. `tools[0].name`.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// A tool's spec is unusable (bad name, schema that is not an object...).
    #[error("tool #{index} of the manifest: {source}")]
    Tool {
        /// The tool's position in the manifest (0-based).
        index: usize,
        /// What is wrong with its spec.
        #[source]
        source: SpecError,
    },
    /// Two tools of one plugin share a name.
    #[error("the manifest lists the tool `{0}` twice; tool names must be unique")]
    DuplicateTool(String),
    /// The plugin was built with `panic = "abort"`.
    #[error(
        "the plugin was built with panic = \"abort\", so any panic in it would abort the host; \
         build it with panic = \"unwind\""
    )]
    PanicAbort,
}

impl Manifest {
    /// Parses and checks a manifest: every tool name valid and unique, every
    /// schema normalised as for in-process tools ([`ToolSpec::normalized`]),
    /// and a plugin built to unwind on panic.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ManifestError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::NotJson(e.to_string()))?;
        if let Some(error) = value.get("error") {
            let message = match error {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return Err(ManifestError::PluginFailed(message));
        }
        let mut manifest: Manifest =
            serde_path_to_error::deserialize(value).map_err(|e| ManifestError::Shape {
                path: e.path().to_string(),
                message: e.into_inner().to_string(),
            })?;
        if manifest.panic.as_deref() == Some("abort") {
            return Err(ManifestError::PanicAbort);
        }
        let mut seen = HashSet::new();
        let specs = std::mem::take(&mut manifest.tools);
        for (index, spec) in specs.into_iter().enumerate() {
            let spec = spec
                .normalized()
                .map_err(|source| ManifestError::Tool { index, source })?;
            if !seen.insert(spec.name.clone()) {
                return Err(ManifestError::DuplicateTool(spec.name));
            }
            manifest.tools.push(spec);
        }
        Ok(manifest)
    }

    /// Whether the plugin says it is a debug build (`"build": "debug"`).
    pub fn is_debug_build(&self) -> bool {
        self.build.as_deref() == Some("debug")
    }

    /// The manifest as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        encode(self)
    }
}

/// The host's request to run one tool.
///
/// Wire form: `{"tool", "input", "call_id", "attempt", "timeout_ms"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRequest {
    /// The tool to run.
    pub tool: String,
    /// The model's input.
    pub input: Value,
    /// The model's id for the call (the `toolUseId`), for the tool's context.
    pub call_id: String,
    /// Which attempt this is, from 1.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// Milliseconds left before the host stops waiting, if it has a deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

fn first_attempt() -> u32 {
    1
}

impl CallRequest {
    /// Parses a request.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("the call request is not valid: {e}"))
    }

    /// The request as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        self.borrowed().to_json()
    }

    /// The same request, borrowing its fields.
    pub fn borrowed(&self) -> CallRequestRef<'_> {
        CallRequestRef {
            tool: &self.tool,
            input: &self.input,
            call_id: &self.call_id,
            attempt: self.attempt,
            timeout_ms: self.timeout_ms,
        }
    }

    /// The time left before the deadline, if there is one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }
}

/// A [`CallRequest`] that borrows its fields, to encode a request from the
/// caller's data without copying the tool name, the input and the call id
/// first (the host does this for every call). The same wire form:
/// [`CallRequest::to_json`] goes through it.
///
/// ```
/// use tool_api::plugin::payload::{CallRequest, CallRequestRef};
///
/// let input = serde_json::json!({"name": "Ada"});
/// let bytes = CallRequestRef {
///     tool: "greet", input: &input, call_id: "tooluse_1", attempt: 1, timeout_ms: None,
/// }
/// .to_json();
/// assert_eq!(CallRequest::from_json(&bytes).unwrap().input, input);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CallRequestRef<'a> {
    /// The tool to run.
    pub tool: &'a str,
    /// The model's input.
    pub input: &'a Value,
    /// The model's id for the call (the `toolUseId`), for the tool's context.
    pub call_id: &'a str,
    /// Which attempt this is, from 1.
    pub attempt: u32,
    /// Milliseconds left before the host stops waiting, if it has a deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

impl CallRequestRef<'_> {
    /// The request as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        encode(self)
    }
}

/// The outcome of a call.
///
/// Wire form: `{"ok": ToolOutput}` (e.g. `{"ok": {"type": "json", "value": {...}}}`)
/// or `{"error": {"kind", "message", "retry_after_ms"?, "panic"?}}`. An
/// output of several parts ([`ToolOutput::Parts`]: images, documents) goes
/// as `{"ok": {"type": "text", "value": FALLBACK, "parts": [...]}}`: the
/// optional `parts` carries them (bytes as base64), and a host that does
/// not know the field reads the text fallback, so ABI version 1 holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    /// The tool succeeded.
    Ok(#[serde(with = "ok_wire")] ToolOutput),
    /// The tool failed.
    Error(CallError),
}

/// [`CallResult::Ok`]'s wire form: text and JSON as `ToolOutput` always
/// wrote them; parts with a text fallback (see [`CallResult`]).
mod ok_wire {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    use crate::{OutputPart, ToolOutput};

    #[derive(Serialize, Deserialize)]
    struct Wire {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        value: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parts: Option<Vec<OutputPart>>,
    }

    pub(super) fn serialize<S: Serializer>(output: &ToolOutput, s: S) -> Result<S::Ok, S::Error> {
        match output {
            ToolOutput::Parts(parts) => Wire {
                kind: "text".into(),
                value: Value::String(
                    parts
                        .iter()
                        .map(OutputPart::to_text)
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                parts: Some(parts.clone()),
            }
            .serialize(s),
            plain => plain.serialize(s),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ToolOutput, D::Error> {
        let wire = Wire::deserialize(d)?;
        if let Some(parts) = wire.parts {
            return Ok(ToolOutput::Parts(parts));
        }
        match (wire.kind.as_str(), wire.value) {
            ("json", v) => Ok(ToolOutput::Json(v)),
            ("text", Value::String(t)) => Ok(ToolOutput::Text(t)),
            ("parts", v) => serde_json::from_value(v)
                .map(ToolOutput::Parts)
                .map_err(serde::de::Error::custom),
            (kind, _) => Err(serde::de::Error::custom(format!(
                "unknown output type `{kind}` (expected json or text, with optional parts)"
            ))),
        }
    }
}

/// A failed call on the wire: a [`ToolError`] as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallError {
    /// [`ToolError::kind`]: `invalid_input`, `retryable` or `fatal`.
    pub kind: String,
    /// The message for the model.
    pub message: String,
    /// For `retryable`: how long to wait before trying again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// When the tool panicked: the panic's own message. The kind is then
    /// `fatal` and `message` says the tool panicked, so a host that does not
    /// know this field still reports it; this crate's host resumes the panic
    /// in the calling task instead, so a plugin tool's panic is classified
    /// as an in-process tool's is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic: Option<String>,
}

impl CallResult {
    /// A fatal error result with `message`.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::Error(CallError {
            kind: "fatal".into(),
            message: message.into(),
            retry_after_ms: None,
            panic: None,
        })
    }

    /// The result of a call of `tool` that panicked with `panic` (the panic's
    /// message): a fatal error saying so, carrying the panic's message.
    pub fn panicked(tool: &str, panic: impl Into<String>) -> Self {
        let panic = panic.into();
        Self::Error(CallError {
            kind: "fatal".into(),
            message: format!(
                "tool `{tool}` panicked: {panic}; this is a bug in the plugin, report it to its author"
            ),
            retry_after_ms: None,
            panic: Some(panic),
        })
    }

    /// The panic's message, if the tool panicked.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            Self::Error(CallError {
                panic: Some(panic), ..
            }) => Some(panic),
            _ => None,
        }
    }

    /// Parses a result.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// The result as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        encode(self)
    }

    /// Back to the [`Tool::call`](crate::Tool::call) result it stands for. An
    /// unknown error kind is [`ToolError::Fatal`].
    pub fn into_result(self) -> Result<ToolOutput, ToolError> {
        match self {
            Self::Ok(output) => Ok(output),
            Self::Error(e) => Err(match e.kind.as_str() {
                "invalid_input" => ToolError::InvalidInput(e.message),
                "retryable" => ToolError::Retryable {
                    message: e.message,
                    retry_after: e.retry_after_ms.map(Duration::from_millis),
                },
                _ => ToolError::Fatal(e.message),
            }),
        }
    }
}

impl From<Result<ToolOutput, ToolError>> for CallResult {
    fn from(result: Result<ToolOutput, ToolError>) -> Self {
        match result {
            Ok(output) => Self::Ok(output),
            Err(error) => {
                let kind = error.kind().to_owned();
                let (message, retry_after_ms) = match error {
                    ToolError::InvalidInput(m) | ToolError::Fatal(m) => (m, None),
                    ToolError::Retryable {
                        message,
                        retry_after,
                    } => (
                        message,
                        retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    ),
                };
                Self::Error(CallError {
                    kind,
                    message,
                    retry_after_ms,
                    panic: None,
                })
            }
        }
    }
}

/// JSON bytes of a payload. Payloads hold only strings, numbers and JSON
/// values, which always serialise; should one ever fail, the bytes say so as
/// a fatal result instead of panicking across the ABI.
fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|e| {
        let fallback = CallResult::fatal(format!("could not encode a plugin payload: {e}"));
        serde_json::to_vec(&fallback).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn manifest(tools: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({"name": "p", "version": "1", "tools": tools})).unwrap()
    }

    #[test]
    fn idempotent_is_optional_and_true_unless_declared_false() {
        let m = Manifest::from_json(&manifest(json!([
            {"name": "read", "description": "d", "input_schema": {"type": "object"}},
            {"name": "pay", "description": "d", "input_schema": {"type": "object"}, "scheduling": {"idempotent": false}}
        ])))
        .unwrap();
        assert!(m.tools[0].is_idempotent());
        assert!(!m.tools[1].is_idempotent());
        // Written back, only the exception shows: old hosts read it as before.
        let back = serde_json::to_value(&m.tools[0]).unwrap();
        assert!(back.get("scheduling").is_none());
        assert_eq!(
            serde_json::to_value(&m.tools[1]).unwrap()["scheduling"]["idempotent"],
            false
        );
    }

    #[test]
    fn a_good_manifest_is_normalised() {
        let m = Manifest::from_json(&manifest(json!([{
            "name": "t", "description": "d",
            "input_schema": {"$schema": "x", "properties": {"a": {"type": "string"}}}
        }])))
        .unwrap();
        assert_eq!(m.tools[0].input_schema["type"], "object");
        assert!(m.tools[0].input_schema.get("$schema").is_none());
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        let err = Manifest::from_json(b"{not json").unwrap_err();
        assert!(matches!(err, ManifestError::NotJson(_)), "{err}");

        let err = Manifest::from_json(br#"{"error": "no config"}"#).unwrap_err();
        assert_eq!(err, ManifestError::PluginFailed("no config".into()));

        let err = Manifest::from_json(&manifest(json!([{"name": "t"}]))).unwrap_err();
        assert!(err.to_string().contains("tools[0]"), "{err}");
        assert!(err.to_string().contains("description"), "{err}");

        let bad_name =
            json!([{"name": "a b", "description": "", "input_schema": {"type": "object"}}]);
        let err = Manifest::from_json(&manifest(bad_name)).unwrap_err();
        assert!(
            err.to_string().contains("invalid tool name \"a b\""),
            "{err}"
        );

        let bad_schema = json!([{"name": "t", "description": "", "input_schema": "string"}]);
        let err = Manifest::from_json(&manifest(bad_schema)).unwrap_err();
        assert!(err.to_string().contains("unusable input schema"), "{err}");

        let t = json!({"name": "t", "description": "", "input_schema": {"type": "object"}});
        let err = Manifest::from_json(&manifest(json!([t, t]))).unwrap_err();
        assert_eq!(err, ManifestError::DuplicateTool("t".into()));

        let abort = br#"{"name": "p", "version": "1", "panic": "abort", "tools": []}"#;
        assert_eq!(
            Manifest::from_json(abort).unwrap_err(),
            ManifestError::PanicAbort
        );
    }

    #[test]
    fn the_build_profile_is_optional() {
        let old = Manifest::from_json(br#"{"name": "p", "version": "1", "tools": []}"#).unwrap();
        assert_eq!(old.build, None);
        assert!(!old.is_debug_build());
        let debug =
            Manifest::from_json(br#"{"name": "p", "version": "1", "build": "debug", "tools": []}"#)
                .unwrap();
        assert!(debug.is_debug_build());
        let release = br#"{"name": "p", "version": "1", "build": "release", "tools": []}"#;
        assert!(!Manifest::from_json(release).unwrap().is_debug_build());
    }

    #[test]
    fn results_round_trip_every_error_kind() {
        let cases: Vec<Result<ToolOutput, ToolError>> = vec![
            Ok(ToolOutput::Json(json!({"a": 1}))),
            Ok(ToolOutput::text("hi")),
            Err(ToolError::invalid_input("bad")),
            Err(ToolError::retry_after("busy", Duration::from_millis(250))),
            Err(ToolError::retryable("busy")),
            Err(ToolError::fatal("broken")),
        ];
        for case in cases {
            let bytes = CallResult::from(case.clone()).to_json();
            assert_eq!(CallResult::from_json(&bytes).unwrap().into_result(), case);
        }
    }

    #[test]
    fn the_wire_form_is_stable() {
        let image = crate::Image::from_bytes(b"GIF89a".to_vec()).unwrap();
        let rich = CallResult::from(Ok(ToolOutput::parts([
            crate::OutputPart::Text("a chart".into()),
            crate::OutputPart::Image(image.clone()),
        ])));
        let wire: serde_json::Value = serde_json::from_slice(&rich.to_json()).unwrap();
        assert_eq!(
            wire,
            json!({"ok": {"type": "text", "value": "a chart\n[gif image]", "parts": [
                {"type": "text", "value": "a chart"},
                {"type": "image", "value": {"format": "gif", "source": {"bytes": "R0lGODlh"}}}
            ]}})
        );
        assert_eq!(CallResult::from_json(&rich.to_json()).unwrap(), rich);
        // What a host of before `parts` reads: the text fallback.
        let old: ToolOutput = serde_json::from_value(wire["ok"].clone()).unwrap();
        assert_eq!(old, ToolOutput::text("a chart\n[gif image]"));
        let ok = CallResult::from(Ok(ToolOutput::Json(json!({"x": 1}))));
        assert_eq!(
            String::from_utf8(ok.to_json()).unwrap(),
            r#"{"ok":{"type":"json","value":{"x":1}}}"#
        );
        let req = CallRequest {
            tool: "t".into(),
            input: json!({}),
            call_id: "c".into(),
            attempt: 2,
            timeout_ms: None,
        };
        assert_eq!(
            String::from_utf8(req.to_json()).unwrap(),
            r#"{"tool":"t","input":{},"call_id":"c","attempt":2}"#
        );
        let with_timeout = CallRequest {
            timeout_ms: Some(1500),
            ..req.clone()
        };
        assert_eq!(
            String::from_utf8(with_timeout.borrowed().to_json()).unwrap(),
            r#"{"tool":"t","input":{},"call_id":"c","attempt":2,"timeout_ms":1500}"#
        );
        // The owned form's derived encoding is the borrowed one's.
        assert_eq!(
            serde_json::to_vec(&with_timeout).unwrap(),
            with_timeout.to_json()
        );
        let panicked = CallResult::panicked("t", "boom");
        assert_eq!(
            String::from_utf8(panicked.to_json()).unwrap(),
            r#"{"error":{"kind":"fatal","message":"tool `t` panicked: boom; this is a bug in the plugin, report it to its author","panic":"boom"}}"#
        );
        assert_eq!(panicked.panic_message(), Some("boom"));
        assert_eq!(CallResult::fatal("x").panic_message(), None);
        let unknown = br#"{"error": {"kind": "weird", "message": "m", "extra": 1}}"#;
        assert_eq!(
            CallResult::from_json(unknown).unwrap().into_result(),
            Err(ToolError::fatal("m"))
        );
    }
}
