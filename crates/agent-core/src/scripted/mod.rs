//! Scripted models: [`Scenario`]s, the reference work as scenarios, the
//! service's conversation rules, and [`ScriptedBackend`].

mod backend;
pub mod reference;
mod reference_tools;
mod scenario;
mod validate;

pub use backend::ScriptedBackend;
pub use scenario::{Scenario, ScriptedCall, ScriptedTurn, first_prompt, select};
pub use validate::validate_conversation;
