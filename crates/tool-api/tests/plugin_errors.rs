//! Every bad input of the plugin host, each against a real library: a clear
//! error naming the file and what to do, and never a crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::Duration;

use futures::FutureExt;

use serde_json::json;
use tool_api::plugin::host::{self, PluginError};
use tool_api::plugin::payload::ManifestError;
use tool_api::{SpecError, ToolContext, ToolOutput, ToolRegistry};

use common::{demo, misbehaving, raw_path, tool};

/// Loads `path`, expecting an error whose message names the file.
fn load_err(path: &Path) -> PluginError {
    let err = host::load(path).expect_err("the load should fail");
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "path not named: {msg}"
    );
    err
}

fn raw_err(feature: &str) -> (PluginError, String) {
    let path = raw_path(Some(feature)).canonicalize().unwrap();
    let err = load_err(&path);
    let msg = err.to_string();
    (err, msg)
}

#[test]
fn a_path_that_does_not_exist() {
    let err = load_err(Path::new("/no/such/dir/libnothing.so"));
    assert!(matches!(err, PluginError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("check the path"), "{err}");
}

#[test]
fn a_crate_built_without_cdylib_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let so = dir.path().join(format!(
        "{}my_tools{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    std::fs::write(dir.path().join("libmy_tools.rlib"), b"!<arch>\n").unwrap();
    let err = load_err(&so);
    assert!(matches!(err, PluginError::NotACdylib { .. }), "{err:?}");
    assert!(
        err.to_string().contains(r#"crate-type = ["cdylib"]"#),
        "{err}"
    );
    assert!(err.to_string().contains("libmy_tools.rlib"), "{err}");
}

#[test]
fn a_directory_where_a_file_is_expected_and_the_reverse() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_err(dir.path());
    assert!(matches!(err, PluginError::IsADirectory { .. }), "{err:?}");
    assert!(
        err.to_string().contains("load the whole directory"),
        "{err}"
    );

    let file = dir.path().join("x.txt");
    std::fs::write(&file, "x").unwrap();
    let err = host::load_dir(&file).unwrap_err();
    assert!(matches!(err, PluginError::NotADirectory { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&file.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_library() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir
        .path()
        .canonicalize()
        .unwrap()
        .join(format!("libfake{}", host::LIBRARY_SUFFIX));
    std::fs::write(&fake, "this is text, not machine code").unwrap();
    let err = load_err(&fake);
    assert!(matches!(err, PluginError::NotALibrary { .. }), "{err:?}");
    assert!(err.to_string().contains("cdylib"), "{err}");
    // The loader's own reason, not only libloading's "dlopen failed".
    #[cfg(target_os = "linux")]
    assert!(err.to_string().contains("too short"), "{err}");

    // The same file in a plugin directory: the directory load names it too.
    let err = host::load_dir(dir.path()).unwrap_err();
    assert!(
        err.to_string().contains(&fake.display().to_string()),
        "{err}"
    );
}

/// A real plugin library whose dependency is missing: the loader's own
/// reason, naming the missing library, and no cdylib hint (it is one).
#[cfg(target_os = "linux")]
#[test]
fn a_library_whose_dependency_is_missing_names_it() {
    let mut bytes = std::fs::read(raw_path(None)).unwrap();
    // Rename the `libgcc_s.so.1` it needs, in its string table, to a library
    // of the same length that does not exist.
    let needed = b"libgcc_s.so.1";
    let at = bytes
        .windows(needed.len())
        .position(|w| w == needed)
        .expect("the plugin links libgcc_s.so.1");
    bytes[at..at + needed.len()].copy_from_slice(b"libnothere.so");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().canonicalize().unwrap().join("libneeds.so");
    std::fs::write(&path, bytes).unwrap();
    let err = load_err(&path);
    assert!(matches!(err, PluginError::LoadFailed { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("libnothere.so"), "{msg}");
    assert!(!msg.contains("cdylib"), "{msg}");
}

/// A file the host may not read: the I/O error, not the cdylib hint.
#[cfg(unix)]
#[test]
fn an_unreadable_library_says_so() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().canonicalize().unwrap().join("libsecret.so");
    std::fs::copy(raw_path(None), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&path).is_ok() {
        // Root reads any file: nothing to refuse here.
        return;
    }
    let err = load_err(&path);
    assert!(matches!(err, PluginError::Unreadable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("ermission"), "{msg}");
    assert!(!msg.contains("cdylib"), "{msg}");
}

#[test]
fn a_library_without_the_entry_symbol() {
    let (err, msg) = raw_err("no-entry");
    assert!(matches!(err, PluginError::NoEntrySymbol { .. }), "{err:?}");
    assert!(msg.contains("tool_api_plugin_entry"), "{msg}");
    assert!(msg.contains("export_plugin!"), "{msg}");
}

#[test]
fn an_abi_version_mismatch_names_both_versions() {
    let (err, msg) = raw_err("abi-mismatch");
    assert!(
        matches!(
            err,
            PluginError::AbiMismatch {
                plugin: 999,
                host: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains("version 999"), "{msg}");
    assert!(msg.contains("version 1"), "{msg}");
    assert!(msg.contains("rebuild the plugin"), "{msg}");
}

#[test]
fn a_table_too_small_for_its_version() {
    let (err, msg) = raw_err("table-too-small");
    assert!(
        matches!(err, PluginError::TableTooSmall { plugin: 16, .. }),
        "{err:?}"
    );
    assert!(msg.contains("rebuild it"), "{msg}");
}

#[test]
fn a_manifest_that_is_not_json() {
    let (err, msg) = raw_err("manifest-not-json");
    assert!(
        matches!(
            err,
            PluginError::Manifest {
                source: ManifestError::NotJson(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains("not valid JSON"), "{msg}");
}

#[test]
fn a_manifest_with_a_schema_that_is_not_an_object() {
    let (err, msg) = raw_err("manifest-bad-schema");
    assert!(
        matches!(
            err,
            PluginError::Manifest {
                source: ManifestError::Tool {
                    index: 0,
                    source: SpecError::Schema { .. }
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains("echo_raw"), "{msg}");
}

#[test]
fn a_manifest_with_an_invalid_tool_name() {
    let (err, msg) = raw_err("manifest-bad-name");
    assert!(
        matches!(
            err,
            PluginError::Manifest {
                source: ManifestError::Tool {
                    source: SpecError::InvalidName { .. },
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains("\"get weather!\""), "{msg}");
    assert!(msg.contains("^[a-zA-Z0-9_-]{1,64}$"), "{msg}");
}

#[test]
fn a_plugin_that_cannot_list_its_tools() {
    let (err, msg) = raw_err("manifest-error");
    assert!(
        matches!(
            err,
            PluginError::Manifest {
                source: ManifestError::PluginFailed(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains("configuration file is missing"), "{msg}");
}

#[test]
fn two_plugins_exporting_the_same_tool_name_are_both_named() {
    let demo = demo();
    let clash = host::load(&raw_path(Some("clash"))).unwrap();
    let mut registry = ToolRegistry::new();
    demo.register(&mut registry).unwrap();
    let err = clash.register(&mut registry).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("`get_weather`"), "{msg}");
    assert!(msg.contains(&demo.path.display().to_string()), "{msg}");
    assert!(msg.contains(&clash.path.display().to_string()), "{msg}");
}

/// A tool's panic in a plugin is caught there and resumed in the calling
/// task with its message, as an in-process tool's panic reaches its caller
/// (the executor catches both and reports the call as panicked): one
/// classification. The host and the plugin's other calls go on.
#[tokio::test]
async fn a_tool_that_panics_panics_in_the_caller_and_the_host_lives() {
    let plugin = misbehaving();
    for name in ["panics", "panics_after_await"] {
        let panic = AssertUnwindSafe(tool(&plugin, name).call(json!({}), ToolContext::new("p")))
            .catch_unwind()
            .await
            .expect_err("the call should panic");
        let message = panic.downcast_ref::<String>().expect("a String payload");
        assert!(message.starts_with("deliberate panic"), "{message}");
    }
    let echo = tool(&plugin, "echo")
        .call(json!({"still": "alive"}), ToolContext::new("e"))
        .await;
    assert_eq!(echo, Ok(ToolOutput::Json(json!({"still": "alive"}))));
}

/// The plugin's runtime threads print nothing when a tool panics (no
/// message, no backtrace: capturing one stalled sibling calls), and the
/// host's resumed panic runs no hook. Run in a child process of this test
/// binary, whose standard error is all its own.
#[tokio::test]
async fn a_tool_panic_prints_nothing() {
    const CHILD: &str = "TOOL_API_TEST_PANIC_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let plugin = misbehaving();
        for name in ["panics", "panics_after_await"] {
            let panicking = tool(&plugin, name);
            let call = panicking.call(json!({}), ToolContext::new("p"));
            assert!(AssertUnwindSafe(call).catch_unwind().await.is_err());
        }
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_tool_panic_prints_nothing", "--nocapture"])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the child ran no test"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
}

#[tokio::test]
async fn a_tool_that_returns_invalid_json_is_an_error_result() {
    let plugin = host::load(&raw_path(None)).unwrap();
    let err = tool(&plugin, "bad_json")
        .call(json!({}), ToolContext::new("b"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "fatal");
    let msg = err.to_string();
    assert!(msg.contains("not valid JSON"), "{msg}");
    assert!(msg.contains("fixture-raw"), "{msg}");
    assert!(msg.contains(&plugin.path.display().to_string()), "{msg}");
}

#[tokio::test]
async fn a_tool_that_never_calls_back_is_ended_by_the_callers_timeout() {
    let plugin = host::load(&raw_path(None)).unwrap();
    let never = tool(&plugin, "never_calls_back");
    let waited = tokio::time::timeout(
        Duration::from_millis(100),
        never.call(json!({}), ToolContext::new("n")),
    )
    .await;
    assert!(waited.is_err(), "it answered: {waited:?}");
    // The host is fine: the same plugin still answers.
    let out = tool(&plugin, "echo_raw")
        .call(json!({}), ToolContext::new("e"))
        .await;
    assert_eq!(out, Ok(ToolOutput::text("raw")));
}
