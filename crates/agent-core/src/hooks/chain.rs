//! [`Hooks`]: the registered hooks in order, each run isolated (its error
//! or panic caught and named).

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;

use super::{Hook, HookError, HookFailure, ToolDecision};
use crate::{ModelRequest, ModelResponse, ToolResult, ToolUse};

/// The hooks of an agent, in registration order. Cheap to clone.
#[derive(Clone, Default)]
pub struct Hooks(Arc<Vec<Arc<dyn Hook>>>);

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|h| h.name().to_owned()))
            .finish()
    }
}

/// What the chain of `before_tool` hooks made of a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ToolGate {
    /// Run it (with the input as the hooks left it); `ask` if some hook
    /// asked for approval, with its reason.
    Run { ask: Option<Option<String>> },
    /// A hook denied it.
    Denied { hook: String, reason: String },
    /// A hook failed or panicked.
    Failed { hook: String, message: String },
}

impl Hooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether there are none (then nothing runs around calls at all).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds `hook` after the others.
    pub fn push(&mut self, hook: Arc<dyn Hook>) {
        Arc::make_mut(&mut self.0).push(hook);
    }

    /// Every `before_model` hook in order; the first failure stops.
    pub(crate) async fn before_model(&self, request: &mut ModelRequest) -> Result<(), HookFailure> {
        for hook in self.0.iter() {
            isolated(hook.before_model(request))
                .await
                .map_err(|message| HookFailure {
                    hook: hook.name().to_owned(),
                    phase: "before the model call",
                    message,
                })?;
        }
        Ok(())
    }

    /// Every `after_model` hook in order; the first failure stops.
    pub(crate) async fn after_model(&self, response: &ModelResponse) -> Result<(), HookFailure> {
        for hook in self.0.iter() {
            isolated(hook.after_model(response))
                .await
                .map_err(|message| HookFailure {
                    hook: hook.name().to_owned(),
                    phase: "after the model call",
                    message,
                })?;
        }
        Ok(())
    }

    /// Every `before_tool` hook in order, on `call` (whose input a hook may
    /// rewrite); a denial or failure stops the chain.
    pub(crate) async fn before_tool(&self, call: &mut ToolUse) -> ToolGate {
        let mut ask = None;
        for hook in self.0.iter() {
            let decision = match isolated(hook.before_tool(call)).await {
                Ok(d) => d,
                Err(message) => {
                    return ToolGate::Failed {
                        hook: hook.name().to_owned(),
                        message,
                    };
                }
            };
            match decision {
                ToolDecision::Allow => {}
                ToolDecision::Deny { reason } => {
                    return ToolGate::Denied {
                        hook: hook.name().to_owned(),
                        reason,
                    };
                }
                ToolDecision::Rewrite(input) if input.is_object() => call.input = input,
                ToolDecision::Rewrite(input) => {
                    return ToolGate::Failed {
                        hook: hook.name().to_owned(),
                        message: format!(
                            "it rewrote the input to {input}, which is not a JSON object"
                        ),
                    };
                }
                ToolDecision::Ask { reason } => {
                    ask = Some(reason.or(ask.flatten()));
                }
            }
        }
        ToolGate::Run { ask }
    }

    /// Every `after_tool` hook in order on `result`; on a failure the result
    /// is replaced with an error naming the hook (the result withheld).
    /// Whatever the hooks do, the result still answers `call`.
    /// Returns whether a hook failed.
    pub(crate) async fn after_tool(&self, call: &ToolUse, result: &mut ToolResult) -> bool {
        let mut failed = false;
        for hook in self.0.iter() {
            if let Err(message) = isolated(hook.after_tool(call, result)).await {
                *result = ToolResult::error(
                    &call.id,
                    format!(
                        "hook `{}` failed after tool `{}` ran ({message}), so its result is \
                         withheld; the call may have taken effect",
                        hook.name(),
                        call.name
                    ),
                );
                failed = true;
                break;
            }
        }
        result.tool_use_id.clone_from(&call.id);
        failed
    }
}

/// Runs one hook method with its error or panic turned into a message.
async fn isolated<T>(f: impl Future<Output = Result<T, HookError>>) -> Result<T, String> {
    match AssertUnwindSafe(f).catch_unwind().await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(format!("panicked: {}", panic_text(panic.as_ref()))),
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic payload".into()
    }
}
