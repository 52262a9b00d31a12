//! What a newcomer meets in the first hour, through the real binary: the
//! demo from an installed copy of `agent` (nothing beside it, no cargo),
//! the demo against a real model's API (here each API's local server),
//! the local server's start-up hint, and the help that makes the rest
//! discoverable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// A clean environment: no cargo, no AWS, no config, no colour.
fn clean(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("DEMO_TOOLS_DELAY", "none")
        .current_dir(home);
}

fn agent_in(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent"));
    clean(&mut cmd, home);
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// `cargo install` puts the binary alone in `~/.cargo/bin`: a copy in an
/// empty directory, run with no cargo on the PATH and no source tree
/// around, runs the demo with the tools built into it.
#[test]
fn an_installed_agent_runs_the_demo_with_nothing_beside_it() {
    let home = tempfile::tempdir().unwrap();
    let bin_dir = home.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let installed: PathBuf = bin_dir.join(format!("agent{}", std::env::consts::EXE_SUFFIX));
    std::fs::copy(env!("CARGO_BIN_EXE_agent"), &installed).unwrap();
    let mut cmd = Command::new(&installed);
    clean(&mut cmd, home.path());
    let out = cmd.args(["demo", "--query", "Q1"]).output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("demo tools built into agent (in process"),
        "the header says where the tools run: {err}"
    );
    assert!(
        err.contains("get_weather") && err.contains("2 tools in"),
        "{err}"
    );
    assert!(stdout(&out).contains("New York"), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_dir(&bin_dir).unwrap().count(),
        1,
        "nothing was built or written beside the binary"
    );

    // JSON says so too.
    let mut cmd = Command::new(&installed);
    clean(&mut cmd, home.path());
    let out = cmd
        .args(["demo", "--query", "Q2", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["plugin"], Value::Null);
    assert_eq!(doc["backend"], "local");
    assert_eq!(doc["queries"][0]["metrics"]["tool_calls"], 4);
}

/// A plugin path that is not there is an error naming it (exit 4), not a
/// silent fall-back to the built-in tools.
#[test]
fn a_demo_plugin_that_is_not_there_is_named() {
    let home = tempfile::tempdir().unwrap();
    let out = agent_in(home.path())
        .args([
            "demo",
            "--query",
            "Q1",
            "--plugin",
            "/nowhere/libdemo_tools.so",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/nowhere/libdemo_tools.so"),
        "{}",
        stderr(&out)
    );
}

/// `agent demo --backend anthropic` asks the Messages API (here its local
/// server, at --base-url) with the demo tools, and shows the same view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_asks_a_real_api_with_backend() {
    let home = tempfile::tempdir().unwrap();
    let anthropic = anthropic_client::mock::MockServer::builder()
        .start()
        .await
        .unwrap();
    let mut cmd = agent_in(home.path());
    cmd.env("ANTHROPIC_API_KEY", "sk-ant-test").args([
        "demo",
        "--query",
        "Q1",
        "--backend",
        "anthropic",
        "--base-url",
        &anthropic.base_url(),
    ]);
    let out = output(cmd).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "anthropic backend, model {}",
            anthropic_client::DEFAULT_MODEL
        )),
        "{err}"
    );
    assert!(err.contains("2 tools in"), "{err}");
    assert!(
        !err.contains("limit "),
        "no scripted floor for a real model: {err}"
    );
    assert_eq!(anthropic.requests().len(), 2);

    // An OpenAI-compatible server (Ollama, say), as JSON.
    let openai = openai_client::mock::MockServer::builder()
        .start()
        .await
        .unwrap();
    let mut cmd = agent_in(home.path());
    cmd.args([
        "demo",
        "--query",
        "Q1",
        "--json",
        "--backend",
        "openai",
        "--base-url",
        &openai.base_url(),
        "--model",
        "llama3.1",
    ]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["backend"], "openai");
    assert_eq!(doc["queries"][0]["limit_ms"], Value::Null);
    assert_eq!(doc["queries"][0]["metrics"]["tool_calls"], 2);
    assert_eq!(openai.requests()[0].body["model"], "llama3.1");

    // Bedrock with no credentials: the service's one-line error, exit 3.
    let mut cmd = agent_in(home.path());
    cmd.args([
        "demo",
        "--query",
        "Q1",
        "--backend",
        "bedrock",
        "--region",
        "us-east-1",
    ]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no AWS credentials"),
        "{}",
        stderr(&out)
    );
}

