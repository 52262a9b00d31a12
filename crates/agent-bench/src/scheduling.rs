//! The scheduler's cases, side by side in one run (`agent-bench
//! --scheduling`; docs/BENCHMARKS.md): each case runs twice, interleaved
//! run by run (A, B, A, B…) so a noisy machine weighs on both alike.
//!
//! - **Eager start**: EAGER (one `sleep_tool(1500)` followed by six
//!   `sleep_tool(10)`, then the answer) at 2 s of streamed model latency,
//!   and Q1–Q4 at 500 ms, with `--no-eager` (A) and eager start (B), against
//!   a local server that spreads the stream's blocks over the latency
//!   (`MockServerBuilder::pace_stream`), as a model writes. The target:
//!   B / old limit ≤ 0.80 on EAGER. Reported with the tool time hidden
//!   behind generation (the agent's `hidden_tool_ms`).
//! - **The scheduler's cost**: FANOUT-1024 without rules (A) and with a
//!   rule on every call (B: `[tools.sleep_tool] concurrency = 4096`, which
//!   never makes a call wait but sends each through the rules' path); the
//!   cost per call is (B − A) / 1024.
//! - **Each rule's effect** on the reference work (Q2 at 0 ms): a limit of
//!   2, an exclusive resource on `get_weather` (its two calls one after the
//!   other), cache hits (Q2's tools idempotent with a `cache_ttl`: after the
//!   warm-up every call is answered from the cache; run with `--warmup` ≥ 1).

use std::collections::BTreeMap;
use std::time::Duration;

use agent_cli::exit::Failure;
use agent_cli::settings::ToolOverride;
use agent_testkit::{Scenario, ScriptedTurn, reference};
use serde::Serialize;
use serde_json::json;
use tool_api::ToolRegistry;

use crate::agents::{self, Variant};
use crate::args::BenchArgs;
use crate::cases::{Case, Kind, SLOW_MODEL_MS};
use crate::demo_plugin::DemoPlugin;
use crate::measure::{self, Stats};
use crate::servers::{Served, ServerRuntime};

/// The streamed model latency of the EAGER case.
pub const EAGER_LATENCY_MS: u64 = 2000;

/// EAGER: the slowest call first (`sleep_tool(1500)`), then six
/// `sleep_tool(10)`, then the answer.
pub fn eager_scenario() -> Scenario {
    let mut calls = vec![("sleep_tool", json!({"ms": 1500}))];
    calls.extend((0..6).map(|_| ("sleep_tool", json!({"ms": 10}))));
    Scenario::new(
        "EAGER",
        Some("EAGER: call sleep_tool for 1500 ms, then six times for 10 ms."),
        vec![
            ScriptedTurn::tools(calls),
            ScriptedTurn::text("All sleeps done."),
        ],
    )
}

