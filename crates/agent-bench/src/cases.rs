//! The cases of the reference work and how `--cases` picks them.
//!
//! A case is a scenario (Q1–Q4, FANOUT-n, CHAIN-k) played at one model
//! latency, streaming or not. A selector names a scenario or a group, and
//! may fix the latency and the mode: `NAME[@MS][:stream|:converse]`, e.g.
//! `Q1`, `FANOUT-256`, `CHAIN-50:converse`, `Q2@500:stream`. Groups: `Q`
//! (Q1–Q4), `FANOUT` (16, 64, 256, 1024), `CHAIN` (CHAIN-50), `LATENCY`
//! (Q1–Q4 at 500 ms), `ALL` (the default). A case named alone is one case:
//! `Q1` is `Q1@0:stream`. A group without `@MS` runs its queries at 0 and
//! 500 ms, FANOUT and CHAIN at 0 ms; without a mode, both modes.

use std::time::Duration;

use agent_testkit::{Scenario, reference};

use agent_cli::exit::Failure;

/// The sleep of each FANOUT call, in milliseconds (REFERENCE.md).
pub const FANOUT_SLEEP_MS: u64 = 100;
/// The fan-outs of the reference work.
pub const FANOUTS: [usize; 4] = [16, 64, 256, 1024];
/// The chain length of the reference work.
pub const CHAIN: usize = 50;
/// The model latency of the LATENCY cases.
pub const SLOW_MODEL_MS: u64 = 500;

/// Which family a scenario belongs to; it decides the defaults and the
/// figures (sequential method, per-turn overhead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Q1–Q4: two turns, several slow tools in the first.
    Query,
    /// FANOUT-n: one turn of n parallel `sleep_tool(100)` calls.
    Fanout,
    /// CHAIN-k: k turns of one `sleep_tool(0)` call each.
    Chain,
}

/// One measured case.
#[derive(Debug, Clone)]
pub struct Case {
    /// What the model plays.
    pub scenario: Scenario,
    /// Its family.
    pub kind: Kind,
    /// The local server's latency per model call.
    pub latency: Duration,
    /// ConverseStream (true) or Converse.
    pub streaming: bool,
}

impl Case {
    /// The canonical id: `Q1@0:stream`.
    pub fn id(&self) -> String {
        format!(
            "{}@{}:{}",
            self.scenario.name,
            self.latency.as_millis(),
            mode_name(self.streaming)
        )
    }

    /// The prompt that makes the server play this case.
    pub fn prompt(&self) -> &str {
        self.scenario.prompt.as_deref().unwrap_or_default()
    }

    /// Model calls in one run (one per scripted turn).
    pub fn model_calls(&self) -> usize {
        self.scenario.turns.len()
    }

    /// Tool calls in one run.
    pub fn tool_calls(&self) -> usize {
        self.scenario.turns.iter().map(|t| t.tool_calls.len()).sum()
    }

    /// The physical floor: the model's latency for each turn plus each
    /// turn's slowest tool.
    pub fn limit(&self) -> Duration {
        reference::limit(&self.scenario, self.latency)
    }
}

/// `stream` or `converse`.
pub fn mode_name(streaming: bool) -> &'static str {
    if streaming { "stream" } else { "converse" }
}

/// The scenario called `name` (case-insensitive): Q1–Q4, FANOUT-n, CHAIN-k.
fn scenario(name: &str) -> Option<(Scenario, Kind)> {
    let upper = name.to_ascii_uppercase();
    if let Some(q) = reference::queries().into_iter().find(|s| s.name == upper) {
        return Some((q, Kind::Query));
    }
    if let Some(n) = upper.strip_prefix("FANOUT-") {
        let n: usize = n.parse().ok().filter(|n| *n > 0)?;
        return Some((reference::fanout(n, FANOUT_SLEEP_MS), Kind::Fanout));
    }
    if let Some(k) = upper.strip_prefix("CHAIN-") {
        let k: usize = k.parse().ok().filter(|k| *k > 0)?;
        return Some((reference::chain(k), Kind::Chain));
    }
    None
}

/// The scenarios a name stands for (a group or one scenario), with the
/// latencies to use when the selector names none.
fn scenarios(name: &str) -> Option<Vec<(Scenario, Kind, Vec<u64>)>> {
    let queries = |lat: Vec<u64>| {
        reference::queries()
            .into_iter()
            .map(move |s| (s, Kind::Query, lat.clone()))
            .collect::<Vec<_>>()
    };
    let fanouts = || {
        FANOUTS
            .iter()
            .map(|n| {
                (
                    reference::fanout(*n, FANOUT_SLEEP_MS),
                    Kind::Fanout,
                    vec![0],
                )
            })
            .collect::<Vec<_>>()
    };
    let chain = || vec![(reference::chain(CHAIN), Kind::Chain, vec![0])];
    Some(match name.to_ascii_uppercase().as_str() {
        "ALL" => {
            let mut all = queries(vec![0, SLOW_MODEL_MS]);
            all.extend(fanouts());
            all.extend(chain());
            all
        }
        "Q" => queries(vec![0, SLOW_MODEL_MS]),
        "LATENCY" => queries(vec![SLOW_MODEL_MS]),
        "FANOUT" => fanouts(),
        "CHAIN" => chain(),
        _ => {
            let (s, kind) = scenario(name)?;
            let lat = if kind == Kind::Query {
                vec![0, SLOW_MODEL_MS]
            } else {
                vec![0]
            };
            vec![(s, kind, lat)]
        }
    })
}

