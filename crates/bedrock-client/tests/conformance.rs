//! The backend conformance suite (`agent_testkit::conformance`), run
//! for `BedrockBackend` against the local Converse server: the real Agent,
//! the real SDK, real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use agent_testkit::conformance::{self, BoxError, Fault as CaseFault, Harness, Setup, Target};
use bedrock_client::mock::{Fault, MockServer};

/// Starts a fresh local server per case; the case's faults are the
/// server's scripted faults, its scenarios the only ones played.
struct Bedrock;

#[async_trait::async_trait]
impl Harness for Bedrock {
    async fn start(&self, setup: Setup) -> Result<Target, BoxError> {
        let mut builder = MockServer::builder()
            .without_reference()
            .scenarios(setup.scenarios);
        let mut faults = Vec::new();
        for fault in &setup.faults {
            faults.push(match fault {
                CaseFault::Throttle { retry_after } => {
                    if let Some(after) = retry_after {
                        builder = builder.retry_after(*after);
                    }
                    Fault::Throttle
                }
                CaseFault::Unavailable => Fault::Unavailable,
                CaseFault::CutStream => Fault::StreamCut,
                CaseFault::Reject => Fault::Reject,
            });
        }
        let server = Arc::new(builder.fail_next(faults).start().await?);
        let backend = common::backend(&server).await;
        let seen = Arc::clone(&server);
        Ok(Target::new(Arc::new(backend), move || {
            seen.requests()
                .iter()
                .filter_map(|r| r.model_request().ok())
                .collect()
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bedrock_passes_the_backend_conformance_suite() {
    let report = conformance::run(&Bedrock).await;
    assert!(report.passed(), "{report}");
    eprintln!("{report}");
}
