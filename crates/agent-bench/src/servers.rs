//! The local Converse servers a bench plays its cases against, on 127.0.0.1
//! over HTTP, each with the real Bedrock backend (AWS SDK) pointed at it.
//!
//! The servers run on a tokio runtime of their own (one worker thread), so
//! the agent's runtime is the bench's, as in `agent run`, and the server's
//! work does not queue behind the agent's tasks. They are in the same
//! process, so they share its two cores and its memory figure.

use std::sync::Arc;
use std::time::Duration;

use agent_cli::backend;
use agent_cli::exit::Failure;
use agent_core::ModelBackend;
use agent_testkit::Scenario;
use bedrock_client::mock::MockServer;

/// A local server and the backend that talks to it.
pub struct Served {
    /// The server (dropping it stops it).
    pub server: MockServer,
    /// The real Bedrock backend, pointed at the server.
    pub backend: Arc<dyn ModelBackend>,
}

/// The runtime the servers run on, and what every server plays. Drop the
/// [`Served`] it started before it: dropping it stops its runtime.
pub struct ServerRuntime {
    scenarios: Vec<Scenario>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl ServerRuntime {
    /// A one-thread runtime for servers that play `scenarios` besides the
    /// reference ones (so any FANOUT-n or CHAIN-k plays).
    pub fn new(scenarios: Vec<Scenario>) -> Result<Self, Failure> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("bench-server")
            .enable_all()
            .build()
            .map_err(|e| Failure::Other(format!("cannot start the server runtime: {e}")))?;
        Ok(Self {
            scenarios,
            runtime: Some(runtime),
        })
    }

    /// Starts a server with `latency` per model call; `record` keeps every
    /// request (only for short uses: the record grows).
    pub async fn start(&self, latency: Duration, record: bool) -> Result<Served, Failure> {
        self.start_with(latency, record, false, false).await
    }

    /// As [`ServerRuntime::start`]; `paced`: a streamed answer's blocks are
    /// spread over the latency (`MockServerBuilder::pace_stream`), as a
    /// model writes, for eager start to show; `wire_tokens`: every
    /// request's input tokens counted from its body, as the prompt cache
    /// counts them (`MockServerBuilder::wire_token_counts`).
    pub async fn start_with(
        &self,
        latency: Duration,
        record: bool,
        paced: bool,
        wire_tokens: bool,
    ) -> Result<Served, Failure> {
        let Some(rt) = &self.runtime else {
            return Err(Failure::Other("the server runtime is gone".into()));
        };
        let builder = MockServer::builder()
            .latency(latency)
            .record(record)
            .wire_token_counts(wire_tokens)
            .pace_stream(paced)
            .scenarios(self.scenarios.clone());
        let server = rt
            .spawn(async move { builder.start().await })
            .await
            .map_err(|e| Failure::Other(format!("the local server task failed: {e}")))?
            .map_err(|e| Failure::Other(format!("cannot start the local server: {e}")))?;
        let backend = backend::local_bedrock(&server.endpoint_url()).await?;
        Ok(Served { server, backend })
    }
}

/// Shut down without blocking, so the bench can drop it from async code (a
/// plain `Runtime` panics there).
impl Drop for ServerRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
