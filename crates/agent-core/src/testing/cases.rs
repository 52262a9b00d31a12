//! The conformance cases: each starts a fresh server through the
//! [`Harness`], runs the real [`Agent`] against the backend under test, and
//! checks the answer, the events, and what the server received.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::future::join_all;
use serde_json::{Value, json};
use tool_api::{ToolError, ToolRegistry, tool_fn};

use super::{Fault, Harness, Setup, Target};
use crate::scripted::{first_prompt, validate_conversation};
use crate::{
    Agent, AgentRun, ContentBlock, EventKind, InferenceConfig, Message, ModelErrorKind, ModelEvent,
    ModelRequest, RetryPolicy, Role, Scenario, ScriptedCall, ScriptedTurn, StopReason, ToolResult,
    ToolResultContent, ToolUse, reference,
};

/// The system prompt every case sends; checked on the server side.
pub const SYSTEM_PROMPT: &str = "You are the model of the backend conformance suite.";

/// The error message of `fail_tool`, the suite's always-failing tool.
pub const TOOL_FAILURE: &str = "the disk is on fire";

/// The answer of the streamed-answer and stream-cut cases: long enough to
/// arrive in several deltas from a server that splits text.
pub const LONG_ANSWER: &str = "Once upon a time, a runtime called many tools at once. \
    Every result came back in one message, in the order the model asked for them, \
    and the model, pleased, wrote this answer in many small pieces so that the \
    conformance suite could watch each of them arrive.";

/// One conformance case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// Q1–Q4 run concurrently, streaming and not: the answers, and the
    /// second request holding every result in call order.
    ReferenceQueries,
    /// CHAIN-3: four model turns, the history growing each turn.
    Chain,
    /// A streamed answer: text deltas arrive as events and add up.
    StreamedAnswer,
    /// A call to a tool nobody offers is answered with an error result.
    UnknownTool,
    /// A failing tool and bad input are answered with error results.
    ToolError,
    /// A 429 with `retry-after`, then a 5xx, then success.
    ThrottledThenSuccess,
    /// A stream cut midway is retried and the answer is whole.
    StreamCutThenSuccess,
    /// A refused request stops the run at once, without retries.
    NonRetryableError,
    /// A response cut by `max_tokens`: partial answer, no tool runs.
    MaxTokens,
}

impl Case {
    /// Every case, in the order [`super::run`] runs them.
    pub const ALL: [Case; 9] = [
        Case::ReferenceQueries,
        Case::Chain,
        Case::StreamedAnswer,
        Case::UnknownTool,
        Case::ToolError,
        Case::ThrottledThenSuccess,
        Case::StreamCutThenSuccess,
        Case::NonRetryableError,
        Case::MaxTokens,
    ];

