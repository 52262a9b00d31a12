//! `agent demo`: the reference queries with the demo tools, through the
//! real stack. Offline by default: a local Converse server over HTTP and
//! the real Bedrock backend (AWS SDK). With `--backend`, a real model
//! answers the same prompts, with the same live view.
//!
//! The demo tools are built into the binary (the `reference-tools` crate,
//! run in process), so an installed or copied `agent` runs the demo with
//! nothing beside it; `--plugin PATH` loads them from the demo plugin
//! library instead, through the plugin ABI.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use agent_core::{AgentRun, Conversation, ModelBackend};
use agent_testkit::{Scenario, reference};
use bedrock_client::mock::MockServer;
use serde::Serialize;
use tool_api::ToolRegistry;
use tool_api::plugin::host::LoadedPlugin;

use crate::cli::{DemoArgs, QueryChoice};
use agent_cli::exit::Failure;
use agent_cli::render::{Mode, comparison_line};
use agent_cli::settings::{McpTable, ProcessEnv, Settings};
use agent_cli::signals::Signals;
use agent_cli::{assemble, backend, plugins, session, sources};

#[derive(Serialize)]
struct DemoDocument<'a> {
    sequential: bool,
    /// `local` (the offline server) or the real backend's name.
    backend: &'a str,
    /// The local server's URL; `None` for a real backend.
    endpoint_url: Option<&'a str>,
    /// The plugin library; `None` when the tools run in process.
    plugin: Option<String>,
    queries: Vec<QueryDocument<'a>>,
}

#[derive(Serialize)]
struct QueryDocument<'a> {
    id: &'a str,
    prompt: &'a str,
    /// The parallel floor of the scripted work; `None` for a real model,
    /// which chooses its own calls.
    #[serde(with = "agent_core::duration_ms::option", rename = "limit_ms")]
    limit: Option<Duration>,
    #[serde(flatten)]
    run: agent_cli::json::RunDocument<'a>,
}

/// Where the demo tools come from.
struct DemoTools {
    tools: ToolRegistry,
    plugin: Option<PathBuf>,
    /// The plugin libraries loaded (kept loaded while their tools may run).
    loaded: Vec<LoadedPlugin>,
}

impl DemoTools {
    /// The plugin at `--plugin` (or `AGENT_DEMO_PLUGIN`), else the copy
    /// built into the binary; plus the tools of the `mcp` servers.
    async fn load(
        explicit: Option<PathBuf>,
        mcp: &BTreeMap<String, McpTable>,
    ) -> Result<Self, Failure> {
        let explicit =
            explicit.or_else(|| std::env::var_os("AGENT_DEMO_PLUGIN").map(PathBuf::from));
        let files: Vec<PathBuf> = explicit.iter().cloned().collect();
        let loaded = sources::load(&files, None, &BTreeMap::new(), mcp).await?;
        let mut tools = loaded.registry;
        if explicit.is_none() {
            for t in reference::tools().iter() {
                tools
                    .register(t.tool.clone(), t.source.clone())
                    .map_err(|e| Failure::Plugin(e.to_string()))?;
            }
        }
        Ok(Self {
            tools,
            plugin: explicit,
            loaded: loaded.plugins,
        })
    }

    /// For the header: where the tools run.
    fn describe(&self) -> String {
        match &self.plugin {
            Some(path) if self.loaded.is_empty() => format!("demo plugin {}", path.display()),
            Some(_) => self
                .loaded
                .iter()
                .map(plugins::loaded_line)
                .collect::<Vec<_>>()
                .join(", "),
            None => "demo tools built into agent (in process; --plugin PATH loads the plugin \
                     library instead)"
                .to_owned(),
        }
    }
}

/// The model the demo talks to.
enum Model {
    /// The local Converse server, playing the reference scenarios.
    Local {
        server: MockServer,
        latency: Duration,
    },
    /// A real service, chosen by `--backend`.
    Real {
        name: String,
        settings: Box<Settings>,
    },
}

impl Model {
    async fn start(args: &DemoArgs) -> Result<(Self, std::sync::Arc<dyn ModelBackend>), Failure> {
        match args.overrides() {
            None => {
                let latency = Duration::from_millis(args.latency_ms);
                let server = MockServer::builder()
                    .latency(latency)
                    .scenarios([reference::subagents()])
                    .start()
                    .await
                    .map_err(|e| {
                        Failure::Other(format!("cannot start the local Converse server: {e}"))
                    })?;
                let backend = backend::local_bedrock(&server.endpoint_url()).await?;
                Ok((Self::Local { server, latency }, backend))
            }
            Some(overrides) => {
                let settings = Settings::resolve(&overrides, &ProcessEnv)?;
                settings.validate().map_err(Failure::Usage)?;
                let backend = backend::from_settings(&settings).await?;
                let name = settings.backend.value.to_string();
                Ok((
                    Self::Real {
                        name,
                        settings: Box::new(settings),
                    },
                    backend,
                ))
            }
        }
    }

    fn header(&self) -> String {
        match self {
            Self::Local { server, .. } => {
                format!("local Converse server at {}", server.endpoint_url())
            }
            Self::Real { name, settings } => format!(
                "{name} backend, model {}{}",
                settings.model.value,
                settings
                    .base_url
                    .value
                    .as_ref()
                    .or(settings.endpoint_url.value.as_ref())
                    .map(|u| format!(" at {u}"))
                    .unwrap_or_default()
            ),
        }
    }

