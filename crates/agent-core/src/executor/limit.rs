//! Concurrency limit: at most N calls run at once, across every batch and
//! run of one executor.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

use super::priority::{PriorityLimit, PriorityPermit, PriorityPlace};

/// A shared limit on calls in flight; cloning shares the limit.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit {
    semaphore: Option<Arc<Semaphore>>,
    /// Set instead of `semaphore` when waiting calls go by priority.
    priority: Option<Arc<PriorityLimit>>,
    max: Option<usize>,
}

/// Held while a call runs; dropping it lets the next call start.
#[derive(Debug)]
pub struct Permit(#[allow(dead_code)] Held);

#[derive(Debug)]
enum Held {
    Free,
    Fifo(#[allow(dead_code)] OwnedSemaphorePermit),
    Priority(#[allow(dead_code)] PriorityPermit),
}

impl Permit {
    /// Ends the permit without giving its slot back: the line has one slot
    /// fewer (an adaptive limit shrinking while all its slots are held).
    pub(super) fn forget(self) {
        if let Held::Fifo(permit) = self.0 {
            permit.forget();
        }
    }
}

impl Held {
    fn fifo(permit: Result<OwnedSemaphorePermit, AcquireError>) -> Self {
        permit.map_or(Self::Free, Self::Fifo)
    }
}

impl ConcurrencyLimit {
    /// At most `max` calls at once; `None` for no limit.
    pub fn new(max: Option<usize>) -> Self {
        let max = max.map(|m| m.clamp(1, Semaphore::MAX_PERMITS));
        Self {
            semaphore: max.map(|m| Arc::new(Semaphore::new(m))),
            priority: None,
            max,
        }
    }

    /// At most `max` calls at once (`None`: no limit, so no line either),
    /// waiting calls going by priority ([`ConcurrencyLimit::enqueue_at`]),
    /// then first come, first served.
    pub fn with_priorities(max: Option<usize>) -> Self {
        let max = max.map(|m| m.clamp(1, Semaphore::MAX_PERMITS));
        Self {
            semaphore: None,
            priority: max.map(PriorityLimit::new),
            max,
        }
    }

    /// The limit, if any.
    pub fn max(&self) -> Option<usize> {
        self.max
    }

    /// The first come, first served line's semaphore, if it has one: an
    /// adaptive limit (`adaptive.rs`) takes slots out of it and puts them
    /// back.
    pub(super) fn semaphore(&self) -> Option<&Arc<Semaphore>> {
        self.semaphore.as_ref()
    }

    /// Waits for a free slot. First come, first served (tokio's semaphore is
    /// fair): the place in line is taken when this future is first polled.
    pub async fn acquire(&self) -> Permit {
        self.enqueue().acquired().await
    }

    /// Takes a place in line now and returns it, to be waited on later.
    ///
    /// Calls of a batch run in tasks, and tasks are first polled in no set
    /// order across worker threads; queueing each call in call order before
    /// its task is spawned is what makes "the rest wait their turn in order"
    /// hold (with a limit of 1, a batch runs exactly in call order).
    pub fn enqueue(&self) -> Queued {
        self.enqueue_at(0)
    }

    /// As [`ConcurrencyLimit::enqueue`], at `priority`: with a limit made by
    /// [`ConcurrencyLimit::with_priorities`], a higher priority is served
    /// first; otherwise priorities are ignored.
    pub fn enqueue_at(&self, priority: i32) -> Queued {
        if let Some(limit) = &self.priority {
            return Queued(Some(match limit.enqueue(priority) {
                PriorityPlace::Ready(p) => Slot::Ready(Permit(Held::Priority(p))),
                waiting => Slot::Priority(waiting),
            }));
        }
        let Some(semaphore) = &self.semaphore else {
            return Queued::default();
        };
        // `unconstrained`: a semaphore may not queue a waiter whose task has
        // spent its cooperative budget (tokio before 1.54 checked the budget
        // first), and the executor's task may well have spent it here.
        let mut waiting: AcquireFuture = Box::pin(tokio::task::unconstrained(
            semaphore.clone().acquire_owned(),
        ));
        // Polling once registers the waiter with the semaphore. The no-op
        // waker is replaced by the task's own when the task polls it; a slot
        // granted in between is kept by the future and seen on that poll.
        match waiting
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            // Never closed, so acquiring cannot fail; were it closed,
            // running unlimited beats failing the call.
            Poll::Ready(permit) => Queued(Some(Slot::Ready(Permit(Held::fifo(permit))))),
            Poll::Pending => Queued(Some(Slot::Waiting(waiting))),
        }
    }
}

type AcquireFuture =
    Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

/// A place in line for a slot, from [`ConcurrencyLimit::enqueue`]; dropping
/// it leaves the line.
#[derive(Default)]
pub struct Queued(Option<Slot>);

enum Slot {
    Ready(Permit),
    Waiting(AcquireFuture),
    Priority(PriorityPlace),
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.0 {
            None | Some(Slot::Ready(_)) => "ready",
            Some(Slot::Waiting(_) | Slot::Priority(_)) => "waiting",
        };
        f.debug_tuple("Queued").field(&state).finish()
    }
}

impl Queued {
    /// Whether the slot was free when the place was taken (waiting on it
    /// will not wait).
    pub fn is_ready(&self) -> bool {
        !matches!(self.0, Some(Slot::Waiting(_) | Slot::Priority(_)))
    }

    /// Waits until this place in line gets its slot.
    pub async fn acquired(self) -> Permit {
        match self.0 {
            None => Permit(Held::Free),
            Some(Slot::Ready(permit)) => permit,
            Some(Slot::Waiting(waiting)) => Permit(Held::fifo(waiting.await)),
            Some(Slot::Priority(place)) => Permit(Held::Priority(place.acquired().await)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bounds_permits() {
        let limit = ConcurrencyLimit::new(Some(2));
        let a = limit.acquire().await;
        let _b = limit.acquire().await;
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(5), limit.acquire())
                .await
                .is_err()
        );
        assert!(!limit.enqueue().is_ready());
        drop(a);
        assert!(limit.enqueue().is_ready());
        let _c = limit.acquire().await;
        assert_eq!(ConcurrencyLimit::new(Some(0)).max(), Some(1));
        assert_eq!(ConcurrencyLimit::new(None).max(), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slots_go_in_the_order_places_were_taken() {
        let limit = ConcurrencyLimit::new(Some(1));
        let first = limit.acquire().await;
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        // Places taken in order 0..8; tasks spawned in reverse, so their
        // first polls come in no useful order.
        let queued: Vec<_> = (0..8).map(|i| (i, limit.enqueue())).collect();
        let tasks: Vec<_> = queued
            .into_iter()
            .rev()
            .map(|(i, place)| {
                let order = order.clone();
                tokio::spawn(async move {
                    let _permit = place.acquired().await;
                    order.lock().unwrap().push(i);
                    tokio::task::yield_now().await;
                })
            })
            .collect();
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_place_leaves_the_line() {
        let limit = ConcurrencyLimit::new(Some(1));
        let first = limit.acquire().await;
        let gone = limit.enqueue();
        let next = limit.enqueue();
        assert!(!next.is_ready());
        drop(gone);
        drop(first);
        // Bounded: were the dropped place still in line, it would hold the
        // slot and this would wait forever.
        let got = tokio::time::timeout(std::time::Duration::from_secs(1), next.acquired()).await;
        assert!(
            got.is_ok(),
            "the place behind a dropped one never got the slot"
        );
        assert!(!limit.enqueue().is_ready(), "the slot is held by `next`");
    }
}