fn usage(selector: &str, why: &str) -> Failure {
    Failure::Usage(format!(
        "--cases: `{selector}` {why}; a case is NAME[@MS][:stream|:converse] where NAME is \
         Q1..Q4, FANOUT-n, CHAIN-k or a group (Q, FANOUT, CHAIN, LATENCY, ALL), \
         e.g. --cases Q1,FANOUT-256,CHAIN-50:converse,Q2@500"
    ))
}

/// One selector → its cases, in order: scenario, then latency, then mode
/// (streaming first).
fn parse_selector(selector: &str) -> Result<Vec<Case>, Failure> {
    let (rest, modes) = match selector.rsplit_once(':') {
        Some((rest, mode)) => match mode.to_ascii_lowercase().as_str() {
            "stream" => (rest, vec![true]),
            "converse" => (rest, vec![false]),
            _ => return Err(usage(selector, "has an unknown mode (stream or converse)")),
        },
        None => (selector, Vec::new()),
    };
    let (name, latency) = match rest.split_once('@') {
        Some((name, ms)) => {
            let ms = ms.trim().trim_end_matches("ms");
            let ms: u64 = ms
                .parse()
                .map_err(|_| usage(selector, "has a latency that is not milliseconds"))?;
            (name, Some(ms))
        }
        None => (rest, None),
    };
    let found = scenarios(name.trim()).ok_or_else(|| usage(selector, "names no case"))?;
    // One case named alone means that case once, as `agent run` runs it.
    let single = scenario(name.trim()).is_some();
    let modes = match (modes.is_empty(), single) {
        (false, _) => modes,
        (true, true) => vec![true],
        (true, false) => vec![true, false],
    };
    let mut cases = Vec::new();
    for (scenario, kind, default_latencies) in found {
        let default_latencies = if single { vec![0] } else { default_latencies };
        let latencies = latency.map_or(default_latencies, |ms| vec![ms]);
        for ms in latencies {
            for streaming in &modes {
                cases.push(Case {
                    scenario: scenario.clone(),
                    kind,
                    latency: Duration::from_millis(ms),
                    streaming: *streaming,
                });
            }
        }
    }
    Ok(cases)
}

/// The cases a comma-separated list of selectors picks, in the order given,
/// without duplicates.
pub fn select(list: &str) -> Result<Vec<Case>, Failure> {
    let mut cases: Vec<Case> = Vec::new();
    for selector in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        for case in parse_selector(selector)? {
            if !cases.iter().any(|c| c.id() == case.id()) {
                cases.push(case);
            }
        }
    }
    if cases.is_empty() {
        return Err(usage(list, "picks no case"));
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &str) -> Vec<String> {
        select(list).unwrap().iter().map(Case::id).collect()
    }

    #[test]
    fn the_default_is_the_whole_reference_work() {
        let all = select("ALL").unwrap();
        // Q1–Q4 × 2 latencies × 2 modes, FANOUT × 4 × 2 modes, CHAIN-50 × 2 modes.
        assert_eq!(all.len(), 16 + 8 + 2);
        assert_eq!(all[0].id(), "Q1@0:stream");
        assert_eq!(all[1].id(), "Q1@0:converse");
        assert_eq!(all[2].id(), "Q1@500:stream");
        assert!(all.iter().any(|c| c.id() == "FANOUT-1024@0:converse"));
        assert_eq!(
            all.last().map(Case::id).as_deref(),
            Some("CHAIN-50@0:converse")
        );
    }

    #[test]
    fn selectors_fix_latency_and_mode() {
        assert_eq!(ids("q2@500:stream"), ["Q2@500:stream"]);
        assert_eq!(ids("CHAIN-5:converse"), ["CHAIN-5@0:converse"]);
        assert_eq!(
            ids("FANOUT-256, Q1@0ms:stream,FANOUT-256:converse"),
            [
                "FANOUT-256@0:stream",
                "Q1@0:stream",
                "FANOUT-256@0:converse"
            ]
        );
        assert_eq!(ids("LATENCY:stream").len(), 4);
    }

    #[test]
    fn a_case_named_alone_runs_once() {
        assert_eq!(ids("Q1"), ["Q1@0:stream"]);
        assert_eq!(ids("chain-5"), ["CHAIN-5@0:stream"]);
        assert_eq!(ids("Q1@500"), ["Q1@500:stream"]);
        assert_eq!(ids("Q1:converse"), ["Q1@0:converse"]);
        // Groups still expand to every latency and mode.
        assert_eq!(ids("Q").len(), 16);
        assert_eq!(ids("CHAIN").len(), 2);
    }

    #[test]
    fn limits_follow_the_reference() {
        let c = &select("Q2@500:stream").unwrap()[0];
        assert_eq!(c.limit(), Duration::from_millis(2600));
        assert_eq!((c.model_calls(), c.tool_calls()), (2, 4));
        let c = &select("CHAIN-50:stream").unwrap()[0];
        assert_eq!((c.model_calls(), c.tool_calls()), (51, 50));
        assert_eq!(c.limit(), Duration::ZERO);
    }

    #[test]
    fn bad_selectors_say_what_is_expected() {
        for bad in ["Q9", "FANOUT-x", "Q1@fast", "Q1:both", ","] {
            let e = select(bad).unwrap_err().to_string();
            assert!(e.contains("NAME[@MS]"), "{bad}: {e}");
        }
    }
}