/// The settings of a real model need --backend: alone they are a usage
/// error, not ignored.
#[test]
fn demo_model_flags_need_backend() {
    let home = tempfile::tempdir().unwrap();
    let out = agent_in(home.path())
        .args(["demo", "--model", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--backend"), "{}", stderr(&out));
}

/// Follow the local server's own hint, word for word: it names the plugin
/// to load, and the run it suggests succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_server_hint_works_as_printed() {
    let home = tempfile::tempdir().unwrap();
    let plugin = tool_api::plugin::testing::cargo_build_plugin("demo-tools").unwrap();
    let mut server = agent_in(home.path());
    server
        .args(["mock-server", "--port", "0"])
        .env("AGENT_DEMO_PLUGIN", &plugin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = server.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut hint = String::new();
    err.read_line(&mut hint).unwrap();
    let hint = hint.trim().to_owned();
    assert!(
        first.starts_with("listening on http://127.0.0.1:"),
        "{first}"
    );
    assert!(
        hint.contains("--plugin"),
        "the hint loads the tools: {hint}"
    );
    // `point a client at it, e.g. ENV... agent run ARGS... "PROMPT"`
    let command = hint
        .split_once("e.g. ")
        .map(|(_, c)| c)
        .expect("the hint holds a command");
    let (words, prompt) = command.split_once(" \"").unwrap();
    let prompt = prompt.trim_end_matches('"');
    let mut run = agent_in(home.path());
    for word in words.split_whitespace() {
        match word.split_once('=') {
            Some((k, v)) if k.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                run.env(k, v);
            }
            _ if word == "agent" => {}
            _ => {
                run.arg(word);
            }
        }
    }
    run.arg(prompt);
    let out = output(run).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success(), "{hint}\n{}", stderr(&out));
    assert!(stdout(&out).contains("New York"), "{}", stdout(&out));
}

