//! What reaches the terminal from the model, a tool or a plugin is shown,
//! never obeyed: escape sequences in the model's text (clear screen, set the
//! window title) and in a tool's error print as visible escapes, in the
//! answer, the live view (plain mode, as when stderr is not a terminal) and
//! the summary; `--json` keeps the exact text (JSON escapes it itself).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bedrock_client::mock::MockServer;

const PROMPT: &str = "Say something nasty to my terminal.";

fn scenario_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("nasty.json");
    let scenario = serde_json::json!([{
        "name": "nasty",
        "prompt": PROMPT,
        "turns": [
            { "text": "Checking\u{1b}]0;pwned\u{7}.", "tool_calls": [
                { "name": "get_weather", "input": { "location": "Paris\u{1b}[2J" } }
            ] },
            { "text": "Done\u{1b}[2J\u{1b}]0;title\u{7} and\rover." }
        ]
    }]);
    std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_from_the_model_are_shown_not_obeyed() {
    let home = tempfile::tempdir().unwrap();
    let scenarios = bedrock_client::mock::load_scenarios(scenario_file(home.path())).unwrap();
    let server = MockServer::builder()
        .scenarios(scenarios)
        .start()
        .await
        .unwrap();
    let endpoint = server.endpoint_url();
    let plugin = tool_api::plugin::testing::cargo_build_plugin("demo-tools").unwrap();
    let home_path = home.path().to_owned();
    let run = move |json: bool| {
        let home = &home_path;
        let mut cmd = common::agent_with_keys(home);
        cmd.args([
            "run",
            "--no-stream",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
            "--plugin",
        ])
        .arg(&plugin);
        if json {
            cmd.arg("--json");
        }
        cmd.arg(PROMPT);
        cmd
    };
    let out = tokio::task::spawn_blocking(move || {
        let plain = run(false).output().unwrap();
        let json = run(true).output().unwrap();
        (plain, json)
    })
    .await
    .unwrap();
    let (plain, json) = out;
    let stdout = String::from_utf8_lossy(&plain.stdout);
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(plain.status.success(), "{stderr}");
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains('\u{1b}'), "{what} holds a raw ESC: {text:?}");
        assert!(!text.contains('\u{7}'), "{what} holds a raw BEL: {text:?}");
        assert!(!text.contains('\r'), "{what} holds a raw CR: {text:?}");
    }
    assert!(
        stdout.contains("Done^[[2J^[]0;title^G and\\rover."),
        "{stdout:?}"
    );
    // The tool's input reached the live view escaped too.
    assert!(stderr.contains("location=Paris^[[2J"), "{stderr:?}");

    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        doc["answer"].as_str().unwrap(),
        "Done\u{1b}[2J\u{1b}]0;title\u{7} and\rover."
    );
}
