//! The table of settings: each one's file key (also its `agent config` row
//! and JSON field), flag, `AGENT_*` variable, what a value must be, the
//! parser of its variable, the check of its value, its default, its
//! description (the flag's help) and how `agent config` shows it.
//!
//! Resolution (`resolve.rs`), validation and the `agent config` rows
//! (`Settings::entries`) read everything about a setting from here; the
//! command line takes its flags' help from here too.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::PathBuf;
use std::str::FromStr;

use super::file::ToolOverride;
use super::mcp::McpTable;
use super::values::{BackendKind, Secret, switch};

/// One setting, everything but its value.
pub struct Spec<T> {
    /// The config file key, the `agent config` row and the JSON field.
    pub key: &'static str,
    /// The command-line flag, if there is one.
    pub flag: Option<&'static str>,
    /// The `AGENT_*` variable, if there is one.
    pub env: Option<&'static str>,
    /// What a value must be, for the error on a bad variable.
    pub expected: &'static str,
    /// What it is: the flag's help (no final period, as clap shows help).
    pub about: &'static str,
    /// A value from an environment variable; `None` when it does not parse.
    /// (Flags are parsed by clap, the file by serde, to the same type.)
    pub parse: fn(&str) -> Option<T>,
    /// Why a parsed value is refused, if it is (without the source, which
    /// the caller adds).
    pub check: fn(&T) -> Option<String>,
    /// The value when nothing sets it, for the chosen backend.
    pub default: fn(BackendKind) -> T,
    /// How `agent config` shows the value, for the chosen backend.
    pub show: fn(&T, BackendKind) -> String,
}

/// The longest tool timeout accepted, in seconds (365 days): beyond any
/// tool call, and far below what a `Duration` holds (converting more than
/// ~1.8e19 seconds panics).
pub const MAX_TIMEOUT_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// Whether `t` seconds is a timeout the executor can take.
fn timeout_in_range(t: f64) -> bool {
    t.is_finite() && t > 0.0 && t <= MAX_TIMEOUT_SECS
}

fn parsed<T: FromStr>(raw: &str) -> Option<T> {
    raw.trim().parse().ok()
}

fn parsed_some<T: FromStr>(raw: &str) -> Option<Option<T>> {
    parsed(raw).map(Some)
}

pub(super) fn any<T>(_: &T) -> Option<String> {
    None
}

fn none<T>(_: BackendKind) -> Option<T> {
    None
}

pub(super) fn shown<T: Display>(v: &T, _: BackendKind) -> String {
    v.to_string()
}

fn shown_or<T: Display>(v: &Option<T>, none: &str) -> String {
    v.as_ref().map_or_else(|| none.to_owned(), T::to_string)
}

/// Which model API.
pub const BACKEND: Spec<BackendKind> = Spec {
    key: "backend",
    flag: Some("--backend"),
    env: Some("AGENT_BACKEND"),
    expected: "bedrock, anthropic or openai",
    about: "Model backend: bedrock, anthropic, or openai (any OpenAI-compatible server: \
            OpenAI, Ollama, vLLM, llama.cpp, LM Studio)",
    parse: parsed,
    check: any,
    default: |_| BackendKind::Bedrock,
    show: shown,
};

/// Base URL of the model API (`None`: the backend's own). The backend's own
/// variable (`ANTHROPIC_BASE_URL`...) ranks between `AGENT_BASE_URL` and the
/// file.
pub const BASE_URL: Spec<Option<String>> = Spec {
    key: "base_url",
    flag: Some("--base-url"),
    env: Some("AGENT_BASE_URL"),
    expected: "a URL",
    about: "Base URL of the model API (anthropic, openai; for bedrock, the same as \
            --endpoint-url)",
    parse: parsed_some,
    check: any,
    default: none,
    show: |v, backend| shown_or(v, backend.default_base_url()),
};

