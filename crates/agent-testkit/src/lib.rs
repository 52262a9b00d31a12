//! # agent-testkit
//!
//! The fixtures of the agent runtime, kept out of `agent-core` so the
//! runtime a user links holds none of them. Tests, examples, the local model
//! servers, the CLI's demo and the benchmarks all play the same turns from
//! here:
//!
//! - [`Scenario`] (`scenario.rs`): a scripted conversation and its file
//!   format; [`select`] (`select.rs`) picks the one answering a request;
//! - [`ScriptedBackend`] (`scripted_backend.rs`): a deterministic in-process
//!   model playing scenarios;
//! - [`reference`](mod@reference): the reference work (Q1–Q4, FANOUT-n,
//!   CHAIN-k), its limits, and its tools (`reference-tools`, the demo
//!   plugin's, in process);
//! - [`validate_conversation`] (`conversation_rules.rs`): the rules every
//!   Converse-style service enforces on a conversation; a broken one is a
//!   [`ConversationError`] in neutral words, which the Converse server
//!   rewords as Bedrock does;
//! - [`tool_round`]: a tool round as messages, by call id, for the tests
//!   of those rules;
//! - [`conformance`]: the suite every `ModelBackend` passes against a local
//!   server of its wire protocol;
//! - [`wire_shape`]: whether a body has the shape of a documented one, and
//!   the events of a server-sent-events body, to check the local servers'
//!   answers against the providers' documented bodies.

pub mod conformance;
mod conversation_rules;
pub mod reference;
mod scenario;
mod schema_example;
mod scripted_backend;
mod select;
pub mod tool_round;
pub mod wire_shape;

pub use conversation_rules::{ConversationError, validate_conversation};
pub use scenario::{Scenario, ScriptedCall, ScriptedTurn, input_tokens};
pub use schema_example::schema_example;
pub use scripted_backend::ScriptedBackend;
pub use select::{first_prompt, select};
