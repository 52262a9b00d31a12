//! Sessions through the library API (`AgentBuilder::session_store`,
//! `Agent::session`) over the real SQLite store: a conversation carried
//! across handles as across processes, the lock, resuming an interrupted
//! batch, and a 5 MB tool result kept cut in the journal and the
//! conversation while the run goes on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agent_core::session::{JournalEntry, Pending, SessionError};
use agent_core::{
    Agent, ContentBlock, EventKind, Message, Role, SessionStore, ToolResult, ToolResultContent,
    ToolUse,
};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};
use serde_json::json;
use session_sqlite::SqliteStore;
use tool_api::{ToolOutput, tool_fn};

const TRIP: &str = "Plan a trip to Paris.";

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "trip",
            Some(TRIP),
            vec![
                ScriptedTurn::tools([("lookup", json!({"q": "a"})), ("lookup", json!({"q": "b"}))]),
                ScriptedTurn::text("Paris it is."),
                ScriptedTurn::text("Rome too."),
            ],
        ),
        Scenario::new(
            "big",
            Some("Fetch everything"),
            vec![
                ScriptedTurn::tools([("big", json!({}))]),
                ScriptedTurn::text("Got it."),
            ],
        ),
    ]
}

struct Fixture {
    backend: Arc<ScriptedBackend>,
    calls: Arc<AtomicUsize>,
    agent: Agent,
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let backend = Arc::new(ScriptedBackend::new(scenarios()));
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let lookup = tool_fn(
        "lookup",
        "Looks up.",
        move |input: serde_json::Map<String, serde_json::Value>, _| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move { Ok(ToolOutput::text(format!("found {}", input["q"]))) }
        },
    )
    .unwrap();
    let big = tool_fn("big", "Five megabytes.", |(): (), _| async {
        Ok(ToolOutput::text("x".repeat(5_000_000)))
    })
    .unwrap();
    let agent = Agent::builder()
        .backend(backend.clone())
        .tool(lookup)
        .tool(big)
        .session_store(SqliteStore::open(&path).unwrap())
        .build()
        .unwrap();
    Fixture {
        backend,
        calls,
        agent,
        _dir: dir,
        path,
    }
}

#[tokio::test]
async fn a_session_carries_the_conversation_to_the_next_handle() {
    let f = fixture();
    let mut first = f.agent.session("trip").unwrap();
    assert!(first.messages().is_empty());
    let run = first.send(TRIP).await.unwrap();
    assert_eq!(run.answer, "Paris it is.");
    drop(first);

    // Another agent on the same file, as another process would have.
    let other = Agent::builder()
        .backend(f.backend.clone())
        .tools(f.agent.tools().clone())
        .session_store(SqliteStore::open(&f.path).unwrap())
        .build()
        .unwrap();
    let mut again = other.session("trip").unwrap();
    assert_eq!(again.messages().len(), 4);
    assert_eq!(again.pending(), &Pending::Nothing);
    let run = again.send("And Rome?").await.unwrap();
    assert_eq!(run.answer, "Rome too.");
    let last = f.backend.requests().pop().unwrap();
    assert_eq!(
        last.messages.len(),
        5,
        "the first run's turns, then the prompt"
    );
    assert_eq!(last.messages[0].text(), TRIP);
}

#[tokio::test]
async fn a_second_handle_is_refused_while_the_first_is_open() {
    let f = fixture();
    let _held = f.agent.session("trip").unwrap();
    let err = f.agent.session("trip").unwrap_err();
    assert!(matches!(err, SessionError::Locked { .. }), "{err}");
}

#[tokio::test]
async fn without_a_store_the_error_says_how_to_give_one() {
    let agent = Agent::builder()
        .backend(ScriptedBackend::new(scenarios()))
        .build()
        .unwrap();
    let err = agent.session("trip").unwrap_err();
    assert!(
        err.to_string().contains("AgentBuilder::session_store"),
        "{err}"
    );
}

