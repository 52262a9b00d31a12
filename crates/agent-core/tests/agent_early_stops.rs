//! Runs that stop early: dropped, cancelled in each phase, or failed after
//! their tools ran. On tokio's paused clock, with a backend that plays one
//! reply per model call.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::{
    Agent, AgentErrorKind, AgentState, ContentBlock, Conversation, EventKind, ExecutorConfig,
    ExponentialBackoff, Jitter, Message, ModelBackend, ModelError, ModelErrorKind, ModelRequest,
    ModelResponse, Role, RunOptions, StopReason, ToolResult, ToolResultContent, ToolUse, Usage,
};
use common::tool;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::{Tool, ToolContext, ToolOutput};

/// What the model does on one call.
enum Reply {
    /// Asks for one call of `tool` with `input`.
    Call(&'static str, Value),
    /// Answers with this text.
    Answer(&'static str),
    /// Answers after this long.
    Slowly(Duration),
    /// Throttled, with this hint.
    Throttled(Option<Duration>),
}

/// Plays its replies in order, one per model call (then answers "done").
struct Replies {
    replies: Mutex<VecDeque<Reply>>,
    calls: AtomicU32,
}

impl Replies {
    fn new(replies: impl IntoIterator<Item = Reply>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.into_iter().collect()),
            calls: AtomicU32::new(0),
        })
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

fn response(content: Vec<ContentBlock>, stop_reason: StopReason) -> ModelResponse {
    ModelResponse {
        message: Message {
            role: Role::Assistant,
            content,
        },
        stop_reason,
        usage: Usage::default(),
        latency: Duration::ZERO,
        model_fields: None,
    }
}

#[async_trait::async_trait]
impl ModelBackend for Replies {
    fn name(&self) -> &str {
        "replies"
    }

    async fn converse(&self, _: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let reply = self.replies.lock().unwrap().pop_front();
        let answer = |text: &str| {
            response(
                vec![ContentBlock::Text { text: text.into() }],
                StopReason::EndTurn,
            )
        };
        match reply.unwrap_or(Reply::Answer("done")) {
            Reply::Call(name, input) => Ok(response(
                vec![ContentBlock::ToolUse(ToolUse {
                    id: format!("t{n}"),
                    name: name.into(),
                    input,
                })],
                StopReason::ToolUse,
            )),
            Reply::Answer(text) => Ok(answer(text)),
            Reply::Slowly(after) => {
                tokio::time::sleep(after).await;
                Ok(answer("slow"))
            }
            Reply::Throttled(hint) => {
                let e = ModelError::throttled("slow down");
                Err(match hint {
                    Some(h) => e.with_retry_after(h),
                    None => e,
                })
            }
        }
    }
}

/// Sleeps `secs` seconds; counts the times its token fired in `fired`.
fn sleeper(fired: Arc<AtomicU32>) -> Arc<dyn Tool> {
    tool("sleep", move |input: Value, ctx: ToolContext| {
        let fired = fired.clone();
        async move {
            let token = ctx.cancellation().clone();
            tokio::spawn(async move {
                token.cancelled().await;
                fired.fetch_add(1, Ordering::SeqCst);
            });
            let secs = input["secs"].as_u64().unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(secs)).await;
            Ok(ToolOutput::text(format!("slept {secs} s")))
        }
    })
}

fn exact(attempts: u32) -> ExponentialBackoff {
    ExponentialBackoff::default()
        .with_max_attempts(attempts)
        .with_base(Duration::from_millis(100))
        .with_jitter(Jitter::None)
}

fn agent(backend: Arc<Replies>, tools: Vec<Arc<dyn Tool>>, limit: Option<usize>) -> Agent {
    let mut builder = Agent::builder()
        .backend(backend)
        .streaming(false)
        .executor(ExecutorConfig::default().with_max_concurrency(limit))
        .model_retry(exact(3));
    for t in tools {
        builder = builder.tool_with_source(t, "test");
    }
    builder.build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn dropping_a_run_mid_batch_stops_its_calls_and_frees_their_slots() {
    let fired = Arc::new(AtomicU32::new(0));
    let backend = Replies::new([Reply::Call("sleep", json!({"secs": 10}))]);
    let agent = agent(backend, vec![sleeper(fired.clone())], Some(1));
    let dropped = tokio::time::timeout(Duration::from_secs(1), agent.run("go")).await;
    assert!(dropped.is_err(), "the run was dropped mid-batch");
    let start = Instant::now();
    let call = ToolUse {
        id: "next".into(),
        name: "sleep".into(),
        input: json!({"secs": 1}),
    };
    let out = agent
        .executor()
        .execute(
            agent.tools(),
            &[call],
            &CancellationToken::new(),
            Arc::new(()),
        )
        .await;
    assert!(out[0].is_success());
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(1),
        "the dropped call's slot was freed at once"
    );
    assert_eq!(
        fired.load(Ordering::SeqCst),
        1,
        "the dropped call's token fired"
    );
}

/// Cancels `token` after `after`.
fn cancel_after(after: Duration) -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        t.cancel();
    });
    token
}

