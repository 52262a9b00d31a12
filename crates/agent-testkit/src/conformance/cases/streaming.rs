//! A streamed answer: through the agent's events, and the backend's own
//! stream.

use agent_core::{EventKind, InferenceConfig, Message, ModelEvent, ModelRequest, StopReason};
use futures::StreamExt;

use crate::conformance::checks::check_usage;
use crate::conformance::fixtures::{LONG_ANSWER, SYSTEM_PROMPT, story, tools};
use crate::conformance::harness::Harness;
use crate::conformance::session::{run_ok, start_simple};

/// [`Case::StreamedAnswer`](super::Case::StreamedAnswer).
pub(super) async fn streamed_answer(harness: &dyn Harness) -> Result<(), String> {
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
        ..Default::default()
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
