//! Exit codes (a contract, documented in the README) and the error type that
//! carries one.

use std::process::ExitCode;

use crate::signals::Signal;

/// Why the command failed, which decides its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad usage or configuration: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The model or its service failed: exit 3.
    #[error("{0}")]
    Model(String),
    /// A plugin could not be loaded or registered: exit 4.
    #[error("{0}")]
    Plugin(String),
    /// A signal stopped the run: Ctrl-C exit 130, `SIGTERM` 143, `SIGHUP` 129.
    #[error("interrupted ({})", .0.name())]
    Interrupted(Signal),
    /// Whoever read standard output closed it (`agent tools | head`): the
    /// command ends quietly, exit 0.
    #[error("standard output was closed")]
    OutputClosed,
    /// The one tool call of `agent tools --call` failed (an error, every
    /// retry used, a timeout, a panic): exit 5.
    #[error("{0}")]
    ToolCall(String),
    /// Anything else (I/O on stdout, say): exit 1.
    #[error("{0}")]
    Other(String),
    /// This failure, whose `--json` document is already on stdout (the
    /// run's own, with its `error`): the binary prints no second one.
    #[error("{0}")]
    Documented(Box<Failure>),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Model(_) => 3,
            Self::Plugin(_) => 4,
            Self::Interrupted(signal) => signal.exit_code(),
            Self::OutputClosed => 0,
            Self::Other(_) => 1,
            Self::ToolCall(_) => 5,
            Self::Documented(inner) => inner.code(),
        }
    }

    /// The `error.kind` of its `--json` document: `usage`, `model`,
    /// `plugin`, `cancelled`, `tool` or `other` (`None` when stdout is
    /// closed).
    pub fn kind(&self) -> Option<&'static str> {
        match self {
            Self::Usage(_) => Some("usage"),
            Self::Model(_) => Some("model"),
            Self::Plugin(_) => Some("plugin"),
            Self::Interrupted(_) => Some("cancelled"),
            Self::OutputClosed => None,
            Self::Other(_) => Some("other"),
            Self::ToolCall(_) => Some("tool"),
            Self::Documented(inner) => inner.kind(),
        }
    }

    /// This failure without the mark that its document was printed.
    pub fn undocumented(&self) -> &Failure {
        match self {
            Self::Documented(inner) => inner.undocumented(),
            other => other,
        }
    }

    /// As an [`ExitCode`].
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
    }
}

impl From<crate::settings::ConfigError> for Failure {
    fn from(e: crate::settings::ConfigError) -> Self {
        Self::Usage(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::Other(e.to_string())
    }
}