/// API key: from the file, else the backend's own variable
/// (`ANTHROPIC_API_KEY`...), which the backend would read itself anyway.
pub const API_KEY: Spec<Option<Secret>> = Spec {
    key: "api_key",
    flag: None,
    env: None,
    expected: "an API key",
    about: "API key of the model API (anthropic, openai)",
    parse: |raw| Some(raw.parse().ok()),
    check: any,
    default: none,
    show: |v, _| shown_or(v, "(not set)"),
};

/// Model or inference-profile id. The backend's own variable
/// (`ANTHROPIC_MODEL`...) ranks between `AGENT_MODEL` and the file.
pub const MODEL: Spec<String> = Spec {
    key: "model",
    flag: Some("--model"),
    env: Some("AGENT_MODEL"),
    expected: "a model id",
    about: "Model or inference-profile id",
    parse: parsed,
    check: any,
    default: |backend| backend.default_model().to_owned(),
    show: shown,
};

/// AWS region (`None`: the AWS chain decides).
pub const REGION: Spec<Option<String>> = Spec {
    key: "region",
    flag: Some("--region"),
    env: Some("AGENT_REGION"),
    expected: "a region",
    about: "AWS region",
    parse: parsed_some,
    check: any,
    default: none,
    show: |v, _| shown_or(v, "(AWS chain: AWS_REGION, profile)"),
};

/// AWS profile (`None`: the AWS chain decides).
pub const PROFILE: Spec<Option<String>> = Spec {
    key: "profile",
    flag: Some("--profile"),
    env: Some("AGENT_PROFILE"),
    expected: "a profile name",
    about: "AWS profile from ~/.aws/config",
    parse: parsed_some,
    check: any,
    default: none,
    show: |v, _| shown_or(v, "(AWS chain: AWS_PROFILE, default)"),
};

/// Endpoint override (Bedrock's own name for the base URL).
pub const ENDPOINT_URL: Spec<Option<String>> = Spec {
    key: "endpoint_url",
    flag: Some("--endpoint-url"),
    env: Some("AGENT_ENDPOINT_URL"),
    expected: "a URL",
    about: "Endpoint URL override (a VPC endpoint, or `agent mock-server`)",
    parse: parsed_some,
    check: any,
    default: none,
    show: |v, _| shown_or(v, "(the service's)"),
};

/// Plugin libraries; the variable is a path list (`:`-separated on Unix).
pub const PLUGINS: Spec<Vec<PathBuf>> = Spec {
    key: "plugins",
    flag: Some("--plugin"),
    env: Some("AGENT_PLUGINS"),
    expected: "a list of paths",
    about: "A plugin library to load (repeatable)",
    parse: |raw| Some(std::env::split_paths(raw).collect()),
    check: any,
    default: |_| Vec::new(),
    show: |v, _| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    },
};

