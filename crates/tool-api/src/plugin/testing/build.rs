//! Building a workspace's plugin crate from a test, so a plain `cargo test`
//! on a clean clone builds the libraries its tests load.
//!
//! The build runs `cargo build -p <package> --lib` with the same cargo, the
//! same target directory and the same profile as the running test (read from
//! the test executable's path), and takes the library's path from cargo's
//! JSON messages. `cargo test` releases its build lock before it runs test
//! binaries, so the nested build does not deadlock; concurrent builds wait
//! for each other on cargo's lock. Each package is built once per process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{LazyLock, Mutex, PoisonError};

use serde::Deserialize;

/// Why a plugin crate could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The running executable is not inside a cargo target directory.
    #[error(
        "cannot tell the cargo target directory from the test executable {exe}; \
         run the test with cargo or set CARGO_TARGET_DIR"
    )]
    NoTargetDir {
        /// The running executable.
        exe: PathBuf,
    },
    /// Cargo could not be started.
    #[error("cannot run {cargo}: {source}; is cargo installed (or CARGO set)?")]
    Spawn {
        /// The cargo command.
        cargo: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The build failed.
    #[error("`{command}` failed:\n{stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// Cargo's error output.
        stderr: String,
    },
    /// The build succeeded but produced no dynamic library.
    #[error(
        "`{command}` built no dynamic library; give the package crate-type = [\"cdylib\"] \
         in its [lib] section"
    )]
    NoLibrary {
        /// The command line.
        command: String,
    },
}

/// Builds the workspace plugin crate `package` as the running test's profile
/// does and returns the path of its dynamic library.
///
/// Call it from a test run by `cargo test` in the plugin's workspace.
pub fn cargo_build_plugin(package: &str) -> Result<PathBuf, BuildError> {
    cargo_build_plugin_with_features(package, &[])
}

/// [`cargo_build_plugin`] with cargo `features` of the package enabled.
///
/// With features, the build uses a target directory of its own
/// (`<target>/plugin-variants/<package>-<features>`), so that variants of one
/// crate do not overwrite each other's library: meant for small crates such as
/// test fixtures, since the variant's dependencies build again there.
pub fn cargo_build_plugin_with_features(
    package: &str,
    features: &[&str],
) -> Result<PathBuf, BuildError> {
    built_once(package, None, features)
}

/// Builds the example `example` of the workspace crate `package`, an
/// example with `crate-type = ["cdylib"]`, with cargo `features` of the
/// package enabled, and returns the path of its dynamic library.
///
/// For test plugins: an example is built only when asked for, into
/// `target/<profile>/examples/`, so `cargo build --workspace` never puts a
/// deliberately broken plugin beside the real ones (where a host's plugin
/// directory would load it).
pub fn cargo_build_plugin_example(
    package: &str,
    example: &str,
    features: &[&str],
) -> Result<PathBuf, BuildError> {
    built_once(package, Some(example), features)
}

fn built_once(
    package: &str,
    example: Option<&str>,
    features: &[&str],
) -> Result<PathBuf, BuildError> {
    static BUILT: LazyLock<Mutex<HashMap<String, PathBuf>>> = LazyLock::new(Default::default);
    let key = format!("{package}/{}+{}", example.unwrap_or(""), features.join(","));
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(path) = built.get(&key) {
        return Ok(path.clone());
    }
    let path = build(package, example, features)?;
    built.insert(key, path.clone());
    Ok(path)
}

