//! The whole stack a case runs through: the demo plugin loaded as a dynamic
//! library, the local Converse server over HTTP on 127.0.0.1 (one per model
//! latency), the real Bedrock backend (AWS SDK) pointed at it, and the CLI's
//! own agent assembly.
//!
//! The servers run on a tokio runtime of their own (one worker thread), so
//! the agent's runtime is the CLI's, as in `agent run`, and the server's
//! work does not queue behind the agent's tasks. They are in the same
//! process, so they share its two cores and its memory figure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agent_core::{Agent, ModelBackend};
use agent_testkit::Scenario;
use bedrock_client::mock::MockServer;
use tool_api::ToolRegistry;
use tool_api::plugin::host::LoadedPlugin;

use crate::config::Settings;
use crate::exit::Failure;
use crate::{assemble, backend, plugins};

/// The settings of a bench agent: the CLI's built-in defaults (no flags,
/// environment or config file, so nothing on the machine changes what is
/// measured), except the concurrency limit (`None`: no limit), the mode, and
/// enough turns for any chain.
pub fn settings(
    streaming: bool,
    max_concurrency: Option<usize>,
    max_iterations: u32,
) -> Result<Settings, Failure> {
    let mut settings = Settings::defaults()?;
    settings.max_concurrency.value = max_concurrency.unwrap_or(0);
    settings.max_iterations.value = max_iterations;
    settings.stream.value = streaming;
    Ok(settings)
}

/// A tokio runtime that is shut down without blocking when dropped, so the
/// bench can drop it from async code (a plain `Runtime` panics there).
struct ServerRuntime(Option<tokio::runtime::Runtime>);

impl Drop for ServerRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// A local server and the backend that talks to it.
pub struct Served {
    /// The server (dropping it stops it).
    pub server: MockServer,
    /// The real Bedrock backend, pointed at the server.
    pub backend: Arc<dyn ModelBackend>,
}

/// Plugin, servers and backends, shared by every case.
pub struct Stack {
    /// The demo plugin's tools.
    pub tools: ToolRegistry,
    /// The demo plugin's file.
    pub plugin_path: PathBuf,
    scenarios: Vec<Scenario>,
    servers: BTreeMap<(u64, bool), Served>,
    // Field order matters: servers drop before their runtime.
    runtime: ServerRuntime,
    _loaded: Vec<LoadedPlugin>,
}

impl Stack {
    /// Loads the demo plugin (`plugin`, or found as `agent demo` finds it)
    /// and prepares a server runtime; `scenarios` are added to every server
    /// (besides the reference ones), so any FANOUT-n or CHAIN-k plays.
    pub fn new(plugin: Option<&Path>, scenarios: Vec<Scenario>) -> Result<Self, Failure> {
        let plugin_path = plugins::demo_plugin(plugin)?;
        let (tools, loaded) = plugins::load(std::slice::from_ref(&plugin_path), None)?;
        if tools.get("sleep_tool").is_none() {
            return Err(Failure::Plugin(format!(
                "{} has no `sleep_tool`: it is not the demo plugin",
                plugin_path.display()
            )));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("bench-server")
            .enable_all()
            .build()
            .map_err(|e| Failure::Other(format!("cannot start the server runtime: {e}")))?;
        Ok(Self {
            tools,
            plugin_path,
            scenarios,
            servers: BTreeMap::new(),
            runtime: ServerRuntime(Some(runtime)),
            _loaded: loaded,
        })
    }

    /// Starts a server with `latency` on the server runtime; `record` keeps
    /// every request (only for short uses: the record grows).
    pub async fn start_server(&self, latency: Duration, record: bool) -> Result<Served, Failure> {
        let Some(rt) = &self.runtime.0 else {
            return Err(Failure::Other("the server runtime is gone".into()));
        };
        let builder = MockServer::builder()
            .latency(latency)
            .record(record)
            .scenarios(self.scenarios.clone());
        let server = rt
            .spawn(async move { builder.start().await })
            .await
            .map_err(|e| Failure::Other(format!("the local server task failed: {e}")))?
            .map_err(|e| Failure::Other(format!("cannot start the local server: {e}")))?;
        let backend = backend::local_bedrock(&server.endpoint_url()).await?;
        Ok(Served { server, backend })
    }

    /// The (non-recording) server and backend for `latency`, started on first use.
    pub async fn served(&mut self, latency: Duration) -> Result<&Served, Failure> {
        let key = (
            u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            false,
        );
        if !self.servers.contains_key(&key) {
            let served = self.start_server(latency, false).await?;
            self.servers.insert(key, served);
        }
        self.servers
            .get(&key)
            .ok_or_else(|| Failure::Other("the local server vanished".into()))
    }

    /// An agent over `backend` and the plugin's tools, assembled as the CLI
    /// assembles it.
    pub fn agent(
        &self,
        backend: Arc<dyn ModelBackend>,
        streaming: bool,
        max_concurrency: Option<usize>,
        max_iterations: u32,
    ) -> Result<Agent, Failure> {
        assemble::agent(
            backend,
            self.tools.clone(),
            &settings(streaming, max_concurrency, max_iterations)?,
        )
    }
}
