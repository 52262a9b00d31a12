//! The GenAI spans as a `tracing` subscriber sees them, in process (no
//! exporter): one `invoke_agent` span per run, a `chat` span per turn and
//! an `execute_tool` span per call under it, even for calls started while
//! the model's message streamed in; each call's span is the current span
//! while its tool runs (so work inside a tool nests under its call); and
//! content only when the builder asks for it. The OTLP side is tested
//! through the `agent` binary (agent-cli's tests/telemetry.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::Agent;
use agent_core::telemetry::TARGET;
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};
use serde_json::json;
use tool_api::ToolOutput;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// One span as recorded: its name, parent and fields (as text).
#[derive(Debug, Clone, Default)]
struct Seen {
    name: String,
    parent: Option<u64>,
    fields: HashMap<String, String>,
}

#[derive(Default)]
struct Recorded {
    spans: HashMap<u64, Seen>,
    /// (call id the tool saw, the span current while it ran).
    probes: Vec<(String, Option<u64>)>,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Recorded>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = if let Some(p) = attrs.parent() {
            Some(p.into_u64())
        } else if attrs.is_contextual() {
            ctx.lookup_current().map(|s| s.id().into_u64())
        } else {
            None
        };
        let mut seen = Seen {
            name: attrs.metadata().name().to_owned(),
            parent,
            ..Seen::default()
        };
        attrs.record(&mut Fields(&mut seen.fields));
        self.0.lock().unwrap().spans.insert(id.into_u64(), seen);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut got = self.0.lock().unwrap();
        if let Some(seen) = got.spans.get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "probe" {
            return;
        }
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let current = ctx.lookup_current().map(|s| s.id().into_u64());
        let call = fields.remove("call").unwrap_or_default();
        self.0.lock().unwrap().probes.push((call, current));
    }
}

/// Runs a two-turn scenario (three calls of `probe`, then an answer),
/// streamed so that the calls start early, and returns what was recorded.
async fn record(capture: bool) -> Recorded {
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(
        recorder.clone().with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target(TARGET, tracing::Level::INFO)
                .with_target("probe", tracing::Level::INFO),
        ),
    );
    let _default = tracing::subscriber::set_default(subscriber);
    let probe = common::tool("probe", |_input, ctx| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        tracing::info!(target: "probe", call = ctx.call_id(), "inside the tool");
        Ok(ToolOutput::text("probed"))
    });
    let backend = ScriptedBackend::new(vec![Scenario::new(
        "probe",
        None,
        vec![
            ScriptedTurn::tools([
                ("probe", json!({"n": 1})),
                ("probe", json!({"n": 2})),
                ("probe", json!({"n": 3})),
            ]),
            ScriptedTurn::text("done"),
        ],
    )])
    .with_streamed_latency(Duration::from_millis(600));
    let agent = Agent::builder()
        .backend(backend)
        .system("be brief")
        .tool(probe)
        .capture_content(capture)
        .build()
        .unwrap();
    let run = agent.run("probe three times").await.unwrap();
    assert_eq!(run.answer, "done");
    std::mem::take(&mut *recorder.0.lock().unwrap())
}

fn named<'a>(got: &'a Recorded, name: &str) -> Vec<(u64, &'a Seen)> {
    let mut spans: Vec<(u64, &Seen)> = got
        .spans
        .iter()
        .filter(|(_, s)| s.name == name)
        .map(|(id, s)| (*id, s))
        .collect();
    spans.sort_by_key(|(id, _)| *id);
    spans
}

#[tokio::test(start_paused = true)]
async fn spans_nest_under_the_run_and_tools_run_inside_their_spans() {
    let got = record(false).await;
    let agents = named(&got, "invoke_agent");
    assert_eq!(agents.len(), 1);
    let (agent, agent_span) = agents[0];
    assert_eq!(agent_span.parent, None);
    assert_eq!(agent_span.fields["gen_ai.operation.name"], "invoke_agent");
    assert_eq!(agent_span.fields["gen_ai.provider.name"], "scripted");
    assert_eq!(
        agent_span.fields["gen_ai.response.finish_reasons"],
        "end_turn"
    );

    let chats = named(&got, "chat");
    assert_eq!(chats.len(), 2);
    for (_, chat) in &chats {
        assert_eq!(chat.parent, Some(agent));
        assert_eq!(chat.fields["otel.name"], "chat unknown", "no model bound");
        assert_eq!(chat.fields["gen_ai.request.attempts"], "1");
        assert!(chat.fields.contains_key("gen_ai.usage.input_tokens"));
        assert!(!chat.fields.contains_key("gen_ai.input.messages"));
        assert!(!chat.fields.contains_key("gen_ai.system_instructions"));
    }

    let tools = named(&got, "execute_tool");
    assert_eq!(tools.len(), 3);
    for (id, tool) in &tools {
        // Started while the first chat's stream was still arriving (eager
        // start), yet a child of the run, not of that chat.
        assert_eq!(tool.parent, Some(agent), "{tool:?}");
        assert_eq!(tool.fields["otel.name"], "execute_tool probe");
        assert_eq!(tool.fields["gen_ai.tool.name"], "probe");
        assert!(!tool.fields.contains_key("gen_ai.tool.call.arguments"));
        assert!(!tool.fields.contains_key("error.type"));
        // The tool ran inside its own call's span.
        let call = &tool.fields["gen_ai.tool.call.id"];
        let probes: Vec<_> = got.probes.iter().filter(|(c, _)| c == call).collect();
        assert_eq!(probes.len(), 1, "{call}");
        assert_eq!(probes[0].1, Some(*id), "{call} ran inside its span");
    }
}

#[tokio::test(start_paused = true)]
async fn content_is_recorded_only_when_the_builder_asks() {
    let got = record(true).await;
    let chats = named(&got, "chat");
    let first = chats[0].1;
    assert!(first.fields["gen_ai.input.messages"].contains("probe three times"));
    assert!(first.fields["gen_ai.system_instructions"].contains("be brief"));
    assert!(first.fields["gen_ai.output.messages"].contains("tool_call"));
    for (_, tool) in named(&got, "execute_tool") {
        assert!(tool.fields["gen_ai.tool.call.arguments"].contains("\"n\""));
        assert!(tool.fields["gen_ai.tool.call.result"].contains("probed"));
    }
}
