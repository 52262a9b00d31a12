//! A response cut by `max_tokens`: the partial answer stands and no tool
//! runs; the sampling settings reach the server intact.

use agent_core::{InferenceConfig, StopReason};
use serde_json::json;

use crate::conformance::checks::check_valid;
use crate::conformance::harness::Harness;
use crate::conformance::session::{mode, run_ok, start};
use crate::scenario::{Scenario, ScriptedCall, ScriptedTurn};

/// [`Case::MaxTokens`](super::Case::MaxTokens).
pub(super) async fn max_tokens(harness: &dyn Harness) -> Result<(), String> {
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
            thinking: None,
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
