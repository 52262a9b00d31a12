//! Eager start: tool calls start while the model's message is still
//! streaming in. On tokio's paused clock, with the scripted backend spreading
//! its blocks over its latency, and with hand-timed streams for the failure
//! cases (a stream that breaks and is retried, a cancelled run).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::{
    Agent, AgentErrorKind, AgentEvent, CallFailure, ContentBlock, EventKind, ExponentialBackoff,
    Jitter, ModelBackend, ModelError, ModelEvent, ModelRequest, ModelResponse, Role, RunOptions,
    StopReason, ToolResultStatus,
};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedCall, ScriptedTurn, reference};
use futures::stream::{self, BoxStream, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolSpec};

const MS: fn(u64) -> Duration = Duration::from_millis;

/// 2.1 s over 7 blocks: each block takes exactly 300 ms of it.
const LATENCY: Duration = Duration::from_millis(2100);

fn sleep_call(ms: u64) -> ScriptedCall {
    ScriptedCall {
        name: "sleep_tool".into(),
        input: json!({ "ms": ms }),
    }
}

/// One scenario: the calls of `first` (then the answer "done"), streamed
/// over [`LATENCY`] per turn.
fn backend(first: ScriptedTurn) -> Arc<ScriptedBackend> {
    Arc::new(
        ScriptedBackend::new(vec![Scenario::new(
            "eager",
            None,
            vec![first, ScriptedTurn::text("done")],
        )])
        .with_streamed_latency(LATENCY),
    )
}

fn tools_turn(ms: &[u64]) -> ScriptedTurn {
    ScriptedTurn {
        text: None,
        tool_calls: ms.iter().map(|&ms| sleep_call(ms)).collect(),
        stop: None,
    }
}

fn agent(backend: Arc<dyn ModelBackend>, eager: bool) -> Agent {
    Agent::builder()
        .backend(backend)
        .tools(reference::tools())
        .eager(eager)
        .model_retry(
            ExponentialBackoff::for_model()
                .with_base(MS(100))
                .with_jitter(Jitter::None),
        )
        .build()
        .unwrap()
}

/// (index, at) of each tool call start.
fn starts(events: &[AgentEvent]) -> Vec<(usize, Duration)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCallStarted { index, .. } => Some((*index, e.at)),
            _ => None,
        })
        .collect()
}