/// One side-by-side comparison.
struct Comparison {
    group: &'static str,
    case: Case,
    /// Spread the stream over the latency.
    paced: bool,
    a: (&'static str, Variant),
    b: (&'static str, Variant),
}

/// One comparison's figures.
#[derive(Debug, Serialize)]
pub struct Pair {
    /// `eager start`, `scheduler cost`, `rule effect`.
    pub group: &'static str,
    /// The case: `EAGER@2000:stream`.
    pub id: String,
    /// What A is.
    pub a: &'static str,
    /// What B is.
    pub b: &'static str,
    /// A's wall times.
    pub a_ms: Stats,
    /// B's wall times.
    pub b_ms: Stats,
    /// The reference limit (model latency per turn + each turn's slowest
    /// tool): the "old limit" eager start beats.
    pub limit_ms: f64,
    /// Tool time hidden behind generation in B's median run.
    pub b_hidden_tool_ms: f64,
    /// B's median − A's median.
    pub difference_ms: f64,
    /// The same per tool call, in µs.
    pub difference_per_call_us: f64,
}

fn tools_table(entries: &[(&str, ToolOverride)]) -> BTreeMap<String, ToolOverride> {
    entries
        .iter()
        .map(|(name, o)| ((*name).to_owned(), o.clone()))
        .collect()
}

fn comparisons() -> Vec<Comparison> {
    let case = |scenario: Scenario, latency_ms: u64, streaming: bool| Case {
        scenario,
        kind: Kind::Query,
        latency: Duration::from_millis(latency_ms),
        streaming,
    };
    let no_eager = Variant {
        eager: false,
        ..Variant::default()
    };
    let plain = Variant::default();
    let mut list = vec![Comparison {
        group: "eager start",
        case: case(eager_scenario(), EAGER_LATENCY_MS, true),
        paced: true,
        a: ("--no-eager", no_eager.clone()),
        b: ("eager", plain.clone()),
    }];
    for q in reference::queries() {
        list.push(Comparison {
            group: "eager start",
            case: case(q, SLOW_MODEL_MS, true),
            paced: true,
            a: ("--no-eager", no_eager.clone()),
            b: ("eager", plain.clone()),
        });
    }
    let every_call = Variant {
        tools: tools_table(&[(
            "sleep_tool",
            ToolOverride {
                concurrency: Some(4096),
                ..ToolOverride::default()
            },
        )]),
        ..Variant::default()
    };
    for streaming in [true, false] {
        list.push(Comparison {
            group: "scheduler cost",
            case: Case {
                kind: Kind::Fanout,
                ..case(
                    reference::fanout(1024, crate::cases::FANOUT_SLEEP_MS),
                    0,
                    streaming,
                )
            },
            paced: false,
            a: ("no rules", plain.clone()),
            b: ("a rule on every call", every_call.clone()),
        });
    }
    let q2 = || {
        reference::queries()
            .into_iter()
            .find(|s| s.name == "Q2")
            .unwrap_or_else(|| reference::fanout(4, 100))
    };
    let rules = [
        (
            "global limit of 2",
            Variant {
                max_concurrency: Some(2),
                ..Variant::default()
            },
        ),
        (
            "get_weather exclusive",
            Variant {
                tools: tools_table(&[(
                    "get_weather",
                    ToolOverride {
                        exclusive: Some(vec!["weather".into()]),
                        ..ToolOverride::default()
                    },
                )]),
                ..Variant::default()
            },
        ),
        (
            "Q2's tools cached",
            Variant {
                tools: tools_table(
                    &["get_weather", "calculate_distance", "search_restaurants"].map(|name| {
                        (
                            name,
                            ToolOverride {
                                idempotent: Some(true),
                                cache_ttl: Some(3600.0),
                                ..ToolOverride::default()
                            },
                        )
                    }),
                ),
                ..Variant::default()
            },
        ),
    ];
    for (name, variant) in rules {
        list.push(Comparison {
            group: "rule effect",
            case: case(q2(), 0, true),
            paced: false,
            a: ("no rules", plain.clone()),
            b: (name, variant),
        });
    }
    list
}

/// Runs every comparison and prints the table (and the JSON with
/// `--json`/`--out`).
pub async fn bench(args: &BenchArgs) -> Result<(), Failure> {
    let list = comparisons();
    let mut scenarios = vec![eager_scenario()];
    scenarios.extend(reference::all());
    let plugin = DemoPlugin::load(args.plugin.as_deref())?;
    let server_runtime = ServerRuntime::new(scenarios)?;
    let mut servers: BTreeMap<(u64, bool), Served> = BTreeMap::new();
    for c in &list {
        let key = (c.case.latency.as_millis() as u64, c.paced);
        if let std::collections::btree_map::Entry::Vacant(slot) = servers.entry(key) {
            slot.insert(
                server_runtime
                    .start_with(c.case.latency, false, c.paced, false)
                    .await?,
            );
        }
    }
    eprintln!(
        "scheduling: {} comparisons, {} runs each side (after {} warm-up)",
        list.len(),
        args.runs,
        args.warmup
    );
    let mut pairs = Vec::with_capacity(list.len());
    for c in &list {
        let key = (c.case.latency.as_millis() as u64, c.paced);
        let served = servers
            .get(&key)
            .ok_or_else(|| Failure::Other(format!("no local server for {}", c.case.id())))?;
        eprintln!("  {} {}: {} vs {}", c.group, c.case.id(), c.a.0, c.b.0);
        pairs.push(compare(c, served, &plugin.tools, args).await?);
    }
    let table = table(&pairs);
    if let Some(path) = &args.out {
        let json = serde_json::to_string_pretty(&pairs)
            .map_err(|e| Failure::Other(format!("cannot write the figures as JSON: {e}")))?;
        std::fs::write(path, json + "\n").map_err(|e| {
            Failure::Other(format!(
                "cannot write the figures to {}: {e}",
                path.display()
            ))
        })?;
    } else if args.json {
        let json = serde_json::to_string_pretty(&pairs)
            .map_err(|e| Failure::Other(format!("cannot write the figures as JSON: {e}")))?;
        eprint!("{table}");
        return agent_cli::stdout::line(json);
    }
    agent_cli::stdout::write(&table)
}

async fn compare(
    c: &Comparison,
    served: &Served,
    tools: &ToolRegistry,
    args: &BenchArgs,
) -> Result<Pair, Failure> {
    let max_iterations = agent_core::Agent::DEFAULT_MAX_ITERATIONS;
    let make = |variant: &Variant| {
        agents::agent_with(
            served.backend.clone(),
            tools.clone(),
            c.case.streaming,
            variant,
            max_iterations,
        )
    };
    let (agent_a, agent_b) = (make(&c.a.1)?, make(&c.b.1)?);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..(args.warmup + args.runs) as usize {
        let sa = measure::run_once(&agent_a, &c.case).await?;
        let sb = measure::run_once(&agent_b, &c.case).await?;
        if i >= args.warmup as usize {
            a.push(sa);
            b.push(sb);
        }
    }
    let stats = |samples: &[measure::Sample]| {
        let walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        Stats::of(&walls).ok_or_else(|| Failure::Usage("--runs must be at least 1".into()))
    };
    let (a_ms, b_ms) = (stats(&a)?, stats(&b)?);
    let hidden = b
        .iter()
        .min_by(|x, y| {
            (ms(x.wall) - b_ms.median_ms)
                .abs()
                .total_cmp(&(ms(y.wall) - b_ms.median_ms).abs())
        })
        .map_or(0.0, |s| ms(s.hidden_tool_time));
    let difference_ms = b_ms.median_ms - a_ms.median_ms;
    Ok(Pair {
        group: c.group,
        id: c.case.id(),
        a: c.a.0,
        b: c.b.0,
        a_ms,
        b_ms,
        limit_ms: ms(c.case.limit()),
        b_hidden_tool_ms: hidden,
        difference_ms,
        difference_per_call_us: difference_ms * 1e3 / c.case.tool_calls().max(1) as f64,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The comparisons as a Markdown table.
fn table(pairs: &[Pair]) -> String {
    let mut out = String::from(
        "| group | case | A | B | A median (min–max) | B median (min–max) | limit | A / limit | B / limit | B − A | tool time hidden (B) |\n\
         |---|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let stats = |s: &Stats| format!("{:.1} ms ({:.1}–{:.1})", s.median_ms, s.min_ms, s.max_ms);
    for p in pairs {
        let ratio = |s: &Stats| {
            if p.limit_ms > 0.0 {
                format!("{:.3}", s.median_ms / p.limit_ms)
            } else {
                "–".into()
            }
        };
        let diff = if p.group == "scheduler cost" {
            format!(
                "{:+.1} ms ({:+.2} µs per call)",
                p.difference_ms, p.difference_per_call_us
            )
        } else {
            format!("{:+.1} ms", p.difference_ms)
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.0} ms | {} | {} | {} | {:.1} ms |\n",
            p.group,
            p.id,
            p.a,
            p.b,
            stats(&p.a_ms),
            stats(&p.b_ms),
            p.limit_ms,
            ratio(&p.a_ms),
            ratio(&p.b_ms),
            diff,
            p.b_hidden_tool_ms,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eager_case_beats_its_old_limit_only_by_starting_early() {
        let case = Case {
            scenario: eager_scenario(),
            kind: Kind::Query,
            latency: Duration::from_millis(EAGER_LATENCY_MS),
            streaming: true,
        };
        // 2 s + 1.5 s, then 2 s for the answer.
        assert_eq!(case.limit(), Duration::from_millis(5500));
        assert_eq!((case.model_calls(), case.tool_calls()), (2, 7));
    }

    #[test]
    fn every_comparison_has_two_sides_and_a_known_group() {
        let list = comparisons();
        assert_eq!(list.len(), 1 + 4 + 2 + 3);
        assert!(
            list.iter()
                .all(|c| matches!(c.group, "eager start" | "scheduler cost" | "rule effect"))
        );
        assert!(list.iter().filter(|c| c.paced).all(|c| c.case.streaming));
    }
}
