//! [`Journaling`]: the agent loop's side of the journal. It appends
//! messages as the loop adds them and, as a [`CallObserver`] beside the
//! event log, each tool result the moment its call ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tool_api::ToolError;

use super::{JournalEntry, SessionJournal};
use crate::{CallObserver, CallOutcome, Message, ToolUse};

/// A run's journal (or none), and the run's other observer, told first.
pub(crate) struct Journaling {
    journal: Option<Arc<dyn SessionJournal>>,
    inner: Arc<dyn CallObserver>,
    /// A failure is logged once per run, not once per entry.
    warned: AtomicBool,
}

impl Journaling {
    pub fn new(journal: Option<Arc<dyn SessionJournal>>, inner: Arc<dyn CallObserver>) -> Self {
        Self {
            journal,
            inner,
            warned: AtomicBool::new(false),
        }
    }

    /// Journals a message the loop adds to the conversation.
    pub fn message(&self, message: &Message) {
        self.append(|| JournalEntry::Message {
            message: message.clone(),
        });
    }

    /// Journals a result the loop made itself (not the executor's).
    pub fn tool_result(&self, index: usize, name: &str, result: &crate::ToolResult) {
        self.append(|| JournalEntry::ToolResult {
            index,
            name: name.to_owned(),
            result: result.clone(),
        });
    }

    /// Appends the entry `make` builds, built only when there is a journal:
    /// a run without a session copies no message and no result.
    fn append(&self, make: impl FnOnce() -> JournalEntry) {
        let Some(journal) = &self.journal else {
            return;
        };
        let entry = make();
        // The run goes on in memory: the journal reports its own failure.
        if let Err(e) = journal.append(&entry)
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(error = %e, "session journal append failed; the run continues unsaved");
        }
    }
}

impl CallObserver for Journaling {
    fn call_queued(&self, index: usize, call: &ToolUse, reason: crate::WaitReason) {
        self.inner.call_queued(index, call, reason);
    }

    fn call_started(&self, index: usize, call: &ToolUse) {
        self.inner.call_started(index, call);
    }

    fn call_retrying(
        &self,
        index: usize,
        call: &ToolUse,
        attempt: u32,
        error: &ToolError,
        delay: Duration,
    ) {
        self.inner.call_retrying(index, call, attempt, error, delay);
    }

    fn call_progress(&self, index: usize, call: &ToolUse, progress: &tool_api::Progress) {
        self.inner.call_progress(index, call, progress);
    }

    fn call_stalled(&self, index: usize, call: &ToolUse, stall: &tool_api::Stall) {
        self.inner.call_stalled(index, call, stall);
    }

    fn call_finished(&self, outcome: &CallOutcome) {
        // A call waiting for approval has no result yet: on resume it is
        // still pending, and asked about again.
        if outcome.failure == Some(crate::CallFailure::AwaitingApproval) {
            self.inner.call_finished(outcome);
            return;
        }
        self.append(|| JournalEntry::ToolResult {
            index: outcome.index,
            name: outcome.name.clone(),
            result: outcome.result.clone(),
        });
        self.inner.call_finished(outcome);
    }

    fn tool_limit_changed(&self, tool: &str, from: usize, to: usize) {
        self.inner.tool_limit_changed(tool, from, to);
    }
}
