//! The approval settings' rows of the table (`table.rs`): which tools ask
//! before each call, and `--yes` (docs/HOOKS.md).

use super::table::{Spec, any, shown};
use super::values::switch;

/// Tools whose every call needs a person's approval (docs/HOOKS.md).
pub const APPROVE: Spec<Vec<String>> = Spec {
    key: "approve",
    flag: Some("--approve"),
    env: Some("AGENT_APPROVE"),
    expected: "tool names separated by commas, or all",
    about: "Ask before each call of these tools: NAME[,NAME…] or all (on a terminal: yes, no or \
            always; without one the call is denied)",
    parse: |raw| {
        Some(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    },
    check: |names| {
        names
            .iter()
            .find(|n| n.trim().is_empty())
            .map(|_| "approve: a tool name is empty".to_owned())
    },
    default: |_| Vec::new(),
    show: |names, _| {
        if names.is_empty() {
            "(none; [tools.NAME] approve = true and destructive MCP tools still ask)".to_owned()
        } else {
            names.join(",")
        }
    },
};

/// Approve every call that would need approval, without asking.
pub const YES: Spec<bool> = Spec {
    key: "yes",
    flag: Some("--yes"),
    env: Some("AGENT_YES"),
    expected: "true or false (also 1/0, yes/no, on/off)",
    about: "Approve every tool call that would need approval, without asking",
    parse: switch,
    check: any,
    default: |_| false,
    show: shown,
};