    /// The case's name, as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Case::ReferenceQueries => "reference_queries",
            Case::Chain => "chain",
            Case::StreamedAnswer => "streamed_answer",
            Case::UnknownTool => "unknown_tool",
            Case::ToolError => "tool_error",
            Case::ThrottledThenSuccess => "throttled_then_success",
            Case::StreamCutThenSuccess => "stream_cut_then_success",
            Case::NonRetryableError => "non_retryable_error",
            Case::MaxTokens => "max_tokens",
        }
    }

    pub(super) async fn run(self, harness: &dyn Harness) -> Result<(), String> {
        match self {
            Case::ReferenceQueries => reference_queries(harness).await,
            Case::Chain => chain(harness).await,
            Case::StreamedAnswer => streamed_answer(harness).await,
            Case::UnknownTool => unknown_tool(harness).await,
            Case::ToolError => tool_error(harness).await,
            Case::ThrottledThenSuccess => throttled_then_success(harness).await,
            Case::StreamCutThenSuccess => stream_cut_then_success(harness).await,
            Case::NonRetryableError => non_retryable_error(harness).await,
            Case::MaxTokens => max_tokens(harness).await,
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

/// A retry policy that retries quickly (real time, tiny delays) and records
/// the `retry_after` hints the backend surfaced.
#[derive(Debug, Clone, Default)]
struct RecordingRetry {
    hints: Arc<Mutex<Vec<Option<Duration>>>>,
}

impl RetryPolicy for RecordingRetry {
    fn next_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Ok(mut h) = self.hints.lock() {
            h.push(retry_after);
        }
        (attempt < self.max_attempts()).then_some(Duration::from_millis(5))
    }

    fn max_attempts(&self) -> u32 {
        4
    }
}

impl RecordingRetry {
    fn hints(&self) -> Vec<Option<Duration>> {
        self.hints.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

/// The reference tools plus `fail_tool`, which always fails.
fn tools() -> Result<ToolRegistry, String> {
    let mut registry = reference::tools();
    let fail = tool_fn("fail_tool", "Always fails.", |(): (), _ctx| async {
        Err(ToolError::fatal(TOOL_FAILURE))
    })
    .map_err(|e| format!("fail_tool: {e}"))?;
    registry
        .register(Arc::new(fail), "conformance")
        .map_err(|e| e.to_string())?;
    Ok(registry)
}

struct Run {
    target: Target,
    agent: Agent,
    retry: RecordingRetry,
}

async fn start(
    harness: &dyn Harness,
    scenarios: Vec<Scenario>,
    faults: Vec<Fault>,
    streaming: bool,
    inference: InferenceConfig,
) -> Result<Run, String> {
    let target = harness
        .start(Setup { scenarios, faults })
        .await
        .map_err(|e| format!("the harness could not start a server: {e}"))?;
    let retry = RecordingRetry::default();
    let agent = Agent::builder()
        .backend(target.backend())
        .tools(tools()?)
        .system(SYSTEM_PROMPT)
        .streaming(streaming)
        .inference(inference)
        .model_retry(retry.clone())
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Run {
        target,
        agent,
        retry,
    })
}

async fn start_simple(
    harness: &dyn Harness,
    scenarios: Vec<Scenario>,
    faults: Vec<Fault>,
    streaming: bool,
) -> Result<Run, String> {
    start(
        harness,
        scenarios,
        faults,
        streaming,
        InferenceConfig::default(),
    )
    .await
}

fn mode(streaming: bool) -> &'static str {
    if streaming { "streaming" } else { "converse" }
}

async fn run_ok(run: &Run, prompt: &str, streaming: bool) -> Result<AgentRun, String> {
    run.agent
        .run(prompt)
        .await
        .map_err(|e| format!("[{}] the run failed: {e}", mode(streaming)))
}

/// The text of a tool result, JSON serialised.
pub(super) fn result_text(result: &ToolResult) -> String {
    result
        .content
        .iter()
        .map(|c| match c {
            ToolResultContent::Text(t) => t.clone(),
            ToolResultContent::Json(v) => v.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn results_of(message: &Message) -> Result<Vec<&ToolResult>, String> {
    ensure!(
        message.role == Role::User,
        "tool results came in a {:?} message",
        message.role
    );
    message
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => Ok(r),
            other => Err(format!(
                "the results message holds a block that is not a tool result: {other:?}"
            )),
        })
        .collect()
}

/// The run's conversation is one the service accepts.
fn check_valid(run: &AgentRun, streaming: bool) -> Result<(), String> {
    let request = ModelRequest {
        system: None,
        messages: run.messages.clone(),
        tools: tools()?.specs().cloned().collect(),
        inference: InferenceConfig::default(),
    };
    validate_conversation(&request)
        .map_err(|e| format!("[{}] invalid conversation: {e}", mode(streaming)))
}

fn check_usage(run: &AgentRun, streaming: bool) -> Result<(), String> {
    let usage = run.metrics.usage;
    ensure!(
        usage.input_tokens > 0 && usage.output_tokens > 0,
        "[{}] token usage was not reported: {usage:?}",
        mode(streaming)
    );
    Ok(())
}

/// `request` (the server's view of the follow-up) asks for `expected` calls
/// in its second message and answers all of them, in call order, in ONE
/// user message. Returns the results.
fn check_results_in_order<'r>(
    request: &'r ModelRequest,
    expected: &[ScriptedCall],
    label: &str,
) -> Result<(Vec<&'r ToolUse>, Vec<&'r ToolResult>), String> {
    ensure!(
        request.messages.len() == 3,
        "{label}: the follow-up request holds {} messages, not 3 (prompt, tool uses, ONE results message)",
        request.messages.len()
    );
    let asked = &request.messages[1];
    ensure!(
        asked.role == Role::Assistant,
        "{label}: message 1 is not the assistant's"
    );
    let uses: Vec<&ToolUse> = asked.tool_uses().collect();
    let names: Vec<&str> = uses.iter().map(|u| u.name.as_str()).collect();
    let want: Vec<&str> = expected.iter().map(|c| c.name.as_str()).collect();
    ensure!(
        names == want,
        "{label}: the tool uses sent back are {names:?}, not {want:?}"
    );
    for (u, c) in uses.iter().zip(expected) {
        ensure!(
            u.input == c.input,
            "{label}: the input of `{}` came back as {}, not {}",
            u.name,
            u.input,
            c.input
        );
        ensure!(!u.id.is_empty(), "{label}: a tool use has an empty id");
    }
    let results = results_of(&request.messages[2]).map_err(|e| format!("{label}: {e}"))?;
    let answered: Vec<&str> = results.iter().map(|r| r.tool_use_id.as_str()).collect();
    let ids: Vec<&str> = uses.iter().map(|u| u.id.as_str()).collect();
    ensure!(
        answered == ids,
        "{label}: results answer {answered:?}; the calls, in order, were {ids:?}"
    );
    Ok((uses, results))
}

fn requests_for<'r>(requests: &'r [ModelRequest], prompt: &str) -> Vec<&'r ModelRequest> {
    requests
        .iter()
        .filter(|r| first_prompt(r) == prompt)
        .collect()
}

