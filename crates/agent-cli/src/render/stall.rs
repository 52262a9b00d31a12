//! A plugin call that cannot start (`tool_call_stalled`), as the live views
//! say it: which call holds the plugin's worker, and for how long.

use std::time::Duration;

use agent_core::StallHolder;

use super::secs;

/// `the plugin's worker is held by hog_worker (tooluse_0_0) for 0.55 s`.
pub(super) fn holder_text(held_by: &StallHolder) -> String {
    let call = held_by
        .id
        .as_deref()
        .map(|id| format!(" ({id})"))
        .unwrap_or_default();
    format!(
        "the plugin's worker is held by {}{call} for {}",
        held_by.tool,
        secs(held_by.held_for)
    )
}

/// The plain view's line: `stalled NAME: not started after 0.25 s; ...`.
pub(super) fn stalled_line(name: &str, held_by: &StallHolder, waited: Duration) -> String {
    format!(
        "stalled {name}: not started after {}; {}",
        secs(waited),
        holder_text(held_by)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_call_names_the_call_holding_the_worker() {
        let mut held_by = StallHolder {
            tool: "hog_worker".into(),
            id: Some("c1".into()),
            held_for: Duration::from_millis(550),
        };
        assert_eq!(
            stalled_line("count_up", &held_by, Duration::from_millis(250)),
            "stalled count_up: not started after 0.25 s; \
             the plugin's worker is held by hog_worker (c1) for 0.55 s"
        );
        held_by.id = None;
        assert_eq!(
            holder_text(&held_by),
            "the plugin's worker is held by hog_worker for 0.55 s"
        );
    }
}
