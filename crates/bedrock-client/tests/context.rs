//! Context management through the real SDK and the local Converse server
//! on 127.0.0.1: the server refuses an over-long input with Bedrock's own
//! text, the backend reads it as a context overflow, the sliding window
//! drops old exchanges and the turn goes through; with a window set, the
//! backend's CountTokens confirms the estimate before any refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use agent_core::context::SlidingWindow;
use agent_core::{Agent, EventKind, ModelErrorKind};
use agent_testkit::reference;
use bedrock_client::mock::{MockServer, Outcome};
use common::{backend, fast_tools, tiny_backoff};

const TURNS: usize = 30;

async fn agent(server: &MockServer, window: Option<u64>) -> Agent {
    let mut builder = Agent::builder()
        .backend(Arc::new(backend(server).await))
        .tools(fast_tools())
        .model_retry(tiny_backoff())
        .max_iterations(TURNS as u32 + 5)
        .context_manager(SlidingWindow);
    if let Some(w) = window {
        builder = builder.context_window(w);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn an_overflow_bedrock_reports_is_recovered_by_the_sliding_window() {
    let server = MockServer::builder()
        .scenarios([reference::chain(TURNS)])
        .max_input_tokens(1500)
        .start()
        .await
        .unwrap();
    let agent = agent(&server, None).await;
    let run = agent.run(&reference::chain_prompt(TURNS)).await.unwrap();
    assert_eq!(run.metrics.tool_calls as usize, TURNS);
    let refused: Vec<_> = server
        .requests()
        .into_iter()
        .filter_map(|r| match r.outcome {
            Outcome::Rejected { message, .. } => Some(message),
            _ => None,
        })
        .collect();
    assert!(!refused.is_empty());
    assert!(
        refused
            .iter()
            .all(|m| m == "Input is too long for requested model.")
    );
    let overflows = run
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::ModelCallFailed {
                    kind: ModelErrorKind::ContextOverflow,
                    ..
                }
            )
        })
        .count();
    let reduced = run
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ContextReduced { overflow: true, .. }))
        .count();
    assert_eq!(overflows, refused.len());
    assert_eq!(reduced, overflows);
}

#[tokio::test]
async fn with_a_window_count_tokens_is_asked_and_nothing_is_refused() {
    let server = MockServer::builder()
        .scenarios([reference::chain(TURNS)])
        .max_input_tokens(1500)
        .start()
        .await
        .unwrap();
    let agent = agent(&server, Some(1400)).await;
    let run = agent.run(&reference::chain_prompt(TURNS)).await.unwrap();
    assert_eq!(run.metrics.tool_calls as usize, TURNS);
    let seen = server.requests();
    assert!(
        seen.iter()
            .any(|r| matches!(r.outcome, Outcome::Counted { .. }))
    );
    assert!(
        !seen
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Rejected { .. }))
    );
}