async fn reference_queries(harness: &dyn Harness) -> Result<(), String> {
    for streaming in [true, false] {
        let m = mode(streaming);
        let run = start_simple(harness, reference::queries(), vec![], streaming).await?;
        let queries = reference::queries();
        let prompts: Vec<String> = queries
            .iter()
            .map(|q| q.prompt.clone().unwrap_or_default())
            .collect();
        let runs = join_all(prompts.iter().map(|p| run.agent.run(p))).await;
        let requests = run.target.requests();
        let specs: Vec<_> = run.agent.tools().specs().cloned().collect();
        for ((query, prompt), result) in queries.iter().zip(&prompts).zip(runs) {
            let label = format!("[{m}] {}", query.name);
            let done = result.map_err(|e| format!("{label}: the run failed: {e}"))?;
            let want = query.turns.last().and_then(|t| t.text.clone());
            ensure!(
                Some(&done.answer) == want.as_ref(),
                "{label}: answer {:?}, expected {want:?}",
                done.answer
            );
            ensure!(
                done.stop_reason == Some(StopReason::EndTurn),
                "{label}: stop reason {:?}",
                done.stop_reason
            );
            check_usage(&done, streaming)?;
            check_valid(&done, streaming)?;

            let mine = requests_for(&requests, prompt);
            ensure!(
                mine.len() == 2,
                "{label}: the server received {} requests for this prompt, not 2",
                mine.len()
            );
            let first = mine[0];
            ensure!(
                first.system.as_deref() == Some(SYSTEM_PROMPT),
                "{label}: the system prompt arrived as {:?}",
                first.system
            );
            ensure!(
                first.messages == [Message::user(prompt.as_str())],
                "{label}: the first request's messages are {:?}",
                first.messages
            );
            let got: Vec<&str> = first.tools.iter().map(|t| t.name.as_str()).collect();
            let want: Vec<&str> = specs.iter().map(|t| t.name.as_str()).collect();
            ensure!(
                got == want,
                "{label}: tools on offer arrived as {got:?}, not {want:?}"
            );
            for (g, w) in first.tools.iter().zip(&specs) {
                ensure!(
                    g.input_schema == w.input_schema && g.description == w.description,
                    "{label}: the spec of `{}` changed on the wire: {} vs {}",
                    w.name,
                    g.input_schema,
                    w.input_schema
                );
            }
            let (uses, results) =
                check_results_in_order(mine[1], &query.turns[0].tool_calls, &label)?;
            for (u, r) in uses.iter().zip(results) {
                ensure!(
                    !r.is_error(),
                    "{label}: `{}` failed: {}",
                    u.name,
                    result_text(r)
                );
                let text = result_text(r);
                let first_input = u
                    .input
                    .as_object()
                    .and_then(|o| o.values().find_map(Value::as_str))
                    .unwrap_or_default();
                ensure!(
                    text.contains(first_input),
                    "{label}: the result of `{}` ({text}) does not mention its input {first_input:?}",
                    u.name
                );
            }
        }
    }
    Ok(())
}

