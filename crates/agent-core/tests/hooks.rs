//! Hooks around model and tool calls, end to end with the scripted backend
//! on tokio's paused clock: each decision, and what the model received.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::hooks::{Hook, HookError, ToolDecision};
use agent_core::{
    Agent, AgentErrorKind, CallFailure, ContentBlock, EventKind, ModelRequest, ModelResponse,
    ToolResult, ToolResultContent, ToolUse,
};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};
use common::tool;
use serde_json::{Value, json};
use tool_api::ToolOutput;

/// A model that asks for `echo a` and `echo b` at once, then answers.
fn backend() -> Arc<ScriptedBackend> {
    Arc::new(ScriptedBackend::new(vec![Scenario::new(
        "two echoes",
        None,
        vec![
            ScriptedTurn::tools([
                ("echo", json!({"text": "a secret=hunter2"})),
                ("echo", json!({"text": "b"})),
            ]),
            ScriptedTurn::text("done"),
        ],
    )]))
}

/// `echo` answers with its input's text, after `delay_ms` if given.
fn agent_with(
    backend: Arc<ScriptedBackend>,
    hooks: Vec<Box<dyn FnOnce(agent_core::AgentBuilder) -> agent_core::AgentBuilder>>,
) -> Agent {
    let echo = tool("echo", |input: Value, _| async move {
        if let Some(ms) = input["delay_ms"].as_u64() {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        Ok(ToolOutput::text(input["text"].as_str().unwrap_or_default()))
    });
    let mut builder = Agent::builder()
        .backend(backend)
        .tool(echo)
        .streaming(false);
    for h in hooks {
        builder = h(builder);
    }
    builder.build().unwrap()
}

fn with(
    hook: impl Hook + 'static,
) -> Box<dyn FnOnce(agent_core::AgentBuilder) -> agent_core::AgentBuilder> {
    Box::new(move |b| b.hook(hook))
}

/// The tool results the model received in its second request, as
/// (status, text) in call order.
fn results_received(backend: &ScriptedBackend) -> Vec<(String, String)> {
    let requests = backend.requests();
    let last = requests[1].messages.last().unwrap();
    last.content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => (
                if r.is_error() { "error" } else { "ok" }.to_owned(),
                text(r),
            ),
            other => panic!("not a result: {other:?}"),
        })
        .collect()
}

fn text(r: &ToolResult) -> String {
    r.content
        .iter()
        .map(|c| match c {
            ToolResultContent::Text(t) => t.clone(),
            ToolResultContent::Json(v) => v.to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Records every call it sees, allows all.
#[derive(Default, Clone)]
struct Log(Arc<Mutex<Vec<String>>>);

#[async_trait::async_trait]
impl Hook for Log {
    async fn before_model(&self, r: &mut ModelRequest) -> Result<(), HookError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("model {}", r.messages.len()));
        Ok(())
    }
    async fn after_model(&self, r: &ModelResponse) -> Result<(), HookError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("answered {:?}", r.stop_reason));
        Ok(())
    }
    async fn before_tool(&self, call: &ToolUse) -> Result<ToolDecision, HookError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("before {}", call.input["text"]));
        Ok(ToolDecision::Allow)
    }
    async fn after_tool(&self, call: &ToolUse, _r: &mut ToolResult) -> Result<(), HookError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("after {}", call.input["text"]));
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn allow_runs_every_call_and_hooks_see_model_and_tool_calls() {
    let backend = backend();
    let log = Log::default();
    let agent = agent_with(backend.clone(), vec![with(log.clone())]);
    let run = agent.run("go").await.unwrap();
    assert_eq!(run.answer, "done");
    assert_eq!(
        results_received(&backend),
        [
            ("ok".into(), "a secret=hunter2".into()),
            ("ok".into(), "b".into())
        ]
    );
    let mut seen = log.0.lock().unwrap().clone();
    // The two calls' hooks run in their own tasks: their order is free.
    seen[2..6].sort();
    assert_eq!(
        seen,
        [
            "model 1",
            "answered ToolUse",
            "after \"a secret=hunter2\"",
            "after \"b\"",
            "before \"a secret=hunter2\"",
            "before \"b\"",
            "model 3",
            "answered EndTurn",
        ]
    );
}

