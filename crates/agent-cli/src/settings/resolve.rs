//! Resolution: each setting from the first layer that sets it, in the
//! order flag > `AGENT_*` variable > the backend's own variable
//! (`ANTHROPIC_MODEL`...) > config file > default, remembering the layer.

use std::path::{Path, PathBuf};

use super::approval;
use super::env::{Env, NoEnv};
use super::error::ConfigError;
use super::file::{FileConfig, find_config_file, read_config_file};
use super::overrides::Overrides;
use super::request_options as options;
use super::table::{self, Spec};
use super::values::BackendKind;
use super::{Setting, Settings, Source};

/// The layers below the flags.
struct Layers<'a> {
    env: &'a dyn Env,
    file: Option<&'a Path>,
    backend: BackendKind,
}

impl Layers<'_> {
    /// The first of `flag`, the spec's variable, the backend's variable
    /// `own`, `file` and the default that is set.
    fn layer<T>(
        &self,
        spec: &Spec<T>,
        flag: Option<T>,
        own: Option<&'static str>,
        file: Option<T>,
    ) -> Result<Setting<T>, ConfigError> {
        if let Some(value) = flag {
            return Ok(Setting {
                value,
                source: Source::Flag(spec.flag.unwrap_or(spec.key).into()),
            });
        }
        for name in spec.env.into_iter().chain(own) {
            if let Some(raw) = self.env.var(name) {
                let value = (spec.parse)(&raw).ok_or_else(|| ConfigError::Env {
                    var: name.into(),
                    value: raw.clone(),
                    expected: spec.expected,
                })?;
                return Ok(Setting {
                    value,
                    source: Source::Env(name.into()),
                });
            }
        }
        Ok(match (file, self.file) {
            (Some(value), Some(path)) => Setting {
                value,
                source: Source::File(path.to_path_buf()),
            },
            _ => Setting {
                value: (spec.default)(self.backend),
                source: Source::Default,
            },
        })
    }
}

impl Settings {
    /// Layers the flags `overrides`, the environment and the config file
    /// (`--config`, else the one found) over the defaults.
    pub fn resolve(overrides: &Overrides, env: &dyn Env) -> Result<Self, ConfigError> {
        Self::resolve_from(
            overrides,
            env,
            find_config_file(overrides.config.as_deref()),
        )
    }

