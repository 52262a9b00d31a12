//! One-line summaries of a run.

use agent_core::AgentRun;

use super::secs;

/// `4 tools in 1.60 s (sequential: 5.05 s, 3.2x) · model 0.01 s (2 calls) · tokens 812 in / 96 out · wall 1.62 s`
pub fn summary(run: &AgentRun) -> String {
    let m = &run.metrics;
    let tools = if m.tool_calls == 0 {
        "no tools".to_string()
    } else {
        format!(
            "{} tool{} in {} (sequential: {}, {:.1}x)",
            m.tool_calls,
            if m.tool_calls == 1 { "" } else { "s" },
            secs(m.tool_time),
            secs(m.sequential_tool_time),
            m.tool_speedup()
        )
    };
    // On resume: calls answered from the session's journal, not run.
    let replayed = m
        .turns
        .iter()
        .filter_map(|t| t.tools.as_ref())
        .flat_map(|b| &b.calls)
        .filter(|c| c.replayed)
        .count();
    let tools = if replayed == 0 {
        tools
    } else {
        format!("{tools}, {replayed} replayed from the session")
    };
    // Sub-agents' tokens (agents as tools) roll up beside the run's own.
    let sub = m.sub_agent_usage;
    let sub = if sub == agent_core::Usage::default() {
        String::new()
    } else {
        format!(
            " (+ sub-agents {} in / {} out)",
            sub.input_tokens, sub.output_tokens
        )
    };
    format!(
        "{tools} · model {} ({} call{}) · tokens {} in{} / {} out{sub} · wall {}",
        secs(m.model_time),
        m.model_calls,
        if m.model_calls == 1 { "" } else { "s" },
        m.usage.input_tokens,
        cache_figures(&m.usage),
        m.usage.output_tokens,
        secs(m.wall)
    )
}

/// ` (+R cache read, W cache write)` when prompt caching was at work;
/// nothing otherwise.
pub fn cache_figures(usage: &agent_core::Usage) -> String {
    if usage.cache_read_input_tokens == 0 && usage.cache_write_input_tokens == 0 {
        return String::new();
    }
    format!(
        " (+{} cache read, {} cache write)",
        usage.cache_read_input_tokens, usage.cache_write_input_tokens
    )
}

/// The demo's closing line over several runs.
pub fn comparison_line(runs: &[(String, AgentRun)]) -> String {
    let wall: std::time::Duration = runs.iter().map(|(_, r)| r.metrics.wall).sum();
    let tool: std::time::Duration = runs.iter().map(|(_, r)| r.metrics.tool_time).sum();
    let sequential: std::time::Duration = runs
        .iter()
        .map(|(_, r)| r.metrics.sequential_tool_time)
        .sum();
    let calls: u32 = runs.iter().map(|(_, r)| r.metrics.tool_calls).sum();
    let speedup = if tool.is_zero() {
        1.0
    } else {
        sequential.as_secs_f64() / tool.as_secs_f64()
    };
    format!(
        "{} queries, {calls} tool calls: tools took {} (one at a time: {}, {speedup:.1}x); wall {}",
        runs.len(),
        secs(tool),
        secs(sequential),
        secs(wall)
    )
}
