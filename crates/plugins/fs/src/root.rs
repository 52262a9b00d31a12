//! [`Root`]: the directory the tools may read, and the check that keeps every
//! path inside it.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use tool_api::ToolError;

/// The environment variable naming the root directory.
pub const ROOT_ENV: &str = "FS_TOOLS_ROOT";

/// A canonical directory; every path the tools touch resolves inside it.
#[derive(Debug, Clone)]
pub struct Root(Arc<PathBuf>);

impl Root {
    /// `dir`, canonicalised; it must be an existing directory.
    pub fn new(dir: &Path) -> Result<Self, String> {
        let canonical = dir.canonicalize().map_err(|e| {
            format!(
                "the fs-tools root {} is not usable ({e}); set {ROOT_ENV} to an existing directory",
                dir.display()
            )
        })?;
        if !canonical.is_dir() {
            return Err(format!(
                "the fs-tools root {} is not a directory; set {ROOT_ENV} to a directory",
                canonical.display()
            ));
        }
        Ok(Self(Arc::new(canonical)))
    }

    /// The directory [`ROOT_ENV`] names, or the current directory.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var_os(ROOT_ENV) {
            Some(dir) if !dir.is_empty() => Self::new(Path::new(&dir)),
            _ => {
                let cwd = std::env::current_dir().map_err(|e| {
                    format!("cannot read the current directory: {e}; set {ROOT_ENV}")
                })?;
                Self::new(&cwd)
            }
        }
    }

    /// The root's canonical path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `path` (relative to the root, or absolute inside it) as an existing
    /// canonical path inside the root. `..` and symlinks are resolved first,
    /// so neither leads out.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, ToolError> {
        let joined = self.0.join(path);
        let canonical = joined.canonicalize().map_err(|e| {
            ToolError::invalid_input(format!(
                "`{path}` cannot be opened ({}); paths are relative to the root, list it with list_dir",
                io_reason(&e)
            ))
        })?;
        if !canonical.starts_with(self.0.as_path()) {
            return Err(ToolError::invalid_input(format!(
                "`{path}` is outside the directory these tools may read; use a path inside it"
            )));
        }
        Ok(canonical)
    }

    /// `path` (inside the root) relative to the root, `.` for the root itself.
    pub fn relative(&self, path: &Path) -> String {
        let rel = path.strip_prefix(self.0.as_path()).unwrap_or(path);
        if rel.components().next().is_none() {
            return ".".to_owned();
        }
        rel.components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.txt"), "a").unwrap();
        let root = Root::new(&dir.path().join("sub")).unwrap();
        assert!(root.resolve("a.txt").is_ok());
        assert!(root.resolve("./a.txt").is_ok());
        assert_eq!(root.relative(&root.resolve(".").unwrap()), ".");
        let err = root.resolve("../sub/../..").unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
        let err = root.resolve("/etc").unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
        let err = root.resolve("missing.txt").unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root_dir = dir.path().join("root");
        std::fs::create_dir(&root_dir).unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root_dir.join("link")).unwrap();
        std::fs::write(root_dir.join("inside.txt"), "i").unwrap();
        std::os::unix::fs::symlink(root_dir.join("inside.txt"), root_dir.join("ok_link")).unwrap();
        let root = Root::new(&root_dir).unwrap();
        assert!(
            root.resolve("link")
                .unwrap_err()
                .to_string()
                .contains("outside")
        );
        assert!(root.resolve("ok_link").is_ok());
    }

    #[test]
    fn a_missing_root_says_what_to_set() {
        let err = Root::new(Path::new("/no/such/root")).unwrap_err();
        assert!(err.contains(ROOT_ENV), "{err}");
    }
}
