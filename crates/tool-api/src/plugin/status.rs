//! The JSON of the functions appended to the plugin table within ABI
//! version 1: a [`ProgressReport`] (the payload of a `NOTIFY_PROGRESS`
//! notification) and the [`WorkerStatus`] that `worker_status` returns.
//!
//! Both sides ignore fields they do not know. A host never trusts them: a
//! payload that does not parse is dropped (a plugin's bug must not fail the
//! call it reports on).
//!
//! ```
//! use tool_api::plugin::status::{ProgressReport, WorkerStatus};
//!
//! let p = ProgressReport::from_json(br#"{"progress": 3, "total": 10, "message": "page 3"}"#).unwrap();
//! assert_eq!(p.total, Some(10.0));
//!
//! let s = WorkerStatus::from_json(br#"{"workers": [
//!     {"polling": {"call_id": 7, "tool": "crawl", "tool_call_id": "tooluse_0_0", "for_ms": 812}},
//!     {}
//! ]}"#).unwrap();
//! assert_eq!(s.workers[0].polling.as_ref().unwrap().tool, "crawl");
//! assert!(s.workers[1].polling.is_none());
//! ```

use serde::{Deserialize, Serialize};

use crate::Progress;

/// One progress report of a call, on the wire:
/// `{"progress": f64, "total": f64?, "message": string?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressReport {
    /// How far the call has got.
    pub progress: f64,
    /// What `progress` reaches when done, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// What the call is doing now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ProgressReport {
    /// Parses a report.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// The report as JSON bytes (empty should it ever fail to encode: the
    /// host then drops it).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl From<Progress> for ProgressReport {
    fn from(p: Progress) -> Self {
        Self {
            progress: p.progress,
            total: p.total,
            message: p.message,
        }
    }
}

impl From<ProgressReport> for Progress {
    fn from(p: ProgressReport) -> Self {
        Self {
            progress: p.progress,
            total: p.total,
            message: p.message,
        }
    }
}

/// What the plugin's worker threads are doing:
/// `{"workers": [{"polling": {...}?}, ...]}`, one entry per worker thread
/// that has polled a call so far (an idle one without `polling`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerStatus {
    /// One entry per worker thread.
    #[serde(default)]
    pub workers: Vec<WorkerState>,
}

/// One worker thread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerState {
    /// The call it is polling now, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling: Option<Polling>,
}

/// The call a worker thread is polling, and for how long this one poll has
/// lasted: a poll of many milliseconds is blocking code holding the thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Polling {
    /// The host's id for the call (the `u64` of `call`).
    pub call_id: u64,
    /// The tool being called.
    pub tool: String,
    /// The request's `call_id` (the model's id for the call), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// How long the current poll has lasted, in milliseconds.
    pub for_ms: u64,
}

impl WorkerStatus {
    /// Parses a status.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// The status as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_forms_are_stable() {
        let p = ProgressReport {
            progress: 1.0,
            total: None,
            message: None,
        };
        assert_eq!(
            String::from_utf8(p.to_json()).unwrap(),
            r#"{"progress":1.0}"#
        );
        let s = WorkerStatus {
            workers: vec![
                WorkerState {
                    polling: Some(Polling {
                        call_id: 3,
                        tool: "t".into(),
                        tool_call_id: Some("c".into()),
                        for_ms: 5,
                    }),
                },
                WorkerState::default(),
            ],
        };
        assert_eq!(
            String::from_utf8(s.to_json()).unwrap(),
            r#"{"workers":[{"polling":{"call_id":3,"tool":"t","tool_call_id":"c","for_ms":5}},{}]}"#
        );
        assert_eq!(WorkerStatus::from_json(&s.to_json()).unwrap(), s);
        assert!(WorkerStatus::from_json(b"[1, 2]").is_err());
        assert!(ProgressReport::from_json(br#"{"progress": "far"}"#).is_err());
    }
}