/// The run's states, in order.
fn states(run: &agent_core::AgentRun) -> Vec<AgentState> {
    run.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::State { to, .. } => Some(to),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn cancellation_during_a_model_call_stops_the_run_at_once() {
    let backend = Replies::new([
        Reply::Call("sleep", json!({"secs": 1})),
        Reply::Slowly(Duration::from_secs(10)),
    ]);
    let fired = Arc::new(AtomicU32::new(0));
    let agent = agent(backend.clone(), vec![sleeper(fired)], None);
    let start = Instant::now();
    let err = agent
        .run_with(
            "go",
            RunOptions::new().with_cancellation(cancel_after(Duration::from_secs(3))),
        )
        .await
        .unwrap_err();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(3),
        "not the model's 10 s"
    );
    assert_eq!(err.kind, AgentErrorKind::Cancelled);
    assert_eq!(backend.calls(), 2);
    use AgentState::*;
    assert_eq!(
        states(&err.run),
        [Thinking, ExecutingTools, Thinking, Error]
    );
    // The turn that was cut is counted once, as begun, and never finished.
    assert_eq!(err.run.metrics.model_calls, 2);
    assert_eq!(err.run.metrics.turns[1].model_attempts, 1);
    let finished = err
        .run
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ModelCallFinished { .. }))
        .count();
    assert_eq!(finished, 1);
    // The tool's result is kept; the conversation ends on it.
    let last = err.run.messages.last().unwrap();
    assert_eq!(last.role, Role::User);
    assert!(matches!(&last.content[0], ContentBlock::ToolResult(r) if !r.is_error()));
}

#[tokio::test(start_paused = true)]
async fn cancellation_during_the_models_backoff_stops_before_the_next_attempt() {
    let backend = Replies::new([Reply::Throttled(Some(Duration::from_secs(30)))]);
    let agent = agent(backend.clone(), vec![], None);
    let start = Instant::now();
    let err = agent
        .run_with(
            "go",
            RunOptions::new().with_cancellation(cancel_after(Duration::from_secs(2))),
        )
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2), "not the 30 s hint");
    assert_eq!(err.kind, AgentErrorKind::Cancelled);
    assert_eq!(backend.calls(), 1, "no attempt after the cancellation");
    let model: Vec<_> = err
        .run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ModelCallStarted { attempt, .. } => Some(format!("started {attempt}")),
            EventKind::ModelCallFailed {
                attempt, retry_in, ..
            } => Some(format!("failed {attempt}, retry in {retry_in:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(model, ["started 1", "failed 1, retry in Some(30s)"]);
    assert_eq!(err.run.metrics.turns[0].model_attempts, 1);
    use AgentState::*;
    assert_eq!(states(&err.run), [Thinking, Error]);
    assert_eq!(err.run.messages.len(), 1, "the prompt is kept");
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_waits_the_cap_and_the_event_says_what_was_asked() {
    let asked = Duration::from_secs(1_000_000_000);
    let backend = Replies::new([Reply::Throttled(Some(asked))]);
    let agent = agent(backend.clone(), vec![], None);
    let start = Instant::now();
    let run = agent.run("go").await.unwrap();
    // The default cap on a hint: 60 s, then the next attempt answers.
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    assert_eq!(backend.calls(), 2);
    let failed: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ModelCallFailed {
                retry_in,
                retry_after,
                ..
            } => Some((*retry_in, *retry_after)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [(Some(Duration::from_secs(60)), Some(asked))]);
}

#[tokio::test(start_paused = true)]
async fn a_model_failure_after_tools_ran_keeps_their_results() {
    let backend = Replies::new([
        Reply::Call("sleep", json!({"secs": 1})),
        Reply::Throttled(None),
        Reply::Throttled(None),
        Reply::Throttled(None),
        Reply::Answer("after all"),
    ]);
    let agent = agent(backend.clone(), vec![sleeper(Arc::default())], None);
    let mut conversation = Conversation::new();
    let err = agent
        .send(&mut conversation, "go", RunOptions::new())
        .await
        .unwrap_err();
    let model = err.model_error().expect("a model error");
    assert_eq!(model.kind, ModelErrorKind::Throttled);
    assert_eq!(
        backend.calls(),
        4,
        "one turn, then three throttled attempts"
    );
    let expected = [
        Message::user("go"),
        Message {
            role: Role::Assistant,
            content: vec![ContentBlock::ToolUse(ToolUse {
                id: "t0".into(),
                name: "sleep".into(),
                input: json!({"secs": 1}),
            })],
        },
        Message {
            role: Role::User,
            content: vec![ContentBlock::ToolResult(ToolResult::success(
                "t0",
                ToolResultContent::Text("slept 1 s".into()),
            ))],
        },
    ];
    assert_eq!(
        err.run.messages, expected,
        "the error's run keeps the results"
    );
    assert_eq!(
        conversation.messages(),
        expected,
        "and so does the conversation"
    );
    // Continued, the tool is not run again: the model reads its result.
    let run = agent
        .send(&mut conversation, "try again", RunOptions::new())
        .await
        .unwrap();
    assert_eq!(run.answer, "after all");
    assert_eq!(run.metrics.tool_calls, 0);
    let last_user = &run.messages[2];
    assert_eq!(
        last_user.content.len(),
        2,
        "the result, then the new prompt"
    );
}