/// `agent completions bash|zsh|fish` prints a script naming the
/// subcommands; an unknown shell is a usage error.
#[test]
fn completions_for_each_shell() {
    let home = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef agent"),
        ("fish", "complete -c agent"),
    ] {
        let out = agent_in(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("mock-server") && script.contains("max-concurrency"),
            "{shell}"
        );
    }
    let out = agent_in(home.path())
        .args(["completions", "cmd.exe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `--help` shows each setting's default, though the flags have no clap
/// default (the environment and the file must be able to win).
#[test]
fn help_shows_defaults() {
    let home = tempfile::tempdir().unwrap();
    let out = agent_in(home.path())
        .args(["run", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = stdout(&out);
    for needle in [
        "[default: 64]",
        "[default: bedrock]",
        "[default: 20]",
        "[default: 4000]",
        "anthropic: ",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
    // A default in the help is not a flag given: the environment still wins.
    let out = agent_in(home.path())
        .env("AGENT_MAX_CONCURRENCY", "7")
        .args(["config", "--json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["max_concurrency"]["value"], 7);
}

/// `agent config init` writes a commented agent.toml that changes nothing
/// until a line is uncommented, and never overwrites without --force.
#[test]
fn config_init_writes_a_commented_file() {
    let home = tempfile::tempdir().unwrap();
    let out = agent_in(home.path())
        .args(["config", "init"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let path = home.path().join("agent.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# max_concurrency = 64"), "{text}");
    assert!(text.contains("AGENT_MAX_CONCURRENCY"), "{text}");
    // As written it sets nothing: every value is the default.
    let out = agent_in(home.path())
        .args(["config", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["max_concurrency"]["source"]["from"], "default");
    // Uncommenting a line sets it from the file.
    std::fs::write(
        &path,
        text.replace("# max_concurrency = 64", "max_concurrency = 8"),
    )
    .unwrap();
    let out = agent_in(home.path())
        .args(["config", "--json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["max_concurrency"]["value"], 8);
    assert_eq!(doc["max_concurrency"]["source"]["from"], "file");
    // A second init keeps the user's file.
    let out = agent_in(home.path())
        .args(["config", "init"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("max_concurrency = 8")
    );
    let out = agent_in(home.path())
        .args(["config", "init", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("# max_concurrency = 64")
    );
}

/// `-v` logs are plain text when piped: no ANSI escape codes.
#[test]
fn verbose_logs_have_no_colour_codes_when_piped() {
    let home = tempfile::tempdir().unwrap();
    let out = agent_in(home.path())
        .args(["-v", "demo", "--query", "Q1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("INFO") || err.contains("DEBUG"),
        "-v logs: {err}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

/// `NO_COLOR` takes the colour away, not the live view: on a terminal (a
/// pseudo-terminal from util-linux's `script`) the demo still draws its
/// spinners and ticks, with no colour codes.
#[test]
fn no_color_keeps_the_live_view() {
    let script = Path::new("/usr/bin/script");
    if !script.is_file() {
        eprintln!("skipped: no /usr/bin/script (util-linux) to make a terminal");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(script);
    clean(&mut cmd, home.path());
    let command = format!("{} demo --query Q1", env!("CARGO_BIN_EXE_agent"));
    let out = cmd
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let screen = stdout(&out);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains('✓'), "the live view's ticks: {screen:?}");
    assert!(
        !screen.contains("ok    get_weather"),
        "not the plain view: {screen:?}"
    );
    // Colour is SGR: ESC [ digits m. Cursor moves (the redraws) are not.
    let sgr = regex_lite_sgr(&screen);
    assert!(sgr.is_empty(), "colour codes {sgr:?} in {screen:?}");
}

/// The SGR sequences that set a colour (`ESC [ 3x m`, `ESC [ 9x m`...) in
/// `text`; a plain reset or bold-off does not colour anything.
fn regex_lite_sgr(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices("\u{1b}[") {
        let rest = &text[i + 2..];
        let params: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        if rest[params.len()..].starts_with('m')
            && params.split(';').any(|p| {
                matches!(p.len(), 2 | 3)
                    && (p.starts_with('3') || p.starts_with('9') || p.starts_with('4'))
            })
        {
            found.push(format!("ESC[{params}m"));
        }
    }
    found
}

/// The only plugin libraries `cargo build --workspace` makes are the real
/// ones: the test fixtures' plugins are examples, built only by their
/// tests, so `--plugins-dir target/release` never loads a broken one.
#[test]
fn the_workspace_builds_only_real_plugins() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut libraries: Vec<&str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["targets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "cdylib"))
        })
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    libraries.sort_unstable();
    assert_eq!(libraries, ["demo-tools", "fs-tools"]);
}

/// A client that forgot its tools hears so from the local server, naming
/// the tools the scenario calls, instead of Bedrock's rule a turn later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_without_tools_against_the_local_server_names_the_missing_tools() {
    let home = tempfile::tempdir().unwrap();
    let server = bedrock_client::mock::MockServer::builder()
        .start()
        .await
        .unwrap();
    let mut cmd = agent_in(home.path());
    cmd.env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .args([
            "run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &server.endpoint_url(),
            "What's the weather in New York and the stock price of AAPL?",
        ]);
    let out = output(cmd).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("calls the tools get_weather, get_stock_price")
            && err.contains("offered no tools")
            && err.contains("--plugin"),
        "{err}"
    );
    assert!(!err.contains("toolConfig field must be defined"), "{err}");
}
