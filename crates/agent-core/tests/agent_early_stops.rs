//! Runs that stop early: dropped, cancelled in each phase, or failed after
//! their tools ran. On tokio's paused clock, with a backend that plays one
//! reply per model call.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::{
    Agent, ContentBlock, ExecutorConfig, ExponentialBackoff, Jitter, Message, ModelBackend,
    ModelError, ModelRequest, ModelResponse, Role, StopReason, ToolUse, Usage,
};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolSpec};

/// What the model does on one call.
enum Reply {
    /// Asks for one call of `tool` with `input`.
    Call(&'static str, Value),
    /// Answers with this text.
    Answer(&'static str),
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
        }
    }
}

/// A tool driven by a closure over (input, context).
struct FnTool<F> {
    spec: ToolSpec,
    f: F,
}

#[async_trait::async_trait]
impl<F, Fut> Tool for FnTool<F>
where
    F: Fn(Value, ToolContext) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<ToolOutput, ToolError>> + Send,
{
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }
    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        (self.f)(input, ctx).await
    }
}

fn tool<F, Fut>(name: &str, f: F) -> Arc<dyn Tool>
where
    F: Fn(Value, ToolContext) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<ToolOutput, ToolError>> + Send + 'static,
{
    Arc::new(FnTool {
        spec: ToolSpec::new(name, "test tool", json!({"type": "object"})),
        f,
    })
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
        builder = builder.tool(t, "test");
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
