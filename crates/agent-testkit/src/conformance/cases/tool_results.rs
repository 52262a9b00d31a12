//! Tool calls that fail (an unknown tool, a failing tool, bad input) are
//! answered with error results, in call order, in one message.

use serde_json::{Value, json};

use crate::conformance::checks::{check_results_in_order, check_valid, result_text};
use crate::conformance::fixtures::TOOL_FAILURE;
use crate::conformance::harness::Harness;
use crate::conformance::session::{mode, run_ok, start_simple};
use crate::scenario::{Scenario, ScriptedTurn};

/// [`Case::UnknownTool`](super::Case::UnknownTool).
pub(super) async fn unknown_tool(harness: &dyn Harness) -> Result<(), String> {
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

/// [`Case::ToolError`](super::Case::ToolError).
pub(super) async fn tool_error(harness: &dyn Harness) -> Result<(), String> {
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

/// One turn calling `calls` at once, in both modes: each result is a
/// success or an error mentioning its needle, in call order.
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
