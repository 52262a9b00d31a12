//! The backend conformance suite (`agent_testkit::conformance`) against
//! the local Messages API server, over real HTTP on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use agent_testkit::conformance::{BoxError, Fault, Harness, Setup, Target};
use anthropic_client::AnthropicBackend;
use anthropic_client::mock::{self, MockServer};
use async_trait::async_trait;

struct Anthropic;

fn fault(f: &Fault) -> mock::Fault {
    match f {
        Fault::Throttle { retry_after } => mock::Fault::RateLimit {
            retry_after: *retry_after,
        },
        Fault::Unavailable => mock::Fault::Overloaded,
        Fault::CutStream => mock::Fault::CutStream,
        Fault::Reject => mock::Fault::Error {
            status: 400,
            error_type: "invalid_request_error".into(),
            message: "messages.0.content: refused (injected)".into(),
        },
    }
}

#[async_trait]
impl Harness for Anthropic {
    async fn start(&self, setup: Setup) -> Result<Target, BoxError> {
        let server = MockServer::builder()
            .api_key("conformance-key")
            .scenarios(setup.scenarios)
            .faults(setup.faults.iter().map(fault))
            .start()
            .await?;
        let backend = AnthropicBackend::builder()
            .base_url(server.base_url())
            .api_key("conformance-key")
            .build()?;
        Ok(Target::new(Arc::new(backend), move || {
            server
                .requests()
                .into_iter()
                .filter_map(|r| r.request)
                .collect()
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_anthropic_backend_passes_the_conformance_suite() {
    let report = agent_testkit::conformance::run(&Anthropic).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
}
