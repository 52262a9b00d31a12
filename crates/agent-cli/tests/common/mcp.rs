//! What `.ci/install-mcp-deps` installs for the MCP tests, found through
//! `AGENT_MCP_DEPS` (else its default cache), each test skipping loudly
//! where it is missing: the reference servers from npm, the Python SDK's
//! venv, the conformance suite; and `agent mcp-serve --listen`'s address.

use std::ffi::OsStr;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use serde_json::Value;

use super::KillOnDrop;

/// The reference servers' `.bin` directory, below [`deps`].
const NPM_BIN: &str = "npm/node_modules/.bin";

/// The installation directory, if everything in `wanted` (paths relative
/// to it) is there; else `None` after a loud message that `test` skips
/// for want of `what`.
pub fn deps(test: &str, what: &str, wanted: &[&str]) -> Option<PathBuf> {
    let dir = std::env::var_os("AGENT_MCP_DEPS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/agent-ci/mcp"))
        })?;
    if wanted.iter().all(|w| dir.join(w).exists()) {
        return Some(dir);
    }
    eprintln!(
        "\n!!!!! SKIPPED {test}: no {what} installed; \
         run .ci/install-mcp-deps and set AGENT_MCP_DEPS (.ci/run does both) !!!!!\n"
    );
    None
}

/// [`deps`] with the MCP reference servers (and the Python SDK beside them).
pub fn reference_deps(test: &str) -> Option<PathBuf> {
    deps(
        test,
        "MCP reference servers",
        &[&format!("{NPM_BIN}/mcp-server-everything")],
    )
}

/// The reference servers' `.bin` directory, or `None` after a loud message.
pub fn npm_bin(test: &str) -> Option<PathBuf> {
    reference_deps(test).as_deref().map(bin_dir)
}

/// The reference servers' `.bin` directory in `deps`.
pub fn bin_dir(deps: &Path) -> PathBuf {
    deps.join(NPM_BIN)
}

/// Runs `tests/fixtures/SCRIPT` with `args` in `home`, on the Python of
/// the venv in [`deps`] that has the official MCP SDK, and returns the
/// JSON report it prints.
pub async fn python_report<S: AsRef<OsStr>>(
    deps: &Path,
    home: &Path,
    script: &str,
    args: impl IntoIterator<Item = S>,
) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(script);
    let mut cmd = assert_cmd::Command::new(deps.join("venv/bin/python"));
    cmd.current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .arg(script)
        .args(args);
    let out = super::run_blocking(cmd).await;
    assert!(out.status.success(), "{}", super::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The address `agent mcp-serve --listen` says it serves on, read from
/// its piped stderr; the rest of its stderr is drained so it never blocks
/// on a full pipe.
fn listening_url(serve: &mut Child) -> String {
    let mut lines = std::io::BufReader::new(serve.stderr.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.split_once(" tools on ").map(|(_, url)| url.to_owned()))
        .expect("mcp-serve said where it listens");
    std::thread::spawn(move || lines.for_each(drop));
    url
}

/// `--mcp NAME='…/mcp-server-everything' stdio`'s value: the reference
/// server with every kind of tool, from the `.bin` directory `bin`.
pub fn everything_flag(name: &str, bin: &Path) -> String {
    format!(
        "{name}='{}' stdio",
        bin.join("mcp-server-everything").display()
    )
}

/// `agent mcp-serve --listen 127.0.0.1:0 ARGS…` run in `home`, killed when
/// dropped; and the URL it serves on, once it listens.
pub fn serve_http<S: AsRef<OsStr>>(
    home: &Path,
    args: impl IntoIterator<Item = S>,
) -> (KillOnDrop, String) {
    let mut child = super::agent_process_in(home)
        .args(["mcp-serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child);
    (KillOnDrop(child), url)
}
