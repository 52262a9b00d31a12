//! # restate-serve: durable agent runs on Restate
//!
//! The agent loop served as a [Restate](https://restate.dev) virtual object,
//! so that a run survives the process that runs it: Restate journals each
//! step, and when the endpoint dies mid-run, Restate invokes it again (on
//! this endpoint restarted, or on another one behind the same address) and
//! the run continues from its journal without repeating what finished.
//!
//! The object is `Agent`, keyed by session id:
//!
//! - `send` (exclusive): input the prompt as a JSON string, output the run's
//!   document (what the [`RunReport`] makes of it: the `agent` CLI gives the
//!   document `agent run --json` prints). Restate runs one `send` per key
//!   at a time, in order; different keys run in parallel, on any endpoint.
//! - `conversation` (shared): the session's conversation as of its last
//!   finished turn, readable while a turn runs.
//!
//! # Contract
//!
//! A turn is the agent loop itself ([`Agent::send`](agent_core::Agent::send)),
//! journaled through the session seam of agent-core
//! ([`SessionJournal`](agent_core::SessionJournal)): what the loop journals
//! (the prompt, each complete model response, each tool result the moment
//! its call ends, each batch's results message) becomes Restate journal
//! entries, one `ctx.run` step per group of entries ready at once (at most
//! the entries that arrived while the step before was being acknowledged).
//! The loop does not wait for a step to be acknowledged: tools of a batch
//! run concurrently, as in `agent run`.
//!
//! When Restate replays an invocation, the finished steps come back from its
//! journal without running anything; the run then continues with
//! [`Agent::resume`](agent_core::Agent::resume) from what they hold: a
//! finished model call is not made again, finished tool calls are not run
//! again (their results are replayed: `tool_call_replayed` events and
//! `tool_call_finished` with `"replayed": true`), an
//! unfinished call runs again unless its tool is not idempotent (then it is
//! answered with an error saying so). A step whose result Restate had not
//! acknowledged when the endpoint died is not in the journal: what it
//! recorded happens again (at-least-once; see docs/SCALING.md).
//!
//! The conversation is kept in the object's state (`messages`), written
//! once per turn, when the turn's last step is journaled.

mod error;
mod object;
mod report;
mod serve;
mod turn;

pub use error::ServeError;
pub use object::DurableAgent;
pub use report::RunReport;
pub use serve::serve;
