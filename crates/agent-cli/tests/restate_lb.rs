//! Two `agent serve --restate` endpoints behind one deployment address
//! (docs/SCALING.md): the real Restate server (as in tests/restate.rs)
//! registers the `restate-lb` proxy's address, which spreads invocations
//! over the two real endpoints round robin, each invocation's HTTP/2 stream
//! carried both ways through it. Sessions sent at once all get their own
//! right answers, and each endpoint ran some of them (its tool's side
//! effects land in its own working directory). Everything on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bedrock_client::mock::MockServer;
use restate_lb::Proxy;
use serde_json::{Value, json};

/// How long anything here may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(120);

/// Sessions sent at once.
const SESSIONS: usize = 8;

/// The `restate-server` binary, found as tests/restate.rs finds it; `None`
/// (the test skips) only when it is unavailable and CI did not ask for it.
fn restate_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AGENT_RESTATE_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "AGENT_RESTATE_SERVER={} is not a file: run .ci/install-restate",
            path.display()
        );
        return Some(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/install-restate");
    match Command::new("bash").arg(&script).output() {
        Ok(out) if out.status.success() => {
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            path.is_file().then_some(path)
        }
        other => {
            eprintln!(
                "SKIPPED: restate-server is unavailable ({other:?}) and AGENT_RESTATE_SERVER is unset; run .ci/install-restate"
            );
            None
        }
    }
}

/// A port free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `ready` says yes, or fails saying `what`.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP request, blocking (on its own runtime thread).
fn http(method: &str, url: &str, body: Option<Value>) -> Result<(u16, Value), String> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .timeout(PATIENCE)
                .no_proxy()
                .build()
                .map_err(|e| e.to_string())?;
            let mut request = client
                .request(method, &url)
                .header("accept", "application/json");
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let text = response.text().await.map_err(|e| e.to_string())?;
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            Ok((status, value))
        })
    })
    .join()
    .unwrap()
}

fn get_ok(url: &str) -> bool {
    matches!(http("GET", url, None), Ok((200, _)))
}