/// (id, failure, at) of each tool call end.
fn ends(events: &[AgentEvent]) -> Vec<(String, Option<CallFailure>, Duration)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCallFinished { id, failure, .. } => Some((id.clone(), *failure, e.at)),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_slow_call_first_runs_while_the_model_writes_the_rest() {
    let turn = || tools_turn(&[1500, 10, 10, 10, 10, 10, 10]);
    let start = Instant::now();
    let run = agent(backend(turn()), true).run("go").await.unwrap();
    // The slow call opens block 0, complete at 300 ms, and starts when
    // block 1 opens, also at 300 ms: it ends at 1.8 s, before the message
    // (2.1 s); the last call starts when the message stops.
    let wall = LATENCY + MS(10) + LATENCY;
    assert_eq!(start.elapsed(), wall);
    assert_eq!(run.metrics.wall, wall);
    let want: Vec<_> = (0..7).map(|i| (i, MS(300) * (i as u32 + 1))).collect();
    assert_eq!(starts(&run.events), want);
    // Every call's start came while the model was still thinking, but
    // the last, which starts with the message's end.
    let finished = run
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::ModelCallFinished { .. }))
        .unwrap()
        .at;
    assert_eq!(finished, LATENCY);
    // Results in call order, in one message.
    let results = &run.messages[2];
    assert_eq!(results.role, Role::User);
    let ids: Vec<_> = results
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => {
                assert_eq!(r.status, ToolResultStatus::Success);
                r.tool_use_id.clone()
            }
            other => panic!("not a result: {other:?}"),
        })
        .collect();
    let asked: Vec<_> = run.messages[1].tool_uses().map(|u| u.id.clone()).collect();
    assert_eq!(ids, asked);
    // The batch ran from the first start to the last end.
    let batch = run.metrics.turns[0].tools.as_ref().unwrap();
    assert_eq!(batch.wall, LATENCY + MS(10) - MS(300));
    assert_eq!(batch.calls[0].started, Duration::ZERO);
    assert_eq!(batch.calls[6].started, LATENCY - MS(300));
    assert_eq!(
        batch.hidden,
        LATENCY - MS(300),
        "tool time hidden behind generation"
    );
    assert_eq!(run.metrics.hidden_tool_time, LATENCY - MS(300));

    // The old limit, with eager start off: model, then the slowest call.
    let start = Instant::now();
    let run = agent(backend(turn()), false).run("go").await.unwrap();
    assert_eq!(start.elapsed(), LATENCY + MS(1500) + LATENCY);
    assert_eq!(
        starts(&run.events),
        (0..7).map(|i| (i, LATENCY)).collect::<Vec<_>>()
    );
    assert_eq!(run.metrics.hidden_tool_time, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn the_slow_call_last_takes_the_old_limit() {
    let start = Instant::now();
    let run = agent(backend(tools_turn(&[10, 10, 10, 10, 10, 10, 1500])), true)
        .run("go")
        .await
        .unwrap();
    assert_eq!(start.elapsed(), LATENCY + MS(1500) + LATENCY);
    assert_eq!(starts(&run.events)[6], (6, LATENCY));
    assert_eq!(starts(&run.events)[0], (0, MS(300)));
}

#[tokio::test(start_paused = true)]
async fn a_block_cut_by_max_tokens_never_runs_and_earlier_calls_stop() {
    let cut = ScriptedTurn {
        text: None,
        tool_calls: vec![sleep_call(5000), sleep_call(10)],
        stop: Some(StopReason::MaxTokens),
    };
    let backend = Arc::new(
        ScriptedBackend::new(vec![Scenario::new("cut", None, vec![cut])])
            .with_streamed_latency(MS(2000)),
    );
    let start = Instant::now();
    let run = agent(backend, true).run("go").await.unwrap();
    assert_eq!(start.elapsed(), MS(2000), "the early call stopped at once");
    assert_eq!(run.stop_reason, Some(StopReason::MaxTokens));
    // Block 0 (complete, the stream went on past it) started at 1 s; the
    // cut block 1 never did.
    assert_eq!(starts(&run.events), [(0, MS(1000))]);
    assert_eq!(
        ends(&run.events),
        [(
            "tooluse_0_0".to_string(),
            Some(CallFailure::Cancelled),
            MS(2000)
        )]
    );
    assert_eq!(run.messages.len(), 1, "the cut message had nothing to keep");
    assert_eq!(run.metrics.tool_calls, 0);
}

/// A stream's events, each after its delay from the call's start.
type Timed = Vec<(Duration, Result<ModelEvent, ModelError>)>;

/// One stream per model call, each event after its delay from the call's
/// start.
struct Streams {
    streams: Mutex<VecDeque<Timed>>,
}

impl Streams {
    fn new(streams: impl IntoIterator<Item = Timed>) -> Arc<Self> {
        Arc::new(Self {
            streams: Mutex::new(streams.into_iter().collect()),
        })
    }
}

#[async_trait::async_trait]
impl ModelBackend for Streams {
    fn name(&self) -> &str {
        "streams"
    }

    async fn converse(&self, _: &ModelRequest) -> Result<ModelResponse, ModelError> {
        Err(ModelError::validation("streams only"))
    }

    fn converse_stream<'a>(
        &'a self,
        _: &'a ModelRequest,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>> {
        let events = self.streams.lock().unwrap().pop_front().unwrap_or_else(|| {
            let mut done = text_message("done");
            done.insert(0, (Duration::ZERO, Ok(ModelEvent::MessageStart)));
            done
        });
        let start = Instant::now();
        stream::iter(events)
            .then(move |(after, event)| async move {
                tokio::time::sleep_until(start + after).await;
                event
            })
            .boxed()
    }
}

fn text_message(text: &str) -> Timed {
    vec![
        (
            Duration::ZERO,
            Ok(ModelEvent::TextDelta {
                index: 0,
                text: text.into(),
            }),
        ),
        (
            Duration::ZERO,
            Ok(ModelEvent::MessageStop {
                stop_reason: StopReason::EndTurn,
            }),
        ),
    ]
}

/// Block `index`: a call `id` of `sleep_tool` for `ms`, complete `at`.
fn block(index: usize, id: &str, ms: u64, at: Duration) -> Timed {
    vec![
        (
            at,
            Ok(ModelEvent::ToolUseStart {
                index,
                id: id.into(),
                name: "sleep_tool".into(),
            }),
        ),
        (
            at,
            Ok(ModelEvent::ToolInputDelta {
                index,
                json: json!({ "ms": ms }).to_string(),
            }),
        ),
        (at, Ok(ModelEvent::BlockStop { index })),
    ]
}

fn stop(at: Duration) -> (Duration, Result<ModelEvent, ModelError>) {
    (
        at,
        Ok(ModelEvent::MessageStop {
            stop_reason: StopReason::ToolUse,
        }),
    )
}

