//! [`Workers`]: which call each worker thread of the plugin's runtime is
//! polling, and since when; and the `worker_status` export that reports it.
//!
//! Every call's task polls the tool through [`Workers::enter`], which marks
//! the thread's slot with the call's id on entry and clears it on exit (a
//! guard, so a panic clears it too). A slot marked for long is blocking code
//! holding the thread: the host asks for the status when a call it sent has
//! not started, to name the call in the way. The cost per poll is a clock
//! read and three atomic stores; a thread's slot is created on its first
//! poll, under a lock taken once per thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::catch_unwind;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::manifest::into_buffer;
use super::runtime::{CallEntry, started};
use crate::plugin::abi::PluginBuffer;
use crate::plugin::status::{Polling, WorkerState, WorkerStatus};

/// One thread's mark: the call it polls (0: none) and since when, in
/// microseconds from [`Workers::epoch`].
#[derive(Default)]
struct Slot {
    call: AtomicU64,
    since_us: AtomicU64,
}

thread_local! {
    /// This thread's slot, once it has polled a call. A plugin library has
    /// its own copy of this (its own `std`), so it is this plugin's.
    static SLOT: RefCell<Option<Arc<Slot>>> = const { RefCell::new(None) };
}

/// The slots of the threads that have polled calls.
pub(super) struct Workers {
    epoch: Instant,
    slots: Mutex<Vec<Arc<Slot>>>,
}

impl Default for Workers {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            slots: Mutex::default(),
        }
    }
}

/// Clears the thread's mark when a poll ends.
pub(super) struct Polled {
    slot: Option<Arc<Slot>>,
    previous: u64,
}

impl Drop for Polled {
    fn drop(&mut self) {
        if let Some(slot) = &self.slot {
            slot.call.store(self.previous, Ordering::Release);
        }
    }
}

impl Workers {
    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Marks this thread as polling `call_id` until the guard drops.
    pub(super) fn enter(&self, call_id: u64) -> Polled {
        let slot = SLOT
            .try_with(|cell| {
                cell.borrow_mut()
                    .get_or_insert_with(|| {
                        let slot = Arc::new(Slot::default());
                        self.slots
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(slot.clone());
                        slot
                    })
                    .clone()
            })
            .ok();
        let previous = match &slot {
            Some(slot) => {
                slot.since_us.store(self.now_us(), Ordering::Relaxed);
                slot.call.swap(call_id, Ordering::AcqRel)
            }
            None => 0,
        };
        Polled { slot, previous }
    }

    /// What each thread polls now, with the tool and model id of the call
    /// from the table of calls in flight.
    fn status(&self, calls: &HashMap<u64, CallEntry>) -> WorkerStatus {
        let now = self.now_us();
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let workers = slots
            .iter()
            .map(|slot| {
                let call = slot.call.load(Ordering::Acquire);
                let since = slot.since_us.load(Ordering::Relaxed);
                let polling = calls.get(&call).map(|entry| Polling {
                    call_id: call,
                    tool: entry.tool.clone(),
                    tool_call_id: Some(entry.tool_call_id.clone()),
                    for_ms: now.saturating_sub(since) / 1000,
                });
                WorkerState { polling }
            })
            .collect();
        WorkerStatus { workers }
    }
}

/// The `worker_status` export: the JSON of [`WorkerStatus`], in a buffer
/// for `free_buffer`; no workers before the plugin has started.
pub(super) unsafe extern "C" fn worker_status() -> PluginBuffer {
    let bytes = catch_unwind(|| match started() {
        Some(state) => state.workers.status(&state.calls()).to_json(),
        None => WorkerStatus::default().to_json(),
    })
    .unwrap_or_else(|_| WorkerStatus::default().to_json());
    into_buffer(bytes)
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;

    #[test]
    fn a_thread_is_marked_while_it_polls_and_cleared_after() {
        let workers = Workers::default();
        let calls = HashMap::from([(
            9,
            CallEntry {
                token: CancellationToken::new(),
                tool: "block".into(),
                tool_call_id: "tooluse_1".into(),
            },
        )]);
        {
            let _polled = workers.enter(9);
            let status = workers.status(&calls);
            assert_eq!(status.workers.len(), 1);
            let polling = status.workers[0].polling.clone().unwrap();
            assert_eq!((polling.call_id, polling.tool.as_str()), (9, "block"));
            assert_eq!(polling.tool_call_id.as_deref(), Some("tooluse_1"));
        }
        assert_eq!(workers.status(&calls).workers, [WorkerState::default()]);
    }
}
