//! [`Gate`]: what stands between a tool call and its tool in one run: the
//! hooks, then, if the call needs it, approval.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures::FutureExt;

use super::chain::ToolGate;
use super::{Approval, ApprovalPolicy, ApprovalRequest, Approver, Decisions, Hooks};
use crate::{ToolResult, ToolUse};

/// Why the gate refused a call (the executor's [`crate::CallFailure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Denied,
    HookFailed,
    AwaitingApproval,
    /// The run was cancelled while the gate decided.
    Cancelled,
}

/// The gate's word on a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Run this call (its input as the hooks left it).
    Run(ToolUse),
    /// Answer it with an error result saying `message`.
    Refuse { refusal: Refusal, message: String },
}

/// The hooks and approvals of one run, shared by its calls' tasks.
pub(crate) struct Gate {
    hooks: Hooks,
    policy: ApprovalPolicy,
    approver: Option<Arc<dyn Approver>>,
    decided: Decisions,
    /// Calls deferred in the current batch, for the paused run.
    deferred: Mutex<Vec<ApprovalRequest>>,
}

impl Gate {
    /// The gate, or `None` when nothing stands between calls and tools (no
    /// hooks, no approvals): calls then pay nothing for it.
    pub fn new(
        hooks: &Hooks,
        policy: &ApprovalPolicy,
        approver: Option<Arc<dyn Approver>>,
        decided: Decisions,
    ) -> Option<Arc<Self>> {
        if hooks.is_empty() && policy.is_empty() {
            return None;
        }
        Some(Arc::new(Self {
            hooks: hooks.clone(),
            policy: policy.clone(),
            approver,
            decided,
            deferred: Mutex::new(Vec::new()),
        }))
    }

    /// The approver, if any.
    pub fn approver(&self) -> Option<Arc<dyn Approver>> {
        self.approver.clone()
    }

    /// The hooks (model hooks run from the loop).
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// Before call `index` runs: hooks in order, then approval if needed.
    pub async fn before(&self, index: usize, call: &ToolUse) -> Verdict {
        let mut call = call.clone();
        let ask = match self.hooks.before_tool(&mut call).await {
            ToolGate::Run { ask } => ask,
            ToolGate::Denied { hook, reason } => {
                return Verdict::Refuse {
                    refusal: Refusal::Denied,
                    message: format!("tool `{}` was not run: {reason} (hook `{hook}`)", call.name),
                };
            }
            ToolGate::Failed { hook, message } => {
                return Verdict::Refuse {
                    refusal: Refusal::HookFailed,
                    message: format!(
                        "tool `{}` was not run: hook `{hook}` failed before it ({message})",
                        call.name
                    ),
                };
            }
        };
        if ask.is_none() && !self.policy.requires(&call.name) {
            return Verdict::Run(call);
        }
        let request = ApprovalRequest {
            index,
            call,
            reason: ask.flatten(),
        };
        let approval = match self.decided.get(&request.call.id) {
            Some(a) => a.clone(),
            None => match &self.approver {
                None => Approval::Defer,
                Some(approver) => AssertUnwindSafe(approver.decide(&request))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Approval::Deny {
                        reason: Some("the approver crashed while asking; not run".into()),
                    }),
            },
        };
        let name = &request.call.name;
        match approval {
            Approval::Approve => Verdict::Run(request.call),
            Approval::Deny { reason } => Verdict::Refuse {
                refusal: Refusal::Denied,
                message: match reason {
                    Some(reason) => {
                        format!("tool `{name}` needs approval and was not run: {reason}")
                    }
                    None => format!(
                        "tool `{name}` needs approval and the user denied this call; do not \
                         try it again unless asked"
                    ),
                },
            },
            Approval::Defer => {
                let message = format!("tool `{name}` is waiting for approval");
                if let Ok(mut d) = self.deferred.lock() {
                    d.push(request);
                }
                Verdict::Refuse {
                    refusal: Refusal::AwaitingApproval,
                    message,
                }
            }
        }
    }

    /// After a call: the `after_tool` hooks on its result; whether one
    /// failed.
    pub async fn after(&self, call: &ToolUse, result: &mut ToolResult) -> bool {
        if self.hooks.is_empty() {
            return false;
        }
        self.hooks.after_tool(call, result).await
    }

    /// The calls deferred since the last time, in call order.
    pub fn take_deferred(&self) -> Vec<ApprovalRequest> {
        let mut d = self
            .deferred
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default();
        d.sort_by_key(|r| r.index);
        d
    }
}
