//! Who approves tool calls that need it (docs/HOOKS.md): the person at the
//! terminal, asked one call at a time while the other calls run; or, with
//! no terminal (`--json`, standard input not a terminal, `CI` set), nobody:
//! the call is denied with a result saying how to allow it.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use agent_core::hooks::{Approval, ApprovalRequest, Approver, DenyAll};

use crate::render::{Asker, Mode, sanitize};

/// What a call denied for want of a terminal tells the model (and, through
/// its answer and the JSON document, the user).
pub const NO_TERMINAL: &str = "there is no terminal to ask for approval on (standard input is not \
    a terminal, --json, or CI); rerun with --yes to approve every call, or set \
    `approve = false` under [tools.NAME] in agent.toml (and leave NAME out of --approve)";

/// The approver for a run shown in `mode`: the terminal when a person can
/// answer there, else [`DenyAll`] with [`NO_TERMINAL`].
pub fn approver(mode: Mode, asker: Asker) -> Arc<dyn Approver> {
    let interactive =
        mode != Mode::Quiet && std::io::stdin().is_terminal() && std::env::var_os("CI").is_none();
    if interactive {
        Arc::new(Terminal::new(asker))
    } else {
        Arc::new(DenyAll {
            how_to_allow: NO_TERMINAL.into(),
        })
    }
}

/// Asks on the terminal: `yes`, `no` or `always` (this tool, for the rest
/// of the process).
///
/// Questions are asked one after another (a lock), each from a blocking
/// thread, so the calls that need no approval, and the model, go on.
pub struct Terminal {
    asker: Asker,
    turn: tokio::sync::Mutex<()>,
    always: Mutex<HashSet<String>>,
}

impl Terminal {
    /// Asks through `asker`.
    pub fn new(asker: Asker) -> Self {
        Self {
            asker,
            turn: tokio::sync::Mutex::new(()),
            always: Mutex::new(HashSet::new()),
        }
    }

    fn always(&self, tool: &str) -> bool {
        self.always.lock().is_ok_and(|a| a.contains(tool))
    }
}

#[tool_api::async_trait]
impl Approver for Terminal {
    async fn decide(&self, request: &ApprovalRequest) -> Approval {
        let _turn = self.turn.lock().await;
        let name = &request.call.name;
        if self.always(name) {
            return Approval::Approve;
        }
        let reason = request
            .reason
            .as_deref()
            .map(|r| format!(" ({})", sanitize::text(r)))
            .unwrap_or_default();
        let question = format!(
            "\napprove tool call {} {}{reason}?\n  input: {}\n  [y]es / [n]o / [a]lways for {}: ",
            sanitize::text(name),
            sanitize::text(&request.call.id),
            sanitize::text(&request.call.input.to_string()),
            sanitize::text(name),
        );
        let asker = self.asker.clone();
        loop {
            let q = question.clone();
            let a = asker.clone();
            let answer = tokio::task::spawn_blocking(move || a.ask(&q))
                .await
                .ok()
                .flatten();
            let Some(answer) = answer else {
                return Approval::Deny {
                    reason: Some("the user gave no answer (end of input)".into()),
                };
            };
            match answer.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => return Approval::Approve,
                "n" | "no" => return Approval::Deny { reason: None },
                "a" | "always" => {
                    if let Ok(mut a) = self.always.lock() {
                        a.insert(name.clone());
                    }
                    return Approval::Approve;
                }
                _ => eprintln!("please answer y, n or a"),
            }
        }
    }
}
