//! Settings, layered: flags > environment > config file > defaults, each
//! value remembering where it came from (for `agent config`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cli::AgentArgs;

/// Which model API the agent talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Claude on Amazon Bedrock, through the Converse API (AWS credentials).
    Bedrock,
    /// Claude through Anthropic's Messages API (`ANTHROPIC_API_KEY`).
    Anthropic,
    /// Any OpenAI Chat Completions server (`OPENAI_API_KEY` for OpenAI itself).
    Openai,
}

impl FromStr for BackendKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bedrock" => Ok(Self::Bedrock),
            "anthropic" => Ok(Self::Anthropic),
            "openai" => Ok(Self::Openai),
            _ => Err(()),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bedrock => "bedrock",
            Self::Anthropic => "anthropic",
            Self::Openai => "openai",
        })
    }
}

impl BackendKind {
    /// The variables its crate reads: (API key, base URL, model).
    fn env_names(self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            Self::Bedrock => None,
            Self::Anthropic => Some((
                anthropic_client::API_KEY_ENV,
                anthropic_client::BASE_URL_ENV,
                anthropic_client::MODEL_ENV,
            )),
            Self::Openai => Some((
                openai_client::API_KEY_ENV,
                openai_client::BASE_URL_ENV,
                openai_client::MODEL_ENV,
            )),
        }
    }

    fn default_model(self) -> &'static str {
        match self {
            Self::Bedrock => bedrock_client::DEFAULT_MODEL_ID,
            Self::Anthropic => anthropic_client::DEFAULT_MODEL,
            Self::Openai => openai_client::DEFAULT_MODEL,
        }
    }
}

/// An API key: never printed, logged or serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The key itself, for the backend's builder only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(set)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("(set)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl FromStr for Secret {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(Self(s.to_owned()))
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", content = "name", rename_all = "snake_case")]
pub enum Source {
    /// The built-in default.
    Default,
    /// A command-line flag.
    Flag(String),
    /// An environment variable.
    Env(String),
    /// The config file.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => write!(f, "default"),
            Self::Flag(name) => write!(f, "flag {name}"),
            Self::Env(name) => write!(f, "env {name}"),
            Self::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Its source.
    pub source: Source,
}

impl<T> Setting<T> {
    /// The same source, another value.
    pub fn map_value<U>(self, f: impl FnOnce(T) -> U) -> Setting<U> {
        Setting {
            value: f(self.value),
            source: self.source,
        }
    }
}

/// A configuration problem; the message names the file, line and key, or
/// the variable, and what is expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong, naming the key.
        message: String,
    },
    /// An environment variable holds an unusable value.
    #[error("environment variable {var}={value:?} is not {expected}")]
    Env {
        /// The variable.
        var: String,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
}

/// The config file's contents: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    backend: Option<BackendKind>,
    base_url: Option<String>,
    api_key: Option<Secret>,
    model: Option<String>,
    region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    plugins: Option<Vec<PathBuf>>,
    plugins_dir: Option<PathBuf>,
    max_concurrency: Option<usize>,
    tool_timeout: Option<f64>,
    tool_retries: Option<u32>,
    max_iterations: Option<u32>,
    system: Option<String>,
    max_tokens: Option<u32>,
    stream: Option<bool>,
    tools: Option<std::collections::BTreeMap<String, ToolOverride>>,
}

/// A `[tools.NAME]` table: one tool's own timeout and retries.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ToolOverride {
    /// Timeout of one attempt, seconds.
    pub timeout: Option<f64>,
    /// Retries of a retryable failure.
    pub retries: Option<u32>,
}

