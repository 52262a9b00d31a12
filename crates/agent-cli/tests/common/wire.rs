//! What crossed the wire: reading the Converse request bodies the local
//! server recorded (`MockServer::requests`).

use serde_json::Value;

/// The blocks of a Converse `message`, without its cache points (the CLI
/// caches by default: a cache point ends the message).
pub fn blocks(message: &Value) -> impl Iterator<Item = &Value> {
    message["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b.get("cachePoint").is_none())
}

/// The ids of the `toolUse` blocks of an assistant `message`, in order.
pub fn tool_use_ids(message: &Value) -> Vec<&str> {
    blocks(message)
        .filter_map(|b| b["toolUse"]["toolUseId"].as_str())
        .collect()
}

/// The ids of the `toolResult` blocks of a user `message`, in order.
pub fn tool_result_ids(message: &Value) -> Vec<&str> {
    blocks(message)
        .filter_map(|b| b["toolResult"]["toolUseId"].as_str())
        .collect()
}
