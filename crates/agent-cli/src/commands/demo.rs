//! `agent demo`: the reference queries, fully offline, through the real
//! stack: local Converse server over HTTP, real Bedrock backend (AWS SDK),
//! demo plugin loaded as a dynamic library.

use std::time::Duration;

use agent_core::{AgentRun, Conversation};
use agent_testkit::{Scenario, reference};
use bedrock_client::mock::MockServer;
use serde::Serialize;

use crate::cli::{DemoArgs, QueryChoice};
use agent_cli::exit::Failure;
use agent_cli::render::{Mode, comparison_line};
use agent_cli::settings::Settings;
use agent_cli::signals::Signals;
use agent_cli::{assemble, backend, plugins, session, sources};

#[derive(Serialize)]
struct DemoDocument<'a> {
    sequential: bool,
    endpoint_url: &'a str,
    plugin: String,
    queries: Vec<QueryDocument<'a>>,
}

#[derive(Serialize)]
struct QueryDocument<'a> {
    id: &'a str,
    prompt: &'a str,
    #[serde(with = "agent_core::duration_ms", rename = "limit_ms")]
    limit: Duration,
    #[serde(flatten)]
    run: agent_cli::json::RunDocument<'a>,
}

/// Runs the chosen reference queries and shows the parallel gain.
pub async fn demo(args: DemoArgs) -> Result<(), Failure> {
    let scenarios: Vec<Scenario> = reference::queries()
        .into_iter()
        .filter(|s| match args.query {
            QueryChoice::All => true,
            QueryChoice::Q1 => s.name == "Q1",
            QueryChoice::Q2 => s.name == "Q2",
            QueryChoice::Q3 => s.name == "Q3",
            QueryChoice::Q4 => s.name == "Q4",
        })
        .collect();
    let plugin = plugins::demo_plugin(args.plugin.as_deref())?;
    let mcp = args.mcp.iter().cloned().collect();
    let sources = sources::load(
        std::slice::from_ref(&plugin),
        None,
        &std::collections::BTreeMap::new(),
        &mcp,
    )
    .await?;
    let (tools, loaded) = (sources.registry, sources.plugins);
    let latency = Duration::from_millis(args.latency_ms);
    let server = MockServer::builder()
        .latency(latency)
        .start()
        .await
        .map_err(|e| Failure::Other(format!("cannot start the local Converse server: {e}")))?;
    let endpoint = server.endpoint_url();
    let backend = backend::local_bedrock(&endpoint).await?;

    // The demo's settings: defaults (no file, no env), one at a time if asked.
    let mut settings = Settings::defaults()?;
    if args.sequential {
        settings.max_concurrency.value = 1;
    }
    let agent = assemble::agent(backend, tools, &settings)?;
    let mode = Mode::detect(args.json);
    if mode != Mode::Quiet {
        let described: Vec<String> = loaded.iter().map(plugins::loaded_line).collect();
        eprintln!(
            "local Converse server at {endpoint}; {}; tools run {}",
            described.join(", "),
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
        let result = session::show(
            &agent,
            &mut Conversation::new(),
            &prompt,
            mode,
            cancel.clone(),
        )
        .await;
        match result {
            Ok(run) => {
                // The limit is the parallel floor; next to a sequential run
                // it would only say how much running in parallel saves,
                // which the summary line already does.
                if mode != Mode::Quiet && !args.sequential {
                    let limit = reference::limit(scenario, latency);
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
        let queries = scenarios
            .iter()
            .zip(&runs)
            .map(|(s, (_, run))| QueryDocument {
                id: &s.name,
                prompt: s.prompt.as_deref().unwrap_or_default(),
                limit: reference::limit(s, latency),
                run: agent_cli::json::RunDocument::new(run, None),
            })
            .collect();
        agent_cli::json::print(&DemoDocument {
            sequential: args.sequential,
            endpoint_url: &endpoint,
            plugin: plugin.display().to_string(),
            queries,
        })?;
    } else if runs.len() > 1 {
        eprintln!("\n{}", comparison_line(&runs));
    }
    Ok(())
}
