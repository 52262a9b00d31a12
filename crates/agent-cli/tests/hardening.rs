//! Settings and model faults found by testing the release build from
//! outside (issue 20), through the real binary: every duration setting
//! refuses values a `Duration` cannot hold with exit 2 naming it; a
//! malformed region and an undefined profile are usage errors; a burst of
//! twelve throttles through the real SDK over HTTP is survived with the
//! default attempts, and the retry settings bound it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bedrock_client::mock::{Fault, MockServer, Outcome};
use common::{agent_in as agent, demo_plugin, stderr};
use serde_json::Value;

const Q1: &str = "What's the weather in New York and the stock price of AAPL?";

#[test]
fn every_duration_setting_refuses_what_a_duration_cannot_hold() {
    let home = tempfile::tempdir().unwrap();
    for (flag, var, key) in [
        (
            "--model-retry-max-wait",
            "AGENT_MODEL_RETRY_MAX_WAIT",
            "model_retry_max_wait",
        ),
        (
            "--model-retry-budget",
            "AGENT_MODEL_RETRY_BUDGET",
            "model_retry_budget",
        ),
        (
            "--stream-idle-timeout",
            "AGENT_STREAM_IDLE_TIMEOUT",
            "stream_idle_timeout",
        ),
    ] {
        let file = home.path().join(format!("{key}.toml"));
        std::fs::write(&file, format!("{key} = 1e20\n")).unwrap();
        for value in ["1e20", "0", "-1", "NaN"] {
            let out = agent(home.path())
                .args([
                    "run",
                    "--region",
                    "us-east-1",
                    &format!("{flag}={value}"),
                    "hello",
                ])
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
            assert!(err.contains(flag), "{flag} {value}: names the flag: {err}");
            assert!(err.contains("365 days"), "{flag} {value}: the range: {err}");
        }
        let out = agent(home.path())
            .env(var, "1e20")
            .args(["run", "--region", "us-east-1", "hello"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}: {}", stderr(&out));
        assert!(stderr(&out).contains(var), "{}", stderr(&out));
        let out = agent(home.path())
            .args(["run", "--region", "us-east-1", "--config"])
            .arg(&file)
            .arg("hello")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{key}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{key}.toml")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_malformed_region_and_an_undefined_profile_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    for region in ["not a region!!", ""] {
        let out = agent(home.path())
            .args(["run", "--region", region, "hello"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{region:?}: {err}");
        assert!(err.contains("--region"), "names the setting: {err}");
        assert!(err.contains("us-east-1"), "shows the form: {err}");
    }
    let out = agent(home.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDENV")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(["run", "--region", "us-east-1", "--profile", "nope", "hello"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`nope` is not defined"), "{err}");
    assert!(
        err.contains("aws-credentials"),
        "says where it looked: {err}"
    );
    assert!(err.contains("--profile"), "names the setting: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_twelve_throttles_is_survived_and_the_retry_settings_bound_it() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    let server = MockServer::builder().start().await.unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = agent(home.path());
        cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .args([
                "run",
                "--json",
                "--region",
                "us-east-1",
                "--endpoint-url",
                &server.endpoint_url(),
                // Short waits: the attempts are the default's, the clock
                // is the test's to spare.
                "--model-retry-max-wait",
                "0.01",
                "--plugin",
            ])
            .arg(&plugin)
            .args(extra)
            .arg(Q1);
        cmd
    };
    // The default attempts ride out twelve throttles in a row.
    server.inject([Fault::Throttle; 12]);
    let cmd = run(&[]);
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = cmd;
        cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["answer"].as_str().unwrap().contains("New York"),
        "{doc}"
    );
    let throttled = server
        .requests()
        .iter()
        .filter(|r| r.outcome == Outcome::Fault(Fault::Throttle))
        .count();
    assert_eq!(throttled, 12);

    // Fewer retries than the burst: the run fails as a model error, and
    // the JSON document still says what happened.
    server.inject([Fault::Throttle; 12]);
    let cmd = run(&["--model-retries", "3"]);
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = cmd;
        cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.to_string().contains("throttl"), "{doc}");
}