fn build(package: &str, example: Option<&str>, features: &[&str]) -> Result<PathBuf, BuildError> {
    let (target_dir, profile) = target_dir_and_profile()?;
    let target_dir = if features.is_empty() {
        target_dir
    } else {
        target_dir
            .join("plugin-variants")
            .join(format!("{package}-{}", features.join("-")))
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    command
        .args([
            "build",
            "--message-format=json-render-diagnostics",
            "-p",
            package,
        ])
        .arg("--profile")
        .arg(&profile)
        .arg("--target-dir")
        .arg(&target_dir);
    match example {
        Some(name) => command.arg("--example").arg(name),
        None => command.arg("--lib"),
    };
    if !features.is_empty() {
        command.arg("--features").arg(features.join(","));
    }
    let shown = format!(
        "{cargo} build -p {package} {} --profile {profile} --target-dir {}{}",
        example.map_or_else(|| "--lib".to_owned(), |e| format!("--example {e}")),
        target_dir.display(),
        if features.is_empty() {
            String::new()
        } else {
            format!(" --features {}", features.join(","))
        }
    );
    let output = command.output().map_err(|source| BuildError::Spawn {
        cargo: cargo.clone(),
        source,
    })?;
    if !output.status.success() {
        return Err(BuildError::Failed {
            command: shown,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    library_from_messages(&String::from_utf8_lossy(&output.stdout))
        .ok_or(BuildError::NoLibrary { command: shown })
}

/// One line of cargo's JSON output; only artifacts matter here.
#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    target: Option<Target>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct Target {
    kind: Vec<String>,
    /// A library's kinds are its crate types; an example's kind is
    /// `example` and its crate types say `cdylib`.
    #[serde(default)]
    crate_types: Vec<String>,
}

/// The cdylib among the artifacts (with `-p pkg --lib` or `--example`, only
/// that target is one).
fn library_from_messages(stdout: &str) -> Option<PathBuf> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Message>(line).ok())
        .filter(|m| m.reason == "compiler-artifact")
        .filter(|m| {
            m.target
                .as_ref()
                .is_some_and(|t| t.kind.iter().chain(&t.crate_types).any(|k| k == "cdylib"))
        })
        .flat_map(|m| m.filenames)
        .find(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(std::env::consts::DLL_SUFFIX))
        })
}

/// The target directory and cargo profile of the running test executable,
/// which lives in `<target>/<profile-dir>/deps/` (or `<target>/<triple>/...`).
fn target_dir_and_profile() -> Result<(PathBuf, String), BuildError> {
    let exe = std::env::current_exe().unwrap_or_default();
    let no_target = || BuildError::NoTargetDir { exe: exe.clone() };
    let mut dir = exe.parent().ok_or_else(no_target)?;
    if dir
        .file_name()
        .is_some_and(|n| n == "deps" || n == "examples")
    {
        dir = dir.parent().ok_or_else(no_target)?;
    }
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev".to_owned(),
        Some(other) => other.to_owned(),
        None => return Err(no_target()),
    };
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => dir
            .parent()
            .filter(|root| is_target_root(root))
            .ok_or_else(no_target)?
            .to_owned(),
    };
    Ok((target, profile))
}

/// Cargo marks the root of a target directory with `CACHEDIR.TAG`.
fn is_target_root(dir: &Path) -> bool {
    dir.join("CACHEDIR.TAG").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cdylib_is_picked_from_cargo_messages() {
        let suffix = std::env::consts::DLL_SUFFIX;
        let stdout = format!(
            "{{\"reason\":\"compiler-artifact\",\"target\":{{\"kind\":[\"lib\"]}},\"filenames\":[\"/t/libdep.rlib\"]}}\n\
             not json\n\
             {{\"reason\":\"compiler-artifact\",\"target\":{{\"kind\":[\"cdylib\",\"rlib\"]}},\
             \"filenames\":[\"/t/libp{suffix}\",\"/t/libp.rlib\"]}}\n\
             {{\"reason\":\"build-finished\",\"success\":true}}\n"
        );
        assert_eq!(
            library_from_messages(&stdout),
            Some(PathBuf::from(format!("/t/libp{suffix}")))
        );
        assert_eq!(library_from_messages(""), None);
        let example = format!(
            "{{\"reason\":\"compiler-artifact\",\"target\":{{\"kind\":[\"example\"],\
             \"crate_types\":[\"cdylib\"]}},\"filenames\":[\"/t/examples/libx{suffix}\"]}}\n"
        );
        assert_eq!(
            library_from_messages(&example),
            Some(PathBuf::from(format!("/t/examples/libx{suffix}")))
        );
    }

    #[test]
    fn unit_tests_run_from_a_target_dir() {
        let (target, profile) = target_dir_and_profile().unwrap();
        assert!(
            target.join("CACHEDIR.TAG").is_file() || std::env::var_os("CARGO_TARGET_DIR").is_some()
        );
        assert!(!profile.is_empty());
    }
}
