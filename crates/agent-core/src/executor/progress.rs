//! [`CallProgress`]: the progress sink the executor gives each call's
//! context, so a tool's reports (progress, and a plugin call's stall) reach
//! the batch's [`CallObserver`].

use std::sync::Arc;

use tool_api::{Progress, ProgressSink, Stall};

use super::CallObserver;
use crate::ToolUse;

/// Forwards call `index`'s progress reports to the observer, tagged with
/// the call (the observer turns them into `tool_call_progress` events).
pub(super) struct CallProgress {
    pub index: usize,
    pub call: ToolUse,
    pub observer: Arc<dyn CallObserver>,
}

impl ProgressSink for CallProgress {
    fn report(&self, progress: Progress) {
        self.observer
            .call_progress(self.index, &self.call, &progress);
    }

    fn stalled(&self, stall: Stall) {
        self.observer.call_stalled(self.index, &self.call, &stall);
    }
}
