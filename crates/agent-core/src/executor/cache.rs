//! Result cache for idempotent tools: identical calls (same tool, same input
//! after canonicalising the JSON) in flight together run once, and later
//! ones within the tool's `cache_ttl` are answered from the cache.
//!
//! Only successes are kept: a failed or cancelled call leaves nothing
//! behind, and the calls that waited for it run themselves.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;
use tool_api::ToolOutput;

/// What one cached call has come to.
#[derive(Debug, Clone)]
enum State {
    /// Its first call is running.
    Running,
    /// It succeeded; the result is good until `expires`.
    Ready {
        output: ToolOutput,
        expires: Instant,
    },
    /// It failed or was stopped: nothing to share.
    Gone,
}

/// The cache of one executor, shared by every batch.
#[derive(Debug, Default)]
pub(super) struct ResultCache {
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, watch::Receiver<State>>,
    swept: usize,
}

/// What the cache says of a call.
pub(super) enum Lookup {
    /// A fresh result: the call is answered with it.
    Hit(ToolOutput),
    /// An identical call is running: wait for it ([`Follower::wait`]).
    Follow(Follower),
    /// Run the call, and report its end through the [`Leader`].
    Lead(Leader),
}

/// The first of identical calls: tells the others how it ended.
pub(super) struct Leader {
    tx: watch::Sender<State>,
    ttl: Duration,
}

/// An identical call waiting for a running one.
pub(super) struct Follower(watch::Receiver<State>);

impl ResultCache {
    /// Looks up a call of `tool` with `input`, cached for `ttl`.
    pub fn lookup(&self, tool: &str, input: &Value, ttl: Duration) -> Lookup {
        let key = format!("{tool}\u{0}{}", canonical(input));
        let Ok(mut entries) = self.entries.lock() else {
            // Poisoned only by a panic in this short code: run uncached.
            let (tx, _) = watch::channel(State::Running);
            return Lookup::Lead(Leader { tx, ttl });
        };
        if let Some(rx) = entries.map.get(&key) {
            match &*rx.borrow() {
                State::Ready { output, expires } if Instant::now() < *expires => {
                    return Lookup::Hit(output.clone());
                }
                State::Running => return Lookup::Follow(Follower(rx.clone())),
                State::Ready { .. } | State::Gone => {}
            }
        }
        entries.sweep();
        let (tx, rx) = watch::channel(State::Running);
        entries.map.insert(key, rx);
        Lookup::Lead(Leader { tx, ttl })
    }
}

impl Entries {
    /// Forgets expired and failed entries once the map has doubled since
    /// the last sweep.
    fn sweep(&mut self) {
        if self.map.len() > 64 && self.map.len() > 2 * self.swept {
            let now = Instant::now();
            self.map.retain(|_, rx| match &*rx.borrow() {
                State::Running => true,
                State::Ready { expires, .. } => now < *expires,
                State::Gone => false,
            });
            self.swept = self.map.len();
        }
    }
}

impl Leader {
    /// The call succeeded with `output`: share and keep it.
    pub fn succeeded(self, output: &ToolOutput) {
        let expires = Instant::now() + self.ttl;
        self.tx.send_replace(State::Ready {
            output: output.clone(),
            expires,
        });
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        // Failed, cancelled or aborted: the followers run themselves.
        self.tx.send_if_modified(|state| {
            let running = matches!(state, State::Running);
            if running {
                *state = State::Gone;
            }
            running
        });
    }
}

impl Follower {
    /// The running call's result, or `None` if it did not succeed.
    pub async fn wait(mut self) -> Option<ToolOutput> {
        let state = self
            .0
            .wait_for(|s| !matches!(s, State::Running))
            .await
            .ok()?;
        match &*state {
            State::Ready { output, .. } => Some(output.clone()),
            _ => None,
        }
    }
}

/// `value` as JSON text with every object's keys sorted, so inputs that
/// differ only in key order are the same call.
fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_order_does_not_matter() {
        assert_eq!(
            canonical(&json!({"b": 1, "a": {"d": [1, {"y": 2, "x": 1}], "c": 0}})),
            canonical(&json!({"a": {"c": 0, "d": [1, {"x": 1, "y": 2}]}, "b": 1}))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn leads_follows_hits_and_expires() {
        let cache = ResultCache::default();
        let ttl = Duration::from_secs(10);
        let input = json!({"q": 1});
        let Lookup::Lead(leader) = cache.lookup("t", &input, ttl) else {
            panic!("first call leads");
        };
        let Lookup::Follow(follower) = cache.lookup("t", &input, ttl) else {
            panic!("an identical call follows");
        };
        assert!(matches!(
            cache.lookup("t", &json!({"q": 2}), ttl),
            Lookup::Lead(_)
        ));
        leader.succeeded(&ToolOutput::text("one"));
        assert_eq!(follower.wait().await, Some(ToolOutput::text("one")));
        assert!(matches!(cache.lookup("t", &input, ttl), Lookup::Hit(_)));
        tokio::time::sleep(ttl).await;
        assert!(
            matches!(cache.lookup("t", &input, ttl), Lookup::Lead(_)),
            "expired"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_not_kept_and_followers_run_themselves() {
        let cache = ResultCache::default();
        let ttl = Duration::from_secs(10);
        let input = json!({});
        let Lookup::Lead(leader) = cache.lookup("t", &input, ttl) else {
            panic!("first call leads");
        };
        let Lookup::Follow(follower) = cache.lookup("t", &input, ttl) else {
            panic!("an identical call follows");
        };
        drop(leader);
        assert_eq!(follower.wait().await, None);
        assert!(matches!(cache.lookup("t", &input, ttl), Lookup::Lead(_)));
    }
}
