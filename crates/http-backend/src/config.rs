//! [`HttpSettings`]: what every HTTP backend's builder configures the same
//! way (timeouts, a ready client), and the two checks they share: a
//! variable from the environment, a base URL.

use std::time::Duration;

/// The HTTP client a backend sends with: its timeouts, or a ready client.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// How long connecting may take (default 10 s).
    pub connect_timeout: Duration,
    /// How long a whole response may take, and, when streaming, the longest
    /// silence between two pieces of it (default 10 min, as the providers'
    /// own SDKs; local models on a CPU are slow).
    pub timeout: Duration,
    /// A ready client (proxies, custom roots...); the timeouts above are
    /// then its business, except the per-request one.
    pub client: Option<reqwest::Client>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
            client: None,
        }
    }
}

impl HttpSettings {
    /// The client: the ready one, else one with the connect timeout and
    /// [`HttpSettings::timeout`] as its read timeout (so a stalled stream
    /// fails, where a whole-request timeout would cut a long one).
    pub fn client(&self) -> Result<reqwest::Client, reqwest::Error> {
        match &self.client {
            Some(client) => Ok(client.clone()),
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .read_timeout(self.timeout)
                .build(),
        }
    }
}

/// The environment variable `name`, if set and not blank: an empty
/// `ANTHROPIC_BASE_URL=` means "unset", not "the empty URL".
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `url` parsed as an `http` or `https` URL; otherwise why not, for the
/// client's own configuration error (which names its variable and an
/// example).
pub fn parse_base_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme must be http or https, not {}",
            parsed.scheme()
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_http() {
        assert_eq!(
            parse_base_url(" https://h/v1 ").unwrap().as_str(),
            "https://h/v1"
        );
        assert_eq!(
            parse_base_url("ftp://h").unwrap_err(),
            "the scheme must be http or https, not ftp"
        );
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn defaults_are_the_sdks() {
        let s = HttpSettings::default();
        assert_eq!(s.connect_timeout, Duration::from_secs(10));
        assert_eq!(s.timeout, Duration::from_secs(600));
        assert!(s.client().is_ok());
    }
}
