//! Reasoning, images and documents: a backend either carries them exactly
//! or refuses them before sending, naming itself (`InvalidRequest`); it
//! never drops them silently.
//!
//! - extended thinking on a tool round: the reasoning the model wrote goes
//!   back first in its assistant message, unchanged;
//! - an image and a document attached to the prompt reach the server as sent;
//! - a tool returning an image (`render_chart`): the image reaches the
//!   server in the tool result, bytes intact.

use agent_core::{
    AgentErrorKind, AgentRun, Blob, ContentBlock, Document, EventKind, Image, InferenceConfig,
    ModelErrorKind, RunOptions, Thinking, ToolResultContent,
};
use serde_json::json;

use crate::conformance::harness::Harness;
use crate::conformance::session::{Run, mode, start, start_simple};
use crate::scenario::{Scenario, ScriptedTurn};

const THINK: &str = "Weather in Paris? Think first.";
const LOOK: &str = "Look at this picture and this note.";
const CHART: &str = "Draw a bar chart of 3, 1 and 2.";

/// What a run came to: done, or refused before sending.
enum Outcome {
    Done(Box<AgentRun>),
    Refused,
}

/// The run's answer, or a refusal that names the backend and sent nothing
/// after `sent_before` requests.
async fn outcome(
    run: &Run,
    result: Result<AgentRun, agent_core::AgentError>,
    sent_before: usize,
    streaming: bool,
) -> Result<Outcome, String> {
    let m = mode(streaming);
    match result {
        Ok(done) => Ok(Outcome::Done(Box::new(done))),
        Err(e) => {
            let AgentErrorKind::Model(model) = &e.kind else {
                return Err(format!("[{m}] the run failed: {e}"));
            };
            ensure!(
                model.kind == ModelErrorKind::InvalidRequest,
                "[{m}] the run failed with {:?}, not a refusal before sending: {model}",
                model.kind
            );
            let name = run.target.backend().name().to_owned();
            ensure!(
                model.message.contains(&name),
                "[{m}] the refusal does not name the backend `{name}`: {model}"
            );
            let sent = run.target.requests().len();
            ensure!(
                sent == sent_before,
                "[{m}] {sent} requests reached the server; a refusal sends nothing ({sent_before} \
                 expected)"
            );
            Ok(Outcome::Refused)
        }
    }
}

/// [`Case::ThinkingToolRound`](super::Case::ThinkingToolRound).
pub(super) async fn thinking_tool_round(harness: &dyn Harness) -> Result<(), String> {
    for streaming in [false, true] {
        let m = mode(streaming);
        let scenario = Scenario::new(
            "think",
            Some(THINK),
            vec![
                ScriptedTurn::tools([("get_weather", json!({"location": "Paris"}))]),
                ScriptedTurn::text("Sunny in Paris."),
            ],
        );
        let inference = InferenceConfig {
            thinking: Some(Thinking::budget(2048)),
            ..InferenceConfig::default()
        };
        let run = start(harness, vec![scenario], vec![], streaming, inference).await?;
        let result = run.agent.run(THINK).await;
        let Outcome::Done(done) = outcome(&run, result, 0, streaming).await? else {
            continue;
        };
        ensure!(
            done.answer == "Sunny in Paris.",
            "[{m}] answer {:?}",
            done.answer
        );
        let first = done.messages[1].content.first();
        ensure!(
            first.is_some_and(ContentBlock::is_reasoning),
            "[{m}] with thinking on, the model's turn does not start with reasoning: {:?}",
            done.messages[1]
        );
        let requests = run.target.requests();
        ensure!(requests.len() == 2, "[{m}] {} requests", requests.len());
        let sent = requests[1].messages.get(1).and_then(|a| a.content.first());
        ensure!(
            sent == first,
            "[{m}] the reasoning went back changed or not first: sent {sent:?}, received {first:?}"
        );
        if streaming {
            let streamed: String = done
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::ReasoningDelta { iteration: 1, text } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            ensure!(
                streamed == done.messages[1].reasoning(),
                "[{m}] the reasoning deltas add up to {streamed:?}"
            );
        }
    }
    Ok(())
}

