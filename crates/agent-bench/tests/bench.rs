//! `agent-bench` end to end on a cheap case: the real binary, the demo
//! plugin library, the real Bedrock backend against the local server, the
//! bare SDK loop, and `agent run` as a child process. Asserts on the shape
//! and consistency of the figures, never on their values (no wall-clock
//! assertions: the machine is shared).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// The `agent` binary `agent run` is measured with. Cargo builds only this
/// package's binaries for its tests, so the test builds it, with the same
/// profile, into the same target directory (beside `agent-bench`).
fn agent_binary() -> PathBuf {
    let path = assert_cmd::cargo::cargo_bin("agent");
    let profile = match path
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
    {
        Some("debug") | None => "dev".to_owned(),
        Some(other) => other.to_owned(),
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "build",
            "-p",
            "agent-cli",
            "--bin",
            "agent",
            "--profile",
            &profile,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

fn bench() -> Command {
    let mut cmd = Command::cargo_bin("agent-bench").unwrap();
    let home = tempfile::tempdir().unwrap().keep();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .current_dir(&home);
    cmd
}

/// `doc[key]`, which must be a number: a missing or mistyped figure fails
/// here, never compares as `None`.
fn number(doc: &Value, key: &str) -> f64 {
    doc[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {doc}"))
}

#[test]
fn bench_runs_a_cheap_case_and_emits_json_figures() {
    let plugin = tool_api::plugin::testing::cargo_build_plugin("demo-tools").unwrap();
    let out = bench()
        .args([
            "--cases",
            "CHAIN-3:stream,CHAIN-3:converse",
            "--runs",
            "1",
            "--json",
            "--plugin",
        ])
        .arg(&plugin)
        .arg("--agent")
        .arg(agent_binary())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");

    let cases = doc["cases"].as_array().unwrap();
    let ids: Vec<_> = cases.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CHAIN-3@0:stream", "CHAIN-3@0:converse"]);
    for c in cases {
        assert_eq!(c["model_calls"], 4);
        assert_eq!(c["tool_calls"], 3);
        assert_eq!(c["limit_ms"], 0.0);
        assert_eq!(c["runs_ms"].as_array().unwrap().len(), 1);
        let wall = &c["wall_ms"];
        let (min, median, max) = (
            number(wall, "min_ms"),
            number(wall, "median_ms"),
            number(wall, "max_ms"),
        );
        assert!(min > 0.0 && min <= median && median <= max, "{wall}");
        assert_eq!(c["ratio"], Value::Null, "no ratio over a zero limit");
        assert_eq!(c["sequential"]["method"], "measured");
        assert!(c["overhead_per_turn_ms"].is_f64());
        assert!(c["floor_per_call_ms"].is_f64());
        assert!(c["per_turn_over_floor_ms"].is_f64());
    }

    let floor = doc["floor"].as_array().unwrap();
    assert_eq!(floor.len(), 2);
    assert!(floor.iter().all(|f| f["calls"] == 4));

    let run = &doc["agent_run"];
    assert_eq!(run["startup_samples"], 1);
    assert!(number(&run["startup_ms"], "median_ms") > 0.0);
    assert_eq!(run["peak_rss"][0]["scenario"], "CHAIN-3");

    assert_eq!(doc["method"]["runs"], 1);
    assert_eq!(doc["method"]["max_concurrency"], Value::Null);
    let cpus = doc["machine"]["cpus"].as_u64();
    assert!(cpus.is_some_and(|n| n > 0), "{}", doc["machine"]);
    // The table goes to stderr when the JSON takes stdout.
    assert!(stderr.contains("CHAIN-3@0:converse"), "{stderr}");
    assert!(stderr.contains("no concurrency limit"), "{stderr}");
    // It says what it will run, and that a debug build's figures (this
    // test's) are not the documented ones.
    assert!(
        stderr.contains("2 cases: CHAIN-3@0:stream, CHAIN-3@0:converse"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: this is a debug build of agent-bench"),
        "{stderr}"
    );
}

#[test]
fn bench_refuses_an_unknown_case() {
    let out = bench().args(["--cases", "Q9"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("NAME[@MS]"), "{stderr}");
}

#[test]
fn the_sessions_bench_journals_every_step_and_resumes() {
    let plugin = tool_api::plugin::testing::cargo_build_plugin("demo-tools").unwrap();
    let out = bench()
        .args([
            "--sessions",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--json",
            "--plugin",
        ])
        .arg(&plugin)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let cases = doc["cases"].as_array().unwrap();
    let ids: Vec<_> = cases.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CHAIN-20@0:stream", "FANOUT-256@0:stream"]);
    // Prompt, each response, each result as it ends, each results message.
    assert_eq!(cases[0]["entries_per_run"], 1 + 21 + 20 + 20);
    assert_eq!(cases[1]["entries_per_run"], 1 + 2 + 256 + 1);
    for c in cases {
        for key in ["overhead_per_run_ms", "overhead_per_entry_ms"] {
            number(c, key);
        }
        assert!(number(&c["sqlite_ms"], "median_ms") > 0.0);
    }
    let resume = &doc["resume"];
    assert_eq!(resume["turns"], 100);
    // Cut after the 100th turn's calls were asked: prompt, 100 responses,
    // 99 batches (a result and a results message each).
    assert_eq!(resume["entries"], 1 + 100 + 99 * 2);
    assert!(
        number(&resume["resume_ms"], "median_ms") >= number(&resume["restore_ms"], "median_ms")
    );
}
