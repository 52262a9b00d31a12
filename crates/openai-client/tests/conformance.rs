//! The backend conformance suite (`agent_testkit::conformance`) against
//! the local Chat Completions server, over real HTTP on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use agent_core::{ContentBlock, ModelRequest, ToolResultContent, ToolResultStatus};
use agent_testkit::conformance::{BoxError, Fault, Harness, Setup, Target};
use async_trait::async_trait;
use openai_client::OpenAiBackend;
use openai_client::convert::ERROR_PREFIX;
use openai_client::mock::{self, MockServer};

struct OpenAi;

fn fault(f: &Fault) -> mock::Fault {
    match f {
        Fault::Throttle { retry_after } => mock::Fault::RateLimit {
            retry_after: *retry_after,
        },
        Fault::Unavailable => mock::Fault::Overloaded,
        Fault::CutStream => mock::Fault::CutStream,
        Fault::Reject => mock::Fault::Error {
            status: 400,
            code: None,
            message: "Invalid 'messages[0].content': refused (injected)".into(),
        },
    }
}

/// `request` (the server's view) with the client's failed results marked
/// as errors. Chat Completions has no error flag: the client writes a
/// failure as text starting with its [`ERROR_PREFIX`], and the server, which
/// knows nothing of the client, reads every result as a success.
fn with_error_results(mut request: ModelRequest) -> ModelRequest {
    for message in &mut request.messages {
        for block in &mut message.content {
            if let ContentBlock::ToolResult(r) = block {
                let failed = r.content.iter().any(
                    |c| matches!(c, ToolResultContent::Text(t) if t.starts_with(ERROR_PREFIX)),
                );
                if failed {
                    r.status = ToolResultStatus::Error;
                }
            }
        }
    }
    request
}

#[async_trait]
impl Harness for OpenAi {
    async fn start(&self, setup: Setup) -> Result<Target, BoxError> {
        let server = MockServer::builder()
            .api_key("conformance-key")
            .scenarios(setup.scenarios)
            .faults(setup.faults.iter().map(fault))
            .start()
            .await?;
        let backend = OpenAiBackend::builder()
            .base_url(server.base_url())
            .api_key("conformance-key")
            .model("mock-model")
            .build()?;
        Ok(Target::new(Arc::new(backend), move || {
            server
                .requests()
                .into_iter()
                .filter_map(|r| r.request)
                .map(with_error_results)
                .collect()
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openai_backend_passes_the_conformance_suite() {
    let report = agent_testkit::conformance::run(&OpenAi).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
}
