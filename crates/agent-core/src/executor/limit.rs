//! Concurrency limit: at most N calls run at once, across every batch and
//! run of one executor.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A shared limit on calls in flight; cloning shares the limit.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit {
    semaphore: Option<Arc<Semaphore>>,
    max: Option<usize>,
}

/// Held while a call runs; dropping it lets the next call start.
#[derive(Debug)]
pub struct Permit(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl ConcurrencyLimit {
    /// At most `max` calls at once; `None` for no limit.
    pub fn new(max: Option<usize>) -> Self {
        let max = max.map(|m| m.clamp(1, Semaphore::MAX_PERMITS));
        Self {
            semaphore: max.map(|m| Arc::new(Semaphore::new(m))),
            max,
        }
    }

    /// The limit, if any.
    pub fn max(&self) -> Option<usize> {
        self.max
    }

    /// Waits for a free slot. First come, first served (tokio's semaphore is
    /// fair), so calls start in the order they were queued.
    pub async fn acquire(&self) -> Permit {
        match &self.semaphore {
            // The semaphore is never closed, so acquiring cannot fail; were
            // it closed, running unlimited beats failing the call.
            Some(s) => Permit(s.clone().acquire_owned().await.ok()),
            None => Permit(None),
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
        drop(a);
        let _c = limit.acquire().await;
        assert_eq!(ConcurrencyLimit::new(Some(0)).max(), Some(1));
        assert_eq!(ConcurrencyLimit::new(None).max(), None);
    }
}