/// The effective settings of `run`, `chat` and `config`.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The config file read, if any.
    pub config_file: Option<PathBuf>,
    /// Which model API.
    pub backend: Setting<BackendKind>,
    /// Base URL of the model API (`None`: the backend's own).
    pub base_url: Setting<Option<String>>,
    /// API key from the config file; otherwise the backend reads its
    /// variable (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`) itself.
    pub api_key: Setting<Option<Secret>>,
    /// Model or inference-profile id.
    pub model: Setting<String>,
    /// AWS region (`None`: the AWS chain decides).
    pub region: Setting<Option<String>>,
    /// AWS profile (`None`: the AWS chain decides).
    pub profile: Setting<Option<String>>,
    /// Endpoint override.
    pub endpoint_url: Setting<Option<String>>,
    /// Plugin libraries.
    pub plugins: Setting<Vec<PathBuf>>,
    /// A directory of plugin libraries.
    pub plugins_dir: Setting<Option<PathBuf>>,
    /// Most tool calls at once; 0 means no limit.
    pub max_concurrency: Setting<usize>,
    /// Timeout of one tool attempt, seconds.
    pub tool_timeout: Setting<f64>,
    /// Retries of a retryable tool failure.
    pub tool_retries: Setting<u32>,
    /// Most model turns per prompt.
    pub max_iterations: Setting<u32>,
    /// System prompt.
    pub system: Setting<Option<String>>,
    /// Most tokens per response.
    pub max_tokens: Setting<u32>,
    /// Stream responses.
    pub stream: Setting<bool>,
    /// Per-tool overrides, from the config file's `[tools.NAME]` tables.
    pub tools: Setting<std::collections::BTreeMap<String, ToolOverride>>,
}

/// Reads the environment; a seam so tests need not mutate the process's.
pub trait Env {
    /// The variable's value, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// An on/off value from the environment: `true`/`false`, `1`/`0`,
/// `yes`/`no` or `on`/`off`, in any case.
#[derive(Debug, Clone, Copy)]
struct Switch(bool);

impl FromStr for Switch {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Self(true)),
            "false" | "0" | "no" | "off" => Ok(Self(false)),
            _ => Err(()),
        }
    }
}

/// The config file to read: `--config`, else `./agent.toml`, else the
/// user's one ([`user_config_file`]).
pub fn find_config_file(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let local = PathBuf::from("agent.toml");
    if local.is_file() {
        return Some(local);
    }
    user_config_file().filter(|p| p.is_file())
}

/// Where the user's config file goes: `agent/agent.toml` in the platform's
/// config dir (`$XDG_CONFIG_HOME`, else `~/.config`, on Linux).
pub fn user_config_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("agent").join("agent.toml"))
}

/// Reads and checks a config file. Relative plugin paths are taken relative
/// to the file's directory.
pub fn read_config_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut config: FileConfig = toml::from_str(&text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        let key = text
            .lines()
            .nth(line - 1)
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().to_owned())
            .filter(|k| !k.is_empty() && !k.starts_with('['));
        let message = e.message().trim().to_owned();
        let message = match key {
            Some(key) if !message.contains(&format!("`{key}`")) => {
                format!("key `{key}`: {message}")
            }
            _ => message,
        };
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            message,
        }
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    if let Some(plugins) = &mut config.plugins {
        for p in plugins.iter_mut() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
    if let Some(dir) = &mut config.plugins_dir
        && dir.is_relative()
    {
        *dir = base.join(&*dir);
    }
    Ok(config)
}

struct Layers<'a> {
    env: &'a dyn Env,
    file: Option<PathBuf>,
}

