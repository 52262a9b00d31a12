//! A profile named to the builder: one that the shared files do not define
//! is refused at build time, naming the files read; one that they do define
//! wins over keys in the environment, as the AWS CLI's `--profile` does.
//!
//! The SDK reads the process environment and the home directory, so each
//! check runs in a child process (this test binary again) with an
//! environment of its own: HOME and both shared files in a fresh directory,
//! and `AWS_EC2_METADATA_DISABLED=true`, so IMDS is never asked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use agent_core::ModelBackend;
use agent_testkit::reference;
use bedrock_client::mock::MockServer;
use bedrock_client::{BedrockBackend, BedrockError};

const CHILD: &str = "BEDROCK_CLIENT_PROFILES_CHILD";

/// Runs test `name` again in a child with HOME at a fresh directory holding
/// `credentials`, plus `env`; the child prints `CHILD OK` when its checks pass.
fn in_child(name: &str, credentials: &str, env: &[(&str, &str)]) {
    let home = std::env::temp_dir().join(format!("bedrock-profiles-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("credentials"), credentials).unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env_clear()
        .env(CHILD, "1")
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    let _ = std::fs::remove_dir_all(&home);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the child failed:\n{text}");
    assert!(text.contains("CHILD OK"), "the child did not run:\n{text}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn an_undefined_profile_is_refused_naming_the_files_read() {
    if std::env::var_os(CHILD).is_none() {
        return in_child(
            "an_undefined_profile_is_refused_naming_the_files_read",
            "[work]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n",
            &[],
        );
    }
    runtime().block_on(async {
        let err = BedrockBackend::builder()
            .region("us-east-1")
            .profile("nope")
            .build()
            .await
            .unwrap_err();
        let BedrockError::ProfileNotFound { profile, looked_in } = &err else {
            panic!("expected ProfileNotFound, got {err}");
        };
        assert_eq!(profile, "nope");
        let home = std::env::var("HOME").unwrap();
        assert!(looked_in.contains(&home), "{err}");
        assert!(looked_in.contains("credentials"), "{err}");
        assert!(err.to_string().contains("`nope` is not defined"), "{err}");
        println!("{err}");
        println!("CHILD OK");
    });
}

#[test]
fn an_explicit_profile_wins_over_environment_keys() {
    if std::env::var_os(CHILD).is_none() {
        return in_child(
            "an_explicit_profile_wins_over_environment_keys",
            "[work]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n",
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ],
        );
    }
    runtime().block_on(async {
        let server = MockServer::builder().start().await.unwrap();
        let request = common::first_request(reference::queries()[0].prompt.as_deref().unwrap());
        let call = |backend: BedrockBackend| {
            let request = request.clone();
            async move {
                tokio::time::timeout(Duration::from_secs(60), backend.converse(&request))
                    .await
                    .expect("the call hung")
                    .unwrap();
            }
        };
        let with_profile = BedrockBackend::builder()
            .region("us-east-1")
            .profile("work")
            .endpoint_url(server.endpoint_url())
            .build()
            .await
            .unwrap();
        call(with_profile).await;
        // Without a profile, the chain's order holds: the environment first.
        let without = BedrockBackend::builder()
            .region("us-east-1")
            .endpoint_url(server.endpoint_url())
            .build()
            .await
            .unwrap();
        call(without).await;
        let keys: Vec<String> = server
            .requests()
            .iter()
            .map(|r| r.header("authorization").unwrap().to_owned())
            .collect();
        assert!(keys[0].contains("Credential=AKIDPROFILE/"), "{}", keys[0]);
        assert!(
            keys[1].contains("Credential=AKIDENVIRONMENT/"),
            "{}",
            keys[1]
        );
        println!("CHILD OK");
    });
}
