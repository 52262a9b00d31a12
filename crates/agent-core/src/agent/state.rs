//! [`AgentState`]: where a run is, and which moves between states are legal.

use serde::{Deserialize, Serialize};

/// The state of a run.
///
/// ```text
/// Idle -> Thinking -> ExecutingTools -> Thinking -> ... -> Responding -> Completed
///            |              |                                  
///            +--------------+------------------------------------> Error
/// ```
///
/// A resumed run whose journal ends in an unfinished tool batch starts at
/// that batch: `Idle -> ExecutingTools`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Not started.
    Idle,
    /// Waiting for the model.
    Thinking,
    /// Running the tool calls the model asked for.
    ExecutingTools,
    /// The model gave its answer; the run is being wrapped up.
    Responding,
    /// Done, with an answer.
    Completed,
    /// Stopped by an error, the iteration limit or cancellation.
    Error,
}

impl AgentState {
    /// Whether a run may move from `self` to `to`.
    pub fn can_move_to(self, to: AgentState) -> bool {
        use AgentState::*;
        matches!(
            (self, to),
            (Idle, Thinking)
                | (Idle, ExecutingTools)
                | (Thinking, ExecutingTools)
                | (Thinking, Responding)
                | (ExecutingTools, Thinking)
                | (Responding, Completed)
                | (Idle | Thinking | ExecutingTools | Responding, Error)
        )
    }

    /// Whether the run is over.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::AgentState::*;

    #[test]
    fn legal_moves() {
        assert!(Idle.can_move_to(Thinking));
        assert!(Idle.can_move_to(ExecutingTools), "a resumed batch");
        assert!(Thinking.can_move_to(ExecutingTools));
        assert!(ExecutingTools.can_move_to(Thinking));
        assert!(Responding.can_move_to(Completed));
        assert!(ExecutingTools.can_move_to(Error));
        assert!(!Idle.can_move_to(Completed));
        assert!(!Completed.can_move_to(Thinking));
        assert!(!ExecutingTools.can_move_to(Completed));
    }
}
