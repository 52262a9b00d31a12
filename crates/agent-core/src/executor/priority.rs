//! A concurrency limit whose line is ordered by priority, then by arrival:
//! when calls queue behind the global limit, a higher-priority call gets the
//! next free slot first. Used instead of the plain (first come, first
//! served) limit only when some tool declares a priority.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// The shared state of one priority limit.
#[derive(Debug)]
pub(super) struct PriorityLimit {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    free: usize,
    /// Arrivals so far: the tie-break, so equal priorities keep call order.
    arrivals: u64,
    waiting: BinaryHeap<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    priority: i32,
    arrival: u64,
    grant: oneshot::Sender<PriorityPermit>,
}

impl Ord for Waiter {
    fn cmp(&self, other: &Self) -> Ordering {
        // The heap pops its greatest: highest priority, then earliest.
        self.priority
            .cmp(&other.priority)
            .then(other.arrival.cmp(&self.arrival))
    }
}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Waiter {}

/// A slot of a [`PriorityLimit`]; dropping it hands the slot to the best
/// waiter, or frees it.
#[derive(Debug)]
pub(super) struct PriorityPermit(Option<Arc<PriorityLimit>>);

/// A place in a [`PriorityLimit`]'s line.
#[derive(Debug)]
pub(super) enum PriorityPlace {
    Ready(PriorityPermit),
    Waiting(oneshot::Receiver<PriorityPermit>),
}

impl PriorityLimit {
    /// At most `max` (at least 1) slots.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                free: max.max(1),
                arrivals: 0,
                waiting: BinaryHeap::new(),
            }),
        })
    }

    /// Takes a place in line now, at `priority`.
    pub fn enqueue(self: &Arc<Self>, priority: i32) -> PriorityPlace {
        let Ok(mut state) = self.state.lock() else {
            // Poisoned only by a panic in this module's short code: run
            // unlimited rather than fail the call.
            return PriorityPlace::Ready(PriorityPermit(None));
        };
        if state.free > 0 {
            state.free -= 1;
            return PriorityPlace::Ready(PriorityPermit(Some(self.clone())));
        }
        let (grant, granted) = oneshot::channel();
        state.arrivals += 1;
        let arrival = state.arrivals;
        state.waiting.push(Waiter {
            priority,
            arrival,
            grant,
        });
        PriorityPlace::Waiting(granted)
    }

    fn release(self: &Arc<Self>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        while let Some(waiter) = state.waiting.pop() {
            match waiter.grant.send(PriorityPermit(Some(self.clone()))) {
                Ok(()) => return,
                // That waiter left the line: defuse the permit (its drop
                // would release again, under this lock) and try the next.
                Err(mut permit) => {
                    permit.0 = None;
                }
            }
        }
        state.free += 1;
    }
}

impl Drop for PriorityPermit {
    fn drop(&mut self) {
        if let Some(limit) = self.0.take() {
            limit.release();
        }
    }
}

impl PriorityPlace {
    /// Waits for the slot.
    pub async fn acquired(self) -> PriorityPermit {
        match self {
            Self::Ready(p) => p,
            // A waiter's sender is dropped only once it sent, or with the
            // limit itself; were it gone, running beats failing the call.
            Self::Waiting(rx) => rx.await.unwrap_or(PriorityPermit(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn higher_priority_first_then_arrival() {
        let limit = PriorityLimit::new(1);
        let first = limit.enqueue(0);
        assert!(matches!(first, PriorityPlace::Ready(_)));
        let low = limit.enqueue(0);
        let high = limit.enqueue(5);
        let low2 = limit.enqueue(0);
        let gone = limit.enqueue(9);
        drop(gone);
        assert!(matches!(low, PriorityPlace::Waiting(_)));
        drop(first.acquired().await);
        let high = high.acquired().await;
        drop(high);
        let low = low.acquired().await;
        drop(low);
        let low2 = low2.acquired().await;
        drop(low2);
        assert!(
            matches!(limit.enqueue(0), PriorityPlace::Ready(_)),
            "the slot came back"
        );
    }
}