/// The journal of a run cut off in its tool batch: the prompt, the model's
/// two calls, the first call's result.
fn interrupted(path: &std::path::Path) {
    let store = SqliteStore::open(path).unwrap();
    let journal = store.open("trip").unwrap();
    let call = |id: &str, q: &str| {
        ContentBlock::ToolUse(ToolUse {
            id: id.into(),
            name: "lookup".into(),
            input: json!({ "q": q }),
        })
    };
    for entry in [
        JournalEntry::Message {
            message: Message::user(TRIP),
        },
        JournalEntry::Message {
            message: Message {
                role: Role::Assistant,
                content: vec![call("tooluse_0_0", "a"), call("tooluse_0_1", "b")],
            },
        },
        JournalEntry::ToolResult {
            index: 0,
            name: "lookup".into(),
            result: ToolResult::success(
                "tooluse_0_0",
                ToolResultContent::Text("found \"a\"".into()),
            ),
        },
    ] {
        journal.append(&entry).unwrap();
    }
}

#[tokio::test]
async fn resume_replays_the_finished_call_and_runs_the_rest() {
    let f = fixture();
    interrupted(&f.path);
    let mut session = f.agent.session("trip").unwrap();
    assert!(matches!(session.pending(), Pending::Batch { finished, .. } if finished.len() == 1));
    let run = session.resume().await.unwrap();
    assert_eq!(run.answer, "Paris it is.");
    assert_eq!(
        f.calls.load(Ordering::SeqCst),
        1,
        "only the unfinished call ran"
    );
    let replayed: Vec<&str> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCallReplayed { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(replayed, ["tooluse_0_0"]);
    assert_eq!(session.pending(), &Pending::Nothing);
    assert_eq!(session.messages().len(), 4);
}

#[tokio::test]
async fn a_new_prompt_closes_an_interrupted_batch_without_running_it() {
    let f = fixture();
    interrupted(&f.path);
    let mut session = f.agent.session("trip").unwrap();
    let run = session.send("Never mind; just say it.").await.unwrap();
    assert_eq!(run.answer, "Paris it is.");
    assert_eq!(f.calls.load(Ordering::SeqCst), 0, "nothing ran again");
    let sent = f.backend.requests().pop().unwrap();
    agent_testkit::validate_conversation(&sent).unwrap();
    let results: Vec<&ToolResult> = sent.messages[2]
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ToolResult(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(results.len(), 2);
    assert!(!results[0].is_error(), "the finished call keeps its result");
    assert!(
        results[1].is_error(),
        "the unfinished one is answered as interrupted"
    );
    assert_eq!(sent.messages[2].text(), "Never mind; just say it.");
}

#[tokio::test]
async fn a_5_mb_result_is_cut_in_the_journal_and_the_conversation_and_the_run_goes_on() {
    let f = fixture();
    let mut session = f.agent.session("big").unwrap();
    let run = session.send("Fetch everything").await.unwrap();
    assert_eq!(run.answer, "Got it.");
    let limit = agent_core::ExecutorConfig::DEFAULT_MAX_OUTPUT_BYTES;
    let cut = |r: &ToolResult| match &r.content[0] {
        ToolResultContent::Text(t) => {
            assert!(t.len() < limit + 500, "{} bytes", t.len());
            assert!(
                t.contains("5000000 bytes"),
                "says how much: {}",
                &t[limit..]
            );
        }
        other => panic!("{other:?}"),
    };
    // What the model read.
    let sent = f.backend.requests().pop().unwrap();
    match &sent.messages[2].content[0] {
        ContentBlock::ToolResult(r) => cut(r),
        other => panic!("{other:?}"),
    }
    // What the journal holds: the result as its call ended, and the
    // results message.
    let entries = SqliteStore::open(&f.path).unwrap().entries("big").unwrap();
    let mut seen = 0;
    for entry in &entries {
        match entry {
            JournalEntry::ToolResult { result, .. } => {
                cut(result);
                seen += 1;
            }
            JournalEntry::Message { message } => {
                for block in &message.content {
                    if let ContentBlock::ToolResult(r) = block {
                        cut(r);
                        seen += 1;
                    }
                }
            }
        }
    }
    assert_eq!(seen, 2);
    let bytes = std::fs::metadata(&f.path).unwrap().len();
    assert!(
        bytes < 2_000_000,
        "the store holds no 5 MB result: {bytes} bytes"
    );
}
