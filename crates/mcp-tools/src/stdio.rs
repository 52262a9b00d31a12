//! A stdio server's child process: spawned with piped stdin/stdout, its
//! stderr kept (last lines) for error messages, killed when dropped.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::{INHERITED_ENV_VARS, McpServerConfig, Transport};

/// How many stderr lines an error message shows.
const STDERR_LINES: usize = 12;

/// The last lines a child wrote to its stderr, shared with the task reading them.
#[derive(Debug, Clone, Default)]
pub(crate) struct StderrTail(Arc<Mutex<VecDeque<String>>>);

/// How long to wait for a dead server's last stderr lines to be read.
const STDERR_SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

impl StderrTail {
    fn push(&self, line: String) {
        if let Ok(mut lines) = self.0.lock() {
            if lines.len() == STDERR_LINES {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    }

    /// The lines, oldest first.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// The variables a child server gets on top of a cleared environment (or,
/// with `inherit_all`, on top of the agent's): from `agent_env` only the
/// names in [`INHERITED_ENV_VARS`] (values starting `()`, shell functions,
/// left out as the TypeScript SDK does), then the configured `env`, which
/// wins.
fn child_env(
    agent_env: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    configured: &std::collections::BTreeMap<String, String>,
    inherit_all: bool,
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    let mut vars: Vec<_> = if inherit_all {
        Vec::new()
    } else {
        agent_env
            .filter(|(name, value)| {
                INHERITED_ENV_VARS.iter().any(|v| name == *v)
                    && !value.to_string_lossy().starts_with("()")
            })
            .collect()
    };
    vars.extend(configured.iter().map(|(k, v)| (k.into(), v.into())));
    vars
}

/// A running server process.
///
/// # Contract
///
/// Dropping it kills the process (tokio's `kill_on_drop`): no server outlives
/// the agent's tool registry. Should the agent die without dropping it, the
/// server sees its stdin close, which the MCP stdio transport defines as the
/// signal to exit.
#[derive(Debug)]
pub(crate) struct ChildServer {
    child: Mutex<Child>,
    pub(crate) stderr: StderrTail,
    reader: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl ChildServer {
    /// Starts the process of a stdio server; returns it and its pipes.
    ///
    /// Its environment is [`child_env`]'s: not the agent's whole one.
    pub(crate) fn spawn(
        config: &McpServerConfig,
    ) -> std::io::Result<(Self, ChildStdout, ChildStdin)> {
        let Transport::Stdio {
            command,
            args,
            env,
            cwd,
        } = &config.transport
        else {
            return Err(std::io::Error::other("not a stdio server"));
        };
        let mut cmd = Command::new(command);
        if !config.inherit_env {
            cmd.env_clear();
        }
        cmd.args(args)
            .envs(child_env(std::env::vars_os(), env, config.inherit_env))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd.spawn()?;
        let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
            return Err(std::io::Error::other("the child's pipes were not created"));
        };
        let tail = StderrTail::default();
        let reader = child.stderr.take().map(|stderr| {
            let tail = tail.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::debug!(target: "mcp_tools::stderr", "{line}");
                    tail.push(line);
                }
            })
        });
        Ok((
            Self {
                child: Mutex::new(child),
                stderr: tail,
                reader: Mutex::new(reader),
            },
            stdout,
            stdin,
        ))
    }

    /// How the process ended, if it has.
    pub(crate) fn exit_status(&self) -> Option<std::process::ExitStatus> {
        self.child
            .lock()
            .ok()
            .and_then(|mut c| c.try_wait().ok().flatten())
    }

    /// How the process ended, waiting a moment for it to end: a server
    /// whose pipe just closed is usually exiting.
    pub(crate) async fn exit_status_soon(&self) -> Option<std::process::ExitStatus> {
        for _ in 0..50 {
            if let Some(status) = self.exit_status() {
                return Some(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        None
    }

    /// Its last stderr lines once the process has ended and they have all
    /// been read (waiting at most a moment for that).
    pub(crate) async fn final_stderr(&self) -> Vec<String> {
        let reader = self.reader.lock().ok().and_then(|mut r| r.take());
        if let Some(reader) = reader {
            let _ = tokio::time::timeout(STDERR_SETTLE, reader).await;
        }
        self.stderr.lines()
    }

    /// Kills the process now (it is killed on drop too).
    pub(crate) fn kill(&self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.start_kill();
        }
    }

    /// The process id, while it runs.
    pub(crate) fn id(&self) -> Option<u32> {
        self.child.lock().ok().and_then(|c| c.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_gets_the_allow_list_and_its_own_variables_only() {
        let agent = || {
            [
                ("PATH", "/usr/bin"),
                ("HOME", "/home/a"),
                ("ANTHROPIC_API_KEY", "sk-ant-secret"),
                ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
                ("SHELL", "() { :; }"),
            ]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
        };
        let configured = [("AWS_PROFILE".to_owned(), "dev".to_owned())].into();
        let names = |vars: Vec<(std::ffi::OsString, std::ffi::OsString)>| {
            vars.into_iter()
                .map(|(k, _)| k.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(child_env(agent(), &configured, false)),
            ["PATH", "HOME", "AWS_PROFILE"]
        );
        // With `inherit_env` the process keeps the agent's environment
        // (not cleared) and these are only added.
        assert_eq!(
            names(child_env(agent(), &configured, true)),
            ["AWS_PROFILE"]
        );
    }
}