    /// The scripted work's floor; only the local server plays a script.
    fn limit(&self, scenario: &Scenario) -> Option<Duration> {
        match self {
            Self::Local { latency, .. } => Some(reference::limit(scenario, *latency)),
            Self::Real { .. } => None,
        }
    }

    fn settings(&self) -> Result<Settings, Failure> {
        match self {
            // The offline demo's settings: defaults (no file, no env).
            Self::Local { .. } => Ok(Settings::defaults()?),
            Self::Real { settings, .. } => Ok((**settings).clone()),
        }
    }
}

/// Runs the chosen reference queries and shows the parallel gain.
pub async fn demo(args: DemoArgs) -> Result<(), Failure> {
    let scenarios: Vec<Scenario> = reference::queries()
        .into_iter()
        .filter(|_| !args.subagents)
        .chain(args.subagents.then(reference::subagents))
        .filter(|s| {
            args.subagents
                || match args.query {
                    QueryChoice::All => true,
                    QueryChoice::Q1 => s.name == "Q1",
                    QueryChoice::Q2 => s.name == "Q2",
                    QueryChoice::Q3 => s.name == "Q3",
                    QueryChoice::Q4 => s.name == "Q4",
                }
        })
        .collect();
    let mcp = args.mcp.iter().cloned().collect();
    let demo_tools = DemoTools::load(args.plugin.clone(), &mcp).await?;
    let (model, backend) = Model::start(&args).await?;
    let mut settings = model.settings()?;
    agent_cli::name_check::warn(&settings, demo_tools.tools.names());
    if args.sequential {
        settings.max_concurrency.value = 1;
    }
    let agent = if args.subagents {
        // The lead's one tool is a researcher: an agent with the demo tools.
        let researcher = assemble::agent(backend.clone(), demo_tools.tools.clone(), &settings)?;
        let mut lead_tools = ToolRegistry::new();
        let tool = researcher.as_tool(
            "researcher",
            "A research assistant with weather, stock, distance and restaurant tools: give it \
             one question, it looks everything up and answers.",
        );
        lead_tools
            .register(std::sync::Arc::new(tool), "sub-agent")
            .map_err(|e| Failure::Plugin(e.to_string()))?;
        assemble::agent(backend, lead_tools, &settings)?
    } else {
        assemble::agent(backend, demo_tools.tools.clone(), &settings)?
    };
    // The reference limits know the demo tools' delays, not a sub-agent's.
    let limit = |s: &Scenario| model.limit(s).filter(|_| !args.subagents);
    let attachments = args.attach.load()?;
    let mode = Mode::detect(args.json);
    if mode != Mode::Quiet {
        eprintln!(
            "{}; {}; tools run {}",
            model.header(),
            demo_tools.describe(),
            if args.sequential {
                "one at a time"
            } else {
                "concurrently"
            }
        );
    }
    let signals = Signals::listen(false);
    let (cancel, _watching) = signals.token();
    let mut runs: Vec<(String, AgentRun)> = Vec::new();
    for scenario in &scenarios {
        let prompt = scenario.prompt.clone().unwrap_or_default();
        if mode != Mode::Quiet {
            eprintln!("\n── {}: {prompt}", scenario.name);
        }
        let result = session::show_start(
            &agent,
            &mut Conversation::new(),
            session::Start::Attached(&prompt, attachments.clone()),
            mode,
            cancel.clone(),
            None,
        )
        .await;
        match result {
            Ok(run) => {
                // The limit is the parallel floor; next to a sequential run
                // it would only say how much running in parallel saves,
                // which the summary line already does.
                if let Some(limit) = limit(scenario)
                    && mode != Mode::Quiet
                    && !args.sequential
                {
                    eprintln!(
                        "limit {:.2} s (model latency + slowest tool per turn); overhead {:+.1} ms",
                        limit.as_secs_f64(),
                        (run.metrics.wall.as_secs_f64() - limit.as_secs_f64()) * 1000.0
                    );
                }
                runs.push((scenario.name.clone(), run));
            }
            Err(e) => {
                return session::conclude(
                    Err(e),
                    args.json.then_some(agent_cli::json::Layout::Document),
                    &signals,
                );
            }
        }
    }
    if args.json {
        let endpoint = match &model {
            Model::Local { server, .. } => Some(server.endpoint_url()),
            Model::Real { .. } => None,
        };
        let queries = scenarios
            .iter()
            .zip(&runs)
            .map(|(s, (_, run))| QueryDocument {
                id: &s.name,
                prompt: s.prompt.as_deref().unwrap_or_default(),
                limit: limit(s),
                run: agent_cli::json::RunDocument::new(run, None),
            })
            .collect();
        agent_cli::json::print(&DemoDocument {
            sequential: args.sequential,
            backend: match &model {
                Model::Local { .. } => "local",
                Model::Real { name, .. } => name,
            },
            endpoint_url: endpoint.as_deref(),
            plugin: demo_tools.plugin.as_ref().map(|p| p.display().to_string()),
            queries,
        })?;
    } else if runs.len() > 1 {
        eprintln!("\n{}", comparison_line(&runs));
    }
    Ok(())
}
