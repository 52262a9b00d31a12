//! [`Recorder`]: every request a local server received, numbered in
//! arrival order, for tests to assert on what crossed the wire. What a
//! record holds is the protocol's own type.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::HeaderMap;

/// Numbers arrivals and keeps their records, in arrival order.
///
/// Built with recording off ([`Recorder::new`]`(false)`), it still numbers
/// arrivals (every-Nth faults and request ids go on) but keeps nothing: for
/// long runs such as benchmarks, where the record would only grow.
///
/// ```
/// use mock_support::Recorder;
///
/// let recorder = Recorder::new(true);
/// let first = recorder.arrive();
/// let second = recorder.arrive();
/// recorder.record(second, || "second");
/// recorder.record(first, || "first"); // concurrent requests may finish out of order
/// assert_eq!(recorder.all(), ["first", "second"]);
/// recorder.update(first, |r| *r = "first, answered");
/// assert_eq!(recorder.all()[0], "first, answered");
/// ```
#[derive(Debug)]
pub struct Recorder<T> {
    on: bool,
    arrived: AtomicU64,
    records: Mutex<Vec<(u64, T)>>,
}

impl<T> Recorder<T> {
    /// A recorder; `on` says whether records are kept.
    pub fn new(on: bool) -> Self {
        Self {
            on,
            arrived: AtomicU64::new(0),
            records: Mutex::new(Vec::new()),
        }
    }

    /// Numbers a new arrival: 1, 2, 3... (counted even with recording off).
    pub fn arrive(&self) -> u64 {
        self.arrived.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Keeps `make()` as the `seq`-th arrival's record, in arrival order;
    /// with recording off, `make` is not called (no copies of bodies in a
    /// long benchmark run).
    pub fn record(&self, seq: u64, make: impl FnOnce() -> T) {
        if !self.on {
            return;
        }
        let record = make();
        if let Ok(mut r) = self.records.lock() {
            let at = r.partition_point(|(s, _)| *s < seq);
            r.insert(at, (seq, record));
        }
    }

    /// Changes the `seq`-th arrival's record (its status, once answered).
    pub fn update(&self, seq: u64, change: impl FnOnce(&mut T)) {
        if let Ok(mut r) = self.records.lock()
            && let Ok(at) = r.binary_search_by_key(&seq, |(s, _)| *s)
        {
            change(&mut r[at].1);
        }
    }

    /// Forgets the records so far (the numbering goes on).
    pub fn clear(&self) {
        if let Ok(mut r) = self.records.lock() {
            r.clear();
        }
    }
}

impl<T: Clone> Recorder<T> {
    /// Every record kept so far, in arrival order.
    pub fn all(&self) -> Vec<T> {
        self.records
            .lock()
            .map(|r| r.iter().map(|(_, t)| t.clone()).collect())
            .unwrap_or_default()
    }
}

/// The headers to record: `keep` gets each (lowercase name, value) and
/// returns the value to record (redacted, say), or `None` to leave it out.
///
/// ```
/// use axum::http::{HeaderMap, HeaderValue};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-api-key", HeaderValue::from_static("secret"));
/// headers.insert("accept", HeaderValue::from_static("text/event-stream"));
/// let kept = mock_support::recorder::header_map(&headers, |name, v| (name != "x-api-key").then_some(v));
/// assert_eq!(kept.len(), 1);
/// assert_eq!(kept["accept"], "text/event-stream");
/// ```
pub fn header_map(
    headers: &HeaderMap,
    mut keep: impl FnMut(&str, String) -> Option<String>,
) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            Some((name.as_str().to_owned(), keep(name.as_str(), value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_numbers_arrivals_but_keeps_nothing() {
        let r = Recorder::new(false);
        r.record(r.arrive(), || 1);
        assert_eq!(r.arrive(), 2);
        assert!(r.all().is_empty());
    }

    #[test]
    fn clear_forgets_but_the_numbering_goes_on() {
        let r = Recorder::new(true);
        r.record(r.arrive(), || 'a');
        r.clear();
        let seq = r.arrive();
        r.record(seq, || 'b');
        r.update(1, |x| *x = 'z');
        assert_eq!((seq, r.all()), (2, vec!['b']));
    }
}
