//! Retries, shared by tool calls (the executor) and model calls (the agent
//! loop), in tower's manner: `policy` decides whether and when to try
//! again ([`RetryPolicy`], [`ExponentialBackoff`]); [`run()`] is the one loop
//! that drives attempts, backoff and cancellation for both.

mod policy;
mod run;

pub use policy::{ExponentialBackoff, Jitter, RetryPolicy};
pub use run::{Operation, Retried, Stopped, Verdict, run};