async fn chain(harness: &dyn Harness) -> Result<(), String> {
    let k = 3;
    let scenario = reference::chain(k);
    let prompt = reference::chain_prompt(k);
    let streaming = false;
    let run = start_simple(harness, vec![scenario], vec![], streaming).await?;
    let done = run_ok(&run, &prompt, streaming).await?;
    ensure!(
        done.answer == format!("Chain of {k} done."),
        "answer {:?}",
        done.answer
    );
    ensure!(
        done.metrics.iterations == k as u32 + 1,
        "{} model turns, expected {}",
        done.metrics.iterations,
        k + 1
    );
    check_usage(&done, streaming)?;
    check_valid(&done, streaming)?;
    let requests = run.target.requests();
    ensure!(
        requests.len() == k + 1,
        "the server received {} requests, expected {}",
        requests.len(),
        k + 1
    );
    for (i, request) in requests.iter().enumerate() {
        ensure!(
            request.messages.len() == 1 + 2 * i,
            "request {i} holds {} messages, expected {}",
            request.messages.len(),
            1 + 2 * i
        );
    }
    let last = &requests[k];
    let mut ids = std::collections::HashSet::new();
    for pair in last.messages[1..].chunks(2) {
        let [asked, answered] = pair else {
            return Err("the last request ends with an unanswered turn".into());
        };
        let uses: Vec<&str> = asked.tool_uses().map(|u| u.id.as_str()).collect();
        let results = results_of(answered)?;
        let res: Vec<&str> = results.iter().map(|r| r.tool_use_id.as_str()).collect();
        ensure!(
            uses.len() == 1 && uses == res,
            "a turn asked {uses:?} and was answered {res:?}"
        );
        ensure!(
            ids.insert(uses[0].to_owned()),
            "tool-use id {} repeats across turns",
            uses[0]
        );
    }
    Ok(())
}

fn story() -> Scenario {
    Scenario::new(
        "story",
        Some("Tell me a story, in many words."),
        vec![ScriptedTurn::text(LONG_ANSWER)],
    )
}

async fn streamed_answer(harness: &dyn Harness) -> Result<(), String> {
    let streaming = true;
    let scenario = story();
    let prompt = scenario.prompt.clone().unwrap_or_default();
    let run = start_simple(harness, vec![scenario], vec![], streaming).await?;
    let done = run_ok(&run, &prompt, streaming).await?;
    ensure!(done.answer == LONG_ANSWER, "answer {:?}", done.answer);
    let deltas: Vec<&str> = done
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    ensure!(!deltas.is_empty(), "no text delta event arrived");
    ensure!(
        deltas.concat() == LONG_ANSWER,
        "the text deltas add up to {:?}",
        deltas.concat()
    );
    check_usage(&done, streaming)?;

    // The backend's stream itself, without the agent.
    let request = ModelRequest {
        system: Some(SYSTEM_PROMPT.into()),
        messages: vec![Message::user(prompt)],
        tools: tools()?.specs().cloned().collect(),
        inference: InferenceConfig::default(),
    };
    let backend = run.target.backend();
    let events: Vec<ModelEvent> = backend
        .converse_stream(&request)
        .map(|e| e.map_err(|e| format!("the stream failed: {e}")))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            ModelEvent::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    ensure!(
        text == LONG_ANSWER,
        "converse_stream's text deltas add up to {text:?}"
    );
    ensure!(
        events.iter().any(|e| matches!(
            e,
            ModelEvent::MessageStop {
                stop_reason: StopReason::EndTurn
            }
        )),
        "converse_stream sent no MessageStop with end_turn: {events:?}"
    );
    ensure!(
        events
            .iter()
            .any(|e| matches!(e, ModelEvent::Metadata { usage, .. } if usage.output_tokens > 0)),
        "converse_stream reported no usage"
    );
    Ok(())
}

