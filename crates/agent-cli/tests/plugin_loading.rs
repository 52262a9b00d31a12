//! What loading plugins says, through the real binary (issue 20): each
//! plugin loaded with its version (at `-v`, in `agent tools` and in the
//! demo's header), a warning for a debug build, and a warning for a
//! plugin directory with no library in it (`--plugins-dir`, or `--plugin`
//! given a directory, which loads it as one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assert_cmd::Command;
use common::{agent_in as agent, demo_plugin, stderr};

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
    assert!(err.contains("(8 tools) from"), "{err}");
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

#[test]
fn a_prefix_lets_two_plugins_with_the_same_tool_names_load_together() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    // A second plugin offering the same names: here a copy of the library.
    let copy = home.path().join(plugin.file_name().unwrap());
    std::fs::copy(&plugin, &copy).unwrap();

    // Without a prefix: refused, naming both files and the way out.
    let out = agent(home.path())
        .args(["tools", "--plugin"])
        .arg(&plugin)
        .arg("--plugin")
        .arg(&copy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("duplicate tool name"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--plugin-prefix"), "{}", stderr(&out));

    // With one, from the flag, the environment or agent.toml: both load,
    // and the prefixed tools answer under their new names.
    let flag = format!("w2_={}", copy.display());
    let config = home.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "plugin_prefixes = {{ w2_ = {:?} }}\n",
            copy.file_name().unwrap()
        ),
    )
    .unwrap();
    let by_flag = || {
        let mut cmd = agent(home.path());
        cmd.args(["tools", "--config", "/dev/null", "--plugin"])
            .arg(&plugin)
            .args(["--plugin-prefix", &flag]);
        cmd
    };
    let by_env = || {
        let mut cmd = agent(home.path());
        cmd.env("AGENT_PLUGIN_PREFIXES", &flag)
            .args(["tools", "--config", "/dev/null", "--plugin"])
            .arg(&plugin);
        cmd
    };
    let by_file = || {
        let mut cmd = agent(home.path());
        cmd.args(["tools", "--plugin"]).arg(&plugin);
        cmd
    };
    for (how, make) in [
        ("flag", &by_flag as &dyn Fn() -> Command),
        ("env", &by_env),
        ("file", &by_file),
    ] {
        let out = make().output().unwrap();
        assert!(out.status.success(), "{how}: {}", stderr(&out));
        let listed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(listed.contains("\nw2_get_weather "), "{how}: {listed}");
        assert!(listed.starts_with("get_weather "), "{how}: {listed}");
        let out = make()
            .args([
                "--call",
                "w2_get_weather",
                "--input",
                r#"{"location": "Oslo"}"#,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{how}: {}", stderr(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Oslo"),
            "{how}"
        );
    }

    // A prefix that cannot begin a tool name is a usage error.
    let out = agent(home.path())
        .args(["tools", "--config", "/dev/null", "--plugin-prefix"])
        .arg(format!("a b={}", copy.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("plugin prefix"), "{}", stderr(&out));
}
