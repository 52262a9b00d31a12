//! End to end: the demo plugin built as a library, loaded with the host, and
//! the reference queries Q1–Q4 run through the agent loop with the scripted
//! model. Asserts on what crossed the wire: every toolUse answered, in call
//! order, with the plugin's output, in one user message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;

use agent_core::{Agent, ContentBlock, Role, ToolResultContent, ToolResultStatus};
use agent_testkit::ScriptedBackend;
use agent_testkit::reference::{fanout, queries};
use serde_json::json;
use tool_api::ToolRegistry;
use tool_api::plugin::{host, testing};

fn demo_registry() -> (ToolRegistry, String) {
    let path = testing::cargo_build_plugin("demo-tools").expect("build the demo plugin");
    let plugin = host::load(&path).expect("load the demo plugin");
    let mut tools = ToolRegistry::new();
    plugin.register(&mut tools).unwrap();
    (tools, plugin.path.display().to_string())
}

#[tokio::test]
async fn the_reference_queries_run_through_the_plugin() {
    let (tools, source) = demo_registry();
    assert_eq!(tools.get("get_weather").unwrap().source, source);
    let backend = Arc::new(ScriptedBackend::reference());
    let agent = Agent::builder()
        .backend(backend.clone())
        .tools(tools)
        .build()
        .unwrap();
    let in_process = reference_tools::tools().unwrap();
    let in_process: HashMap<_, _> = in_process
        .iter()
        .map(|t| (t.spec().name.clone(), t.clone()))
        .collect();

    // The four queries at once: about the slowest tool of all, not the sum.
    let scenarios = queries();
    let runs = futures::future::join_all(
        scenarios
            .iter()
            .map(|s| agent.run(s.prompt.as_deref().unwrap())),
    )
    .await;

    // Check the shape of every run, and collect each (call, result) pair.
    let mut pairs = Vec::new();
    let mut conversations = Vec::new();
    for (scenario, run) in scenarios.iter().zip(runs) {
        let run = run.unwrap_or_else(|e| panic!("{}: {e}", scenario.name));
        conversations.push((scenario.name.clone(), run.messages.clone()));
        // user, assistant (tool uses), user (tool results), assistant (answer)
        assert_eq!(run.messages.len(), 4, "{}", scenario.name);
        let uses: Vec<_> = run.messages[1]
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::ToolUse(u) => Some(u.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(uses.len(), scenario.turns[0].tool_calls.len());
        let results = &run.messages[2];
        assert_eq!(results.role, Role::User);
        assert_eq!(results.content.len(), uses.len(), "{}", scenario.name);
        for (block, call) in results.content.iter().zip(uses) {
            let ContentBlock::ToolResult(result) = block else {
                panic!("{}: not a tool result: {block:?}", scenario.name)
            };
            assert_eq!(result.tool_use_id, call.id, "results in call order");
            assert_eq!(result.status, ToolResultStatus::Success, "{result:?}");
            pairs.push((call, result.content.clone()));
        }
        assert_eq!(run.answer, scenario.turns[1].text.clone().unwrap());
    }
    // Each result is the tool's own output, as it answers in process
    // through the plugin payloads (all at once: the tools sleep).
    let expected = futures::future::join_all(
        pairs
            .iter()
            .map(|(call, _)| testing::call(in_process[&call.name].as_ref(), call.input.clone())),
    )
    .await;
    for ((call, content), expected) in pairs.iter().zip(expected) {
        let expected = vec![ToolResultContent::from(expected.unwrap())];
        assert_eq!(content, &expected, "{}", call.name);
    }
    // The model saw each conversation as the run kept it: the prompt, then
    // the prompt, its tool uses and their results.
    let requests = backend.requests();
    assert_eq!(requests.len(), 2 * conversations.len());
    for (name, messages) in &conversations {
        let seen: Vec<_> = requests
            .iter()
            .filter(|r| r.messages.first() == messages.first())
            .map(|r| r.messages.clone())
            .collect();
        assert_eq!(
            seen,
            [messages[..1].to_vec(), messages[..3].to_vec()],
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_fanout_of_256_sleeps_runs_through_the_plugin() {
    let (tools, _) = demo_registry();
    let scenario = fanout(256, 100);
    let prompt = scenario.prompt.clone().unwrap();
    let agent = Agent::builder()
        .backend(Arc::new(ScriptedBackend::new(vec![scenario])))
        .tools(tools)
        .build()
        .unwrap();
    let run = agent.run(&prompt).await.unwrap();
    let results = &run.messages[2].content;
    assert_eq!(results.len(), 256);
    for block in results {
        let ContentBlock::ToolResult(r) = block else {
            panic!("{block:?}")
        };
        assert_eq!(
            r.content,
            vec![ToolResultContent::Json(json!({"slept_ms": 100}))]
        );
    }
}
