//! `agent bench`: the reference work, measured end to end (being built).

use crate::exit::Failure;

/// Flags of `agent bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

/// Runs the benchmark.
pub async fn bench(_args: BenchArgs) -> Result<(), Failure> {
    Err(Failure::Other("agent bench is not built yet".into()))
}