struct DenyPattern(&'static str);

#[async_trait::async_trait]
impl Hook for DenyPattern {
    async fn before_tool(&self, call: &ToolUse) -> Result<ToolDecision, HookError> {
        if call.input.to_string().contains(self.0) {
            return Ok(ToolDecision::deny("secrets may not be echoed"));
        }
        Ok(ToolDecision::Allow)
    }
}

#[tokio::test(start_paused = true)]
async fn deny_answers_with_the_reason_and_the_sibling_runs() {
    let backend = backend();
    let agent = agent_with(backend.clone(), vec![with(DenyPattern("secret="))]);
    let run = agent.run("go").await.unwrap();
    let results = results_received(&backend);
    assert_eq!(results[0].0, "error");
    assert!(
        results[0].1.contains("secrets may not be echoed"),
        "{results:?}"
    );
    assert!(results[0].1.contains("was not run"), "{results:?}");
    assert_eq!(results[1], ("ok".into(), "b".into()));
    let failures: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCallFinished { index, failure, .. } => Some((*index, *failure)),
            _ => None,
        })
        .collect();
    assert!(
        failures.contains(&(0, Some(CallFailure::Denied))),
        "{failures:?}"
    );
    assert!(failures.contains(&(1, None)), "{failures:?}");
}

struct Rewrite;

#[async_trait::async_trait]
impl Hook for Rewrite {
    async fn before_tool(&self, call: &ToolUse) -> Result<ToolDecision, HookError> {
        let text = call.input["text"].as_str().unwrap_or_default();
        Ok(ToolDecision::Rewrite(json!({"text": text.to_uppercase()})))
    }
}

#[tokio::test(start_paused = true)]
async fn rewrite_changes_the_input_the_tool_sees_and_later_hooks_see_it_too() {
    let backend = backend();
    let log = Log::default();
    let agent = agent_with(backend.clone(), vec![with(Rewrite), with(log.clone())]);
    agent.run("go").await.unwrap();
    assert_eq!(
        results_received(&backend),
        [
            ("ok".into(), "A SECRET=HUNTER2".into()),
            ("ok".into(), "B".into())
        ]
    );
    let seen = log.0.lock().unwrap().clone();
    assert!(seen.contains(&"before \"B\"".to_owned()), "{seen:?}");
    // The conversation keeps the model's own call: only the run changed.
    let asked = &backend.requests()[1].messages[1];
    assert!(
        matches!(&asked.content[0], ContentBlock::ToolUse(u) if u.input["text"] == "a secret=hunter2")
    );
}

struct Redact;

