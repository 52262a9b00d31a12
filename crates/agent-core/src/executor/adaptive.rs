//! Adaptive concurrency: a tool's own limit that shrinks when the tool says
//! it is being throttled and grows back as its calls succeed (AIMD, as TCP's
//! congestion window and the concurrency limiters of tower and Netflix do).
//!
//! - **Decrease**: an attempt that fails with a retryable error carrying a
//!   retry-after (the tool's "slow down") halves the limit, down to its
//!   minimum. Once per window: calls admitted before the last decrease (and
//!   retries that started before it) ran under the old limit, so their
//!   throttles (typically a burst, all at once) do not shrink it again.
//! - **Increase**: every `limit` successful calls in a row raise it by one,
//!   up to its maximum (one per window's worth of successes, so growth is
//!   additive however many calls run).
//!
//! Slots come from a first come, first served [`ConcurrencyLimit`] of the
//! maximum size; a decrease takes free slots out of its line at once and
//! the rest as running calls end (their slots are not given back), so the
//! limit holds from the next start on and no running call is stopped.

use std::sync::{Arc, Mutex, PoisonError};

use super::limit::{ConcurrencyLimit, Permit, Queued};

/// One tool's adaptive limit, shared by every batch of its executor.
#[derive(Debug)]
pub(super) struct AdaptiveLimit {
    line: ConcurrencyLimit,
    min: usize,
    max: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The limit now.
    limit: usize,
    /// Slots to take back from calls still running when they end.
    debt: usize,
    /// Successes since the limit last moved.
    successes: usize,
    /// Decreases so far: an attempt remembers the window it started in.
    window: u64,
}

/// A change of the limit, for the observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LimitChange {
    /// The limit before.
    pub from: usize,
    /// The limit now.
    pub to: usize,
}

impl AdaptiveLimit {
    /// A limit moving between `min` and `max` (both at least 1), starting at
    /// `max`: a tool is trusted until it says otherwise.
    pub fn new(min: usize, max: usize) -> Self {
        let min = min.max(1);
        let max = max.max(min);
        Self {
            line: ConcurrencyLimit::new(Some(max)),
            min,
            max,
            state: Mutex::new(State {
                limit: max,
                debt: 0,
                successes: 0,
                window: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a few counters, consistent after every statement: a
        // panic elsewhere while it was held leaves nothing half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The limit now.
    #[cfg(test)]
    pub fn current(&self) -> usize {
        self.state().limit
    }

    /// The window a call admitted (or a retry started) now belongs to (see
    /// the module doc).
    pub fn window(&self) -> u64 {
        self.state().window
    }

    /// Takes a place in line now, in call order.
    pub fn enqueue(&self) -> Queued {
        self.line.enqueue()
    }

    /// The slot of an admitted call, given back through this limit (which
    /// keeps it while it owes slots).
    /// `window`: the window the call was admitted in.
    pub fn hold(self: &Arc<Self>, permit: Permit, window: u64) -> AdaptivePermit {
        AdaptivePermit {
            permit: Some(permit),
            limit: self.clone(),
            window,
        }
    }

    /// An attempt that started in `window` was throttled: halve the limit,
    /// unless it shrank since that attempt started.
    pub fn throttled(&self, window: u64) -> Option<LimitChange> {
        let mut state = self.state();
        state.successes = 0;
        if window != state.window || state.limit <= self.min {
            return None;
        }
        let from = state.limit;
        let to = (from / 2).max(self.min);
        let cut = from - to;
        let taken = self
            .line
            .semaphore()
            .map_or(cut, |semaphore| semaphore.forget_permits(cut));
        state.debt += cut - taken;
        state.limit = to;
        state.window += 1;
        Some(LimitChange { from, to })
    }

    /// A call succeeded: every `limit` successes in a row raise the limit by
    /// one, up to its maximum.
    pub fn succeeded(&self) -> Option<LimitChange> {
        let mut state = self.state();
        if state.limit >= self.max {
            return None;
        }
        state.successes += 1;
        if state.successes < state.limit {
            return None;
        }
        state.successes = 0;
        let from = state.limit;
        state.limit += 1;
        if state.debt > 0 {
            // A slot still owed by a running call is simply not taken.
            state.debt -= 1;
        } else if let Some(semaphore) = self.line.semaphore() {
            semaphore.add_permits(1);
        }
        Some(LimitChange {
            from,
            to: state.limit,
        })
    }
}

/// A running call's slot of an adaptive limit; dropping it gives the slot
/// back, or keeps it if the limit shrank below the calls running.
pub(super) struct AdaptivePermit {
    permit: Option<Permit>,
    limit: Arc<AdaptiveLimit>,
    window: u64,
}

impl AdaptivePermit {
    /// The limit this slot belongs to.
    pub fn limit(&self) -> &Arc<AdaptiveLimit> {
        &self.limit
    }

    /// The window the call was admitted in.
    pub fn window(&self) -> u64 {
        self.window
    }
}

impl Drop for AdaptivePermit {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let mut state = self.limit.state();
        if state.debt > 0 {
            state.debt -= 1;
            permit.forget();
        }
        // Otherwise the permit drops here and its slot goes to the next
        // call in line.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many places can be taken at once, without waiting.
    fn free_now(limit: &Arc<AdaptiveLimit>) -> usize {
        let mut held = Vec::new();
        loop {
            let place = limit.enqueue();
            if !place.is_ready() {
                return held.len();
            }
            held.push(place);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn halves_on_a_throttle_once_per_window_and_grows_back_by_one() {
        let limit = Arc::new(AdaptiveLimit::new(1, 8));
        assert_eq!(free_now(&limit), 8);
        let window = limit.window();
        assert_eq!(
            limit.throttled(window),
            Some(LimitChange { from: 8, to: 4 })
        );
        // The same burst: no second decrease.
        assert_eq!(limit.throttled(window), None);
        assert_eq!((limit.current(), free_now(&limit)), (4, 4));
        assert_eq!(
            limit.throttled(limit.window()),
            Some(LimitChange { from: 4, to: 2 })
        );
        assert_eq!(
            limit.throttled(limit.window()),
            Some(LimitChange { from: 2, to: 1 })
        );
        assert_eq!(limit.throttled(limit.window()), None, "at its minimum");
        assert_eq!(free_now(&limit), 1);
        // One success at limit 1 raises it; then two at limit 2.
        assert_eq!(limit.succeeded(), Some(LimitChange { from: 1, to: 2 }));
        assert_eq!(limit.succeeded(), None);
        assert_eq!(limit.succeeded(), Some(LimitChange { from: 2, to: 3 }));
        assert_eq!(free_now(&limit), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn slots_held_when_it_shrinks_are_kept_as_they_end() {
        let limit = Arc::new(AdaptiveLimit::new(1, 4));
        let mut running = Vec::new();
        for _ in 0..4 {
            let permit = limit.enqueue().acquired().await;
            running.push(limit.hold(permit, 0));
        }
        assert_eq!(limit.throttled(0), Some(LimitChange { from: 4, to: 2 }));
        // Two calls end: their slots pay the debt, none is free.
        running.truncate(2);
        assert_eq!(free_now(&limit), 0);
        // The next ends: its slot is free again (2 running would be 3).
        running.truncate(1);
        assert_eq!(free_now(&limit), 1);
    }
}