impl Layers<'_> {
    /// The first of flag, environment, file and default that is set.
    #[allow(clippy::too_many_arguments)]
    fn layer<T>(
        &self,
        flag: Option<T>,
        flag_name: &str,
        env_name: &str,
        expected: &'static str,
        file: Option<T>,
        default: T,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Setting<T>, ConfigError> {
        if let Some(value) = flag {
            return Ok(Setting {
                value,
                source: Source::Flag(flag_name.into()),
            });
        }
        if let Some(raw) = self.env.var(env_name) {
            let value = parse(&raw).ok_or_else(|| ConfigError::Env {
                var: env_name.into(),
                value: raw.clone(),
                expected,
            })?;
            return Ok(Setting {
                value,
                source: Source::Env(env_name.into()),
            });
        }
        match (file, &self.file) {
            (Some(value), Some(path)) => Ok(Setting {
                value,
                source: Source::File(path.clone()),
            }),
            _ => Ok(Setting {
                value: default,
                source: Source::Default,
            }),
        }
    }

    fn pick<T: FromStr>(
        &self,
        flag: Option<T>,
        flag_name: &str,
        env_name: &str,
        expected: &'static str,
        file: Option<T>,
        default: T,
    ) -> Result<Setting<T>, ConfigError> {
        self.layer(flag, flag_name, env_name, expected, file, default, |raw| {
            raw.trim().parse().ok()
        })
    }

    fn pick_opt<T: FromStr>(
        &self,
        flag: Option<T>,
        flag_name: &str,
        env_name: &str,
        expected: &'static str,
        file: Option<T>,
    ) -> Result<Setting<Option<T>>, ConfigError> {
        self.layer(
            flag.map(Some),
            flag_name,
            env_name,
            expected,
            file.map(Some),
            None,
            |raw| raw.trim().parse().ok().map(Some),
        )
    }
}

impl Settings {
    /// Layers `args`, the environment and the config file over the defaults.
    pub fn resolve(args: &AgentArgs, env: &dyn Env) -> Result<Self, ConfigError> {
        Self::resolve_from(args, env, find_config_file(args.config.as_deref()))
    }

    /// The built-in defaults alone: no flags, environment or file.
    pub fn defaults() -> Result<Self, ConfigError> {
        struct NoEnv;
        impl Env for NoEnv {
            fn var(&self, _: &str) -> Option<String> {
                None
            }
        }
        Self::resolve_from(&AgentArgs::default(), &NoEnv, None)
    }

