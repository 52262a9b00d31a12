//! [`ExecutorConfig`]: the concurrency limit, and each call's timeout and
//! retry policy, with per-tool overrides.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::{ExponentialBackoff, RetryPolicy};

/// The timeout and retry policy one call runs under.
#[derive(Debug, Clone)]
pub struct CallPolicy {
    /// How long one attempt may take; `None` waits forever.
    pub timeout: Option<Duration>,
    /// When retryable failures are tried again.
    pub retry: Arc<dyn RetryPolicy>,
}

#[derive(Debug, Clone, Default)]
struct Override {
    timeout: Option<Option<Duration>>,
    retry: Option<Arc<dyn RetryPolicy>>,
}

/// How the executor runs calls.
///
/// Defaults: at most [`ExecutorConfig::DEFAULT_MAX_CONCURRENCY`] calls at
/// once, a [`ExecutorConfig::DEFAULT_TIMEOUT`] timeout per attempt, and
/// [`ExponentialBackoff::default`] retries (3 attempts).
///
/// ```
/// use std::time::Duration;
/// use agent_core::{ExecutorConfig, ExponentialBackoff};
///
/// let config = ExecutorConfig::default()
///     .with_max_concurrency(Some(16))
///     .with_timeout(Some(Duration::from_secs(10)))
///     .with_tool_timeout("slow_search", Some(Duration::from_secs(60)))
///     .with_tool_retry("flaky_api", ExponentialBackoff::default().with_max_attempts(5));
/// assert_eq!(config.policy_for("slow_search").timeout, Some(Duration::from_secs(60)));
/// assert_eq!(config.policy_for("other").timeout, Some(Duration::from_secs(10)));
/// ```
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    max_concurrency: Option<usize>,
    default: CallPolicy,
    overrides: HashMap<String, Override>,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            max_concurrency: Some(Self::DEFAULT_MAX_CONCURRENCY),
            default: CallPolicy {
                timeout: Some(Self::DEFAULT_TIMEOUT),
                retry: Arc::new(ExponentialBackoff::default()),
            },
            overrides: HashMap::new(),
        }
    }
}

impl ExecutorConfig {
    /// Calls in flight at once by default: ample for any model turn (models
    /// rarely ask for more than a few dozen calls), while a runaway turn of
    /// thousands cannot exhaust sockets, file handles or a service's quota.
    pub const DEFAULT_MAX_CONCURRENCY: usize = 64;

    /// Timeout of one attempt by default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// At most `max` calls at once; `None` for no limit.
    pub fn with_max_concurrency(mut self, max: Option<usize>) -> Self {
        self.max_concurrency = max;
        self
    }

    /// The timeout of one attempt of any call; `None` for none.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.default.timeout = timeout;
        self
    }

    /// The retry policy of any call.
    pub fn with_retry(mut self, retry: impl RetryPolicy + 'static) -> Self {
        self.default.retry = Arc::new(retry);
        self
    }

    /// The timeout of one attempt of the tool `name`.
    pub fn with_tool_timeout(mut self, name: impl Into<String>, timeout: Option<Duration>) -> Self {
        self.overrides.entry(name.into()).or_default().timeout = Some(timeout);
        self
    }

    /// The retry policy of the tool `name`.
    pub fn with_tool_retry(
        mut self,
        name: impl Into<String>,
        retry: impl RetryPolicy + 'static,
    ) -> Self {
        self.overrides.entry(name.into()).or_default().retry = Some(Arc::new(retry));
        self
    }

    /// The concurrency limit.
    pub fn max_concurrency(&self) -> Option<usize> {
        self.max_concurrency
    }

    /// The policy a call of `tool` runs under: its overrides over the defaults.
    pub fn policy_for(&self, tool: &str) -> CallPolicy {
        let mut policy = self.default.clone();
        if let Some(o) = self.overrides.get(tool) {
            if let Some(t) = o.timeout {
                policy.timeout = t;
            }
            if let Some(r) = &o.retry {
                policy.retry = r.clone();
            }
        }
        policy
    }
}
