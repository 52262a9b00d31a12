//! The agent loop end to end with the scripted backend and the in-process
//! reference tools, on tokio's paused clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use agent_core::{
    Agent, AgentErrorKind, AgentState, ContentBlock, Conversation, EventKind, ExecutorConfig,
    ExponentialBackoff, Jitter, Message, ModelError, ModelErrorKind, Role, RunOptions, StopReason,
};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn, reference};
use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::{ToolError, ToolOutput, tool_fn};

fn agent(backend: Arc<ScriptedBackend>, streaming: bool) -> Agent {
    Agent::builder()
        .backend(backend)
        .tools(reference::tools())
        .streaming(streaming)
        .model_retry(ExponentialBackoff::for_model().with_jitter(Jitter::None))
        .build()
        .unwrap()
}

/// The conversation, one line per message: the role, then each block as
/// `text "..."`, `use ID NAME INPUT` or `ok ID`/`error ID` (a result),
/// so each test states the exact conversation it expects.
fn outline(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            let blocks: Vec<String> = m
                .content
                .iter()
                .map(|b| match b {
                    ContentBlock::Text { text } => format!("text {text:?}"),
                    ContentBlock::ToolUse(u) => format!("use {} {} {}", u.id, u.name, u.input),
                    ContentBlock::ToolResult(r) => {
                        let status = if r.is_error() { "error" } else { "ok" };
                        format!("{status} {}", r.tool_use_id)
                    }
                    other => format!("{other:?}"),
                })
                .collect();
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            format!("{role}: {}", blocks.join(", "))
        })
        .collect()
}

/// The outline of the assistant message asking for `turn` (turn number
/// `n` of its scenario): its text, then its calls with the scripted ids.
fn asked(n: usize, turn: &ScriptedTurn) -> String {
    let mut blocks: Vec<String> = turn.text.iter().map(|t| format!("text {t:?}")).collect();
    for (i, call) in turn.tool_calls.iter().enumerate() {
        blocks.push(format!("use tooluse_{n}_{i} {} {}", call.name, call.input));
    }
    format!("assistant: {}", blocks.join(", "))
}

/// The outline of the user message answering the calls of turn `n`, one
/// status each.
fn answered(n: usize, statuses: &[&str]) -> String {
    let blocks: Vec<String> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{s} tooluse_{n}_{i}"))
        .collect();
    format!("user: {}", blocks.join(", "))
}