    fn resolve_from(
        args: &AgentArgs,
        env: &dyn Env,
        config_file: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let file = match &config_file {
            Some(path) => read_config_file(path)?,
            None => FileConfig::default(),
        };
        let l = Layers {
            env,
            file: config_file.clone(),
        };
        let plugins = if !args.plugins.is_empty() {
            Setting {
                value: args.plugins.clone(),
                source: Source::Flag("--plugin".into()),
            }
        } else if let Some(raw) = env.var("AGENT_PLUGINS") {
            Setting {
                value: std::env::split_paths(&raw).collect(),
                source: Source::Env("AGENT_PLUGINS".into()),
            }
        } else if let (Some(p), Some(path)) = (file.plugins, &config_file) {
            Setting {
                value: p,
                source: Source::File(path.clone()),
            }
        } else {
            Setting {
                value: Vec::new(),
                source: Source::Default,
            }
        };
        let backend = l.pick(
            args.backend,
            "--backend",
            "AGENT_BACKEND",
            "bedrock, anthropic or openai",
            file.backend,
            BackendKind::Bedrock,
        )?;
        // The backend's own variables come after ours: ANTHROPIC_MODEL, say.
        let own = backend.value.env_names();
        let own_default = |name: Option<&'static str>, fallback: Option<String>| match name
            .and_then(|n| env.var(n).map(|v| (n, v)))
        {
            Some((n, v)) => Setting {
                value: Some(v),
                source: Source::Env(n.into()),
            },
            None => Setting {
                value: fallback,
                source: Source::Default,
            },
        };
        // The backend's own variables (ANTHROPIC_MODEL, OPENAI_BASE_URL...)
        // are environment too: they rank above the file, below the flags
        // and AGENT_* variables.
        let own_set = |name: Option<&'static str>| name.is_some_and(|n| env.var(n).is_some());
        let mut model = l.pick_opt(
            args.model.clone(),
            "--model",
            "AGENT_MODEL",
            "a model id",
            file.model.filter(|_| !own_set(own.map(|o| o.2))),
        )?;
        if model.value.is_none() {
            model = own_default(
                own.map(|o| o.2),
                Some(backend.value.default_model().to_owned()),
            );
        }
        let model = model.map_value(Option::unwrap_or_default);
        let mut base_url = l.pick_opt(
            args.base_url.clone(),
            "--base-url",
            "AGENT_BASE_URL",
            "a URL",
            file.base_url.filter(|_| !own_set(own.map(|o| o.1))),
        )?;
        if base_url.value.is_none() {
            base_url = own_default(own.map(|o| o.1), None);
        }
        let api_key = match (file.api_key, &config_file) {
            (Some(key), Some(path)) if !own_set(own.map(|o| o.0)) => Setting {
                value: Some(key),
                source: Source::File(path.clone()),
            },
            _ => own_default(own.map(|o| o.0), None).map_value(|v| v.map(Secret)),
        };
        Ok(Self {
            backend,
            base_url,
            api_key,
            model,
            region: l.pick_opt(
                args.region.clone(),
                "--region",
                "AGENT_REGION",
                "a region",
                file.region,
            )?,
            profile: l.pick_opt(
                args.profile.clone(),
                "--profile",
                "AGENT_PROFILE",
                "a profile name",
                file.profile,
            )?,
            endpoint_url: l.pick_opt(
                args.endpoint_url.clone(),
                "--endpoint-url",
                "AGENT_ENDPOINT_URL",
                "a URL",
                file.endpoint_url,
            )?,
            plugins,
            plugins_dir: l.pick_opt(
                args.plugins_dir.clone(),
                "--plugins-dir",
                "AGENT_PLUGINS_DIR",
                "a directory",
                file.plugins_dir,
            )?,
            max_concurrency: l.pick(
                args.max_concurrency,
                "--max-concurrency",
                "AGENT_MAX_CONCURRENCY",
                "a whole number (0: no limit)",
                file.max_concurrency,
                agent_core::ExecutorConfig::DEFAULT_MAX_CONCURRENCY,
            )?,
            tool_timeout: l.pick(
                args.tool_timeout,
                "--tool-timeout",
                "AGENT_TOOL_TIMEOUT",
                "a number of seconds",
                file.tool_timeout,
                agent_core::ExecutorConfig::DEFAULT_TIMEOUT.as_secs_f64(),
            )?,
            tool_retries: l.pick(
                args.tool_retries,
                "--tool-retries",
                "AGENT_TOOL_RETRIES",
                "a whole number",
                file.tool_retries,
                2,
            )?,
            max_iterations: l.pick(
                args.max_iterations,
                "--max-iterations",
                "AGENT_MAX_ITERATIONS",
                "a whole number",
                file.max_iterations,
                agent_core::Agent::DEFAULT_MAX_ITERATIONS,
            )?,
            system: l.pick_opt(
                args.system.clone(),
                "--system",
                "AGENT_SYSTEM",
                "text",
                file.system,
            )?,
            max_tokens: l.pick(
                args.max_tokens,
                "--max-tokens",
                "AGENT_MAX_TOKENS",
                "a whole number",
                file.max_tokens,
                agent_core::InferenceConfig::default().max_tokens,
            )?,
            stream: l
                .pick(
                    args.no_stream.then_some(Switch(false)),
                    "--no-stream",
                    "AGENT_STREAM",
                    "true or false (also 1/0, yes/no, on/off)",
                    file.stream.map(Switch),
                    Switch(true),
                )?
                .map_value(|s| s.0),
            tools: match (file.tools, &config_file) {
                (Some(tools), Some(path)) => Setting {
                    value: tools,
                    source: Source::File(path.clone()),
                },
                _ => Setting {
                    value: Default::default(),
                    source: Source::Default,
                },
            },
            config_file,
        })
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.tool_timeout.value.is_finite() && self.tool_timeout.value > 0.0) {
            return Err(format!(
                "tool timeout must be a positive number of seconds, not {} ({})",
                self.tool_timeout.value, self.tool_timeout.source
            ));
        }
        for (name, o) in &self.tools.value {
            if o.timeout.is_some_and(|t| !(t.is_finite() && t > 0.0)) {
                return Err(format!(
                    "[tools.{name}] timeout must be a positive number of seconds ({})",
                    self.tools.source
                ));
            }
        }
        if self.max_iterations.value == 0 {
            return Err(format!(
                "max iterations must be at least 1 ({})",
                self.max_iterations.source
            ));
        }
        if self.max_tokens.value == 0 {
            return Err(format!(
                "max tokens must be at least 1 ({})",
                self.max_tokens.source
            ));
        }
        Ok(())
    }

    /// The rows `agent config` prints: key, value, source.
    pub fn rows(&self) -> Vec<(&'static str, String, String)> {
        fn opt<T: fmt::Display>(v: &Option<T>, none: &str) -> String {
            v.as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| none.to_owned())
        }
        let paths = |v: &[PathBuf]| {
            if v.is_empty() {
                "(none)".to_string()
            } else {
                v.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        vec![
            (
                "backend",
                self.backend.value.to_string(),
                self.backend.source.to_string(),
            ),
            (
                "base_url",
                opt(
                    &self.base_url.value,
                    match self.backend.value {
                        BackendKind::Bedrock => "(the region's Bedrock endpoint)",
                        BackendKind::Anthropic => anthropic_client::DEFAULT_BASE_URL,
                        BackendKind::Openai => openai_client::DEFAULT_BASE_URL,
                    },
                ),
                self.base_url.source.to_string(),
            ),
            (
                "api_key",
                opt(&self.api_key.value, "(not set)"),
                self.api_key.source.to_string(),
            ),
            (
                "model",
                self.model.value.clone(),
                self.model.source.to_string(),
            ),
            (
                "region",
                opt(&self.region.value, "(AWS chain: AWS_REGION, profile)"),
                self.region.source.to_string(),
            ),
            (
                "profile",
                opt(&self.profile.value, "(AWS chain: AWS_PROFILE, default)"),
                self.profile.source.to_string(),
            ),
            (
                "endpoint_url",
                opt(&self.endpoint_url.value, "(the service's)"),
                self.endpoint_url.source.to_string(),
            ),
            (
                "plugins",
                paths(&self.plugins.value),
                self.plugins.source.to_string(),
            ),
            (
                "plugins_dir",
                opt(
                    &self
                        .plugins_dir
                        .value
                        .as_ref()
                        .map(|p| p.display().to_string()),
                    "(none)",
                ),
                self.plugins_dir.source.to_string(),
            ),
            (
                "max_concurrency",
                match self.max_concurrency.value {
                    0 => "0 (no limit)".into(),
                    n => n.to_string(),
                },
                self.max_concurrency.source.to_string(),
            ),
            (
                "tool_timeout",
                format!("{} s", self.tool_timeout.value),
                self.tool_timeout.source.to_string(),
            ),
            (
                "tool_retries",
                self.tool_retries.value.to_string(),
                self.tool_retries.source.to_string(),
            ),
            (
                "max_iterations",
                self.max_iterations.value.to_string(),
                self.max_iterations.source.to_string(),
            ),
            (
                "system",
                opt(&self.system.value, "(none)"),
                self.system.source.to_string(),
            ),
            (
                "max_tokens",
                self.max_tokens.value.to_string(),
                self.max_tokens.source.to_string(),
            ),
            (
                "stream",
                self.stream.value.to_string(),
                self.stream.source.to_string(),
            ),
            (
                "tools",
                if self.tools.value.is_empty() {
                    "(no per-tool overrides)".to_string()
                } else {
                    self.tools
                        .value
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
                            format!("{name}:{timeout}{retries}")
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
                self.tools.source.to_string(),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct MapEnv(HashMap<&'static str, &'static str>);

    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("agent.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "model = \"from-file\"\nmax_tokens = 100\nmax_iterations = 7\nplugins = [\"p/x.so\"]\n",
        );
        let env = MapEnv(HashMap::from([
            ("AGENT_MAX_TOKENS", "200"),
            ("AGENT_MODEL", "from-env"),
        ]));
        let args = AgentArgs {
            model: Some("from-flag".into()),
            config: Some(path.clone()),
            ..AgentArgs::default()
        };
        let s = Settings::resolve(&args, &env).unwrap();
        assert_eq!(s.model.value, "from-flag");
        assert_eq!(s.model.source, Source::Flag("--model".into()));
        assert_eq!(s.max_tokens.value, 200);
        assert_eq!(s.max_tokens.source, Source::Env("AGENT_MAX_TOKENS".into()));
        assert_eq!(s.max_iterations.value, 7);
        assert_eq!(s.max_iterations.source, Source::File(path.clone()));
        assert_eq!(s.plugins.value, vec![dir.path().join("p/x.so")]);
        assert!(s.stream.value);
        assert_eq!(s.stream.source, Source::Default);
    }

    #[test]
    fn the_backends_own_variables_beat_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "backend = \"anthropic\"\napi_key = \"sk-file\"\nmodel = \"m-file\"\nbase_url = \"http://file\"\n",
        );
        let args = AgentArgs {
            config: Some(path.clone()),
            ..AgentArgs::default()
        };
        let from_file = Settings::resolve(&args, &MapEnv(HashMap::new())).unwrap();
        assert_eq!(from_file.api_key.source, Source::File(path.clone()));
        assert_eq!(from_file.model.value, "m-file");
        let env = MapEnv(HashMap::from([
            ("ANTHROPIC_API_KEY", "sk-env"),
            ("ANTHROPIC_MODEL", "m-env"),
            ("ANTHROPIC_BASE_URL", "http://env"),
        ]));
        let s = Settings::resolve(&args, &env).unwrap();
        assert_eq!(s.api_key.source, Source::Env("ANTHROPIC_API_KEY".into()));
        assert_eq!(s.api_key.value.as_ref().map(Secret::expose), Some("sk-env"));
        assert_eq!(s.model.value, "m-env");
        assert_eq!(s.base_url.value.as_deref(), Some("http://env"));
    }

    #[test]
    fn stream_takes_the_usual_spellings_of_on_and_off() {
        for (v, want) in [
            ("0", false),
            ("No", false),
            ("OFF", false),
            ("TRUE", true),
            ("1", true),
        ] {
            let env = MapEnv(HashMap::from([("AGENT_STREAM", v)]));
            let s = Settings::resolve(&AgentArgs::default(), &env).unwrap();
            assert_eq!(s.stream.value, want, "{v}");
        }
        let env = MapEnv(HashMap::from([("AGENT_STREAM", "maybe")]));
        assert!(Settings::resolve(&AgentArgs::default(), &env).is_err());
    }

    #[test]
    fn a_bad_file_names_the_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "model = \"m\"\nmax_concurency = 3\n");
        let err = read_config_file(&path).unwrap_err().to_string();
        assert!(err.contains("agent.toml:2:"), "{err}");
        assert!(err.contains("max_concurency"), "{err}");
        let path = write(dir.path(), "model = \"m\"\n\nmax_tokens = \"many\"\n");
        let err = read_config_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("agent.toml:3:") && err.contains("max_tokens"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_env_value_names_the_variable() {
        let env = MapEnv(HashMap::from([("AGENT_MAX_CONCURRENCY", "lots")]));
        let args = AgentArgs {
            config: Some(PathBuf::from("/nonexistent/agent.toml")),
            ..AgentArgs::default()
        };
        // The explicit file is missing: that is the first error.
        assert!(matches!(
            Settings::resolve(&args, &env),
            Err(ConfigError::Read { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "");
        let args = AgentArgs {
            config: Some(path),
            ..AgentArgs::default()
        };
        let err = Settings::resolve(&args, &env).unwrap_err().to_string();
        assert!(
            err.contains("AGENT_MAX_CONCURRENCY") && err.contains("lots"),
            "{err}"
        );
    }
}
