//! Exit codes (a contract, documented in the README) and the error type that
//! carries one.

use std::process::ExitCode;

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
    /// Ctrl-C: exit 130.
    #[error("interrupted")]
    Interrupted,
    /// Whoever read standard output closed it (`agent tools | head`): the
    /// command ends quietly, exit 0.
    #[error("standard output was closed")]
    OutputClosed,
    /// Anything else (I/O on stdout, say): exit 1.
    #[error("{0}")]
    Other(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Model(_) => 3,
            Self::Plugin(_) => 4,
            Self::Interrupted => 130,
            Self::OutputClosed => 0,
            Self::Other(_) => 1,
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