    /// The built-in defaults alone: no flags, environment or file.
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::resolve_from(&Overrides::default(), &NoEnv, None)
    }

    fn resolve_from(
        o: &Overrides,
        env: &dyn Env,
        config_file: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let file = match &config_file {
            Some(path) => read_config_file(path)?,
            None => FileConfig::default(),
        };
        let mut l = Layers {
            env,
            file: config_file.as_deref(),
            backend: BackendKind::Bedrock,
        };
        let backend = l.layer(&table::BACKEND, o.backend, None, file.backend)?;
        l.backend = backend.value;
        let own = backend.value.own_variables();
        let settings = Self {
            model: l.layer(
                &table::MODEL,
                o.model.clone(),
                own.map(|v| v.model),
                file.model,
            )?,
            base_url: l.layer(
                &table::BASE_URL,
                o.base_url.clone().map(Some),
                own.map(|v| v.base_url),
                file.base_url.map(Some),
            )?,
            api_key: l.layer(
                &table::API_KEY,
                None,
                own.map(|v| v.api_key),
                file.api_key.map(Some),
            )?,
            region: l.layer(
                &table::REGION,
                o.region.clone().map(Some),
                None,
                file.region.map(Some),
            )?,
            profile: l.layer(
                &table::PROFILE,
                o.profile.clone().map(Some),
                None,
                file.profile.map(Some),
            )?,
            endpoint_url: l.layer(
                &table::ENDPOINT_URL,
                o.endpoint_url.clone().map(Some),
                None,
                file.endpoint_url.map(Some),
            )?,
            plugins: l.layer(
                &table::PLUGINS,
                (!o.plugins.is_empty()).then(|| o.plugins.clone()),
                None,
                file.plugins,
            )?,
            plugin_prefixes: l.layer(
                &table::PLUGIN_PREFIXES,
                (!o.plugin_prefixes.is_empty()).then(|| o.plugin_prefixes.clone()),
                None,
                file.plugin_prefixes,
            )?,
            plugins_dir: l.layer(
                &table::PLUGINS_DIR,
                o.plugins_dir.clone().map(Some),
                None,
                file.plugins_dir.map(Some),
            )?,
            max_concurrency: l.layer(
                &table::MAX_CONCURRENCY,
                o.max_concurrency,
                None,
                file.max_concurrency,
            )?,
            tool_timeout: l.layer(
                &table::TOOL_TIMEOUT,
                o.tool_timeout,
                None,
                file.tool_timeout,
            )?,
            tool_retries: l.layer(
                &table::TOOL_RETRIES,
                o.tool_retries,
                None,
                file.tool_retries,
            )?,
            model_retries: l.layer(
                &table::MODEL_RETRIES,
                o.model_retries,
                None,
                file.model_retries,
            )?,
            model_retry_max_wait: l.layer(
                &table::MODEL_RETRY_MAX_WAIT,
                o.model_retry_max_wait,
                None,
                file.model_retry_max_wait,
            )?,
            model_retry_budget: l.layer(
                &table::MODEL_RETRY_BUDGET,
                o.model_retry_budget,
                None,
                file.model_retry_budget,
            )?,
            stream_idle_timeout: l.layer(
                &table::STREAM_IDLE_TIMEOUT,
                o.stream_idle_timeout,
                None,
                file.stream_idle_timeout,
            )?,
            max_iterations: l.layer(
                &table::MAX_ITERATIONS,
                o.max_iterations,
                None,
                file.max_iterations,
            )?,
            system: l.layer(
                &table::SYSTEM,
                o.system.clone().map(Some),
                None,
                file.system.map(Some),
            )?,
            max_tokens: l.layer(&table::MAX_TOKENS, o.max_tokens, None, file.max_tokens)?,
            thinking: l.layer(
                &table::THINKING,
                o.thinking.map(Some),
                None,
                file.thinking.map(Some),
            )?,
            stream: l.layer(
                &table::STREAM,
                o.no_stream.then_some(false),
                None,
                file.stream,
            )?,
            eager: l.layer(&table::EAGER, o.no_eager.then_some(false), None, file.eager)?,
            context: l.layer(&table::CONTEXT, o.context.clone(), None, file.context)?,
            context_window: l.layer(
                &table::CONTEXT_WINDOW,
                o.context_window.map(Some),
                None,
                file.context_window.map(Some),
            )?,
            tools: l.layer(&table::TOOLS, None, None, file.tools)?,
            mcp: l.layer(
                &table::MCP,
                (!o.mcp.is_empty()).then(|| o.mcp.clone()),
                None,
                file.mcp,
            )?,
            approve: l.layer(&approval::APPROVE, o.approve.clone(), None, file.approve)?,
            yes: l.layer(&approval::YES, o.yes.then_some(true), None, file.yes)?,
            tool_choice: l.layer(
                &options::TOOL_CHOICE,
                o.tool_choice.clone().map(Some),
                None,
                file.tool_choice.map(Some),
            )?,
            cache: l.layer(&options::CACHE, o.cache.clone(), None, file.cache)?,
            cache_ttl: l.layer(
                &options::CACHE_TTL,
                o.cache_ttl.clone().map(Some),
                None,
                file.cache_ttl.map(Some),
            )?,
            output_schema: l.layer(
                &options::OUTPUT_SCHEMA,
                o.output_schema.clone().map(Some),
                None,
                file.output_schema.map(Some),
            )?,
            guardrail: l.layer(
                &options::GUARDRAIL,
                o.guardrail.clone().map(Some),
                None,
                file.guardrail.map(Some),
            )?,
            guardrail_trace: l.layer(
                &options::GUARDRAIL_TRACE,
                o.guardrail_trace.then_some(true),
                None,
                file.guardrail_trace,
            )?,
            model_fields: l.layer(
                &options::MODEL_FIELDS,
                (!o.model_fields.is_empty()).then(|| o.model_fields.clone()),
                None,
                file.model_fields,
            )?,
            response_fields: l.layer(
                &options::RESPONSE_FIELDS,
                (!o.response_fields.is_empty()).then(|| o.response_fields.clone()),
                None,
                file.response_fields,
            )?,
            backend,
            config_file,
        };
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::settings::values::Secret;

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
        let args = Overrides {
            model: Some("from-flag".into()),
            config: Some(path.clone()),
            ..Overrides::default()
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
        let args = Overrides {
            config: Some(path.clone()),
            ..Overrides::default()
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
            let s = Settings::resolve(&Overrides::default(), &env).unwrap();
            assert_eq!(s.stream.value, want, "{v}");
        }
        let env = MapEnv(HashMap::from([("AGENT_STREAM", "maybe")]));
        assert!(Settings::resolve(&Overrides::default(), &env).is_err());
    }

    #[test]
    fn eager_start_is_on_unless_a_flag_env_or_file_turns_it_off() {
        let s = Settings::resolve(&Overrides::default(), &MapEnv(HashMap::new())).unwrap();
        assert!(s.eager.value);
        assert_eq!(s.eager.source, Source::Default);
        let flag = Overrides {
            no_eager: true,
            ..Overrides::default()
        };
        let s = Settings::resolve(&flag, &MapEnv(HashMap::new())).unwrap();
        assert!(!s.eager.value);
        assert_eq!(s.eager.source, Source::Flag("--no-eager".into()));
        let env = MapEnv(HashMap::from([("AGENT_EAGER", "off")]));
        let s = Settings::resolve(&Overrides::default(), &env).unwrap();
        assert!(!s.eager.value);
        let dir = tempfile::tempdir().unwrap();
        let args = Overrides {
            config: Some(write(dir.path(), "eager = false\n")),
            ..Overrides::default()
        };
        let s = Settings::resolve(&args, &MapEnv(HashMap::new())).unwrap();
        assert!(!s.eager.value);
        assert!(matches!(s.eager.source, Source::File(_)));
    }

    #[test]
    fn a_bad_env_value_names_the_variable() {
        let env = MapEnv(HashMap::from([("AGENT_MAX_CONCURRENCY", "lots")]));
        let args = Overrides {
            config: Some(PathBuf::from("/nonexistent/agent.toml")),
            ..Overrides::default()
        };
        // The explicit file is missing: that is the first error.
        assert!(matches!(
            Settings::resolve(&args, &env),
            Err(ConfigError::Read { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "");
        let args = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let err = Settings::resolve(&args, &env).unwrap_err().to_string();
        assert!(
            err.contains("AGENT_MAX_CONCURRENCY") && err.contains("lots"),
            "{err}"
        );
    }
}
