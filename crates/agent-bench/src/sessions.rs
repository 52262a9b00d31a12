//! `agent-bench --sessions`: what durable sessions cost. CHAIN-20 and
//! FANOUT-256 (no model latency, streamed) run without a store and with
//! the SQLite store journaling every step; the difference per run and per
//! journaled entry is the overhead. Then a 100-turn session is cut off in
//! its last tool batch, as a crash would leave it, and resumed: the time
//! from opening the store to the answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_cli::exit::Failure;
use agent_core::session::{JournalEntry, Pending, SessionJournal, restore};
use agent_core::{Agent, Conversation, Role, RunOptions, SessionStore, StopReason};
use agent_testkit::reference;
use serde::Serialize;
use session_sqlite::SqliteStore;

use crate::agents;
use crate::args::BenchArgs;
use crate::cases::{self, Case};
use crate::demo_plugin::DemoPlugin;
use crate::measure::Stats;
use crate::servers::ServerRuntime;

/// The cases measured with and without a store.
const CASES: &str = "CHAIN-20@0:stream,FANOUT-256@0:stream";
/// Model turns of the resumed session.
const RESUME_TURNS: usize = 100;

/// One case's figures.
#[derive(Debug, Serialize)]
struct StoreFigures {
    id: String,
    /// Runs without a session.
    no_store_ms: Stats,
    /// Runs journaled to the SQLite store.
    sqlite_ms: Stats,
    /// Journal entries per run (prompt, responses, each tool result, each
    /// results message).
    entries_per_run: usize,
    /// `sqlite - no_store`, medians.
    overhead_per_run_ms: f64,
    /// The overhead per journaled entry.
    overhead_per_entry_ms: f64,
}

/// The resume figures.
#[derive(Debug, Serialize)]
struct ResumeFigures {
    turns: usize,
    entries: usize,
    /// Opening the store and the session, reading the journal back.
    restore_ms: Stats,
    /// From opening the store to the resumed run's answer.
    resume_ms: Stats,
}

#[derive(Debug, Serialize)]
struct SessionsReport {
    runs: usize,
    cases: Vec<StoreFigures>,
    resume: ResumeFigures,
}

fn io(what: &str) -> impl Fn(agent_core::SessionError) -> Failure + '_ {
    move |e| Failure::Other(format!("{what}: {e}"))
}