#[tokio::test(start_paused = true)]
async fn a_retried_stream_cancels_its_early_calls_and_runs_the_new_ones() {
    // Attempt 1: call `a` complete at 100 ms, starts when `b` opens at
    // 200 ms; the stream breaks at 500 ms. Attempt 2 (after 100 ms of
    // backoff) asks for the same calls, complete at 100 and 200 ms.
    let mut broken = block(0, "a", 1000, MS(100));
    broken.extend(block(1, "b", 10, MS(200)));
    broken.push((MS(500), Err(ModelError::stream("connection reset"))));
    let mut whole = block(0, "a", 1000, MS(100));
    whole.extend(block(1, "b", 10, MS(200)));
    whole.push(stop(MS(300)));
    let backend = Streams::new([broken, whole]);
    let start = Instant::now();
    let run = agent(backend, true).run("go").await.unwrap();
    assert_eq!(run.answer, "done");
    // 500 ms broken + 100 ms backoff; then `a` starts at 600 + 200 ms and
    // runs its full second.
    assert_eq!(start.elapsed(), MS(1800));
    assert_eq!(
        starts(&run.events),
        [(0, MS(200)), (0, MS(800)), (1, MS(900))]
    );
    assert_eq!(
        ends(&run.events),
        [
            ("a".to_string(), Some(CallFailure::Cancelled), MS(500)),
            ("b".to_string(), None, MS(910)),
            ("a".to_string(), None, MS(1800)),
        ],
        "the broken attempt's call is cancelled before the retry"
    );
    let failed = run
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::ModelCallFailed { .. }))
        .unwrap();
    let cancelled = run
        .events
        .iter()
        .position(|e| {
            matches!(
                &e.kind,
                EventKind::ToolCallFinished {
                    failure: Some(CallFailure::Cancelled),
                    ..
                }
            )
        })
        .unwrap();
    assert!(
        cancelled < failed,
        "cancelled before the attempt is told failed"
    );
    // One answer per call of the message the model finished.
    let results: Vec<_> = run.messages[2]
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => (r.tool_use_id.clone(), r.status),
            other => panic!("not a result: {other:?}"),
        })
        .collect();
    assert_eq!(
        results,
        [
            ("a".to_string(), ToolResultStatus::Success),
            ("b".to_string(), ToolResultStatus::Success)
        ]
    );
    assert_eq!(run.metrics.model_calls, 3);
}

#[tokio::test(start_paused = true)]
async fn cancelling_the_run_stops_calls_started_early() {
    let stops = Arc::new(AtomicU32::new(0));
    let stopped = stops.clone();
    let watcher: Arc<dyn Tool> = Arc::new(Watcher(stopped));
    // `w` is complete at 100 ms and starts when block 1 opens at 200 ms;
    // the model then writes on for 10 s.
    let mut slow = vec![
        (
            MS(100),
            Ok(ModelEvent::ToolUseStart {
                index: 0,
                id: "w".into(),
                name: "watch".into(),
            }),
        ),
        (MS(100), Ok(ModelEvent::BlockStop { index: 0 })),
    ];
    slow.push((
        MS(200),
        Ok(ModelEvent::TextDelta {
            index: 1,
            text: "and".into(),
        }),
    ));
    slow.push(stop(MS(10_000)));
    let agent = Agent::builder()
        .backend(Streams::new([slow]))
        .tool_with_source(watcher, "test")
        .build()
        .unwrap();
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(MS(1000)).await;
        canceller.cancel();
    });
    let start = Instant::now();
    let err = agent
        .run_with("go", RunOptions::new().with_cancellation(cancel))
        .await
        .unwrap_err();
    assert!(matches!(err.kind, AgentErrorKind::Cancelled), "{err}");
    assert_eq!(start.elapsed(), MS(1000));
    assert_eq!(starts(&err.run.events), [(0, MS(200))]);
    // The aborted task drops the tool's future when the runtime next runs.
    tokio::time::sleep(MS(1)).await;
    assert_eq!(
        stops.load(Ordering::SeqCst),
        1,
        "the early call was stopped"
    );
}

/// Runs until stopped; counts the stops (its future dropped).
struct Watcher(Arc<AtomicU32>);

struct CountDrop(Arc<AtomicU32>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl Tool for Watcher {
    fn spec(&self) -> &ToolSpec {
        static SPEC: std::sync::OnceLock<ToolSpec> = std::sync::OnceLock::new();
        SPEC.get_or_init(|| {
            ToolSpec::new("watch", "Runs until stopped.", json!({"type": "object"}))
        })
    }

    async fn call(&self, _: Value, _: ToolContext) -> Result<ToolOutput, ToolError> {
        let _guard = CountDrop(self.0.clone());
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(ToolOutput::text("never"))
    }
}

#[tokio::test(start_paused = true)]
async fn without_streaming_calls_start_with_the_whole_message() {
    let backend = Arc::new(
        ScriptedBackend::new(vec![Scenario::new(
            "eager",
            None,
            vec![tools_turn(&[1500, 10]), ScriptedTurn::text("done")],
        )])
        .with_streamed_latency(LATENCY),
    );
    let agent = Agent::builder()
        .backend(backend)
        .tools(reference::tools())
        .streaming(false)
        .build()
        .unwrap();
    let start = Instant::now();
    let run = agent.run("go").await.unwrap();
    assert_eq!(start.elapsed(), LATENCY + MS(1500) + LATENCY);
    assert_eq!(starts(&run.events), [(0, LATENCY), (1, LATENCY)]);
}