/// A tiny PNG (its signature and header chunk's start).
fn png() -> Result<Image, String> {
    Image::from_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).map_err(|e| e.to_string())
}

/// [`Case::AttachedImageAndDocument`](super::Case::AttachedImageAndDocument).
pub(super) async fn attached_image_and_document(harness: &dyn Harness) -> Result<(), String> {
    for streaming in [false, true] {
        let m = mode(streaming);
        let scenario = Scenario::new("look", Some(LOOK), vec![ScriptedTurn::text("I see.")]);
        let run = start_simple(harness, vec![scenario], vec![], streaming).await?;
        let image = ContentBlock::Image(png()?);
        let doc = ContentBlock::Document(
            Document::from_bytes("note.pdf", b"%PDF-1.4 a note".to_vec())
                .map_err(|e| e.to_string())?,
        );
        let options = RunOptions::new().with_attachments([image.clone(), doc.clone()]);
        let result = run.agent.run_with(LOOK, options).await;
        let Outcome::Done(done) = outcome(&run, result, 0, streaming).await? else {
            continue;
        };
        ensure!(done.answer == "I see.", "[{m}] answer {:?}", done.answer);
        let requests = run.target.requests();
        let content = requests
            .first()
            .and_then(|r| r.messages.first())
            .map(|u| u.content.clone())
            .unwrap_or_default();
        ensure!(
            content.get(1) == Some(&image),
            "[{m}] the image did not arrive as sent: {:?}",
            content.get(1)
        );
        let arrived = match content.get(2) {
            Some(ContentBlock::Document(d)) => d.source.bytes().cloned(),
            _ => None,
        };
        ensure!(
            arrived == Some(Blob::from(b"%PDF-1.4 a note".to_vec())),
            "[{m}] the document did not arrive as sent: {:?}",
            content.get(2)
        );
    }
    Ok(())
}

/// [`Case::ToolReturningAnImage`](super::Case::ToolReturningAnImage).
pub(super) async fn tool_returning_an_image(harness: &dyn Harness) -> Result<(), String> {
    for streaming in [false, true] {
        let m = mode(streaming);
        let scenario = Scenario::new(
            "chart",
            Some(CHART),
            vec![
                ScriptedTurn::tools([("render_chart", json!({"values": [3, 1, 2]}))]),
                ScriptedTurn::text("Here is the chart."),
            ],
        );
        let run = start_simple(harness, vec![scenario], vec![], streaming).await?;
        let result = run.agent.run(CHART).await;
        let Outcome::Done(done) = outcome(&run, result, 1, streaming).await? else {
            continue;
        };
        ensure!(
            done.answer == "Here is the chart.",
            "[{m}] answer {:?}",
            done.answer
        );
        let drawn = done.messages[2].content.iter().find_map(|b| match b {
            ContentBlock::ToolResult(r) => r.content.iter().find_map(|c| match c {
                ToolResultContent::Image(i) => Some(i.clone()),
                _ => None,
            }),
            _ => None,
        });
        let drawn = drawn.ok_or_else(|| format!("[{m}] the tool result holds no image"))?;
        let requests = run.target.requests();
        let sent = requests.get(1).and_then(|r| {
            r.messages.get(2)?.content.iter().find_map(|b| match b {
                ContentBlock::ToolResult(r) => r.content.iter().find_map(|c| match c {
                    ToolResultContent::Image(i) => Some(i.clone()),
                    _ => None,
                }),
                _ => None,
            })
        });
        ensure!(
            sent.as_ref() == Some(&drawn),
            "[{m}] the server got {sent:?}, not the tool's image"
        );
    }
    Ok(())
}
