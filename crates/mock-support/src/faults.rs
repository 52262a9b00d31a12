//! [`FaultPlan`]: which requests a local server fails. What a fault *is*
//! and how it looks on the wire belong to each protocol (its `Fault` enum);
//! the plan only decides which request gets which fault, deterministically.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Which request gets which fault: a queue first (set at build time, and
/// added to with [`FaultPlan::push`] while running: "throttle the next 6"),
/// then every-Nth rules in the order given. Deterministic: the same
/// arrivals get the same faults.
///
/// ```
/// use mock_support::FaultPlan;
///
/// let plan = FaultPlan::new(vec![(2, "throttle")], vec!["cut"]);
/// assert_eq!(plan.pick(1), Some("cut")); // the queue first
/// assert_eq!(plan.pick(2), Some("throttle")); // then every 2nd request
/// assert_eq!(plan.pick(3), None);
/// ```
#[derive(Debug)]
pub struct FaultPlan<F> {
    every: Vec<(u64, F)>,
    next: Mutex<VecDeque<F>>,
}

impl<F: Clone> FaultPlan<F> {
    /// A plan with `every` rules (`(n, fault)`: every `n`th request, counted
    /// from 1; `n = 0` is ignored) and `next`, the faults for the first
    /// requests, one each.
    pub fn new(every: Vec<(u64, F)>, next: Vec<F>) -> Self {
        Self {
            every: every.into_iter().filter(|(n, _)| *n > 0).collect(),
            next: Mutex::new(next.into()),
        }
    }

    /// Queues `faults` for the coming requests, one each, after those
    /// already queued.
    pub fn push(&self, faults: impl IntoIterator<Item = F>) {
        if let Ok(mut q) = self.next.lock() {
            q.extend(faults);
        }
    }

    /// The fault for the `seq`-th request (1-based), if any: the next
    /// queued one, else the first every-Nth rule `seq` is a multiple of.
    pub fn pick(&self, seq: u64) -> Option<F> {
        if let Some(f) = self.next.lock().ok().and_then(|mut q| q.pop_front()) {
            return Some(f);
        }
        self.every
            .iter()
            .find(|(n, _)| seq.is_multiple_of(*n))
            .map(|(_, f)| f.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_faults_come_first_then_every_nth() {
        let plan = FaultPlan::new(vec![(0, 'z'), (2, 't'), (3, 'e')], vec!['c']);
        assert_eq!(plan.pick(1), Some('c'));
        assert_eq!(plan.pick(2), Some('t'));
        assert_eq!(plan.pick(3), Some('e'));
        assert_eq!(plan.pick(5), None);
        assert_eq!(plan.pick(6), Some('t'), "rules are tried in order");
        plan.push(['u'; 2]);
        assert_eq!(plan.pick(7), Some('u'));
        assert_eq!(plan.pick(9), Some('u'));
        assert_eq!(plan.pick(11), None);
    }
}
