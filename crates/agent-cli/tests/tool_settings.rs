//! What the real `agent` binary says of `[tools.NAME]` tables and
//! `--approve` names: names no tool has are warned of by every command that
//! loads tools, once, as a plain line; resources that look keyed but are
//! not are warned of; `agent tools --json` shows the scheduling applied.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{agent_in, demo_plugin, stderr, stdout};
use serde_json::Value;

const CONFIG: &str = "[tools.get_wether]\ntimeout = 5\n\n\
                      [tools.get_weather]\nconcurrency = 2\nexclusive = [\"file:path\"]\n";

fn home_with_config() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("agent.toml"), CONFIG).unwrap();
    home
}

#[test]
fn every_command_that_loads_tools_warns_of_unknown_names_once() {
    let plugin = demo_plugin();
    let home = home_with_config();
    let listing = agent_in(home.path())
        .args(["tools", "--plugin"])
        .arg(&plugin)
        .output()
        .unwrap();
    let call = agent_in(home.path())
        .args(["tools", "--plugin"])
        .arg(&plugin)
        .args([
            "--call",
            "get_weather",
            "--input",
            r#"{"location":"Paris"}"#,
        ])
        .output()
        .unwrap();
    let approve = agent_in(home.path())
        .env("AGENT_APPROVE", "get_wether")
        .args(["tools", "--plugin"])
        .arg(&plugin)
        .output()
        .unwrap();
    for out in [&listing, &call, &approve] {
        assert!(out.status.success(), "{}", stderr(out));
        let err = stderr(out);
        let line = "warning: [tools.get_wether] names no loaded tool, so its settings (in file ";
        assert_eq!(err.matches(line).count(), 1, "{err}");
        assert!(
            err.contains("apply to nothing (did you mean `get_weather`?); loaded: "),
            "{err}"
        );
        assert!(!err.contains("WARN"), "a plain line, not a log line: {err}");
        assert!(
            err.contains(
                "warning: [tools.get_weather] resource \"file:path\" is one plain resource"
            ),
            "{err}"
        );
        assert!(err.contains("\"file:/path\""), "{err}");
    }
    let err = stderr(&approve);
    assert!(
        err.contains("warning: `get_wether` in approve (env AGENT_APPROVE) names no loaded tool"),
        "{err}"
    );
    assert!(err.contains("did you mean `get_weather`?"), "{err}");
}

#[test]
fn tools_json_shows_the_scheduling_applied() {
    let home = home_with_config();
    let out = agent_in(home.path())
        .args(["tools", "--json", "--plugin"])
        .arg(demo_plugin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let weather = rows.iter().find(|r| r["name"] == "get_weather").unwrap();
    assert_eq!(weather["scheduling"]["concurrency"], 2, "{weather}");
    assert_eq!(
        weather["scheduling"]["exclusive"][0], "file:path",
        "{weather}"
    );
}
