//! No credentials anywhere: the default AWS chain finds nothing, and the
//! call fails at once with the `Credentials` kind and one line saying where
//! the chain looked and how to fix it, before any request is sent.
//!
//! The default chain reads the process environment and the home directory,
//! and on EC2 would find real credentials in instance metadata. So the check
//! runs in a child process (this test binary again) with an empty
//! environment: HOME pointing at an empty directory, profile files that do
//! not exist, and `AWS_EC2_METADATA_DISABLED=true`, so IMDS is never asked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use agent_core::{ModelBackend, ModelErrorKind};
use agent_testkit::reference;
use bedrock_client::BedrockBackend;
use bedrock_client::mock::MockServer;
use bedrock_client::types::errors::NO_CREDENTIALS_HELP;

const CHILD: &str = "BEDROCK_CLIENT_NO_CREDENTIALS_CHILD";

#[test]
fn no_credentials_fail_fast_with_one_clear_line() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let home = std::env::temp_dir().join(format!("bedrock-no-creds-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "no_credentials_fail_fast_with_one_clear_line",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env(CHILD, "1")
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the child failed:\n{text}");
    assert!(
        text.contains("CHILD OK"),
        "the child did not run the check:\n{text}"
    );
    eprintln!("{text}");
}

fn child() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = MockServer::builder().start().await.unwrap();
        // The default chain: no credentials provider given.
        let backend = BedrockBackend::builder()
            .region("us-east-1")
            .endpoint_url(server.endpoint_url())
            .build()
            .await
            .unwrap();
        let request = common::first_request(reference::queries()[0].prompt.as_deref().unwrap());
        // A hang guard, not a timing assertion.
        let err = tokio::time::timeout(Duration::from_secs(60), backend.converse(&request))
            .await
            .expect("the credentials chain hung")
            .unwrap_err();
        assert_eq!(err.kind, ModelErrorKind::Credentials, "{err}");
        assert!(!err.is_retryable());
        assert_eq!(err.message, NO_CREDENTIALS_HELP);
        assert!(!err.to_string().contains('\n'), "one line: {err}");
        assert!(err.to_string().contains("aws configure"));
        assert!(err.to_string().contains("AWS_PROFILE"));
        // A library error: it names the library's fixes, not the CLI's.
        assert!(!err.to_string().contains("agent demo"), "{err}");
        assert!(server.requests().is_empty(), "nothing was sent unsigned");
        println!("{err}");

        // A profile given to the builder that no shared file defines is
        // refused when the backend is built (tests/profiles.rs).
        let named = BedrockBackend::builder()
            .region("us-east-1")
            .profile("dev")
            .endpoint_url(server.endpoint_url())
            .build()
            .await
            .unwrap_err();
        assert!(
            named.to_string().contains("`dev` is not defined"),
            "{named}"
        );
        println!("{named}");
        println!("CHILD OK");
    });
}
