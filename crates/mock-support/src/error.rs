//! [`MockError`]: why a local server could not start or load its scenarios.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why a local server could not start, or a scenario file could not be
/// loaded. Every message names the address or the file, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The address is taken or not allowed.
    #[error("could not listen on {addr}: {source}; pick another port, or port 0 for a free one")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS's reason.
        source: std::io::Error,
    },
    /// The scenario file could not be read.
    #[error("could not read the scenario file {}: {source}", path.display())]
    ScenarioRead {
        /// The file.
        path: PathBuf,
        /// The OS's reason.
        source: std::io::Error,
    },
    /// The scenario file is not a scenario list.
    #[error(
        "the scenario file {} is not a valid scenario list: {source}; it must hold a JSON list of \
         scenarios, or one (format: agent_testkit::Scenario, and docs/BEDROCK.md, \
         \"Scenario files\")",
        path.display()
    )]
    ScenarioParse {
        /// The file.
        path: PathBuf,
        /// Where and why parsing failed.
        source: serde_json::Error,
    },
}
