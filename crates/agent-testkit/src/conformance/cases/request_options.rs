//! The request options every backend carries: a forced tool choice (on the
//! first call of a run only), automatic prompt caching (never more than
//! the services' 4 cache points, never in the conversation), and
//! structured output (the output tool, forced when the model answers
//! without it).

use agent_core::{
    AgentBuilder, CacheSettings, ContentBlock, MAX_CACHE_POINTS, OutputSchema, RunOptions,
    ToolChoice,
};
use serde_json::json;

use crate::conformance::checks::check_valid;
use crate::conformance::harness::Harness;
use crate::conformance::session::{Run, mode, start_configured};
use crate::reference;
use crate::scenario::{Scenario, ScriptedCall, ScriptedTurn};

const CHOICE_PROMPT: &str = "Say something kind.";

/// [`Case::ToolChoiceFirstCallOnly`](super::Case::ToolChoiceFirstCallOnly).
pub(super) async fn tool_choice_first_call_only(harness: &dyn Harness) -> Result<(), String> {
    for streaming in [false, true] {
        let m = mode(streaming);
        // Left alone, the model would answer at once.
        let scenario = Scenario::new(
            "kind",
            Some(CHOICE_PROMPT),
            vec![
                ScriptedTurn::text("You are kind."),
                ScriptedTurn::text("Kind, and sunny."),
            ],
        );
        let forced = ToolChoice::Tool("get_weather".into());
        let run = start_configured(harness, vec![scenario], streaming, |b: AgentBuilder| {
            b.tool_choice(forced.clone())
        })
        .await?;
        let done = run_ok(&run, CHOICE_PROMPT, RunOptions::new(), streaming).await?;
        let requests = run.target.requests();
        ensure!(
            requests.len() == 2,
            "[{m}] {} requests, expected 2",
            requests.len()
        );
        ensure!(
            requests[0].tool_choice.as_ref() == Some(&forced),
            "[{m}] the first request's tool choice is {:?}, expected {forced:?}",
            requests[0].tool_choice
        );
        ensure!(
            requests[1]
                .tool_choice
                .as_ref()
                .is_none_or(|c| !c.is_forced()),
            "[{m}] the second request still forces {:?}",
            requests[1].tool_choice
        );
        let called: Vec<&str> = done.messages[1]
            .tool_uses()
            .map(|u| u.name.as_str())
            .collect();
        ensure!(
            called == ["get_weather"],
            "[{m}] the forced turn called {called:?}"
        );
        ensure!(
            done.answer == "Kind, and sunny.",
            "[{m}] the answer is {:?}",
            done.answer
        );
        check_valid(&done, streaming)?;
    }
    Ok(())
}

/// [`Case::PromptCaching`](super::Case::PromptCaching).
pub(super) async fn prompt_caching(harness: &dyn Harness) -> Result<(), String> {
    let q2 = reference::queries()
        .into_iter()
        .find(|q| q.name == "Q2")
        .ok_or("no Q2 in the reference work")?;
    let prompt = q2.prompt.clone().unwrap_or_default();
    for streaming in [false, true] {
        let m = mode(streaming);
        let run = start_configured(harness, vec![q2.clone()], streaming, |b: AgentBuilder| {
            b.cache(Some(CacheSettings::auto()))
        })
        .await?;
        let done = run_ok(&run, &prompt, RunOptions::new(), streaming).await?;
        ensure!(
            done.answer == q2.turns[1].text.clone().unwrap_or_default(),
            "[{m}] the answer is {:?}",
            done.answer
        );
        // Cache points are the request's, never the conversation's.
        let leaked = done
            .messages
            .iter()
            .flat_map(|msg| &msg.content)
            .any(|b| matches!(b, ContentBlock::CachePoint(_)));
        ensure!(!leaked, "[{m}] a cache point was left in the conversation");
        for (i, request) in run.target.requests().iter().enumerate() {
            let points = request.explicit_cache_points();
            ensure!(
                points <= MAX_CACHE_POINTS,
                "[{m}] request {i} carries {points} cache points in its messages"
            );
        }
        ensure!(
            done.metrics.usage.total_input_tokens() > 0,
            "[{m}] no input tokens were reported: {:?}",
            done.metrics.usage
        );
        check_valid(&done, streaming)?;
    }
    Ok(())
}

const OUTPUT_PROMPT: &str = "Where shall we go, and for how long?";

/// [`Case::StructuredOutput`](super::Case::StructuredOutput).
pub(super) async fn structured_output(harness: &dyn Harness) -> Result<(), String> {
    let schema = OutputSchema::new(json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "enum": ["Paris", "Lyon"]},
            "days": {"type": "integer", "minimum": 1},
            "note": {"type": "string"}
        },
        "required": ["city", "days"]
    }))?;
    for streaming in [false, true] {
        let m = mode(streaming);
        // Text first (the run asks for the output tool and forces it), then
        // an invalid answer (repaired), then a valid one.
        let scenario = Scenario::new(
            "trip",
            Some(OUTPUT_PROMPT),
            vec![
                ScriptedTurn::text("Paris, I think."),
                output(json!({"city": "Rome", "days": 2})),
                output(json!({"city": "Paris", "days": 2})),
            ],
        );
        let run = start_configured(harness, vec![scenario], streaming, |b| b).await?;
        let options = RunOptions::new().with_output_schema(schema.clone());
        let done = run_ok(&run, OUTPUT_PROMPT, options, streaming).await?;
        ensure!(
            done.output == Some(json!({"city": "Paris", "days": 2})),
            "[{m}] the output is {:?}",
            done.output
        );
        let requests = run.target.requests();
        ensure!(
            requests.len() == 3,
            "[{m}] {} requests, expected 3",
            requests.len()
        );
        let offered = requests[0]
            .tools
            .iter()
            .any(|t| t.name == OutputSchema::TOOL_NAME);
        ensure!(offered, "[{m}] the output tool was not offered");
        let forced = ToolChoice::Tool(OutputSchema::TOOL_NAME.into());
        for (i, request) in requests.iter().enumerate().skip(1) {
            ensure!(
                request.tool_choice.as_ref() == Some(&forced),
                "[{m}] request {i} does not force the output tool: {:?}",
                request.tool_choice
            );
        }
        let mut spec_tools: Vec<_> = crate::conformance::fixtures::tools()?
            .specs()
            .cloned()
            .collect();
        spec_tools.push(schema.spec().clone());
        crate::validate_conversation(&agent_core::ModelRequest {
            messages: done.messages.clone(),
            tools: spec_tools,
            ..Default::default()
        })
        .map_err(|e| format!("[{m}] invalid conversation: {e}"))?;
    }
    Ok(())
}

fn output(input: serde_json::Value) -> ScriptedTurn {
    ScriptedTurn {
        tool_calls: vec![ScriptedCall {
            name: OutputSchema::TOOL_NAME.into(),
            input,
        }],
        ..ScriptedTurn::default()
    }
}

/// Runs `prompt` with `options` to the end, a failure naming the mode.
async fn run_ok(
    run: &Run,
    prompt: &str,
    options: RunOptions,
    streaming: bool,
) -> Result<agent_core::AgentRun, String> {
    run.agent
        .send(&mut agent_core::Conversation::new(), prompt, options)
        .await
        .map_err(|e| format!("[{}] the run failed: {e}", mode(streaming)))
}
