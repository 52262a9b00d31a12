//! `--cache-tokens`: what prompt caching saves, in input tokens, over
//! CHAIN-k (default CHAIN-20): the same run with `--cache off` and
//! `--cache auto`, each on a fresh local server (the cache is the
//! server's), through the CLI's agent assembly and the real Bedrock
//! backend. Tokens, not time: the figures are the local server's (4 bytes a
//! token; a prefix cache as the service keeps one), so they compare the
//! two settings, not a bill.

use std::time::Duration;

use agent_cli::exit::Failure;
use agent_core::Usage;
use agent_testkit::reference;
use serde::Serialize;

use crate::agents;
use crate::demo_plugin::DemoPlugin;
use crate::servers::ServerRuntime;

/// Cache reads cost this fraction of the full input price (Bedrock's and
/// Anthropic's published ratio for Claude).
const READ_PRICE: f64 = 0.1;
/// Cache writes (5-minute TTL) cost this multiple of it.
const WRITE_PRICE: f64 = 1.25;

/// One setting's figures.
#[derive(Debug, Serialize)]
pub struct CacheFigures {
    /// `off` or `auto`.
    pub cache: &'static str,
    /// Input tokens billed at full price.
    pub full_price_input_tokens: u64,
    /// Input tokens read from the cache.
    pub cache_read_input_tokens: u64,
    /// Input tokens written to the cache.
    pub cache_write_input_tokens: u64,
    /// Every input token, whatever its price.
    pub total_input_tokens: u64,
    /// The input's cost in full-price tokens (reads at 0.1, writes at 1.25).
    pub billed_equivalent: f64,
}

impl CacheFigures {
    fn of(cache: &'static str, u: Usage) -> Self {
        Self {
            cache,
            full_price_input_tokens: u.input_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens,
            cache_write_input_tokens: u.cache_write_input_tokens,
            total_input_tokens: u.total_input_tokens(),
            billed_equivalent: u.input_tokens as f64
                + READ_PRICE * u.cache_read_input_tokens as f64
                + WRITE_PRICE * u.cache_write_input_tokens as f64,
        }
    }
}

/// Runs CHAIN-`k` without and with caching; prints a table, or the JSON
/// figures with `json`.
pub async fn cache_tokens(k: usize, plugin: &DemoPlugin, json: bool) -> Result<(), Failure> {
    let chain = reference::chain(k);
    let prompt = chain.prompt.clone().unwrap_or_default();
    let runtime = ServerRuntime::new(vec![chain.clone()])?;
    let max_iterations = u32::try_from(chain.turns.len() + 1).unwrap_or(u32::MAX);
    let mut figures = Vec::new();
    for cache in ["off", "auto"] {
        let served = runtime
            .start_with(Duration::ZERO, false, false, true)
            .await?;
        let agent = agents::agent_with(
            served.backend.clone(),
            plugin.tools.clone(),
            true,
            &agents::Variant {
                cache: cache.to_owned(),
                ..agents::Variant::default()
            },
            max_iterations,
        )?;
        let run = agent
            .run(&prompt)
            .await
            .map_err(|e| Failure::Model(format!("CHAIN-{k} with --cache {cache}: {e}")))?;
        figures.push(CacheFigures::of(cache, run.metrics.usage));
        drop(agent);
        drop(served);
    }
    if json {
        let doc = serde_json::json!({ "case": format!("CHAIN-{k}"), "cache": figures });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    println!("CHAIN-{k}, input tokens (local server's estimate)");
    println!(
        "{:<6} {:>12} {:>12} {:>12} {:>12} {:>16}",
        "cache", "full price", "cache read", "cache write", "total", "billed (equiv.)"
    );
    for f in &figures {
        println!(
            "{:<6} {:>12} {:>12} {:>12} {:>12} {:>16.0}",
            f.cache,
            f.full_price_input_tokens,
            f.cache_read_input_tokens,
            f.cache_write_input_tokens,
            f.total_input_tokens,
            f.billed_equivalent
        );
    }
    Ok(())
}
