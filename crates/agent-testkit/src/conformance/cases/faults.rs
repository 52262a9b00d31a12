//! Faults of the service: retryable ones (throttling, a 5xx, a cut stream)
//! are retried by the agent alone, refusals stop the run at once.

use std::time::Duration;

use agent_core::{
    ContentBlock, InferenceConfig, Message, ModelErrorKind, ModelRequest, Role, StreamAccumulator,
    ToolResult, ToolResultContent,
};
use futures::StreamExt;

use crate::conformance::checks::failed_kinds;
use crate::conformance::fixtures::{LONG_ANSWER, story, tools};
use crate::conformance::harness::{Fault, Harness};
use crate::conformance::session::{mode, run_ok, start_simple};

/// [`Case::ThrottledThenSuccess`](super::Case::ThrottledThenSuccess).
pub(super) async fn throttled_then_success(harness: &dyn Harness) -> Result<(), String> {
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

/// [`Case::StreamCutThenSuccess`](super::Case::StreamCutThenSuccess).
pub(super) async fn stream_cut_then_success(harness: &dyn Harness) -> Result<(), String> {
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

/// [`Case::NonRetryableError`](super::Case::NonRetryableError).
pub(super) async fn non_retryable_error(harness: &dyn Harness) -> Result<(), String> {
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
        ..Default::default()
    };
    let backend = run.target.backend();
    for streaming in [false, true] {
        let m = mode(streaming);
        let result = if streaming {
            let mut acc = StreamAccumulator::default();
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
