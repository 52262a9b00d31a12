//! Figures that need a process: this one's peak memory, and `agent run` as a
//! fresh process (start-up to the first model request, peak memory per
//! scenario).
//!
//! - Peak RSS of this process: `VmHWM` in `/proc/self/status` (Linux; `None`
//!   elsewhere). It covers everything the bench holds: the agent, the local
//!   servers and every case run so far.
//! - `agent run` start-up: the time from spawning the real `agent` binary
//!   (the one beside this executable, or `--agent`) to the first request
//!   the local server records, plugins loaded, the SDK configured and the
//!   connection made. The server record is polled every 100 µs from a
//!   blocking thread.
//! - `agent run` peak RSS: the kernel's maximum resident set size of the
//!   child (`ru_maxrss`), read through GNU time (`/usr/bin/time -f %M`);
//!   `None` where it is not installed. The child runs the scenario for real
//!   (fixed tool delays), so a FANOUT holds all its calls in flight at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bedrock_client::mock::MockServer;
use serde::Serialize;

use crate::measure::Stats;
use agent_cli::exit::Failure;

/// The peak resident set size of this process, in KiB (Linux only).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status_field_kib(&status, "VmHWM:")
}

fn status_field_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The 1, 5 and 15 minute load averages (Linux only): how busy the shared
/// machine was, beside the figures.
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The figures of `agent run` as a fresh process.
#[derive(Debug, Clone, Serialize)]
pub struct AgentRunFigures {
    /// Spawn to first model request, over the samples.
    pub startup_ms: Stats,
    /// Samples taken (after one warm-up spawn).
    pub startup_samples: usize,
    /// Peak RSS per scenario.
    pub peak_rss: Vec<ScenarioRss>,
    /// How the peak RSS was read.
    pub rss_method: String,
}

/// The peak RSS of one `agent run`.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRss {
    /// The scenario played.
    pub scenario: String,
    /// Peak RSS in KiB; `None` where it could not be read.
    pub peak_rss_kib: Option<u64>,
}

/// How to start `agent run` against the local server, cut off from the
/// machine's AWS and agent settings.
#[derive(Debug, Clone)]
pub struct AgentRunCommand {
    /// The `agent` binary.
    pub exe: PathBuf,
    /// The demo plugin.
    pub plugin: PathBuf,
    /// The local server's URL.
    pub endpoint: String,
    /// A scratch home directory (no config file, no AWS files).
    pub home: PathBuf,
}

impl AgentRunCommand {
    /// `agent run` for `prompt`, tool delays as `delays` says
    /// (`DEMO_TOOLS_DELAY`: `fixed` or `none`), wrapped in `wrapper` if any.
    fn command(&self, prompt: &str, delays: &str, wrapper: &[&std::ffi::OsStr]) -> Command {
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(&self.exe);
                c
            }
            None => Command::new(&self.exe),
        };
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("AWS_CONFIG_FILE", self.home.join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home.join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "AKIDLOCALDEMO")
            .env("AWS_SECRET_ACCESS_KEY", "local-demo-secret")
            .env("DEMO_TOOLS_DELAY", delays)
            .env("NO_COLOR", "1")
            .current_dir(&self.home)
            .arg("run")
            .arg("--endpoint-url")
            .arg(&self.endpoint)
            .args(["--region", "us-east-1", "--max-concurrency", "0"])
            .args(["--max-iterations", "10000", "--json", "--plugin"])
            .arg(&self.plugin)
            .arg(prompt)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }
}

fn spawn_error(e: std::io::Error) -> Failure {
    Failure::Other(format!(
        "cannot start `agent run` for the start-up figure: {e}"
    ))
}

