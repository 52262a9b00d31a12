//! The Restate load case: N sessions at once, each one turn of Q1 at the
//! model latency, through one endpoint registered directly or through
//! several `agent serve --restate` endpoints behind `restate-lb`'s h2c
//! proxy (one deployment address, as docs/SCALING.md deploys them).

use std::path::Path;
use std::time::{Duration, Instant};

use agent_cli::exit::Failure;
use restate_lb::Proxy;
use serde::Serialize;

use super::endpoint::Endpoint;
use super::server::{RestateServer, free_port};
use crate::cases::Case;

/// What every load configuration shares.
pub struct Setup<'a> {
    /// The Restate server the turns go through.
    pub restate: &'a RestateServer,
    /// The `agent` binary each endpoint runs.
    pub agent: &'a Path,
    /// The demo plugin library the endpoints load.
    pub plugin: &'a Path,
    /// The local Converse server's URL, at the case's latency.
    pub model: &'a str,
    /// The endpoints' working directory.
    pub scratch: &'a Path,
    /// The case each session sends (one turn).
    pub case: &'a Case,
    /// How many sessions at once.
    pub sessions: usize,
}

/// The figures of one load configuration.
#[derive(Debug, Serialize)]
pub struct Load {
    /// The case each session sent.
    pub case: String,
    /// Endpoints serving the deployment.
    pub endpoints: usize,
    /// Whether the deployment was `restate-lb`'s address (else the one
    /// endpoint's own).
    pub through_proxy: bool,
    /// Sessions at once.
    pub sessions: usize,
    /// Sessions over the wall time of the whole load.
    pub runs_per_second: f64,
    /// Q1's floor at this latency.
    pub limit_ms: f64,
    /// Each turn's time less the floor: median.
    pub overhead_p50_ms: f64,
    /// Each turn's time less the floor: 99th percentile.
    pub overhead_p99_ms: f64,
    /// The endpoints' RSS before the load, summed.
    pub idle_rss_kib: Option<u64>,
    /// Each endpoint's peak during the load, summed.
    pub peak_rss_kib: Option<u64>,
    /// The endpoints' growth (peak less idle, summed) over the sessions.
    pub rss_per_session_kib: Option<f64>,
    /// Each endpoint's share.
    pub per_endpoint: Vec<EndpointLoad>,
}

/// One endpoint's share of a load.
#[derive(Debug, Serialize)]
pub struct EndpointLoad {
    /// The invocations it was sent during the load (all of them when it is
    /// the only one, registered directly).
    pub invocations: u64,
    /// Its RSS before the load.
    pub idle_rss_kib: Option<u64>,
    /// Its peak during it.
    pub peak_rss_kib: Option<u64>,
    /// Peak less idle, over its invocations: its memory per session in
    /// flight.
    pub rss_per_session_kib: Option<f64>,
}

/// Starts `endpoints` endpoints (behind the proxy when `through_proxy`),
/// registers the deployment, warms each endpoint with one turn, then sends
/// the sessions at once; everything it started is stopped when it returns.
pub async fn measure(
    setup: &Setup<'_>,
    endpoints: usize,
    through_proxy: bool,
) -> Result<Load, Failure> {
    let mut started = Vec::with_capacity(endpoints);
    for _ in 0..endpoints.max(1) {
        started.push(
            Endpoint::start(
                setup.agent,
                setup.plugin,
                setup.model,
                free_port()?,
                setup.scratch,
            )
            .await?,
        );
    }
    let proxy = if through_proxy {
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        Some(
            Proxy::start(listen, started.iter().map(|e| e.uri.as_str()))
                .await
                .map_err(|e| Failure::Other(e.to_string()))?,
        )
    } else {
        None
    };
    let uri = match (&proxy, started.first()) {
        (Some(proxy), _) => proxy.uri(),
        (None, Some(endpoint)) => endpoint.uri.clone(),
        (None, None) => return Err(Failure::Usage("no endpoint".into())),
    };
    let label = format!(
        "{}{}",
        started.len(),
        if through_proxy { "-lb" } else { "" }
    );
    setup.restate.register(&uri).await?;
    // One turn per endpoint first, one after another, so every idle
    // figure is a warm endpoint's (round robin: each gets one).
    for w in 0..started.len() {
        setup
            .restate
            .send(&format!("load-{label}-warmup-{w}"), setup.case.prompt())
            .await?;
    }
    let idle: Vec<Option<u64>> = started.iter().map(Endpoint::rss_kib).collect();
    let before = proxy.as_ref().map(Proxy::served);
    let (took, wall, peak) = turns(setup, &label, &started, &idle).await?;
    let invocations: Vec<u64> = match (&proxy, before) {
        (Some(proxy), Some(before)) => proxy
            .served()
            .iter()
            .zip(before)
            .map(|(after, before)| after.saturating_sub(before))
            .collect(),
        _ => vec![setup.sessions as u64],
    };
    Ok(figures(
        setup,
        through_proxy,
        &took,
        wall,
        &idle,
        &peak,
        &invocations,
    ))
}

