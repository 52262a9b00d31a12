//! The reference work through the backend: Q1–Q4 at once, streaming and
//! not, and a CHAIN of turns.

use std::collections::HashSet;

use agent_core::{Message, StopReason};
use futures::future::join_all;
use serde_json::Value;

use crate::conformance::checks::{
    check_results_in_order, check_usage, check_valid, requests_for, result_text, results_of,
};
use crate::conformance::fixtures::SYSTEM_PROMPT;
use crate::conformance::harness::Harness;
use crate::conformance::session::{mode, run_ok, start_simple};
use crate::reference;

/// [`Case::ReferenceQueries`](super::Case::ReferenceQueries).
pub(super) async fn reference_queries(harness: &dyn Harness) -> Result<(), String> {
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

/// [`Case::Chain`](super::Case::Chain).
pub(super) async fn chain(harness: &dyn Harness) -> Result<(), String> {
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
    let mut ids = HashSet::new();
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