/// A Restate server of its own (every port explicit on 127.0.0.1, its data
/// in `dir`): its admin API and ingress URLs.
fn restate(binary: &Path, dir: &Path) -> (Process, String, String) {
    let [node, admin, ingress, pgsql] = [free_port(), free_port(), free_port(), free_port()];
    let config = dir.join("restate.toml");
    std::fs::write(
        &config,
        format!(
            r#"node-name = "agent-test-lb"
base-dir = "{data}"
bind-address = "127.0.0.1:{node}"
advertised-address = "http://127.0.0.1:{node}/"
default-num-partitions = 2
disable-telemetry = true
rocksdb-total-memory-size = "256 MiB"
log-filter = "warn"

[admin]
bind-address = "127.0.0.1:{admin}"
disable-web-ui = true

[admin.query-engine]
pgsql-bind-address = "127.0.0.1:{pgsql}"

[ingress]
bind-address = "127.0.0.1:{ingress}"
"#,
            data = dir.join("data").display(),
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("restate.log")).unwrap();
    let child = Command::new(binary)
        .arg("--config-file")
        .arg(&config)
        .args(["--listen-mode", "tcp", "--no-logo"])
        .current_dir(dir)
        .env("DO_NOT_TRACK", "1")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let process = Process(child);
    let admin = format!("http://127.0.0.1:{admin}");
    let ingress = format!("http://127.0.0.1:{ingress}");
    wait_for("Restate's admin API and ingress", || {
        get_ok(&format!("{admin}/health")) && get_ok(&format!("{ingress}/restate/health"))
    });
    (process, admin, ingress)
}

/// Each session's script: one `mark` call writing the session's tag to
/// `served.log` (a relative path: the endpoint's own working directory)
/// and sleeping a little, so the sessions are in flight together; then the
/// session's own answer.
fn scenarios() -> String {
    let sessions: Vec<Value> = (0..SESSIONS)
        .map(|i| {
            json!({
                "name": format!("session-{i}"),
                "prompt": format!("Mark for session {i}"),
                "turns": [
                    { "text": "Marking.", "tool_calls": [{
                        "name": "mark",
                        "input": { "path": "served.log", "tag": format!("s{i}"), "ms": 300 }
                    }] },
                    { "text": format!("Done s{i}.") }
                ]
            })
        })
        .collect();
    Value::Array(sessions).to_string()
}

/// `agent serve --restate` on `port`, working in `dir` (its tool's
/// `served.log` lands there), the local Converse server as its model.
fn endpoint(port: u16, server: &MockServer, dir: &Path) -> Process {
    let plugin = tool_api::plugin::testing::cargo_build_plugin_example(
        "fixture-effects",
        "fixture_effects",
        &[],
    )
    .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let log = std::fs::File::create(dir.join("endpoint.log")).unwrap();
    let child = Command::new(assert_cmd::cargo::cargo_bin("agent"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env("XDG_DATA_HOME", dir.join(".data"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("aws-credentials"))
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(["serve", "--restate", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--region", "us-east-1", "--endpoint-url"])
        .arg(server.endpoint_url())
        .arg("--plugin")
        .arg(plugin)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let process = Process(child);
    wait_for("the endpoint to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    process
}

/// The tags an endpoint's tool wrote: the sessions whose turn it ran.
fn served(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("served.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn sessions_spread_over_two_endpoints_behind_one_address() {
    let Some(binary) = restate_server() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scenarios = bedrock_client::mock::parse_scenarios(&scenarios()).unwrap();
    let server = rt
        .block_on(MockServer::builder().scenarios(scenarios).start())
        .unwrap();
    let (_restate, admin, ingress) = restate(&binary, home.path());
    let dirs = [
        home.path().join("endpoint-a"),
        home.path().join("endpoint-b"),
    ];
    let ports = [free_port(), free_port()];
    let _endpoints: Vec<Process> = dirs
        .iter()
        .zip(ports)
        .map(|(dir, port)| endpoint(port, &server, dir))
        .collect();
    let proxy = rt
        .block_on(Proxy::start(
            "127.0.0.1:0".parse().unwrap(),
            ports.map(|p| format!("http://127.0.0.1:{p}")),
        ))
        .unwrap();

    // The proxy's address is the deployment; Restate's discovery request
    // goes through it too.
    let (status, registered) = http(
        "POST",
        &format!("{admin}/deployments"),
        Some(json!({ "uri": proxy.uri() })),
    )
    .unwrap();
    assert!(
        status == 201 || status == 200,
        "registration: {status} {registered}"
    );

    // Every session's turn at once, through the ingress.
    let turns: Vec<_> = (0..SESSIONS)
        .map(|i| {
            let url = format!("{ingress}/Agent/lb-{i}/send");
            std::thread::spawn(move || {
                http("POST", &url, Some(json!(format!("Mark for session {i}"))))
            })
        })
        .collect();
    let logs = || {
        dirs.iter()
            .map(|d| std::fs::read_to_string(d.join("endpoint.log")).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    for (i, turn) in turns.into_iter().enumerate() {
        let (status, doc) = turn.join().unwrap().unwrap();
        assert_eq!(
            status,
            200,
            "session {i}: {doc}\nendpoint logs:\n{}",
            logs()
        );
        assert!(doc["error"].is_null(), "session {i}: {doc}");
        assert_eq!(doc["answer"], format!("Done s{i}."), "{doc}");
        // The session's own tool call ran and its result is the session's.
        let results = doc["messages"][2].to_string();
        assert!(
            results.contains(&format!(r#"\"tag\":\"s{i}\""#))
                || results.contains(&format!(r#""tag":"s{i}""#)),
            "session {i}'s tool result: {results}"
        );
    }

    // Both endpoints ran turns, and together they ran every session's.
    let a = served(&dirs[0]);
    let b = served(&dirs[1]);
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both endpoints serve: {a:?} {b:?}"
    );
    let all: BTreeSet<String> = (0..SESSIONS).map(|i| format!("s{i}")).collect();
    assert_eq!(a.union(&b).cloned().collect::<BTreeSet<_>>(), all);
    let counts = proxy.served();
    assert!(
        counts.iter().all(|&n| n > 0),
        "requests per endpoint: {counts:?}"
    );
    drop(proxy);
    drop(rt);
}