#[tokio::test(start_paused = true)]
async fn q1_to_q4_take_exactly_their_limit_streaming_or_not() {
    for streaming in [false, true] {
        for scenario in reference::queries() {
            let backend = Arc::new(ScriptedBackend::reference());
            let agent = agent(backend.clone(), streaming);
            let prompt = scenario.prompt.clone().unwrap();
            let start = Instant::now();
            let run = agent.run(&prompt).await.unwrap();
            let limit = reference::limit(&scenario, Duration::ZERO);
            assert_eq!(
                start.elapsed(),
                limit,
                "{} streaming={streaming}",
                scenario.name
            );
            assert_eq!(run.metrics.tool_time, limit);
            assert_eq!(
                run.metrics.sequential_tool_time,
                reference::sequential_tool_time(&scenario)
            );
            assert_eq!(run.stop_reason, Some(StopReason::EndTurn));
            assert_eq!(run.answer, scenario.turns[1].text.clone().unwrap());

            // What the model received on its second call: ONE user message
            // holding every toolResult, in call order, ids matching.
            let requests = backend.requests();
            assert_eq!(requests.len(), 2);
            let second = &requests[1];
            assert_eq!(second.messages.len(), 3);
            let asked: Vec<_> = second.messages[1]
                .tool_uses()
                .map(|u| u.id.clone())
                .collect();
            assert_eq!(asked.len(), scenario.turns[0].tool_calls.len());
            let results = &second.messages[2];
            assert_eq!(results.role, Role::User);
            let answered: Vec<_> = results
                .content
                .iter()
                .map(|b| match b {
                    ContentBlock::ToolResult(r) => {
                        assert!(!r.is_error(), "{r:?}");
                        r.tool_use_id.clone()
                    }
                    other => panic!("unexpected block {other:?}"),
                })
                .collect();
            assert_eq!(answered, asked);
            let oks = vec!["ok"; asked.len()];
            assert_eq!(
                outline(&run.messages),
                [
                    format!("user: text {prompt:?}"),
                    self::asked(0, &scenario.turns[0]),
                    self::answered(0, &oks),
                    format!("assistant: text {:?}", run.answer),
                ]
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn q2_sequential_takes_the_sum_of_its_tools() {
    let backend = Arc::new(ScriptedBackend::reference());
    let agent = Agent::builder()
        .backend(backend)
        .tools(reference::tools())
        .executor(ExecutorConfig::default().with_max_concurrency(Some(1)))
        .build()
        .unwrap();
    let q2 = &reference::queries()[1];
    let start = Instant::now();
    agent.run(q2.prompt.as_deref().unwrap()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(5050));
}

#[tokio::test(start_paused = true)]
async fn model_latency_adds_once_per_turn() {
    let backend = Arc::new(ScriptedBackend::reference().with_latency(Duration::from_millis(500)));
    let agent = agent(backend, true);
    let q1 = &reference::queries()[0];
    let start = Instant::now();
    let run = agent.run(q1.prompt.as_deref().unwrap()).await.unwrap();
    assert_eq!(
        start.elapsed(),
        reference::limit(q1, Duration::from_millis(500))
    );
    assert_eq!(run.metrics.model_time, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn states_and_events_tell_the_whole_story() {
    let backend = Arc::new(ScriptedBackend::reference());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = agent(backend, true)
        .run_with(
            reference::queries()[0].prompt.as_deref().unwrap(),
            RunOptions::new().with_events(tx),
        )
        .await
        .unwrap();
    let states: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::State { to, .. } => Some(to),
            _ => None,
        })
        .collect();
    use AgentState::*;
    assert_eq!(
        states,
        [Thinking, ExecutingTools, Thinking, Responding, Completed]
    );
    let mut streamed = Vec::new();
    while let Ok(e) = rx.try_recv() {
        streamed.push(e);
    }
    assert_eq!(
        streamed, run.events,
        "the subscriber saw every event, in order"
    );
    let finished: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCallFinished {
                name,
                elapsed,
                attempts,
                ..
            } => Some((name.clone(), *elapsed, *attempts)),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        [
            ("get_stock_price".to_string(), Duration::from_millis(750), 1),
            ("get_weather".to_string(), Duration::from_millis(1250), 1)
        ]
    );
    assert!(run.events.iter().any(
        |e| matches!(&e.kind, EventKind::TextDelta { text, .. } if text.contains("New York"))
    ));
    let turn = &run.metrics.turns[0];
    let batch = turn.tools.as_ref().unwrap();
    assert_eq!(batch.wall, Duration::from_millis(1250));
    assert_eq!(batch.sequential, Duration::from_millis(2000));
    assert!((run.metrics.tool_speedup() - 1.6).abs() < 1e-9);
    assert!(run.metrics.usage.input_tokens > 0 && run.metrics.usage.output_tokens > 0);
}

fn one_scenario(turns: Vec<ScriptedTurn>) -> Arc<ScriptedBackend> {
    Arc::new(ScriptedBackend::new(vec![Scenario::new(
        "test", None, turns,
    )]))
}

#[tokio::test(start_paused = true)]
async fn unknown_tools_bad_input_and_panics_are_answered_and_the_run_goes_on() {
    let backend = one_scenario(vec![
        ScriptedTurn::tools([
            ("teleport", json!({"to": "Mars"})),
            ("get_weather", json!({"city": "Paris"})),
            ("explode", json!({})),
            ("get_stock_price", json!({"symbol": "AAPL"})),
        ]),
        ScriptedTurn::text("Partial answer."),
    ]);
    let explode = tool_fn("explode", "Panics.", |(): (), _| async { panic!("kaboom") }).unwrap();
    let agent = Agent::builder()
        .backend(backend.clone())
        .tools(reference::tools())
        .tool_with_source(Arc::new(explode), "test")
        .build()
        .unwrap();
    let run = agent.run("do it").await.unwrap();
    assert_eq!(run.answer, "Partial answer.");
    let second = &backend.requests()[1];
    let results: Vec<_> = second.messages[2]
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => (r.is_error(), format!("{:?}", r.content)),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        results[0].0
            && results[0]
                .1
                .contains("unknown tool 'teleport'; available: get_weather"),
        "{results:?}"
    );
    assert!(
        results[1].0 && results[1].1.contains("`location`"),
        "{results:?}"
    );
    assert!(
        results[2].0 && results[2].1.contains("kaboom"),
        "{results:?}"
    );
    assert!(!results[3].0, "{results:?}");
    assert_eq!(
        outline(&run.messages),
        [
            "user: text \"do it\"",
            "assistant: use tooluse_0_0 teleport {\"to\":\"Mars\"}, \
             use tooluse_0_1 get_weather {\"city\":\"Paris\"}, use tooluse_0_2 explode {}, \
             use tooluse_0_3 get_stock_price {\"symbol\":\"AAPL\"}",
            "user: error tooluse_0_0, error tooluse_0_1, error tooluse_0_2, ok tooluse_0_3",
            "assistant: text \"Partial answer.\"",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn max_iterations_stops_with_a_clear_error_and_keeps_the_conversation() {
    let backend = Arc::new(ScriptedBackend::new(vec![reference::chain(10)]));
    let agent = Agent::builder()
        .backend(backend)
        .tools(reference::tools())
        .max_iterations(3)
        .build()
        .unwrap();
    let err = agent.run(&reference::chain_prompt(10)).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::MaxIterations { limit: 3 });
    assert!(err.to_string().contains("max_iterations = 3"), "{err}");
    assert_eq!(
        err.run.messages.len(),
        7,
        "prompt + 3 × (toolUse, toolResult)"
    );
    let mut expected = vec![format!("user: text {:?}", reference::chain_prompt(10))];
    for n in 0..3 {
        expected.push(format!(
            "assistant: use tooluse_{n}_0 sleep_tool {{\"ms\":0}}"
        ));
        expected.push(answered(n, &["ok"]));
    }
    assert_eq!(outline(&err.run.messages), expected);
    assert_eq!(
        err.run.events.last().map(|e| &e.kind),
        Some(&EventKind::State {
            from: AgentState::Thinking,
            to: AgentState::Error
        })
    );
}

#[tokio::test(start_paused = true)]
async fn a_non_retryable_model_error_stops_the_run_at_once() {
    let backend = Arc::new(
        ScriptedBackend::reference()
            .with_faults([ModelError::validation("messages.0: bad").with_request_id("req-1")]),
    );
    let err = agent(backend.clone(), false)
        .run(reference::queries()[0].prompt.as_deref().unwrap())
        .await
        .unwrap_err();
    let model = err.model_error().unwrap();
    assert_eq!(model.kind, ModelErrorKind::Validation);
    assert!(
        err.to_string()
            .contains("messages.0: bad (request id req-1)"),
        "{err}"
    );
    assert_eq!(backend.requests().len(), 1, "never retried");
    assert_eq!(err.run.messages.len(), 1, "the prompt is kept");
}

#[tokio::test(start_paused = true)]
async fn throttled_model_calls_are_retried_with_backoff_counted_once() {
    for streaming in [false, true] {
        // A burst of twelve throttles, survived by the default policy.
        let throttles = (0..12).map(|_| ModelError::throttled("Too many requests"));
        let backend = Arc::new(ScriptedBackend::reference().with_faults(throttles));
        let start = Instant::now();
        let run = agent(backend.clone(), streaming)
            .run(reference::queries()[0].prompt.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(backend.requests().len(), 12 + 2);
        assert_eq!(run.metrics.model_calls, 14);
        assert_eq!(run.metrics.turns[0].model_attempts, 13);
        // for_model(): 200, 400, then ten of 750 ms, then Q1's 1.25 s tools.
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(200 + 400 + 7500 + 1250)
        );
        let retries: Vec<_> = run
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ModelCallFailed { retry_in, kind, .. } => {
                    assert_eq!(*kind, ModelErrorKind::Throttled);
                    *retry_in
                }
                _ => None,
            })
            .collect();
        assert_eq!(retries.len(), 12);
        assert_eq!(retries[11], Duration::from_millis(750), "the cap holds");
    }
}

#[tokio::test(start_paused = true)]
async fn model_retries_run_out() {
    let faults = (0..3).map(|_| ModelError::unavailable("503"));
    let backend = Arc::new(ScriptedBackend::reference().with_faults(faults));
    let agent = Agent::builder()
        .backend(backend.clone())
        .tools(reference::tools())
        .model_retry(
            ExponentialBackoff::default()
                .with_max_attempts(3)
                .with_jitter(Jitter::None),
        )
        .build()
        .unwrap();
    let err = agent.run("hello").await.unwrap_err();
    assert_eq!(err.model_error().unwrap().kind, ModelErrorKind::Unavailable);
    assert_eq!(backend.requests().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn cancellation_mid_batch_answers_every_call() {
    let backend = Arc::new(ScriptedBackend::reference());
    let agent = agent(backend, false);
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        c.cancel();
    });
    let q2 = &reference::queries()[1];
    let start = Instant::now();
    let err = agent
        .run_with(
            q2.prompt.as_deref().unwrap(),
            RunOptions::new().with_cancellation(cancel),
        )
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(1000));
    assert_eq!(err.kind, AgentErrorKind::Cancelled);
    let results = &err.run.messages[2];
    assert_eq!(results.content.len(), 4, "every toolUse answered");
    // calculate_distance (0.95 s) finished; the others were cancelled.
    let errors: Vec<bool> = results
        .content
        .iter()
        .map(|b| matches!(b, ContentBlock::ToolResult(r) if r.is_error()))
        .collect();
    assert_eq!(errors, [true, true, false, true]);
    assert_eq!(
        outline(&err.run.messages),
        [
            format!("user: text {:?}", q2.prompt.as_deref().unwrap()),
            asked(0, &q2.turns[0]),
            answered(0, &["error", "error", "ok", "error"]),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn max_tokens_gives_the_partial_answer_and_skips_cut_calls() {
    let backend = one_scenario(vec![ScriptedTurn {
        text: Some("The weather in".into()),
        tool_calls: vec![agent_testkit::ScriptedCall {
            name: "get_weather".into(),
            input: json!({"location": "Par"}),
        }],
        stop: Some(StopReason::MaxTokens),
    }]);
    let run = agent(backend.clone(), true).run("weather?").await.unwrap();
    assert_eq!(run.stop_reason, Some(StopReason::MaxTokens));
    assert_eq!(run.answer, "The weather in");
    assert_eq!(run.metrics.tool_calls, 0, "the cut call is not run");
    assert_eq!(run.messages.len(), 2);
    assert!(run.messages[1].tool_uses().next().is_none());
    assert_eq!(
        outline(&run.messages),
        [
            "user: text \"weather?\"",
            "assistant: text \"The weather in\""
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_conversation_continues_with_its_history() {
    let backend = Arc::new(ScriptedBackend::new(vec![Scenario::new(
        "chat",
        None,
        vec![
            ScriptedTurn::tools([("get_weather", json!({"location": "Oslo"}))]),
            ScriptedTurn::text("Cold in Oslo."),
            ScriptedTurn::text("You're welcome."),
        ],
    )]));
    let agent = agent(backend.clone(), false);
    let mut conversation = Conversation::new();
    let first = agent
        .send(&mut conversation, "Weather in Oslo?", RunOptions::new())
        .await
        .unwrap();
    assert_eq!(first.answer, "Cold in Oslo.");
    let second = agent
        .send(&mut conversation, "Thanks!", RunOptions::new())
        .await
        .unwrap();
    assert_eq!(second.answer, "You're welcome.");
    assert_eq!(conversation.messages().len(), 6);
    let last_request = backend.requests().pop().unwrap();
    assert_eq!(last_request.messages.len(), 5);
    assert_eq!(last_request.messages[4].text(), "Thanks!");
    assert_eq!(
        outline(conversation.messages()),
        [
            "user: text \"Weather in Oslo?\"",
            "assistant: use tooluse_0_0 get_weather {\"location\":\"Oslo\"}",
            "user: ok tooluse_0_0",
            "assistant: text \"Cold in Oslo.\"",
            "user: text \"Thanks!\"",
            "assistant: text \"You're welcome.\"",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_follow_up_after_a_cancelled_run_keeps_roles_alternating() {
    let backend = Arc::new(ScriptedBackend::reference());
    let agent = agent(backend.clone(), false);
    let mut conversation = Conversation::new();
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.cancel();
    });
    let q1 = reference::queries()[0].prompt.clone().unwrap();
    agent
        .send(
            &mut conversation,
            &q1,
            RunOptions::new().with_cancellation(cancel),
        )
        .await
        .unwrap_err();
    let run = agent
        .send(&mut conversation, "Never mind.", RunOptions::new())
        .await
        .unwrap();
    let q1_turn = &reference::queries()[0].turns[0];
    let mut cancelled = answered(0, &["error", "error"]);
    cancelled.push_str(", text \"Never mind.\"");
    assert_eq!(
        outline(&run.messages),
        [
            format!("user: text {q1:?}"),
            asked(0, q1_turn),
            cancelled,
            format!("assistant: text {:?}", run.answer),
        ]
    );
    let last = backend.requests().pop().unwrap();
    let follow_up = &last.messages[2];
    assert_eq!(follow_up.role, Role::User);
    assert!(
        matches!(follow_up.content.last(), Some(ContentBlock::Text { text }) if text == "Never mind.")
    );
}

#[tokio::test(start_paused = true)]
async fn retryable_tool_errors_surface_in_events() {
    let backend = one_scenario(vec![
        ScriptedTurn::tools([("flaky", json!({}))]),
        ScriptedTurn::text("ok"),
    ]);
    let flaky = tool_fn("flaky", "Fails once.", |(): (), ctx| async move {
        if ctx.attempt() == 1 {
            Err(ToolError::retryable("busy"))
        } else {
            Ok(ToolOutput::text("fine"))
        }
    })
    .unwrap();
    let agent = Agent::builder()
        .backend(backend)
        .tool_with_source(Arc::new(flaky), "test")
        .executor(
            ExecutorConfig::default()
                .with_retry(ExponentialBackoff::default().with_jitter(Jitter::None)),
        )
        .build()
        .unwrap();
    let run = agent.run("go").await.unwrap();
    assert!(run.events.iter().any(|e| matches!(&e.kind,
        EventKind::ToolCallRetrying { attempt: 1, delay, .. } if *delay == Duration::from_millis(100))));
    assert!(run.events.iter().any(|e| matches!(
        &e.kind,
        EventKind::ToolCallFinished {
            attempts: 2,
            failure: None,
            ..
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn a_server_that_refuses_connections_gets_three_attempts_not_the_throttling_budget() {
    for streaming in [false, true] {
        let down = (0..10).map(|_| {
            ModelError::unreachable("could not connect to http://127.0.0.1:9/v1: refused")
        });
        let backend = Arc::new(ScriptedBackend::reference().with_faults(down));
        let start = Instant::now();
        let err = agent(backend.clone(), streaming)
            .run("hello")
            .await
            .unwrap_err();
        assert_eq!(
            backend.requests().len(),
            agent_core::UNREACHABLE_ATTEMPTS as usize
        );
        assert_eq!(agent_core::UNREACHABLE_ATTEMPTS, 3);
        // for_model(): 200 then 400 ms between the three attempts.
        assert_eq!(start.elapsed(), Duration::from_millis(600));
        let text = err.to_string();
        assert!(text.contains("http://127.0.0.1:9/v1"), "{text}");
        assert!(text.contains("check that the server is running"), "{text}");
        assert!(text.contains("tried 3 times"), "{text}");
        assert_eq!(err.model_error().unwrap().kind, ModelErrorKind::Unreachable);
    }
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_between_throttles_does_not_shorten_the_throttling_budget() {
    // Twelve throttles with two refusals among them: still survived.
    let mut faults: Vec<ModelError> = (0..12)
        .map(|_| ModelError::throttled("Too many requests"))
        .collect();
    faults.insert(3, ModelError::unreachable("refused"));
    faults.insert(8, ModelError::unreachable("refused"));
    let backend = Arc::new(ScriptedBackend::reference().with_faults(faults));
    let run = agent(backend.clone(), false)
        .run(reference::queries()[0].prompt.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(run.metrics.turns[0].model_attempts, 15);
}