/// Spawns `agent run` once and times spawn → first recorded request. Blocks.
fn startup_once(
    cmd: &AgentRunCommand,
    server: &MockServer,
    prompt: &str,
) -> Result<Duration, Failure> {
    server.clear_requests();
    let mut command = cmd.command(prompt, "none", &[]);
    let started = Instant::now();
    let mut child = command.spawn().map_err(spawn_error)?;
    let mut first = None;
    while first.is_none() {
        if !server.requests().is_empty() {
            first = Some(started.elapsed());
        } else if child.try_wait().map_err(spawn_error)?.is_some()
            || started.elapsed() > Duration::from_secs(60)
        {
            break;
        } else {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    let out = child.wait_with_output().map_err(spawn_error)?;
    if !out.status.success() {
        return Err(Failure::Other(format!(
            "`agent run` failed ({}) while measuring start-up: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    first.ok_or_else(|| {
        Failure::Other("`agent run` sent no request to the local server within 60 s".into())
    })
}

/// Runs `agent run` for `prompt` under GNU time; its peak RSS in KiB, or
/// `None` without `/usr/bin/time`. Blocks.
fn peak_rss_once(cmd: &AgentRunCommand, prompt: &str) -> Result<Option<u64>, Failure> {
    // GNU time's `-f %M -o FILE`; other `time`s (BSD, busybox) differ.
    let time = Path::new("/usr/bin/time");
    if !cfg!(target_os = "linux") || !time.is_file() {
        return Ok(None);
    }
    let report = cmd.home.join("time-report.txt");
    let _ = std::fs::remove_file(&report);
    let out = cmd
        .command(
            prompt,
            "fixed",
            &[
                time.as_os_str(),
                "-f".as_ref(),
                "%M".as_ref(),
                "-o".as_ref(),
                report.as_os_str(),
            ],
        )
        .output()
        .map_err(spawn_error)?;
    if !out.status.success() {
        return Err(Failure::Other(format!(
            "`agent run` failed ({}) while measuring its memory: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    Ok(text.lines().last().and_then(|l| l.trim().parse().ok()))
}

/// Measures `agent run` as a fresh process: start-up over one warm-up and
/// `samples` spawns (tools without delay, Q1's prompt), then peak RSS for
/// each of `scenarios` (name, prompt). `step` is called after each spawn.
pub async fn agent_run(
    cmd: AgentRunCommand,
    server: MockServer,
    samples: usize,
    scenarios: Vec<(String, String)>,
    step: impl Fn(&str) + Send + 'static,
) -> Result<AgentRunFigures, Failure> {
    let server = Arc::new(server);
    let job = tokio::task::spawn_blocking(move || -> Result<AgentRunFigures, Failure> {
        std::fs::create_dir_all(&cmd.home)
            .map_err(|e| Failure::Other(format!("cannot create {}: {e}", cmd.home.display())))?;
        let prompt = agent_testkit::reference::queries()
            .into_iter()
            .next()
            .and_then(|q| q.prompt)
            .unwrap_or_default();
        let mut times = Vec::with_capacity(samples);
        for i in 0..=samples {
            step("agent run: start-up");
            let t = startup_once(&cmd, &server, &prompt)?;
            if i > 0 {
                times.push(t);
            }
        }
        server.clear_requests();
        let mut peak_rss = Vec::new();
        for (name, prompt) in scenarios {
            step(&format!("agent run: peak RSS, {name}"));
            peak_rss.push(ScenarioRss {
                peak_rss_kib: peak_rss_once(&cmd, &prompt)?,
                scenario: name,
            });
        }
        let _ = std::fs::remove_dir_all(&cmd.home);
        let startup_ms =
            Stats::of(&times).ok_or_else(|| Failure::Usage("--runs must be at least 1".into()))?;
        Ok(AgentRunFigures {
            startup_ms,
            startup_samples: times.len(),
            peak_rss,
            rss_method: "ru_maxrss of the child via /usr/bin/time -f %M (n/a without GNU time)"
                .into(),
        })
    });
    job.await
        .map_err(|e| Failure::Other(format!("the `agent run` measurement failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_high_water_mark() {
        let status = "Name:\tagent\nVmPeak:\t  300000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(status_field_kib(status, "VmHWM:"), Some(12345));
        assert_eq!(status_field_kib("Name: x", "VmHWM:"), None);
        #[cfg(target_os = "linux")]
        assert!(peak_rss_kib().is_some_and(|kib| kib > 0));
    }
}
