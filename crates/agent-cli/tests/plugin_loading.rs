//! What loading plugins says, through the real binary (issue 20): each
//! plugin loaded with its version (at `-v`, in `agent tools` and in the
//! demo's header), a warning for a debug build, and a warning for a
//! plugin directory with no library in it (`--plugins-dir`, or `--plugin`
//! given a directory, which loads it as one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn agent(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("agent").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .current_dir(home);
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn demo_plugin() -> PathBuf {
    tool_api::plugin::testing::cargo_build_plugin("demo-tools").expect("build the demo plugin")
}

/// `plugin demo-tools 0.1.0`: the name and version of the demo plugin.
fn demo_plugin_named() -> String {
    format!("plugin demo-tools {}", env!("CARGO_PKG_VERSION"))
}

#[test]
fn an_empty_plugin_directory_warns_by_either_flag() {
    let home = tempfile::tempdir().unwrap();
    let empty = home.path().join("plugins");
    std::fs::create_dir(&empty).unwrap();
    for flag in ["--plugins-dir", "--plugin"] {
        let out = agent(home.path())
            .args(["tools", flag])
            .arg(&empty)
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("warning: "), "{flag}: {err}");
        assert!(err.contains("holds no plugin library"), "{flag}: {err}");
        assert!(err.contains(&empty.display().to_string()), "{flag}: {err}");
    }
}

#[test]
fn a_directory_given_to_plugin_is_loaded_as_a_directory() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("plugins");
    std::fs::create_dir(&dir).unwrap();
    let plugin = demo_plugin();
    std::fs::copy(&plugin, dir.join(plugin.file_name().unwrap())).unwrap();
    let out = agent(home.path())
        .args(["tools", "--plugin"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("get_weather"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("holds no plugin library"));
}

#[test]
fn loaded_plugins_are_named_with_their_version_and_debug_builds_warned() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    // The test build and the plugin cargo builds for it share a profile.
    let debug = cfg!(debug_assertions);

    // `-v` on any command that loads plugins: here a run that fails at once
    // for want of credentials, after loading them.
    let out = agent(home.path())
        .args(["-v", "run", "--json", "--plugin"])
        .arg(&plugin)
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--model-retries",
            "0",
        ])
        .args(["--region", "us-east-1", "hello"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains(&demo_plugin_named()), "{err}");
    assert!(err.contains("(7 tools) from"), "{err}");
    assert_eq!(err.contains("is a debug build"), debug, "{err}");
    // Without -v, only the warning.
    let out = agent(home.path())
        .args(["run", "--json", "--plugin"])
        .arg(&plugin)
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--model-retries",
            "0",
        ])
        .args(["--region", "us-east-1", "hello"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!err.contains("tools) from"), "{err}");
    assert_eq!(err.contains("is a debug build"), debug, "{err}");
    if debug {
        assert!(err.contains("cargo build --release"), "{err}");
    }

    // The demo's header names the plugin and its version.
    let out = agent(home.path())
        .args(["demo", "--query", "Q1", "--plugin"])
        .arg(&plugin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&demo_plugin_named()),
        "{}",
        stderr(&out)
    );
}