/// Runs the sessions bench and prints its figures.
pub async fn bench(args: BenchArgs) -> Result<(), Failure> {
    let runs = args.runs as usize;
    let warmup = args.warmup as usize;
    let selected = cases::select(CASES)?;
    let chain = reference::chain(RESUME_TURNS);
    let mut scenarios: Vec<agent_testkit::Scenario> =
        selected.iter().map(|c| c.scenario.clone()).collect();
    scenarios.push(chain.clone());
    let plugin = DemoPlugin::load(args.plugin.as_deref())?;
    let server_runtime = ServerRuntime::new(scenarios)?;
    let served = server_runtime.start(Duration::ZERO, false).await?;
    let dir = std::env::temp_dir().join(format!("agent-bench-sessions-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::Other(format!("cannot create {}: {e}", dir.display())))?;
    let store_path = dir.join("sessions.db");
    let store = SqliteStore::open(&store_path).map_err(io("the session store"))?;
    let agent = agents::agent(
        served.backend.clone(),
        plugin.tools.clone(),
        true,
        None,
        RESUME_TURNS as u32 + 2,
    )?;

    let mut figures = Vec::new();
    let mut session = 0usize;
    for case in &selected {
        let mut none = Vec::new();
        let mut journaled = Vec::new();
        let mut entries = 0;
        for i in 0..warmup + runs {
            eprintln!("{} run {} of {}", case.id(), i + 1, warmup + runs);
            let t = run(&agent, case, None).await?;
            session += 1;
            let journal: Arc<dyn SessionJournal> = Arc::from(
                store
                    .open(&format!("bench-{session}"))
                    .map_err(io("open"))?,
            );
            let s = run(&agent, case, Some(journal.clone())).await?;
            entries = journal.entries().map_err(io("read"))?.len();
            if i >= warmup {
                none.push(t);
                journaled.push(s);
            }
        }
        let none = Stats::of(&none).ok_or_else(|| Failure::Usage("no runs".into()))?;
        let sqlite = Stats::of(&journaled).ok_or_else(|| Failure::Usage("no runs".into()))?;
        let per_run = sqlite.median_ms - none.median_ms;
        figures.push(StoreFigures {
            id: case.id(),
            no_store_ms: none,
            sqlite_ms: sqlite,
            entries_per_run: entries,
            overhead_per_run_ms: per_run,
            overhead_per_entry_ms: per_run / entries.max(1) as f64,
        });
    }

    // A 100-turn session, journaled whole once, then copied up to its last
    // tool batch (its calls asked, none answered): a crash's leftovers.
    eprintln!("CHAIN-{RESUME_TURNS} journaled");
    let whole: Arc<dyn SessionJournal> = Arc::from(store.open("whole").map_err(io("open"))?);
    agent
        .run_with(
            chain.prompt.as_deref().unwrap_or_default(),
            RunOptions::new().with_journal(whole.clone()),
        )
        .await
        .map_err(|e| Failure::Model(format!("CHAIN-{RESUME_TURNS}: {e}")))?;
    let all = whole.entries().map_err(io("read"))?;
    let cut = last_batch_asked(&all);
    let mut restores = Vec::new();
    let mut resumes = Vec::new();
    for i in 0..warmup + runs {
        eprintln!("resume {} of {}", i + 1, warmup + runs);
        let name = format!("crashed-{i}");
        {
            let crashed = store.open(&name).map_err(io("open"))?;
            for entry in &cut {
                crashed.append(entry).map_err(io("append"))?;
            }
        }
        let started = Instant::now();
        let store = SqliteStore::open(&store_path).map_err(io("the session store"))?;
        let journal: Arc<dyn SessionJournal> = Arc::from(store.open(&name).map_err(io("open"))?);
        let restored = restore(&journal.entries().map_err(io("read"))?);
        let restored_at = started.elapsed();
        if !matches!(restored.pending, Pending::Batch { .. }) {
            return Err(Failure::Other(
                "the cut journal has no pending batch".into(),
            ));
        }
        let mut conversation = Conversation::from_messages(restored.messages);
        let run = agent
            .resume(
                &mut conversation,
                restored.pending,
                RunOptions::new().with_journal(journal),
            )
            .await
            .map_err(|e| Failure::Model(format!("resume: {e}")))?;
        let resumed_at = started.elapsed();
        if run.stop_reason != Some(StopReason::EndTurn) {
            return Err(Failure::Model("the resumed run gave no answer".into()));
        }
        if i >= warmup {
            restores.push(restored_at);
            resumes.push(resumed_at);
        }
    }
    let report = SessionsReport {
        runs,
        cases: figures,
        resume: ResumeFigures {
            turns: RESUME_TURNS,
            entries: cut.len(),
            restore_ms: Stats::of(&restores).ok_or_else(|| Failure::Usage("no runs".into()))?,
            resume_ms: Stats::of(&resumes).ok_or_else(|| Failure::Usage("no runs".into()))?,
        },
    };
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
    print(&report, &args)
}

/// One run of `case`, journaled to `journal` if given; checked to have
/// done the scripted work.
async fn run(
    agent: &Agent,
    case: &Case,
    journal: Option<Arc<dyn SessionJournal>>,
) -> Result<Duration, Failure> {
    let mut options = RunOptions::new();
    if let Some(journal) = journal {
        options = options.with_journal(journal);
    }
    let started = Instant::now();
    let run = agent
        .run_with(case.prompt(), options)
        .await
        .map_err(|e| Failure::Model(format!("{}: the run failed: {e}", case.id())))?;
    let wall = started.elapsed();
    if run.stop_reason != Some(StopReason::EndTurn)
        || run.metrics.tool_calls as usize != case.tool_calls()
    {
        return Err(Failure::Model(format!(
            "{}: the run did not do the scripted work",
            case.id()
        )));
    }
    Ok(wall)
}

/// What a crash leaves of `all` when it strikes as the last batch starts:
/// the prompt, every turn, and the last model message with its calls, none
/// of them answered. With eager start a call may finish, and be journaled,
/// before the message that asks for it: such results of the last batch are
/// left out, so every run resumes the same work.
fn last_batch_asked(all: &[JournalEntry]) -> Vec<JournalEntry> {
    let is_ask = |e: &JournalEntry| {
        matches!(e, JournalEntry::Message { message }
            if message.tool_uses().next().is_some())
    };
    let is_user = |e: &JournalEntry| matches!(e, JournalEntry::Message { message } if message.role == Role::User);
    let last_ask = all.iter().rposition(is_ask).unwrap_or(0);
    let batch_start = all[..last_ask]
        .iter()
        .rposition(is_user)
        .map_or(0, |i| i + 1);
    all[..=last_ask.min(all.len().saturating_sub(1))]
        .iter()
        .enumerate()
        .filter(|(i, e)| *i < batch_start || !matches!(e, JournalEntry::ToolResult { .. }))
        .map(|(_, e)| e.clone())
        .collect()
}

/// The table on stdout, or (`--json` alone) the JSON there instead;
/// `--out FILE` writes the JSON to the file beside the table.
fn print(report: &SessionsReport, args: &BenchArgs) -> Result<(), Failure> {
    let json = || {
        serde_json::to_string_pretty(report)
            .map_err(|e| Failure::Other(format!("cannot write the figures as JSON: {e}")))
    };
    if args.json && args.out.is_none() {
        println!("{}", json()?);
        return Ok(());
    }
    println!("runs: {} (medians, ms)", report.runs);
    println!(
        "{:<22} {:>10} {:>10} {:>8} {:>12} {:>12}",
        "case", "no store", "sqlite", "entries", "+ per run", "+ per entry"
    );
    for c in &report.cases {
        println!(
            "{:<22} {:>10.1} {:>10.1} {:>8} {:>12.2} {:>12.3}",
            c.id,
            c.no_store_ms.median_ms,
            c.sqlite_ms.median_ms,
            c.entries_per_run,
            c.overhead_per_run_ms,
            c.overhead_per_entry_ms
        );
    }
    let r = &report.resume;
    println!(
        "resume after a crash in a {}-turn session ({} entries): restore {:.1} ms, to the answer {:.1} ms",
        r.turns, r.entries, r.restore_ms.median_ms, r.resume_ms.median_ms
    );
    if let Some(path) = &args.out {
        std::fs::write(path, json()? + "\n")
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}
