//! [`CallScope`]: which call of a batch a tool's future runs for, and the
//! host's context for that batch, opaque to the executor. A tool that runs
//! an agent of its own (a sub-agent) uses it to tell its events to the
//! run that called it.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static SCOPE: CallScope;
}

/// The call a tool's future runs for; see [`current`].
#[derive(Clone)]
pub struct CallScope {
    /// The call's position in its batch.
    pub index: usize,
    /// What the host gave the batch ([`crate::executor::Batch`]'s host
    /// context); the agent gives its run's event log.
    pub host: Arc<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for CallScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallScope")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// The scope of the tool call whose future is running, if the batch has a
/// host context: read it in a tool's `call`, before spawning anything (a
/// task spawned from the call does not inherit it).
pub fn current() -> Option<CallScope> {
    SCOPE.try_with(Clone::clone).ok()
}

/// Runs `f` with `scope` as [`current`].
pub(super) fn within<F: Future>(scope: CallScope, f: F) -> impl Future<Output = F::Output> {
    SCOPE.scope(scope, f)
}