/// Plugin libraries loaded with a prefix on their tool names (prefix →
/// path), so that two plugins with a tool of the same name can both be
/// loaded; the variable is a path list of `PREFIX=PATH` entries.
pub const PLUGIN_PREFIXES: Spec<BTreeMap<String, PathBuf>> = Spec {
    key: "plugin_prefixes",
    flag: Some("--plugin-prefix"),
    env: Some("AGENT_PLUGIN_PREFIXES"),
    expected: "a path list of PREFIX=PATH entries",
    about: "A plugin library whose tools are named PREFIX + their name: PREFIX=PATH (repeatable)",
    parse: |raw| {
        std::env::split_paths(raw)
            .map(|entry| parse_prefixed(&entry.to_string_lossy()).ok())
            .collect()
    },
    check: |prefixes| {
        prefixes.keys().find_map(|prefix| {
            let bad = prefix.is_empty()
                || prefix.len() > 63
                || !prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            bad.then(|| {
                format!(
                    "the plugin prefix {prefix:?} must be 1 to 63 of a-z, A-Z, 0-9, `_` and `-` \
                     (tool names allow nothing else)"
                )
            })
        })
    },
    default: |_| BTreeMap::new(),
    show: |prefixes, _| {
        if prefixes.is_empty() {
            "(none)".to_string()
        } else {
            prefixes
                .iter()
                .map(|(prefix, path)| format!("{prefix}={}", path.display()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    },
};

/// One `PREFIX=PATH` (of `--plugin-prefix` or `AGENT_PLUGIN_PREFIXES`): the
/// prefix holds no `=` (tool names cannot), so the path may.
pub fn parse_prefixed(raw: &str) -> Result<(String, PathBuf), String> {
    match raw.split_once('=') {
        Some((prefix, path)) if !path.is_empty() => Ok((prefix.to_owned(), PathBuf::from(path))),
        _ => Err(format!(
            "expected PREFIX=PATH (e.g. web_=plugins/libsearch.so), not {raw:?}"
        )),
    }
}

/// A directory of plugin libraries.
pub const PLUGINS_DIR: Spec<Option<PathBuf>> = Spec {
    key: "plugins_dir",
    flag: Some("--plugins-dir"),
    env: Some("AGENT_PLUGINS_DIR"),
    expected: "a directory",
    about: "Load every plugin library in this directory",
    parse: parsed_some,
    check: any,
    default: none,
    show: |v, _| shown_or(&v.as_ref().map(|p| p.display().to_string()), "(none)"),
};

/// Most tool calls at once; 0 means no limit.
pub const MAX_CONCURRENCY: Spec<usize> = Spec {
    key: "max_concurrency",
    flag: Some("--max-concurrency"),
    env: Some("AGENT_MAX_CONCURRENCY"),
    expected: "a whole number (0: no limit)",
    about: "Most tool calls at once (0: no limit)",
    parse: parsed,
    check: any,
    default: |_| agent_core::ExecutorConfig::DEFAULT_MAX_CONCURRENCY,
    show: |v, _| match v {
        0 => "0 (no limit)".into(),
        n => n.to_string(),
    },
};

/// Timeout of one tool attempt, seconds.
pub const TOOL_TIMEOUT: Spec<f64> = Spec {
    key: "tool_timeout",
    flag: Some("--tool-timeout"),
    env: Some("AGENT_TOOL_TIMEOUT"),
    expected: "a number of seconds",
    about: "Timeout of one tool call attempt, in seconds",
    parse: parsed,
    check: |t| {
        (!timeout_in_range(*t)).then(|| {
            format!(
                "tool timeout must be a positive number of seconds, at most {MAX_TIMEOUT_SECS} \
                 (365 days), not {t}"
            )
        })
    },
    default: |_| agent_core::ExecutorConfig::DEFAULT_TIMEOUT.as_secs_f64(),
    show: |v, _| format!("{v} s"),
};

/// Retries of a retryable tool failure.
pub const TOOL_RETRIES: Spec<u32> = Spec {
    key: "tool_retries",
    flag: Some("--tool-retries"),
    env: Some("AGENT_TOOL_RETRIES"),
    expected: "a whole number",
    about: "Retries of a tool call that failed retryably",
    parse: parsed,
    check: any,
    default: |_| 2,
    show: shown,
};

/// A duration setting's check: positive, finite, at most [`MAX_TIMEOUT_SECS`].
fn seconds_in_range(what: &'static str) -> impl Fn(&f64) -> Option<String> {
    move |t| {
        (!timeout_in_range(*t)).then(|| {
            format!(
                "{what} must be a positive number of seconds, at most {MAX_TIMEOUT_SECS} \
                 (365 days), not {t}"
            )
        })
    }
}

/// Retries of a model call that failed retryably (throttled, unavailable,
/// a broken stream).
pub const MODEL_RETRIES: Spec<u32> = Spec {
    key: "model_retries",
    flag: Some("--model-retries"),
    env: Some("AGENT_MODEL_RETRIES"),
    expected: "a whole number",
    about: "Retries of a model call that was throttled or failed transiently",
    parse: parsed,
    check: any,
    default: |_| {
        agent_core::RetryPolicy::max_attempts(&agent_core::ExponentialBackoff::for_model()) - 1
    },
    show: shown,
};

/// The longest wait between two model attempts, seconds (a service's
/// `retry-after` hint may ask for more, up to 60 s).
pub const MODEL_RETRY_MAX_WAIT: Spec<f64> = Spec {
    key: "model_retry_max_wait",
    flag: Some("--model-retry-max-wait"),
    env: Some("AGENT_MODEL_RETRY_MAX_WAIT"),
    expected: "a number of seconds",
    about: "Longest backoff between model attempts, in seconds (a retry-after hint may ask for up to 60 s)",
    parse: parsed,
    check: |t| seconds_in_range("model retry max wait")(t),
    default: |_| 0.75,
    show: |v, _| format!("{v} s"),
};

/// The most time a model call's retries may take, seconds.
pub const MODEL_RETRY_BUDGET: Spec<f64> = Spec {
    key: "model_retry_budget",
    flag: Some("--model-retry-budget"),
    env: Some("AGENT_MODEL_RETRY_BUDGET"),
    expected: "a number of seconds",
    about: "Most time one model call may spend retrying, in seconds",
    parse: parsed,
    check: |t| seconds_in_range("model retry budget")(t),
    default: |_| 120.0,
    show: |v, _| format!("{v} s"),
};

/// The longest silence inside a streamed response, seconds (Bedrock).
pub const STREAM_IDLE_TIMEOUT: Spec<f64> = Spec {
    key: "stream_idle_timeout",
    flag: Some("--stream-idle-timeout"),
    env: Some("AGENT_STREAM_IDLE_TIMEOUT"),
    expected: "a number of seconds",
    about: "Longest wait between two events of a streamed Bedrock response before it is retried, in seconds",
    parse: parsed,
    check: |t| seconds_in_range("stream idle timeout")(t),
    default: |_| bedrock_client::DEFAULT_STREAM_IDLE_TIMEOUT.as_secs_f64(),
    show: |v, _| format!("{v} s"),
};

/// Most model turns per prompt.
pub const MAX_ITERATIONS: Spec<u32> = Spec {
    key: "max_iterations",
    flag: Some("--max-iterations"),
    env: Some("AGENT_MAX_ITERATIONS"),
    expected: "a whole number",
    about: "Most model turns per prompt",
    parse: parsed,
    check: |n| (*n == 0).then(|| "max iterations must be at least 1".to_owned()),
    default: |_| agent_core::Agent::DEFAULT_MAX_ITERATIONS,
    show: shown,
};

/// System prompt.
pub const SYSTEM: Spec<Option<String>> = Spec {
    key: "system",
    flag: Some("--system"),
    env: Some("AGENT_SYSTEM"),
    expected: "text",
    about: "System prompt",
    parse: parsed_some,
    check: any,
    default: none,
    show: |v, _| shown_or(v, "(none)"),
};

/// Most tokens per response.
pub const MAX_TOKENS: Spec<u32> = Spec {
    key: "max_tokens",
    flag: Some("--max-tokens"),
    env: Some("AGENT_MAX_TOKENS"),
    expected: "a whole number",
    about: "Most tokens per model response",
    parse: parsed,
    check: |n| (*n == 0).then(|| "max tokens must be at least 1".to_owned()),
    default: |_| agent_core::InferenceConfig::default().max_tokens,
    show: shown,
};

/// Extended thinking's budget in tokens (`None`: off).
pub const THINKING: Spec<Option<u32>> = Spec {
    key: "thinking",
    flag: Some("--thinking"),
    env: Some("AGENT_THINKING"),
    expected: "a whole number of tokens (at least 1024)",
    about: "Extended thinking: let the model reason for up to TOKENS tokens before it answers \
            (at least 1024, below --max-tokens; bedrock and anthropic)",
    parse: parsed_some,
    check: |n| {
        n.filter(|n| *n < agent_core::Thinking::MIN_BUDGET).map(|n| {
            format!(
                "a thinking budget of {n} tokens is too small: extended thinking needs at least {}",
                agent_core::Thinking::MIN_BUDGET
            )
        })
    },
    default: none,
    show: |v, _| shown_or(v, "(off)"),
};

/// Stream responses; the flag only turns streaming off.
pub const STREAM: Spec<bool> = Spec {
    key: "stream",
    flag: Some("--no-stream"),
    env: Some("AGENT_STREAM"),
    expected: "true or false (also 1/0, yes/no, on/off)",
    about: "Wait for whole responses instead of streaming them",
    parse: switch,
    check: any,
    default: |_| true,
    show: shown,
};

/// Start tool calls while the model's message streams in (eager start);
/// the flag only turns it off.
pub const EAGER: Spec<bool> = Spec {
    key: "eager",
    flag: Some("--no-eager"),
    env: Some("AGENT_EAGER"),
    expected: "true or false (also 1/0, yes/no, on/off)",
    about: "Start tool calls only once the model's whole message is in, not as each streams in",
    parse: switch,
    check: any,
    default: |_| true,
    show: shown,
};

/// How a conversation too long for the context window is shortened.
pub const CONTEXT: Spec<String> = Spec {
    key: "context",
    flag: Some("--context"),
    env: Some("AGENT_CONTEXT"),
    expected: "sliding, summarize or off",
    about: "When the conversation outgrows the context window: sliding (drop the oldest \
            exchanges), summarize (the model summarises them first) or off (the run fails)",
    parse: |raw| {
        let raw = raw.trim();
        agent_core::context::ContextStrategy::parse(raw).map(|_| raw.to_owned())
    },
    check: |v| {
        agent_core::context::ContextStrategy::parse(v)
            .is_none()
            .then(|| format!("context must be sliding, summarize or off, not {v:?}"))
    },
    default: |_| "sliding".to_owned(),
    show: shown,
};

/// The context window the conversation is kept under, in tokens.
pub const CONTEXT_WINDOW: Spec<Option<u64>> = Spec {
    key: "context_window",
    flag: Some("--context-window"),
    env: Some("AGENT_CONTEXT_WINDOW"),
    expected: "a whole number of tokens",
    about: "Context window to keep the conversation under, in tokens (default: the \
            model's, where known, e.g. 200000 for Claude)",
    parse: parsed_some,
    check: |v| (*v == Some(0)).then(|| "context window must be at least 1 token".to_owned()),
    default: none,
    show: |v, _| shown_or(v, "(the model's, where known)"),
};

/// Per-tool overrides, from the config file's `[tools.NAME]` tables only.
pub const TOOLS: Spec<BTreeMap<String, ToolOverride>> = Spec {
    key: "tools",
    flag: None,
    env: None,
    expected: "[tools.NAME] tables",
    about: "Per-tool timeout, retries, output limit, idempotency and scheduling rules",
    parse: |_| None,
    check: |tools| {
        tools.iter().find_map(|(name, o)| {
            if let Some(t) = o.timeout.filter(|t| !timeout_in_range(*t)) {
                return Some(format!(
                    "[tools.{name}] timeout must be a positive number of seconds, at most \
                     {MAX_TIMEOUT_SECS} (365 days), not {t}"
                ));
            }
            if let Some(ttl) = o.cache_ttl {
                if !(ttl > 0.0 && timeout_in_range(ttl)) {
                    return Some(format!(
                        "[tools.{name}] cache_ttl must be a positive number of seconds, at most \
                         {MAX_TIMEOUT_SECS} (365 days), not {ttl}"
                    ));
                }
                if o.idempotent != Some(true) {
                    return Some(format!(
                        "[tools.{name}] cache_ttl needs idempotent = true: results are reused only \
                         for tools whose repeated calls do nothing more"
                    ));
                }
            }
            if let Err(e) = o.scheduling().rate_limit() {
                return Some(format!("[tools.{name}] {e}"));
            }
            if let Some(Err(e)) = o.adaptive.map(|a| a.check()) {
                return Some(format!("[tools.{name}] {e}"));
            }
            if o.concurrency == Some(0) {
                return Some(format!(
                    "[tools.{name}] concurrency must be at least 1 (leave it out for no limit)"
                ));
            }
            let resources = o.exclusive.iter().chain(&o.shared).flatten();
            resources
                .into_iter()
                .find(|r| r.is_empty() || r.starts_with(':'))
                .map(|r| {
                    format!(
                        "[tools.{name}] resource {r:?} needs a name: \"NAME\" or \"NAME:/json/pointer\""
                    )
                })
        })
    },
    default: |_| BTreeMap::new(),
    show: |tools, _| {
        if tools.is_empty() {
            return "(no per-tool overrides)".to_string();
        }
        tools
            .iter()
            .map(|(name, o)| {
                let timeout = o
                    .timeout
                    .map(|t| format!(" timeout {t} s"))
                    .unwrap_or_default();
                let retries = o
                    .retries
                    .map(|r| format!(" retries {r}"))
                    .unwrap_or_default();
                let concurrency = o
                    .concurrency
                    .map(|n| format!(" concurrency {n}"))
                    .unwrap_or_default();
                let list = |key: &str, v: &Option<Vec<String>>| {
                    v.as_ref()
                        .filter(|v| !v.is_empty())
                        .map(|v| format!(" {key} {}", v.join(",")))
                        .unwrap_or_default()
                };
                let exclusive = list("exclusive", &o.exclusive);
                let shared = list("shared", &o.shared);
                let priority = o
                    .priority
                    .map(|p| format!(" priority {p}"))
                    .unwrap_or_default();
                let rate = o
                    .rate
                    .as_ref()
                    .map(|r| format!(" rate {r}"))
                    .unwrap_or_default();
                let cache = o
                    .cache_ttl
                    .map(|t| format!(" cache_ttl {t} s"))
                    .unwrap_or_default();
                let approve = match o.approve {
                    Some(true) => " approve",
                    Some(false) => " no-approve",
                    None => "",
                };
                let adaptive = o
                    .adaptive
                    .and_then(|a| a.range(o.concurrency))
                    .map(|(min, max)| format!(" adaptive {min}..{max}"))
                    .unwrap_or_default();
                format!(
                    "{name}:{timeout}{retries}{concurrency}{exclusive}{shared}{priority}{cache}{rate}{adaptive}{approve}"
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    },
};

/// MCP servers whose tools join the agent's (`docs/MCP.md`). Flags replace
/// the file's servers, as `--plugin` replaces its plugins.
pub const MCP: Spec<BTreeMap<String, McpTable>> = Spec {
    key: "mcp",
    flag: Some("--mcp"),
    env: None,
    expected: "[mcp.NAME] tables",
    about: "An MCP server whose tools the agent may call: NAME=COMMAND ARGS… \
            (split like a shell, no shell run) or NAME=URL (streamable HTTP); repeatable",
    parse: |_| None,
    check: |servers| {
        servers.iter().find_map(|(name, s)| {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Some(format!(
                    "[mcp.{name}]: a server name must be letters, digits, `_` or `-`"
                ));
            }
            match (&s.url, s.command.is_empty()) {
                (None, true) => {
                    return Some(format!(
                        "[mcp.{name}] needs a `command` (a stdio server) or a `url` (HTTP)"
                    ));
                }
                (Some(_), false) => {
                    return Some(format!(
                        "[mcp.{name}] has both a `command` and a `url`: keep one"
                    ));
                }
                (Some(url), true)
                    if !url.starts_with("http://") && !url.starts_with("https://") =>
                {
                    return Some(format!(
                        "[mcp.{name}] url must start with http:// or https://, not {url:?}"
                    ));
                }
                _ => {}
            }
            if s.concurrency == Some(0) {
                return Some(format!("[mcp.{name}] concurrency must be at least 1"));
            }
            [
                ("timeout", s.timeout),
                ("startup_timeout", s.startup_timeout),
            ]
            .into_iter()
            .find_map(|(key, t)| {
                let t = t.filter(|t| !timeout_in_range(*t))?;
                Some(format!(
                    "[mcp.{name}] {key} must be a positive number of seconds, at most \
                         {MAX_TIMEOUT_SECS} (365 days), not {t}"
                ))
            })
        })
    },
    default: |_| BTreeMap::new(),
    show: |servers, _| {
        if servers.is_empty() {
            return "(none)".to_string();
        }
        servers
            .iter()
            .map(|(name, s)| format!("{name}: {}", s.to_config(name).command_line()))
            .collect::<Vec<_>>()
            .join("; ")
    },
};
