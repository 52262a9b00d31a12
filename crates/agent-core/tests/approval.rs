//! Human approval in the library: a run pauses with every pending approval
//! of its batch at once, the siblings having run; the paused state survives
//! serialisation and the run resumes with the caller's decisions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use agent_core::hooks::{Approval, ApprovalRequest, Approver, Decisions, DenyAll, PausedBatch};
use agent_core::{
    Agent, AgentErrorKind, ContentBlock, Conversation, EventKind, RunOptions, ToolResultContent,
};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};
use common::tool;
use serde_json::{Value, json};
use tool_api::ToolOutput;

/// `delete x`, `echo b`, `delete y` in one turn, then an answer.
fn backend() -> Arc<ScriptedBackend> {
    Arc::new(ScriptedBackend::new(vec![Scenario::new(
        "deletes",
        None,
        vec![
            ScriptedTurn::tools([
                ("delete", json!({"path": "x"})),
                ("echo", json!({"text": "b"})),
                ("delete", json!({"path": "y"})),
            ]),
            ScriptedTurn::text("done"),
        ],
    )]))
}

/// The agent, `delete` needing approval; counts the runs of each tool.
fn agent(backend: Arc<ScriptedBackend>, runs: Arc<(AtomicU32, AtomicU32)>) -> Agent {
    let r = runs.clone();
    let delete = tool("delete", move |input: Value, _| {
        let r = r.clone();
        async move {
            r.0.fetch_add(1, Ordering::SeqCst);
            Ok(ToolOutput::text(format!(
                "deleted {}",
                input["path"].as_str().unwrap_or_default()
            )))
        }
    });
    let echo = tool("echo", move |input: Value, _| {
        let r = runs.clone();
        async move {
            r.1.fetch_add(1, Ordering::SeqCst);
            Ok(ToolOutput::text(input["text"].as_str().unwrap_or_default()))
        }
    });
    Agent::builder()
        .backend(backend)
        .tool(delete)
        .tool(echo)
        .approve("delete")
        .build()
        .unwrap()
}

