//! What a person sees: a live view while a run goes, then a timeline of each
//! turn's tool calls and a summary. JSON output lives in `json`.

mod live;
mod plain;
pub mod sanitize;
mod stall;
mod summary;
mod timeline;

pub use live::{Asker, LiveView, Mode, color_wanted};
pub use summary::{comparison_line, summary};
pub use timeline::timeline;

/// A short, one-line rendering of a tool input: `location=New York`.
pub fn short_input(input: &serde_json::Value, max: usize) -> String {
    let text = match input {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    truncate(&sanitize::line(&text), max)
}

/// `text`, cut to `max` characters with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Seconds with two decimals: `1.60 s`.
pub fn secs(d: std::time::Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