#[async_trait::async_trait]
impl Hook for Redact {
    async fn after_tool(&self, _call: &ToolUse, result: &mut ToolResult) -> Result<(), HookError> {
        for c in &mut result.content {
            if let ToolResultContent::Text(t) = c {
                *t = t.replace("hunter2", "[redacted]");
            }
        }
        // Even a hook that tries cannot make the result answer another call.
        result.tool_use_id = "someone else".into();
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn replace_redacts_the_result_the_model_receives_and_keeps_the_pairing() {
    let backend = backend();
    let agent = agent_with(backend.clone(), vec![with(Redact)]);
    let run = agent.run("go").await.unwrap();
    assert_eq!(
        results_received(&backend),
        [
            ("ok".into(), "a secret=[redacted]".into()),
            ("ok".into(), "b".into())
        ]
    );
    let serialized = serde_json::to_string(&run.messages[2]).unwrap();
    assert!(!serialized.contains("hunter2"), "{serialized}");
    let ids: Vec<_> = backend.requests()[1].messages[2]
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => r.tool_use_id.clone(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(ids, ["tooluse_0_0", "tooluse_0_1"]);
}

/// Fails (or panics) before or after the call whose text starts with `a`.
struct Broken {
    before: bool,
    panic: bool,
}

#[async_trait::async_trait]
impl Hook for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    async fn before_tool(&self, call: &ToolUse) -> Result<ToolDecision, HookError> {
        if self.before
            && call.input["text"]
                .as_str()
                .unwrap_or_default()
                .starts_with('a')
        {
            if self.panic {
                panic!("hook bug");
            }
            return Err(HookError::new("policy service unreachable"));
        }
        Ok(ToolDecision::Allow)
    }
    async fn after_tool(&self, call: &ToolUse, _r: &mut ToolResult) -> Result<(), HookError> {
        if !self.before
            && call.input["text"]
                .as_str()
                .unwrap_or_default()
                .starts_with('a')
        {
            if self.panic {
                panic!("hook bug");
            }
            return Err(HookError::new("redaction service unreachable"));
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_or_panicking_hook_answers_its_call_with_an_error_and_the_sibling_runs() {
    for (before, panic, expect) in [
        (
            true,
            false,
            "hook `broken` failed before it (policy service unreachable)",
        ),
        (
            true,
            true,
            "hook `broken` failed before it (panicked: hook bug)",
        ),
        (
            false,
            false,
            "hook `broken` failed after tool `echo` ran (redaction service unreachable)",
        ),
        (
            false,
            true,
            "hook `broken` failed after tool `echo` ran (panicked: hook bug)",
        ),
    ] {
        let backend = backend();
        let agent = agent_with(backend.clone(), vec![with(Broken { before, panic })]);
        let run = agent.run("go").await.unwrap();
        assert_eq!(run.answer, "done");
        let results = results_received(&backend);
        assert_eq!(results[0].0, "error", "{results:?}");
        assert!(results[0].1.contains(expect), "{expect}: {results:?}");
        // A failed redaction withholds the result: the secret never leaks.
        assert!(!results[0].1.contains("hunter2"), "{results:?}");
        assert_eq!(results[1], ("ok".into(), "b".into()));
        let failure = run.events.iter().find_map(|e| match &e.kind {
            EventKind::ToolCallFinished {
                index: 0, failure, ..
            } => Some(*failure),
            _ => None,
        });
        assert_eq!(failure, Some(Some(CallFailure::HookFailed)));
    }
}

/// Takes ten seconds to decide about the call whose text starts with `a`.
struct Slow;

#[async_trait::async_trait]
impl Hook for Slow {
    async fn before_tool(&self, call: &ToolUse) -> Result<ToolDecision, HookError> {
        if call.input["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with('a')
        {
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        Ok(ToolDecision::Allow)
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_hook_on_one_call_does_not_delay_its_sibling() {
    let backend = backend();
    let agent = agent_with(backend.clone(), vec![with(Slow)]);
    let run = agent.run("go").await.unwrap();
    let finished: Vec<(usize, Duration)> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCallFinished { index, .. } => Some((*index, e.at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        [(1, Duration::ZERO), (0, Duration::from_secs(10))]
    );
}

struct BrokenModelHook;

#[async_trait::async_trait]
impl Hook for BrokenModelHook {
    fn name(&self) -> &str {
        "audit"
    }
    async fn before_model(&self, r: &mut ModelRequest) -> Result<(), HookError> {
        r.system = Some("be brief".into());
        if r.messages.len() > 1 {
            return Err(HookError::new("audit log full"));
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn model_hooks_change_the_request_and_a_failing_one_stops_the_run_cleanly() {
    let backend = backend();
    let agent = agent_with(backend.clone(), vec![with(BrokenModelHook)]);
    let err = agent.run("go").await.unwrap_err();
    let requests = backend.requests();
    assert_eq!(requests.len(), 1, "the second call was never made");
    assert_eq!(requests[0].system.as_deref(), Some("be brief"));
    match &err.kind {
        AgentErrorKind::Hook(f) => {
            assert_eq!(f.hook, "audit");
            assert!(err.to_string().contains("audit log full"), "{err}");
        }
        other => panic!("{other:?}"),
    }
    // The conversation stays valid: every call answered, the last message
    // the results.
    let messages = &err.run.messages;
    assert_eq!(messages.len(), 3);
    assert!(
        messages[2]
            .content
            .iter()
            .all(|b| matches!(b, ContentBlock::ToolResult(_)))
    );
}