async fn check_one_turn_results(
    harness: &dyn Harness,
    calls: Vec<(&'static str, Value)>,
    expect: &[Result<(), &str>],
) -> Result<(), String> {
    for streaming in [false, true] {
        let m = mode(streaming);
        let turn = ScriptedTurn::tools(calls.clone());
        let expected = turn.tool_calls.clone();
        let scenario = Scenario::new(
            "tools",
            Some("Use the tools."),
            vec![turn, ScriptedTurn::text("Handled.")],
        );
        let run = start_simple(harness, vec![scenario], vec![], streaming).await?;
        let done = run_ok(&run, "Use the tools.", streaming).await?;
        ensure!(done.answer == "Handled.", "[{m}] answer {:?}", done.answer);
        check_valid(&done, streaming)?;
        let requests = run.target.requests();
        ensure!(
            requests.len() == 2,
            "[{m}] the server received {} requests, not 2",
            requests.len()
        );
        let (_, results) = check_results_in_order(&requests[1], &expected, m)?;
        for ((r, want), call) in results.iter().zip(expect).zip(&expected) {
            let text = result_text(r);
            match want {
                Ok(()) => ensure!(
                    !r.is_error(),
                    "[{m}] `{}` should have succeeded: {text}",
                    call.name
                ),
                Err(needle) => {
                    ensure!(
                        r.is_error(),
                        "[{m}] the result of `{}` is not marked as an error: {text}",
                        call.name
                    );
                    ensure!(
                        text.contains(needle),
                        "[{m}] the error result of `{}` ({text}) does not say {needle:?}",
                        call.name
                    );
                }
            }
        }
    }
    Ok(())
}

async fn unknown_tool(harness: &dyn Harness) -> Result<(), String> {
    check_one_turn_results(
        harness,
        vec![
            ("teleport", json!({"to": "Mars"})),
            ("sleep_tool", json!({"ms": 1})),
        ],
        &[Err("teleport"), Ok(())],
    )
    .await
}

async fn tool_error(harness: &dyn Harness) -> Result<(), String> {
    check_one_turn_results(
        harness,
        vec![
            ("sleep_tool", json!({"ms": 1})),
            ("fail_tool", json!({})),
            ("sleep_tool", json!({"ms": "soon"})),
        ],
        &[Ok(()), Err(TOOL_FAILURE), Err("ms")],
    )
    .await
}

fn failed_kinds(run: &AgentRun) -> Vec<ModelErrorKind> {
    run.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ModelCallFailed { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect()
}

async fn throttled_then_success(harness: &dyn Harness) -> Result<(), String> {
    let hint = Duration::from_secs(1);
    for streaming in [false, true] {
        let m = mode(streaming);
        let faults = vec![
            Fault::Throttle {
                retry_after: Some(hint),
            },
            Fault::Unavailable,
        ];
        let run = start_simple(harness, vec![story()], faults.clone(), streaming).await?;
        let done = run_ok(&run, "Tell me a story, in many words.", streaming).await?;
        ensure!(done.answer == LONG_ANSWER, "[{m}] answer {:?}", done.answer);
        let kinds = failed_kinds(&done);
        ensure!(
            kinds.len() == 2
                && faults[0].expected_kinds().contains(&kinds[0])
                && faults[1].expected_kinds().contains(&kinds[1]),
            "[{m}] the failed calls were {kinds:?}, expected [Throttled, Unavailable]"
        );
        let hints = run.retry.hints();
        ensure!(
            hints.first() == Some(&Some(hint)),
            "[{m}] the throttle's retry-after hint reached the retry policy as {:?}, not {hint:?}",
            hints.first()
        );
        let requests = run.target.requests();
        ensure!(
            requests.len() == 3 && done.metrics.model_calls == 3,
            "[{m}] {} requests reached the server and {} model calls were counted; expected 3 \
             (each fault retried once, by the agent alone)",
            requests.len(),
            done.metrics.model_calls
        );
        ensure!(
            requests.iter().all(|r| r.messages == requests[0].messages),
            "[{m}] a retry did not resend the same conversation"
        );
    }
    Ok(())
}

async fn stream_cut_then_success(harness: &dyn Harness) -> Result<(), String> {
    let streaming = true;
    let run = start_simple(harness, vec![story()], vec![Fault::CutStream], streaming).await?;
    let done = run_ok(&run, "Tell me a story, in many words.", streaming).await?;
    ensure!(
        done.answer == LONG_ANSWER,
        "the answer after the retry is {:?}",
        done.answer
    );
    let kinds = failed_kinds(&done);
    ensure!(
        kinds.len() == 1 && Fault::CutStream.expected_kinds().contains(&kinds[0]),
        "the failed calls were {kinds:?}, expected one Stream or Network failure"
    );
    let requests = run.target.requests();
    ensure!(
        requests.len() == 2,
        "{} requests reached the server, expected 2",
        requests.len()
    );
    Ok(())
}

async fn non_retryable_error(harness: &dyn Harness) -> Result<(), String> {
    for streaming in [false, true] {
        let m = mode(streaming);
        let run = start_simple(harness, vec![story()], vec![Fault::Reject], streaming).await?;
        let err = match run.agent.run("Tell me a story, in many words.").await {
            Ok(done) => return Err(format!("[{m}] the run succeeded: {:?}", done.answer)),
            Err(e) => e,
        };
        let model = err
            .model_error()
            .ok_or_else(|| format!("[{m}] the run stopped for another reason: {err}"))?;
        ensure!(
            model.kind == ModelErrorKind::Validation && !model.is_retryable(),
            "[{m}] the refusal was reported as {:?}: {model}",
            model.kind
        );
        ensure!(
            !model.message.is_empty(),
            "[{m}] the provider's message was lost"
        );
        let requests = run.target.requests();
        ensure!(
            requests.len() == 1,
            "[{m}] {} requests reached the server: a refusal must not be retried",
            requests.len()
        );
    }

    // A conversation the service refuses: a tool result answering nothing.
    let run = start_simple(harness, vec![story()], vec![], false).await?;
    let bad = ModelRequest {
        system: None,
        messages: vec![
            Message::user("Tell me a story, in many words."),
            Message::assistant("Let me think."),
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult(ToolResult::success(
                    "tooluse_nobody_asked",
                    ToolResultContent::Text("42".into()),
                ))],
            },
        ],
        tools: tools()?.specs().cloned().collect(),
        inference: InferenceConfig::default(),
    };
    let backend = run.target.backend();
    for streaming in [false, true] {
        let m = mode(streaming);
        let result = if streaming {
            let mut acc = crate::StreamAccumulator::default();
            let mut stream = backend.converse_stream(&bad);
            let mut out = Ok(());
            while let Some(event) = stream.next().await {
                match event {
                    Ok(e) => {
                        if let Err(e) = acc.push(e) {
                            out = Err(e);
                            break;
                        }
                    }
                    Err(e) => {
                        out = Err(e);
                        break;
                    }
                }
            }
            out.and_then(|()| acc.finish(Duration::ZERO))
        } else {
            backend.converse(&bad).await
        };
        match result {
            Ok(r) => {
                return Err(format!(
                    "[{m}] a tool result answering no tool use was accepted: {:?}",
                    r.message
                ));
            }
            Err(e) => ensure!(
                e.kind == ModelErrorKind::Validation,
                "[{m}] a tool result answering no tool use was reported as {:?}: {e}",
                e.kind
            ),
        }
    }
    Ok(())
}

