//! [`OpenAiBuilder`]: the backend's configuration.

use std::time::Duration;

use http_backend::{ApiKey, Endpoint, HttpSettings, chain, env_var as env, parse_base_url};
use reqwest::header::{AUTHORIZATION, HeaderMap};

use crate::backend::OpenAiBackend;
use crate::convert::MaxTokensField;
use crate::error::ConfigError;

/// OpenAI's endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "gpt-4.1-mini";
/// The environment variable holding the API key.
pub const API_KEY_ENV: &str = "OPENAI_API_KEY";
/// The environment variable [`OpenAiBuilder::from_env`] reads the base URL from.
pub const BASE_URL_ENV: &str = "OPENAI_BASE_URL";
/// The environment variable [`OpenAiBuilder::from_env`] reads the model from.
pub const MODEL_ENV: &str = "OPENAI_MODEL";
/// The environment variable [`OpenAiBuilder::from_env`] reads
/// [`OpenAiBuilder::native_structured_output`] from (`true`/`1`/`on` or
/// `false`/`0`/`off`).
pub const NATIVE_STRUCTURED_OUTPUT_ENV: &str = "OPENAI_NATIVE_STRUCTURED_OUTPUT";

/// Configures an [`OpenAiBackend`].
///
/// ```
/// use openai_client::OpenAiBackend;
///
/// // Ollama: no key needed.
/// let ollama = OpenAiBackend::builder()
///     .base_url("http://localhost:11434/v1")
///     .model("llama3.2")
///     .build()
///     .unwrap();
/// assert_eq!(ollama.endpoint(), "http://localhost:11434/v1/chat/completions");
/// ```
#[derive(Debug, Clone, Default)]
pub struct OpenAiBuilder {
    base_url: Option<String>,
    api_key: Option<ApiKey>,
    model: Option<String>,
    max_tokens_field: Option<MaxTokensField>,
    native_structured_output: Option<bool>,
    http: HttpSettings,
}

/// The backend's constructors live here, beside the configuration they
/// start from, so the backend's module does not depend on its builder's.
impl OpenAiBackend {
    /// A builder with the defaults.
    pub fn builder() -> OpenAiBuilder {
        OpenAiBuilder::default()
    }

    /// A backend configured from the environment: `OPENAI_BASE_URL`,
    /// `OPENAI_MODEL` and `OPENAI_API_KEY` (required for api.openai.com).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder().from_env().build()
    }
}

impl OpenAiBuilder {
    /// The base URL (default [`DEFAULT_BASE_URL`]); requests go to
    /// `{base}/chat/completions`. A URL without a path gets `/v1`, as every
    /// compatible server (Ollama, vLLM, llama.cpp, LM Studio) serves there.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API key, sent as `Authorization: Bearer` (default:
    /// `OPENAI_API_KEY`; none is sent if neither is set, as Ollama wants).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// The model id (default [`DEFAULT_MODEL`]; name yours for Ollama/vLLM).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Which field carries `max_tokens` (default: `max_completion_tokens`
    /// for api.openai.com, `max_tokens` elsewhere).
    pub fn max_tokens_field(mut self, field: MaxTokensField) -> Self {
        self.max_tokens_field = Some(field);
        self
    }

    /// Whether structured output goes as `response_format` with a JSON
    /// schema (`true`), or through the output tool every backend has
    /// (`false`). Default: on for api.openai.com, which documents
    /// `json_schema` response formats; off elsewhere, since a server that
    /// ignores `response_format` would leave the model without the schema.
    /// Turn it on for servers that have it (vLLM, llama.cpp's server,
    /// Ollama 0.5 and later, LM Studio).
    pub fn native_structured_output(mut self, on: bool) -> Self {
        self.native_structured_output = Some(on);
        self
    }