fn results_received(backend: &ScriptedBackend) -> Vec<(bool, String)> {
    let requests = backend.requests();
    let last = requests.last().unwrap().messages.last().unwrap();
    last.content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => (
                r.is_error(),
                r.content
                    .iter()
                    .map(|c| match c {
                        ToolResultContent::Text(t) => t.clone(),
                        ToolResultContent::Json(v) => v.to_string(),
                        other => format!("{other:?}"),
                    })
                    .collect(),
            ),
            other => panic!("not a result: {other:?}"),
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn every_pending_approval_is_surfaced_at_once_and_a_serialised_pause_resumes() {
    let runs = Arc::new((AtomicU32::new(0), AtomicU32::new(0)));
    let backend = backend();
    let err = agent(backend.clone(), runs.clone())
        .run("go")
        .await
        .unwrap_err();
    let AgentErrorKind::ApprovalNeeded(paused) = &err.kind else {
        panic!("{:?}", err.kind)
    };
    // Both waiting calls at once, not only the first; the sibling ran.
    let pending: Vec<(usize, &str)> = paused
        .pending
        .iter()
        .map(|r| (r.index, r.call.input["path"].as_str().unwrap()))
        .collect();
    assert_eq!(pending, [(0, "x"), (2, "y")]);
    assert_eq!(runs.0.load(Ordering::SeqCst), 0, "nothing deleted yet");
    assert_eq!(runs.1.load(Ordering::SeqCst), 1, "the sibling ran");
    assert_eq!(paused.finished.len(), 1);
    assert_eq!(paused.finished[0].tool_use_id, "tooluse_0_1");
    assert_eq!(backend.requests().len(), 1, "the model waits too");
    assert!(
        err.to_string().contains("2 tool call(s) need approval"),
        "{err}"
    );

    // Another process, later: the state and the conversation as JSON.
    let saved = serde_json::to_string(&(&**paused, &err.run.messages)).unwrap();
    let (paused, messages): (PausedBatch, Vec<agent_core::Message>) =
        serde_json::from_str(&saved).unwrap();
    let decisions = Decisions::new()
        .approve(&paused.pending[0].call.id)
        .deny(&paused.pending[1].call.id, "keep y");
    let runs2 = Arc::new((AtomicU32::new(0), AtomicU32::new(0)));
    let backend2 = backend.clone();
    let mut conversation = Conversation::from_messages(messages);
    let run = agent(backend2.clone(), runs2.clone())
        .resume_approved(&mut conversation, paused, decisions, RunOptions::new())
        .await
        .unwrap();
    assert_eq!(run.answer, "done");
    assert_eq!(runs2.0.load(Ordering::SeqCst), 1, "only x deleted");
    assert_eq!(
        runs2.1.load(Ordering::SeqCst),
        0,
        "the sibling not run again"
    );
    let results = results_received(&backend2);
    assert_eq!(results[0], (false, "deleted x".into()));
    assert_eq!(results[1], (false, "b".into()));
    assert!(
        results[2].0 && results[2].1.contains("keep y"),
        "{results:?}"
    );
}

/// Approves after a person's pause of five seconds each, one at a time.
struct SlowPerson(tokio::sync::Mutex<()>);

#[async_trait::async_trait]
impl Approver for SlowPerson {
    async fn decide(&self, _request: &ApprovalRequest) -> Approval {
        let _one_at_a_time = self.0.lock().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        Approval::Approve
    }
}

#[tokio::test(start_paused = true)]
async fn an_approver_asked_one_at_a_time_does_not_hold_back_the_siblings() {
    let runs = Arc::new((AtomicU32::new(0), AtomicU32::new(0)));
    let backend = backend();
    let options = RunOptions::new().with_approver(Arc::new(SlowPerson(Default::default())));
    let run = agent(backend.clone(), runs.clone())
        .run_with("go", options)
        .await
        .unwrap();
    let finished: Vec<(usize, Duration)> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCallFinished { index, .. } => Some((*index, e.at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        [
            (1, Duration::ZERO),
            (0, Duration::from_secs(5)),
            (2, Duration::from_secs(10))
        ]
    );
    assert_eq!(runs.0.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn with_no_one_to_ask_the_call_is_denied_readably_and_the_sibling_runs() {
    let runs = Arc::new((AtomicU32::new(0), AtomicU32::new(0)));
    let backend = backend();
    let deny = DenyAll {
        how_to_allow: "no terminal to ask on; allow it with --yes".into(),
    };
    let run = agent(backend.clone(), runs.clone())
        .run_with("go", RunOptions::new().with_approver(Arc::new(deny)))
        .await
        .unwrap();
    assert_eq!(run.answer, "done");
    let results = results_received(&backend);
    assert!(results[0].0, "{results:?}");
    assert_eq!(
        results[0].1,
        "tool `delete` needs approval and was not run: no terminal to ask on; allow it with --yes"
    );
    assert_eq!(results[1], (false, "b".into()));
    assert_eq!(runs.0.load(Ordering::SeqCst), 0);
}

/// Asks for approval of `echo` calls whose text is `b`, with a reason.
struct AskForB;

#[async_trait::async_trait]
impl agent_core::hooks::Hook for AskForB {
    async fn before_tool(
        &self,
        call: &agent_core::ToolUse,
    ) -> Result<agent_core::hooks::ToolDecision, agent_core::hooks::HookError> {
        Ok(if call.input["text"] == "b" {
            agent_core::hooks::ToolDecision::Ask {
                reason: Some("b is sensitive".into()),
            }
        } else {
            agent_core::hooks::ToolDecision::Allow
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_hook_can_ask_for_approval_of_one_call() {
    let runs = Arc::new((AtomicU32::new(0), AtomicU32::new(0)));
    let backend = backend();
    // No tool needs approval by policy: the hook asks, for `echo b` only.
    let echo = {
        let runs = runs.clone();
        tool("echo", move |_input: Value, _| {
            let r = runs.clone();
            async move {
                r.1.fetch_add(1, Ordering::SeqCst);
                Ok(ToolOutput::text("echoed"))
            }
        })
    };
    let delete = tool("delete", |_input: Value, _| async {
        Ok(ToolOutput::text("deleted"))
    });
    let agent = Agent::builder()
        .backend(backend)
        .tool(delete)
        .tool(echo)
        .hook(AskForB)
        .build()
        .unwrap();
    let err = agent.run("go").await.unwrap_err();
    let AgentErrorKind::ApprovalNeeded(paused) = &err.kind else {
        panic!("{:?}", err.kind)
    };
    assert_eq!(paused.pending.len(), 1);
    assert_eq!(paused.pending[0].index, 1);
    assert_eq!(paused.pending[0].reason.as_deref(), Some("b is sensitive"));
    assert_eq!(paused.finished.len(), 2, "both deletes ran");
    assert_eq!(runs.1.load(Ordering::SeqCst), 0);
}

/// Never answers: the person walked away.
struct Away;

#[async_trait::async_trait]
impl Approver for Away {
    async fn decide(&self, _request: &ApprovalRequest) -> Approval {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_run_does_not_wait_for_an_unanswered_question() {
    let runs = Arc::new((AtomicU32::new(0), AtomicU32::new(0)));
    let cancel = tokio_util::sync::CancellationToken::new();
    let options = RunOptions::new()
        .with_approver(Arc::new(Away))
        .with_cancellation(cancel.clone());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        cancel.cancel();
    });
    let start = tokio::time::Instant::now();
    let err = agent(backend(), runs.clone())
        .run_with("go", options)
        .await
        .unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Cancelled);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    // Every call answered: the sibling's result, the waiting ones cancelled.
    let results: Vec<bool> = err.run.messages[2]
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => r.is_error(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(results, [true, false, true]);
}