async fn max_tokens(harness: &dyn Harness) -> Result<(), String> {
    for streaming in [false, true] {
        let m = mode(streaming);
        let scenario = Scenario::new(
            "cut",
            Some("Weather in Paris, briefly?"),
            vec![ScriptedTurn {
                text: Some("The weather in".into()),
                tool_calls: vec![ScriptedCall {
                    name: "get_weather".into(),
                    input: json!({"location": "Paris"}),
                }],
                stop: Some(StopReason::MaxTokens),
            }],
        );
        let inference = InferenceConfig {
            max_tokens: 64,
            temperature: Some(0.5),
            top_p: None,
            stop_sequences: vec!["###".into()],
        };
        let run = start(
            harness,
            vec![scenario],
            vec![],
            streaming,
            inference.clone(),
        )
        .await?;
        let done = run_ok(&run, "Weather in Paris, briefly?", streaming).await?;
        ensure!(
            done.stop_reason == Some(StopReason::MaxTokens),
            "[{m}] stop reason {:?}, expected max_tokens",
            done.stop_reason
        );
        ensure!(
            done.answer == "The weather in",
            "[{m}] the partial answer is {:?}",
            done.answer
        );
        ensure!(
            done.metrics.tool_calls == 0,
            "[{m}] a call cut by max_tokens was run"
        );
        check_valid(&done, streaming)?;
        let requests = run.target.requests();
        ensure!(
            requests.len() == 1,
            "[{m}] {} requests reached the server, expected 1",
            requests.len()
        );
        ensure!(
            requests[0].inference == inference,
            "[{m}] the sampling settings arrived as {:?}, not {inference:?}",
            requests[0].inference
        );
    }
    Ok(())
}
