//! The backend conformance suite: one set of checks that every
//! [`agent_core::ModelBackend`] passes against a local server of its
//! own wire protocol — Bedrock, the Anthropic API, OpenAI-compatible
//! servers, the scripted backend, and yours.
//!
//! A backend author implements [`Harness`] (start a server playing a
//! [`Setup`], return a [`Target`]) and calls [`run`]. Each [`Case`] starts a
//! fresh server, runs the real [`agent_core::Agent`] with the in-process
//! reference tools against the backend, and checks the answer, the events,
//! and what the server received (converted back to core types by the
//! [`Target`]). Cases use real time with tiny retry delays and short tools:
//! a whole run takes a few seconds, most of it the reference queries'
//! fixed tool delays (≤ 1.6 s, twice).
//!
//! # Example
//!
//! The scripted backend has no server; a faulted request is played as an
//! injected error:
//!
//! ```
//! use std::sync::Arc;
//! use agent_testkit::ScriptedBackend;
//! use agent_testkit::conformance::{BoxError, Harness, Setup, Target};
//!
//! struct Scripted;
//!
//! #[async_trait::async_trait]
//! impl Harness for Scripted {
//!     async fn start(&self, setup: Setup) -> Result<Target, BoxError> {
//!         let faults = setup.faults.iter().map(|f| f.to_model_error());
//!         let backend = Arc::new(ScriptedBackend::new(setup.scenarios).with_faults(faults));
//!         let seen = backend.clone();
//!         Ok(Target::new(backend, move || seen.requests()))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use agent_testkit::conformance::{Case, run_cases};
//! let report = run_cases(&Scripted, &[Case::Chain]).await;
//! assert!(report.passed(), "{report}");
//! # }
//! ```
//!
//! # Layout
//!
//! - `harness.rs`: what a backend author implements ([`Harness`], [`Setup`],
//!   [`Target`], [`Fault`]);
//! - `cases/`: the [`Case`]s, one family per file;
//! - `fixtures.rs`, `session.rs`, `checks.rs`: what the cases share (the
//!   tools and texts, a started server with its agent, the checks);
//! - here: running cases and the [`Report`].

/// Fails the enclosing check with a formatted reason unless `$cond` holds.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

mod cases;
mod checks;
mod fixtures;
mod harness;
mod session;

use std::fmt;
use std::time::{Duration, Instant};

pub use cases::Case;
pub use fixtures::{LONG_ANSWER, SYSTEM_PROMPT, TOOL_FAILURE};
pub use harness::{BoxError, Fault, Harness, Setup, Target};

/// How long one case may take before it fails as hung.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(60);

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// Which case.
    pub case: Case,
    /// How long it took (real time).
    pub elapsed: Duration,
    /// Why it failed, or `None` if it passed.
    pub failure: Option<String>,
}

/// The outcomes of a conformance run; `Display` prints one line per case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// One result per case, in run order.
    pub results: Vec<CaseResult>,
}

impl Report {
    /// Whether every case passed.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.failure.is_none())
    }

    /// The cases that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.failure.is_some())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failures().count();
        writeln!(
            f,
            "backend conformance: {} passed, {failed} failed",
            self.results.len() - failed
        )?;
        for r in &self.results {
            let ms = r.elapsed.as_secs_f64() * 1000.0;
            match &r.failure {
                None => writeln!(f, "  ok   {} ({ms:.0} ms)", r.case)?,
                Some(why) => writeln!(f, "  FAIL {} ({ms:.0} ms): {why}", r.case)?,
            }
        }
        Ok(())
    }
}

/// Runs every [`Case`] against `harness`, one after another, and reports.
/// Needs a tokio runtime with the time driver (a `#[tokio::test]` has one);
/// use real time, not a paused clock, when the harness serves over sockets.
pub async fn run(harness: &dyn Harness) -> Report {
    run_cases(harness, &Case::ALL).await
}

/// Runs the given cases only (to debug one, say).
pub async fn run_cases(harness: &dyn Harness, cases: &[Case]) -> Report {
    let mut report = Report::default();
    for &case in cases {
        let start = Instant::now();
        let failure = match tokio::time::timeout(CASE_TIMEOUT, case.run(harness)).await {
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some(format!(
                "did not finish within {CASE_TIMEOUT:?}: a request or stream hangs"
            )),
        };
        report.results.push(CaseResult {
            case,
            elapsed: start.elapsed(),
            failure,
        });
    }
    report
}
