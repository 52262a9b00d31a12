//! The host side against real plugin libraries built from the workspace:
//! loading, manifests, calls, concurrency, cancellation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tool_api::plugin::host;
use tool_api::{ToolContext, ToolError, ToolOutput, ToolRegistry};

use common::{demo, demo_path, misbehaving, raw_path, tool};

fn json_of(out: ToolOutput) -> Value {
    match out {
        ToolOutput::Json(v) => v,
        other => panic!("expected JSON, got {other:?}"),
    }
}

#[test]
fn the_manifest_lists_the_demo_tools_with_normalised_schemas() {
    let plugin = demo();
    assert_eq!(plugin.manifest.name, "demo-tools");
    assert_eq!(plugin.manifest.panic.as_deref(), Some("unwind"));
    assert_eq!(
        plugin.manifest.sdk_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let names: Vec<_> = plugin.tools.iter().map(|t| t.spec().name.clone()).collect();
    assert_eq!(
        names,
        [
            "get_weather",
            "get_stock_price",
            "calculate_distance",
            "search_restaurants",
            "sleep_tool",
            "sleep_tool_blocking",
            "noop",
            "render_chart"
        ]
    );
    for t in &plugin.tools {
        let spec = t.spec();
        assert_eq!(spec.input_schema["type"], "object", "{}", spec.name);
        assert!(spec.input_schema.get("$schema").is_none());
        assert_eq!(spec.clone().normalized().unwrap(), *spec);
    }
    let weather = tool(&plugin, "get_weather");
    assert_eq!(weather.spec().input_schema["required"], json!(["location"]));
}

#[test]
fn a_library_is_loaded_once_per_canonical_path() {
    let path = demo_path();
    let first = host::load(&path).unwrap();
    // The same file by another spelling of its path.
    let dir = path.parent().unwrap();
    let other = dir.join(".").join(path.file_name().unwrap());
    let second = host::load(&other).unwrap();
    assert_eq!(first.path, second.path);
    assert!(Arc::ptr_eq(&first.tools[0], &second.tools[0]));
}

#[tokio::test]
async fn calls_go_through_the_library_and_back() {
    let plugin = demo();
    let out = tool(&plugin, "noop")
        .call(json!({}), ToolContext::new("c1"))
        .await;
    assert_eq!(out, Ok(ToolOutput::Json(json!({}))));
    for name in ["sleep_tool", "sleep_tool_blocking"] {
        let out = tool(&plugin, name)
            .call(json!({"ms": 5}), ToolContext::new("c2"))
            .await;
        assert_eq!(out, Ok(ToolOutput::Json(json!({"slept_ms": 5}))), "{name}");
    }
}

/// Rich output crosses the ABI: a caption and a PNG, bytes intact.
#[tokio::test]
async fn an_image_comes_back_through_the_library() {
    let plugin = demo();
    let out = tool(&plugin, "render_chart")
        .call(json!({"values": [3, 1, 2]}), ToolContext::new("c"))
        .await
        .unwrap();
    let ToolOutput::Parts(parts) = out else {
        panic!("not parts: {out:?}")
    };
    assert_eq!(
        parts[0],
        tool_api::OutputPart::Text("A bar chart of 3 values (largest 3).".into())
    );
    let tool_api::OutputPart::Image(image) = &parts[1] else {
        panic!("not an image: {:?}", parts[1])
    };
    assert_eq!(image.format, tool_api::ImageFormat::Png);
    let bytes = image.source.bytes().unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(bytes.len() > 100, "{} bytes", bytes.len());
}

#[tokio::test]
async fn invalid_input_comes_back_as_invalid_input() {
    let plugin = demo();
    let err = tool(&plugin, "get_stock_price")
        .call(json!({"symbol": 42}), ToolContext::new("c"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert!(err.to_string().contains("symbol"), "{err}");
}

/// The fixture records cancellations by call id, so the probe of the test
/// beside this one (whose token is cancelled by its context) cannot make
/// this one pass.
#[tokio::test]
async fn a_dropped_call_reaches_the_tools_cancellation_token() {
    let plugin = misbehaving();
    let probe = tool(&plugin, "cancel_probe");
    let was_cancelled = tool(&plugin, "was_cancelled");
    let read = || async {
        json_of(
            was_cancelled
                .call(json!({"call_id": "dropped"}), ToolContext::new("n"))
                .await
                .unwrap(),
        )["cancelled"]
            .as_bool()
            .unwrap()
    };
    assert!(!read().await);
    let timed_out = tokio::time::timeout(
        Duration::from_millis(50),
        probe.call(json!({}), ToolContext::new("dropped")),
    )
    .await;
    assert!(timed_out.is_err(), "the probe answered: {timed_out:?}");
    // The cancel export runs on drop; the tool notices on its own runtime.
    let mut seen = false;
    for _ in 0..500 {
        seen = read().await;
        if seen {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(seen, "the tool never saw its cancellation");
}

#[tokio::test]
async fn the_contexts_token_is_forwarded_and_the_tool_still_answers() {
    let plugin = misbehaving();
    let probe = tool(&plugin, "cancel_probe");
    let ctx = ToolContext::new("p2");
    let token = ctx.cancellation().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        token.cancel();
    });
    let err = tokio::time::timeout(Duration::from_secs(30), probe.call(json!({}), ctx))
        .await
        .expect("the cancelled call answered")
        .unwrap_err();
    assert_eq!(err.to_string(), "cancelled");
}

/// The demo plugin keeps the default of one worker; the misbehaving fixture
/// asks for two with `export_plugin!(tools, workers = 2)`. The environment
/// variable, when the test run sets it, overrides both.
#[tokio::test]
async fn a_plugin_runtime_has_the_workers_it_asks_for() {
    let workers = tool(&misbehaving(), "runtime_workers")
        .call(json!({}), ToolContext::new("w"))
        .await
        .unwrap();
    let expected = std::env::var(tool_api::plugin::export::WORKERS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2);
    assert_eq!(json_of(workers)["workers"], expected);
}

#[tokio::test]
async fn a_raw_plugin_may_answer_inside_call_or_from_its_own_thread() {
    let plugin = host::load(&raw_path(None)).unwrap();
    for name in ["echo_raw", "later"] {
        let out = tool(&plugin, name)
            .call(json!({}), ToolContext::new("r"))
            .await;
        assert_eq!(out, Ok(ToolOutput::text("raw")), "{name}");
    }
}

/// A completion that hands a call's context back under another call id is
/// not taken as that call's answer. (A completion arriving twice cannot be
/// shown with a raw plugin: the first one reclaims the host's context, so a
/// second is a use after free that the ABI forbids; `plugin_export.rs` checks
/// that `export_plugin!` never completes twice.)
#[tokio::test]
async fn a_completion_under_another_call_id_is_an_error_result() {
    let plugin = host::load(&raw_path(None)).unwrap();
    let err = tool(&plugin, "wrong_call_id")
        .call(json!({}), ToolContext::new("w"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "fatal");
    let msg = err.to_string();
    assert!(msg.contains("under the id"), "{msg}");
    assert!(msg.contains("fixture-raw"), "{msg}");
}

/// `until_cancelled` answers from inside the plugin's `cancel`: when the
/// call's token fires the host cancels and takes that answer; when the host
/// stops waiting (a timeout drops the call) the plugin still completes it,
/// inside the `cancel` the drop calls, so nothing of it is left waiting.
#[tokio::test]
async fn a_raw_plugin_may_answer_inside_cancel() {
    let plugin = host::load(&raw_path(None)).unwrap();
    let until_cancelled = tool(&plugin, "until_cancelled");
    let waiting = || async {
        json_of(
            tool(&plugin, "waiting_count")
                .call(json!({}), ToolContext::new("n"))
                .await
                .unwrap(),
        )["waiting"]
            .as_u64()
            .unwrap()
    };

    let ctx = ToolContext::new("u1");
    let token = ctx.cancellation().clone();
    let call = until_cancelled.call(json!({}), ctx);
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        token.cancel();
    };
    let (out, ()) = tokio::join!(call, cancel);
    assert_eq!(out, Err(ToolError::fatal("cancelled")));

    let timed_out = tokio::time::timeout(
        Duration::from_millis(20),
        until_cancelled.call(json!({}), ToolContext::new("u2")),
    )
    .await;
    assert!(timed_out.is_err(), "it answered: {timed_out:?}");
    assert_eq!(waiting().await, 0);
}

#[test]
fn load_dir_and_registration() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        demo_path(),
        dir.path().join(format!("demo{}", host::LIBRARY_SUFFIX)),
    )
    .unwrap();
    std::fs::write(dir.path().join("README.txt"), "not a plugin").unwrap();
    let plugins = host::load_dir(dir.path()).unwrap();
    assert_eq!(plugins.len(), 1);
    let mut registry = ToolRegistry::new();
    plugins[0].register(&mut registry).unwrap();
    assert_eq!(registry.len(), 8);
    let registered = registry.get("get_weather").unwrap();
    assert_eq!(registered.source, plugins[0].path.display().to_string());

    let mut again = ToolRegistry::new();
    let loaded = host::load_into(&mut again, [dir.path()]).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(again.len(), 8);

    // The same library by its directory, its file and a symlink: one
    // plugin, not a clash of tool names with itself.
    let file = dir.path().join(format!("demo{}", host::LIBRARY_SUFFIX));
    let link = dir.path().join("elsewhere.link");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&file, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&file, &link).unwrap();
    let mut once = ToolRegistry::new();
    let loaded = host::load_into(&mut once, [dir.path(), &file, &file]).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(once.len(), 8);
    #[cfg(unix)]
    {
        let loaded = host::load_into(&mut ToolRegistry::new(), [&file, &link]).unwrap();
        assert_eq!(loaded.len(), 1);
    }
}

/// A loaded plugin runs in real time on its own runtime, while under the
/// host's paused clock every timer fires as soon as the host waits: the
/// host refuses the call, saying why, instead of timing it out at once.
#[tokio::test(start_paused = true)]
async fn a_call_under_the_paused_clock_is_refused_with_the_reason() {
    let sleep = tool(&demo(), "sleep_tool");
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        sleep.call(json!({"ms": 5}), ToolContext::new("paused")),
    )
    .await
    .expect("refused at once, before any timer")
    .unwrap_err();
    assert_eq!(err.kind(), "fatal");
    let msg = err.to_string();
    assert!(msg.contains("tokio clock is paused"), "{msg}");
    assert!(msg.contains("tool_api::plugin::testing"), "{msg}");
}
