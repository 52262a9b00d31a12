//! Exclusive and shared resources: calls holding the same resource never
//! overlap (readers excepted, among themselves), and get it in call order.
//!
//! A resource is named (`"repo"`) or keyed by the call's input through a
//! JSON pointer (`"file:/path"`: one resource per distinct `path`). Each
//! resource instance is a fair (first come, first served) read/write lock;
//! a call takes its places in the lines of all its resources at once, under
//! the table's lock, so places follow one total order of calls and two
//! calls can never wait for each other.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use serde_json::Value;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// How a call holds a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Alone: no other call holds it meanwhile.
    Exclusive,
    /// With other readers, never with an exclusive holder.
    Shared,
}

/// A declared resource: `NAME`, or `NAME:/json/pointer` keyed by the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The resource's name.
    pub name: String,
    /// The JSON pointer into the call's input that keys it, if any.
    pub key: Option<String>,
    /// How calls hold it.
    pub access: Access,
}

impl Resource {
    /// Parses `NAME` or `NAME:/pointer` (the pointer starts at the first
    /// `:/`); any other text is a plain name.
    pub fn parse(text: &str, access: Access) -> Self {
        match text.split_once(":/") {
            Some((name, pointer)) => Self {
                name: name.to_owned(),
                key: Some(format!("/{pointer}")),
                access,
            },
            None => Self {
                name: text.to_owned(),
                key: None,
                access,
            },
        }
    }

    /// The instance a call with `input` holds: the name, plus the keyed
    /// value (a string as it is, anything else as JSON; a missing key is
    /// the empty value, one instance shared by every call without it).
    fn instance(&self, input: &Value) -> String {
        let Some(pointer) = &self.key else {
            return self.name.clone();
        };
        let value = match input.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        format!("{}:{pointer}={value}", self.name)
    }
}

type Lock = Arc<RwLock<()>>;

/// Every resource instance in use, shared by all batches of an executor.
#[derive(Debug, Default)]
pub(super) struct ResourceTable {
    locks: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    locks: HashMap<String, Lock>,
    /// Size after the last sweep of unused instances.
    swept: usize,
}

impl ResourceTable {
    /// Takes the places of a call with `input` in the lines of `resources`,
    /// all at once.
    pub fn enqueue(&self, resources: &[Resource], input: &Value) -> Vec<Place> {
        let mut wanted: Vec<(String, Access)> = resources
            .iter()
            .map(|r| (r.instance(input), r.access))
            .collect();
        // One place per instance (a call must not wait for itself), the
        // strongest access winning: Exclusive sorts first.
        wanted.sort();
        wanted.dedup_by(|later, earlier| later.0 == earlier.0);
        let Ok(mut table) = self.locks.lock() else {
            // Poisoned only by a panic in this module's own short code;
            // running unguarded beats failing the call.
            return Vec::new();
        };
        table.sweep();
        wanted
            .into_iter()
            .map(|(instance, access)| {
                let lock = table.locks.entry(instance).or_default().clone();
                Place::take(lock, access)
            })
            .collect()
    }
}

impl Table {
    /// Forgets instances no call holds or waits for, once the table has
    /// doubled since the last sweep (keys by input would grow it forever).
    fn sweep(&mut self) {
        if self.locks.len() > 64 && self.locks.len() > 2 * self.swept {
            self.locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            self.swept = self.locks.len();
        }
    }
}

type Acquire<G> = Pin<Box<dyn Future<Output = G> + Send>>;

/// A call's place in one resource's line.
pub(super) enum Place {
    Held(Guard),
    Reading(Acquire<OwnedRwLockReadGuard<()>>),
    Writing(Acquire<OwnedRwLockWriteGuard<()>>),
}

/// A resource held; dropping it lets the next in line have it.
#[derive(Debug)]
pub(super) enum Guard {
    Read(#[allow(dead_code)] OwnedRwLockReadGuard<()>),
    Write(#[allow(dead_code)] OwnedRwLockWriteGuard<()>),
}

impl Place {
    fn take(lock: Lock, access: Access) -> Self {
        // As in `limit`: polled once to join the line now, unconstrained so
        // a spent cooperative budget cannot keep it out of the line.
        let noop = &mut Context::from_waker(Waker::noop());
        match access {
            Access::Shared => {
                let mut f: Acquire<_> = Box::pin(tokio::task::unconstrained(lock.read_owned()));
                match f.as_mut().poll(noop) {
                    Poll::Ready(g) => Self::Held(Guard::Read(g)),
                    Poll::Pending => Self::Reading(f),
                }
            }
            Access::Exclusive => {
                let mut f: Acquire<_> = Box::pin(tokio::task::unconstrained(lock.write_owned()));
                match f.as_mut().poll(noop) {
                    Poll::Ready(g) => Self::Held(Guard::Write(g)),
                    Poll::Pending => Self::Writing(f),
                }
            }
        }
    }

    /// Whether the resource was free when the place was taken.
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Held(_))
    }

    /// Waits for the resource.
    pub async fn acquired(self) -> Guard {
        match self {
            Self::Held(g) => g,
            Self::Reading(f) => Guard::Read(f.await),
            Self::Writing(f) => Guard::Write(f.await),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_names_and_pointers() {
        let r = Resource::parse("file:/path", Access::Exclusive);
        assert_eq!((r.name.as_str(), r.key.as_deref()), ("file", Some("/path")));
        let r = Resource::parse("repo", Access::Shared);
        assert_eq!((r.name.as_str(), r.key.as_deref()), ("repo", None));
        assert_eq!(r.instance(&json!({})), "repo");
        let f = Resource::parse("file:/a/b", Access::Exclusive);
        assert_eq!(f.instance(&json!({"a": {"b": "x.txt"}})), "file:/a/b=x.txt");
        assert_eq!(f.instance(&json!({"a": {"b": 7}})), "file:/a/b=7");
        assert_eq!(f.instance(&json!({})), "file:/a/b=");
    }

    #[tokio::test(start_paused = true)]
    async fn readers_share_writers_wait_in_order() {
        let table = ResourceTable::default();
        let read = [Resource::parse("r", Access::Shared)];
        let write = [Resource::parse("r", Access::Exclusive)];
        let input = json!({});
        let r1 = table.enqueue(&read, &input);
        let r2 = table.enqueue(&read, &input);
        assert!(r1[0].is_ready() && r2[0].is_ready(), "readers share");
        let w = table.enqueue(&write, &input);
        assert!(!w[0].is_ready(), "the writer waits for the readers");
        let r3 = table.enqueue(&read, &input);
        assert!(
            !r3[0].is_ready(),
            "a reader after a waiting writer waits too"
        );
        drop((r1, r2));
        let w = w.into_iter().next().unwrap().acquired().await;
        drop(w);
        let _ = r3.into_iter().next().unwrap().acquired().await;
    }

    #[test]
    fn a_call_never_waits_for_itself() {
        let table = ResourceTable::default();
        let both = [
            Resource::parse("r", Access::Shared),
            Resource::parse("r", Access::Exclusive),
        ];
        let places = table.enqueue(&both, &json!({}));
        assert_eq!(places.len(), 1);
        assert!(matches!(places[0], Place::Held(Guard::Write(_))));
    }
}
