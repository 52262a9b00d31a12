//! [`AnthropicBuilder`]: the backend's configuration.

use std::time::Duration;

use http_backend::{ApiKey, Endpoint, HttpSettings, chain, env_var as env, parse_base_url};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::backend::AnthropicBackend;
use crate::error::ConfigError;

/// The Messages API's public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The API version sent as `anthropic-version`.
pub const API_VERSION: &str = "2023-06-01";
/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
/// The environment variable holding the API key.
pub const API_KEY_ENV: &str = "ANTHROPIC_API_KEY";
/// The environment variable [`AnthropicBuilder::from_env`] reads the base URL from.
pub const BASE_URL_ENV: &str = "ANTHROPIC_BASE_URL";
/// The environment variable [`AnthropicBuilder::from_env`] reads the model from.
pub const MODEL_ENV: &str = "ANTHROPIC_MODEL";

/// Configures an [`AnthropicBackend`].
///
/// ```
/// use std::time::Duration;
/// use anthropic_client::AnthropicBackend;
///
/// let backend = AnthropicBackend::builder()
///     .base_url("http://127.0.0.1:8080")
///     .api_key("test-key")
///     .model("claude-sonnet-4-5")
///     .timeout(Duration::from_secs(120))
///     .build()
///     .unwrap();
/// assert_eq!(backend.base_url(), "http://127.0.0.1:8080");
/// // The key never shows.
/// assert!(!format!("{backend:?}").contains("test-key"));
/// ```
#[derive(Debug, Clone)]
pub struct AnthropicBuilder {
    base_url: Option<String>,
    api_key: Option<ApiKey>,
    model: Option<String>,
    version: String,
    http: HttpSettings,
}

impl Default for AnthropicBuilder {
    fn default() -> Self {
        Self {
            base_url: None,
            api_key: None,
            model: None,
            version: API_VERSION.into(),
            http: HttpSettings::default(),
        }
    }
}

/// The backend's constructors live here, beside the configuration they
/// start from, so the backend's module does not depend on its builder's.
impl AnthropicBackend {
    /// A builder with the defaults.
    pub fn builder() -> AnthropicBuilder {
        AnthropicBuilder::default()
    }

    /// A backend configured from the environment: `ANTHROPIC_API_KEY`
    /// (required), `ANTHROPIC_BASE_URL` and `ANTHROPIC_MODEL` (optional).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder().from_env().build()
    }
}

impl AnthropicBuilder {
    /// The API's base URL (default [`DEFAULT_BASE_URL`]); requests go to
    /// `{base}/v1/messages`. A trailing `/v1` is accepted and dropped.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API key (default: `ANTHROPIC_API_KEY`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// The model id (default [`DEFAULT_MODEL`]).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// The `anthropic-version` header (default [`API_VERSION`]).
    pub fn anthropic_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// How long connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.connect_timeout = timeout;
        self
    }

    /// How long a whole response may take, and, when streaming, the longest
    /// silence between two pieces of it (default 10 min, as Anthropic's own
    /// SDKs).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// A ready HTTP client (proxies, custom roots...); the timeouts above are
    /// then the client's business, except the per-request one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http.client = Some(client);
        self
    }

    /// Fills what is still unset from the environment: the base URL from
    /// `ANTHROPIC_BASE_URL` and the model from `ANTHROPIC_MODEL` (the key is
    /// always read from `ANTHROPIC_API_KEY` when not given).
    pub fn from_env(mut self) -> Self {
        if self.base_url.is_none() {
            self.base_url = env(BASE_URL_ENV);
        }
        if self.model.is_none() {
            self.model = env(MODEL_ENV);
        }
        self
    }

    /// The backend; fails with one clear line when the key is missing
    /// ([`ConfigError::MissingApiKey`], kind `Credentials`) or the base URL
    /// is not a URL.
    pub fn build(self) -> Result<AnthropicBackend, ConfigError> {
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let key = resolve_key(self.api_key, env(API_KEY_ENV))?;
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", key.header_value("")?);
        headers.insert(
            "anthropic-version",
            HeaderValue::from_str(&self.version).map_err(|_| ConfigError::InvalidBaseUrl {
                url: base_url.clone(),
                reason: format!(
                    "the anthropic-version {:?} is not a header value",
                    self.version
                ),
            })?,
        );
        let client = self
            .http
            .client()
            .map_err(|e| ConfigError::HttpClient(chain(&e)))?;
        let count_endpoint = Endpoint::new(
            client.clone(),
            format!("{base_url}/v1/messages/count_tokens"),
            headers.clone(),
            self.http.timeout,
        );
        let endpoint = Endpoint::new(
            client,
            format!("{base_url}/v1/messages"),
            headers,
            self.http.timeout,
        );
        Ok(AnthropicBackend::new(
            endpoint,
            count_endpoint,
            base_url,
            self.model.unwrap_or_else(|| DEFAULT_MODEL.into()),
        ))
    }
}

/// The builder's key, else the environment's; an empty one counts as none.
fn resolve_key(given: Option<ApiKey>, from_env: Option<String>) -> Result<ApiKey, ConfigError> {
    ApiKey::resolve(given, from_env).ok_or(ConfigError::MissingApiKey)
}

fn normalize_base_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = parse_base_url(url).map_err(invalid)?;
    let mut base = parsed.as_str().trim_end_matches('/').to_owned();
    if base.ends_with("/v1") {
        base.truncate(base.len() - 3);
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        assert_eq!(
            normalize_base_url("https://api.anthropic.com/").unwrap(),
            "https://api.anthropic.com"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:9/v1").unwrap(),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            normalize_base_url("http://h/proxy/anthropic").unwrap(),
            "http://h/proxy/anthropic"
        );
        assert!(matches!(
            normalize_base_url("ftp://h"),
            Err(ConfigError::InvalidBaseUrl { .. })
        ));
        assert!(matches!(
            normalize_base_url("not a url"),
            Err(ConfigError::InvalidBaseUrl { .. })
        ));
    }

    #[test]
    fn a_missing_key_is_one_clear_line() {
        let e = resolve_key(None, None).unwrap_err();
        assert_eq!(e, ConfigError::MissingApiKey);
        assert_eq!(e.kind(), agent_core::ModelErrorKind::Credentials);
        assert!(e.to_string().starts_with("ANTHROPIC_API_KEY is not set; "));
        assert!(resolve_key(Some(ApiKey::new(" ")), None).is_err());
        assert_eq!(resolve_key(None, Some("k".into())).unwrap().expose(), "k");
        assert_eq!(
            resolve_key(Some(ApiKey::new("a")), Some("b".into()))
                .unwrap()
                .expose(),
            "a"
        );
    }

    #[test]
    fn a_key_that_cannot_be_a_header_is_refused_without_echoing_it() {
        let e = AnthropicBuilder::default()
            .api_key("sk\nsecret")
            .build()
            .unwrap_err();
        assert_eq!(e, ConfigError::InvalidApiKey);
        assert!(!e.to_string().contains("secret"));
    }
}
