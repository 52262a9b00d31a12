//! `agent demo --subagents`: a lead agent fans out to three researcher
//! sub-agents at once, offline; their events nest under the lead's calls
//! in the JSON document and the live view, their tokens roll up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;

#[test]
fn the_subagents_demo_fans_out_and_nests_events_and_usage() {
    let out = common::agent_in_fresh_home()
        .args(["demo", "--subagents", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let query = &doc["queries"][0];
    assert_eq!(query["id"], "SUBAGENTS");
    assert!(
        query["answer"]
            .as_str()
            .unwrap()
            .starts_with("Three researchers reported")
    );
    let events = query["events"].as_array().unwrap();
    for index in 0..3 {
        let nested: Vec<&Value> = events
            .iter()
            .filter(|e| e["event"] == "sub_agent" && e["index"] == index)
            .map(|e| &e["inner"])
            .collect();
        assert!(
            nested
                .iter()
                .any(|e| e["event"] == "tool_call_finished" && e["failure"].is_null()),
            "researcher {index} ran its tools: {nested:?}"
        );
        assert_eq!(
            nested
                .iter()
                .filter(|e| e["event"] == "model_call_finished")
                .count(),
            2,
            "researcher {index}"
        );
    }
    // The three researchers overlap: each started before any finished.
    let at = |pred: &dyn Fn(&Value) -> bool| -> Vec<f64> {
        events
            .iter()
            .filter(|e| pred(e))
            .map(|e| e["at_ms"].as_f64().unwrap())
            .collect()
    };
    let starts = at(&|e| e["event"] == "tool_call_started" && e["name"] == "researcher");
    let ends = at(&|e| e["event"] == "tool_call_finished" && e["name"] == "researcher");
    assert_eq!(starts.len(), 3);
    let last_start = starts.iter().copied().fold(0.0, f64::max);
    let first_end = ends.iter().copied().fold(f64::MAX, f64::min);
    assert!(last_start < first_end, "{starts:?} {ends:?}");
    let sub = &query["metrics"]["sub_agent_usage"];
    // Caching is on by default: the input is full price, read or written.
    let input: u64 = [
        "input_tokens",
        "cache_read_input_tokens",
        "cache_write_input_tokens",
    ]
    .iter()
    .map(|k| sub[k].as_u64().unwrap())
    .sum();
    assert!(input > 0, "{sub}");
    // Every researcher answered the lead.
    let messages = query["messages"].as_array().unwrap();
    let results = messages[2]["content"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(
        results.iter().all(|r| r["status"] == "success"),
        "{results:?}"
    );
}

#[test]
fn the_plain_live_view_shows_sub_agent_events_under_their_call() {
    let out = common::agent_in_fresh_home()
        .args(["demo", "--subagents"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    for index in 0..3 {
        assert!(
            err.contains(&format!("researcher[{index}] ↳ start ")),
            "{err}"
        );
    }
    assert!(err.contains("(+ sub-agents "), "{err}");
}
