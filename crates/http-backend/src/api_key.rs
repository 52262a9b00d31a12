//! [`ApiKey`]: a secret that never shows in `Debug`, logs or errors.

use std::fmt;

use reqwest::header::HeaderValue;

use crate::error::InvalidApiKey;

/// An API key. Its `Debug` prints `ApiKey(<redacted>)`, never the key, so
/// a logged backend or builder cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps `key`.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key a builder uses: the one it was given, else the environment's
    /// (`from_env`, already read); an empty or blank key counts as none, so
    /// `ANTHROPIC_API_KEY=""` is reported as missing rather than sent.
    pub fn resolve(given: Option<ApiKey>, from_env: Option<String>) -> Option<ApiKey> {
        match given {
            Some(key) if !key.expose().trim().is_empty() => Some(key),
            _ => from_env.map(ApiKey::new),
        }
    }

    /// The header value carrying the key, after `scheme` (`""` for
    /// `x-api-key`, `"Bearer "` for `Authorization`), trimmed and marked
    /// sensitive so HTTP logging redacts it. A key holding what a header
    /// cannot carry (a line break, say) is refused without being echoed.
    pub fn header_value(&self, scheme: &str) -> Result<HeaderValue, InvalidApiKey> {
        let mut value = HeaderValue::from_str(&format!("{scheme}{}", self.0.trim()))
            .map_err(|_| InvalidApiKey)?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::new("sk-ant-secret");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(key.expose(), "sk-ant-secret");
        let key = ApiKey::new("sk-proj-secret");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(key.expose(), "sk-proj-secret");
    }

    #[test]
    fn the_given_key_wins_and_a_blank_one_counts_as_none() {
        assert!(ApiKey::resolve(None, None).is_none());
        assert!(ApiKey::resolve(Some(ApiKey::new(" ")), None).is_none());
        assert_eq!(
            ApiKey::resolve(None, Some("k".into())).unwrap().expose(),
            "k"
        );
        assert_eq!(
            ApiKey::resolve(Some(ApiKey::new("a")), Some("b".into()))
                .unwrap()
                .expose(),
            "a"
        );
    }

    #[test]
    fn header_values_are_sensitive_and_refuse_line_breaks() {
        let value = ApiKey::new(" sk-1 ").header_value("Bearer ").unwrap();
        assert_eq!(value, "Bearer sk-1");
        assert!(value.is_sensitive());
        let e = ApiKey::new("sk\nsecret").header_value("").unwrap_err();
        assert!(!e.to_string().contains("secret"));
    }
}
