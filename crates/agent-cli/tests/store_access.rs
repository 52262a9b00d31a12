//! A session store the process cannot write: the session's history is read
//! (SQLite's read-only mode) and continued, unsaved, and the command fails
//! after printing the answer; a store that cannot even be read is refused;
//! the reading commands work on a read-only store. The real binary against
//! the local Converse server.
//!
//! Root (which these tests often run as) ignores file modes, so a
//! read-only store is made the way an administrator would: a read-only
//! bind mount, in a user and mount namespace of the test's own
//! (`unshare -rm`, no privilege needed where user namespaces are allowed).
//! Where they are not, that test says so on stderr and checks nothing;
//! `session-sqlite`'s own tests cover the read-only open everywhere.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Output;

use bedrock_client::mock::MockServer;
use common::server::start;
use common::sessions::{Q1, run};
use common::{agent_with_keys as agent, demo_plugin, stderr, stdout};

/// Whether this machine lets an unprivileged process make a read-only
/// bind mount in namespaces of its own.
fn read_only_mounts_work(dir: &Path) -> bool {
    std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", "mount --bind -o ro \"$1\" \"$1\"", "sh"])
        .arg(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `agent ARGS` with `dir` mounted read-only over itself, for that process
/// only; the environment of `common::agent_with_keys`.
fn agent_under_read_only(home: &Path, dir: &Path, args: &[&std::ffi::OsStr]) -> Output {
    common::clean_process_with_keys("unshare", home)
        .args([
            "-rm",
            "sh",
            "-c",
            "mount --bind -o ro \"$1\" \"$1\" && shift && exec \"$@\"",
            "sh",
        ])
        .arg(dir)
        .arg(assert_cmd::cargo::cargo_bin("agent"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_read_only_store_continues_the_session_unsaved_and_fails_after_the_answer() {
    let (rt, server) = start(MockServer::builder());
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("store");
    std::fs::create_dir_all(&dir).unwrap();
    if !read_only_mounts_work(&dir) {
        eprintln!("SKIPPED: no unprivileged read-only bind mounts here (unshare -rm)");
        return;
    }
    let store = dir.join("sessions.db");
    let out = run(home.path(), &server, &store, Q1);
    assert!(out.status.success(), "{}", stderr(&out));

    let plugin = demo_plugin();
    let endpoint = server.endpoint_url();
    let args: Vec<&std::ffi::OsStr> = vec![
        "run".as_ref(),
        "--session".as_ref(),
        "trip".as_ref(),
        "--session-store".as_ref(),
        store.as_os_str(),
        "--region".as_ref(),
        "us-east-1".as_ref(),
        "--endpoint-url".as_ref(),
        endpoint.as_ref(),
        "--plugin".as_ref(),
        plugin.as_os_str(),
        "Thanks!".as_ref(),
    ];
    let out = agent_under_read_only(home.path(), &dir, &args);
    let err = stderr(&out);
    // The answer is printed; the command fails as a failed save does (exit 1).
    assert!(!stdout(&out).trim().is_empty(), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("session `trip` cannot be saved"), "{err}");
    assert!(err.contains("continues the session's 4 messages"), "{err}");
    assert!(err.contains("will not be saved"), "{err}");
    // The history was continued, not dropped: the request held it.
    let requests = server.requests();
    let last = requests.last().unwrap().body["messages"]
        .as_array()
        .unwrap();
    assert_eq!(last.len(), 5, "the first run's turns, then the new prompt");
    assert_eq!(last[0]["content"][0]["text"], Q1);

    // Reading works on the read-only store.
    for sub in ["list", "show", "export"] {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "sessions".as_ref(),
            sub.as_ref(),
            "--session-store".as_ref(),
            store.as_os_str(),
        ];
        if sub != "list" {
            args.push("trip".as_ref());
        }
        let out = agent_under_read_only(home.path(), &dir, &args);
        assert!(out.status.success(), "{sub}: {}", stderr(&out));
        assert!(stdout(&out).contains("trip") || sub == "show", "{sub}");
        if sub == "show" {
            assert!(stdout(&out).contains("user: "), "{}", stdout(&out));
        }
    }
    // Nothing of the unsaved run reached the store.
    let out = agent(home.path())
        .args(["sessions", "list", "--json", "--session-store"])
        .arg(&store)
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["messages"], 4);
    drop(rt);
}

#[test]
fn a_store_that_cannot_even_be_read_is_refused_naming_it() {
    let (rt, server) = start(MockServer::builder());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    std::fs::write(&store, "this is not a database, but it is someone's file").unwrap();
    let out = run(home.path(), &server, &store, Q1);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&store.display().to_string()), "{err}");
    assert!(err.contains("not a database"), "{err}");
    assert!(err.contains("--session-store"), "{err}");
    assert!(server.requests().is_empty(), "no model call was made");
    drop(rt);
}

#[test]
fn a_store_path_under_a_file_prints_the_answer_then_fails_saying_what_to_do() {
    let (rt, server) = start(MockServer::builder());
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("plain-file");
    std::fs::write(&file, "").unwrap();
    let out = run(home.path(), &server, &file.join("sessions.db"), Q1);
    let err = stderr(&out);
    assert!(stdout(&out).contains("New York"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("a file is in the way"), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(
        err.contains("--session-store") && err.contains("AGENT_SESSION_STORE"),
        "{err}"
    );
    drop(rt);
}