    /// How long connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.connect_timeout = timeout;
        self
    }

    /// How long a whole response may take, and, when streaming, the longest
    /// silence between two pieces of it (default 10 min: local models on a
    /// CPU are slow).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// A ready HTTP client (proxies, custom roots...).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http.client = Some(client);
        self
    }

    /// Fills what is still unset from the environment: the base URL from
    /// `OPENAI_BASE_URL`, the model from `OPENAI_MODEL` and native
    /// structured output from `OPENAI_NATIVE_STRUCTURED_OUTPUT` (the key is always
    /// read from `OPENAI_API_KEY` when not given).
    pub fn from_env(mut self) -> Self {
        if self.base_url.is_none() {
            self.base_url = env(BASE_URL_ENV);
        }
        if self.model.is_none() {
            self.model = env(MODEL_ENV);
        }
        if self.native_structured_output.is_none() {
            self.native_structured_output =
                env(NATIVE_STRUCTURED_OUTPUT_ENV).and_then(|v| parse_switch(&v));
        }
        self
    }

    /// The backend. OpenAI's own endpoint needs a key: without one this
    /// fails with one clear line ([`ConfigError::MissingApiKey`], kind
    /// `Credentials`); other servers may go without.
    pub fn build(self) -> Result<OpenAiBackend, ConfigError> {
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let is_openai = is_openai(&base_url);
        let key = resolve_key(self.api_key, env(API_KEY_ENV));
        let mut headers = HeaderMap::new();
        match key {
            Some(key) => {
                let value = key.header_value("Bearer ")?;
                headers.insert(AUTHORIZATION, value);
            }
            None if is_openai => return Err(ConfigError::MissingApiKey { url: base_url }),
            None => {}
        }
        let max_tokens_field = self.max_tokens_field.unwrap_or(if is_openai {
            MaxTokensField::MaxCompletionTokens
        } else {
            MaxTokensField::MaxTokens
        });
        let client = self
            .http
            .client()
            .map_err(|e| ConfigError::HttpClient(chain(&e)))?;
        let endpoint = Endpoint::new(
            client,
            format!("{base_url}/chat/completions"),
            headers,
            self.http.timeout,
        );
        Ok(OpenAiBackend::new(
            endpoint,
            base_url,
            self.model.unwrap_or_else(|| DEFAULT_MODEL.into()),
            max_tokens_field,
            self.native_structured_output.unwrap_or(is_openai),
        ))
    }
}

/// The builder's key, else the environment's; an empty one counts as none.
fn resolve_key(given: Option<ApiKey>, from_env: Option<String>) -> Option<ApiKey> {
    ApiKey::resolve(given, from_env)
}

/// An on/off setting's text; `None` for anything else (the default holds).
fn parse_switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Some(true),
        "0" | "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

fn is_openai(base_url: &str) -> bool {
    reqwest::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h == "api.openai.com"))
        .unwrap_or(false)
}

fn normalize_base_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: url.to_owned(),
        reason,
    };
    let mut parsed = parse_base_url(url).map_err(invalid)?;
    if parsed.path() == "/" || parsed.path().is_empty() {
        parsed.set_path("/v1");
    }
    let mut base = parsed.as_str().trim_end_matches('/').to_owned();
    if base.ends_with("/chat/completions") {
        base.truncate(base.len() - "/chat/completions".len());
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        assert_eq!(
            normalize_base_url("https://api.openai.com/v1/").unwrap(),
            "https://api.openai.com/v1"
        );
        assert_eq!(
            normalize_base_url("http://localhost:11434").unwrap(),
            "http://localhost:11434/v1"
        );
        assert_eq!(
            normalize_base_url("http://h:8000/v1/chat/completions").unwrap(),
            "http://h:8000/v1"
        );
        assert_eq!(
            normalize_base_url("http://h/openai/v1").unwrap(),
            "http://h/openai/v1"
        );
        assert!(matches!(
            normalize_base_url("file:///x"),
            Err(ConfigError::InvalidBaseUrl { .. })
        ));
    }

    #[test]
    fn native_structured_output_defaults_on_for_openai_only() {
        let local = OpenAiBuilder::default()
            .base_url("http://127.0.0.1:1/v1")
            .build()
            .unwrap();
        assert!(!agent_core::ModelBackend::native_structured_output(&local));
        let on = OpenAiBuilder::default()
            .base_url("http://127.0.0.1:1/v1")
            .native_structured_output(true)
            .build()
            .unwrap();
        assert!(agent_core::ModelBackend::native_structured_output(&on));
        let openai = OpenAiBuilder::default().api_key("k").build().unwrap();
        assert!(agent_core::ModelBackend::native_structured_output(&openai));
        assert_eq!(parse_switch(" On "), Some(true));
        assert_eq!(parse_switch("0"), Some(false));
        assert_eq!(parse_switch("maybe"), None);
    }

    #[test]
    fn openai_needs_a_key_others_do_not() {
        assert!(is_openai("https://api.openai.com/v1"));
        assert!(!is_openai("http://localhost:11434/v1"));
        assert!(resolve_key(None, None).is_none());
        assert!(resolve_key(Some(ApiKey::new("")), None).is_none());
        assert_eq!(resolve_key(None, Some("k".into())).unwrap().expose(), "k");
        let e = ConfigError::MissingApiKey {
            url: DEFAULT_BASE_URL.into(),
        };
        assert!(e.to_string().starts_with("OPENAI_API_KEY is not set; "));
        assert!(!e.to_string().contains('\n'));
        assert_eq!(e.kind(), agent_core::ModelErrorKind::Credentials);
    }

    #[test]
    fn a_key_that_cannot_be_a_header_is_refused_without_echoing_it() {
        let e = OpenAiBuilder::default()
            .base_url("http://localhost:1/v1")
            .api_key("sk\nsecret")
            .build()
            .unwrap_err();
        assert_eq!(e, ConfigError::InvalidApiKey);
        assert!(!e.to_string().contains("secret"));
    }
}