/// Sends the sessions at once; each turn's time, the whole load's, and
/// each endpoint's peak RSS (sampled every 20 ms).
async fn turns(
    setup: &Setup<'_>,
    label: &str,
    endpoints: &[Endpoint],
    idle: &[Option<u64>],
) -> Result<(Vec<Duration>, Duration, Vec<Option<u64>>), Failure> {
    let started = Instant::now();
    let mut turns = tokio::task::JoinSet::new();
    for i in 0..setup.sessions {
        let http = setup.restate.http.clone();
        let url = format!("{}/Agent/load-{label}-{i}/send", setup.restate.ingress);
        let prompt = setup.case.prompt().to_owned();
        turns.spawn(async move {
            let t = Instant::now();
            let response = http.post(url).json(&prompt).send().await;
            match response {
                Ok(r) if r.status().is_success() => Ok(t.elapsed()),
                Ok(r) => Err(format!("{}", r.status())),
                Err(e) => Err(e.to_string()),
            }
        });
    }
    let mut peak = idle.to_vec();
    let mut took = Vec::with_capacity(setup.sessions);
    loop {
        tokio::select! {
            next = turns.join_next() => match next {
                None => break,
                Some(Ok(Ok(d))) => took.push(d),
                Some(Ok(Err(e))) => return Err(Failure::Model(format!("a load turn failed: {e}"))),
                Some(Err(e)) => return Err(Failure::Other(format!("a load task failed: {e}"))),
            },
            () = tokio::time::sleep(Duration::from_millis(20)) => {
                for (peak, endpoint) in peak.iter_mut().zip(endpoints) {
                    *peak = (*peak).max(endpoint.rss_kib());
                }
            }
        }
    }
    Ok((took, started.elapsed(), peak))
}

/// The figures from the measurements.
fn figures(
    setup: &Setup<'_>,
    through_proxy: bool,
    took: &[Duration],
    wall: Duration,
    idle: &[Option<u64>],
    peak: &[Option<u64>],
    invocations: &[u64],
) -> Load {
    let limit = setup.case.limit();
    let mut over: Vec<f64> = took
        .iter()
        .map(|d| (d.as_secs_f64() - limit.as_secs_f64()) * 1e3)
        .collect();
    over.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let i = ((over.len() as f64 - 1.0) * p).round() as usize;
        over.get(i).copied().unwrap_or(f64::NAN)
    };
    let growth = |idle: Option<u64>, peak: Option<u64>| match (idle, peak) {
        (Some(i), Some(p)) => Some(p.saturating_sub(i)),
        _ => None,
    };
    let per_endpoint: Vec<EndpointLoad> = idle
        .iter()
        .zip(peak)
        .zip(invocations)
        .map(|((&idle, &peak), &invocations)| EndpointLoad {
            invocations,
            idle_rss_kib: idle,
            peak_rss_kib: peak,
            rss_per_session_kib: growth(idle, peak).map(|g| g as f64 / invocations.max(1) as f64),
        })
        .collect();
    let sum = |v: &[Option<u64>]| v.iter().copied().sum::<Option<u64>>();
    let grown: Option<u64> = idle.iter().zip(peak).map(|(&i, &p)| growth(i, p)).sum();
    Load {
        case: setup.case.id(),
        endpoints: idle.len(),
        through_proxy,
        sessions: setup.sessions,
        runs_per_second: setup.sessions as f64 / wall.as_secs_f64(),
        limit_ms: limit.as_secs_f64() * 1e3,
        overhead_p50_ms: pct(0.50),
        overhead_p99_ms: pct(0.99),
        idle_rss_kib: sum(idle),
        peak_rss_kib: sum(peak),
        rss_per_session_kib: grown.map(|g| g as f64 / setup.sessions.max(1) as f64),
        per_endpoint,
    }
}

/// The loads side by side, one line each, for the table.
pub fn table(loads: &[&Load]) -> String {
    let Some(first) = loads.first() else {
        return String::new();
    };
    let mut table = format!(
        "\nload: {} sessions at once, {}, over the {:.0} ms floor\n\
         endpoints           runs/s   p50 ms   p99 ms   KiB/session   per endpoint: sessions, idle -> peak KiB, KiB/session\n",
        first.sessions, first.case, first.limit_ms
    );
    for l in loads {
        let kib = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
        let per: Vec<String> = l
            .per_endpoint
            .iter()
            .map(|e| {
                format!(
                    "[{}: {} -> {}, {}]",
                    e.invocations,
                    kib(e.idle_rss_kib),
                    kib(e.peak_rss_kib),
                    e.rss_per_session_kib
                        .map_or("?".into(), |v| format!("{v:.1}"))
                )
            })
            .collect();
        table.push_str(&format!(
            "{:<18} {:>7.1} {:>8.1} {:>8.1} {:>13}   {}\n",
            format!(
                "{} {}",
                l.endpoints,
                if l.through_proxy {
                    "via restate-lb"
                } else {
                    "direct"
                }
            ),
            l.runs_per_second,
            l.overhead_p50_ms,
            l.overhead_p99_ms,
            l.rss_per_session_kib
                .map_or("?".into(), |v| format!("{v:.1}")),
            per.join(" ")
        ));
    }
    table
}
