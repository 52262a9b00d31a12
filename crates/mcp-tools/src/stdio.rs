//! A stdio server's child process: spawned with piped stdin/stdout, its
//! stderr kept (last lines) for error messages, killed when dropped.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::Transport;

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
    /// Starts the process of a stdio `transport`; returns it and its pipes.
    pub(crate) fn spawn(transport: &Transport) -> std::io::Result<(Self, ChildStdout, ChildStdin)> {
        let Transport::Stdio {
            command,
            args,
            env,
            cwd,
        } = transport
        else {
            return Err(std::io::Error::other("not a stdio server"));
        };
        let mut cmd = Command::new(command);
        cmd.args(args)
            .envs(env)
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
