//! [`ExecutorConfig`]: the concurrency limit, and each call's timeout,
//! retry policy and output limit, with per-tool overrides.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tool_api::{Scheduling, ToolSpec};

use crate::{ExponentialBackoff, RetryPolicy};

/// The timeout, retry policy and output limit one call runs under.
#[derive(Debug, Clone)]
pub struct CallPolicy {
    /// How long one attempt may take; `None` waits forever.
    pub timeout: Option<Duration>,
    /// When retryable failures are tried again.
    pub retry: Arc<dyn RetryPolicy>,
    /// The largest result sent back, in bytes; a larger one is cut and the
    /// model told so. `None`: no limit.
    pub max_output_bytes: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct Override {
    timeout: Option<Option<Duration>>,
    retry: Option<Arc<dyn RetryPolicy>>,
    max_output_bytes: Option<Option<usize>>,
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
    pub(super) scheduling: HashMap<String, Scheduling>,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            max_concurrency: Some(Self::DEFAULT_MAX_CONCURRENCY),
            default: CallPolicy {
                timeout: Some(Self::DEFAULT_TIMEOUT),
                retry: Arc::new(ExponentialBackoff::default()),
                max_output_bytes: Some(Self::DEFAULT_MAX_OUTPUT_BYTES),
            },
            overrides: HashMap::new(),
            scheduling: HashMap::new(),
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

    /// The largest tool result sent back by default: 100 KB, about 25,000
    /// tokens: room for any useful answer, while a runaway one (a whole file,
    /// a log) cannot overflow the model's context and end the run.
    pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 100_000;

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

    /// How calls of the tool `name` are scheduled (see
    /// `docs/SCHEDULING.md`), over what was set before, field by field.
    pub fn with_tool_scheduling(mut self, name: impl Into<String>, scheduling: Scheduling) -> Self {
        let entry = self.scheduling.entry(name.into()).or_default();
        *entry = std::mem::take(entry).overridden_by(&scheduling);
        self
    }

    /// At most `n` calls of the tool `name` at once, inside the global limit.
    pub fn with_tool_concurrency(self, name: impl Into<String>, n: usize) -> Self {
        self.with_tool_scheduling(name, Scheduling::default().with_concurrency(n))
    }

    /// An adaptive limit for the tool `name`: between `min` and `max` calls
    /// at once, halved when a call reports throttling (a retryable error
    /// with a retry-after), grown back by one per limit's worth of
    /// successes (docs/SCHEDULING.md).
    pub fn with_tool_adaptive(self, name: impl Into<String>, min: usize, max: usize) -> Self {
        self.with_tool_scheduling(name, Scheduling::default().with_adaptive(min, max))
    }

    /// Calls of the tool `name` hold `resource` alone (`NAME`, or
    /// `NAME:/json/pointer` keyed by the input), in call order.
    pub fn with_tool_exclusive(
        mut self,
        name: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        let entry = self.scheduling.entry(name.into()).or_default();
        entry.exclusive.push(resource.into());
        self
    }

    /// Calls of the tool `name` share `resource` with other readers.
    pub fn with_tool_shared(
        mut self,
        name: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        let entry = self.scheduling.entry(name.into()).or_default();
        entry.shared.push(resource.into());
        self
    }

    /// Takes what each of `specs` declares about its scheduling, under what
    /// this configuration already says of the tool (which wins, field by
    /// field). The agent's builder calls it with its tools' specs.
    pub fn with_declared<'a>(mut self, specs: impl IntoIterator<Item = &'a ToolSpec>) -> Self {
        for spec in specs {
            if spec.scheduling.is_empty() {
                continue;
            }
            let entry = self.scheduling.entry(spec.name.clone()).or_default();
            *entry = spec.scheduling.clone().overridden_by(entry);
        }
        self
    }

    /// The scheduling declared for the tool `name`, if any.
    pub fn scheduling_for(&self, name: &str) -> Option<&Scheduling> {
        self.scheduling.get(name)
    }

    /// Every tool name this configuration has a setting for (timeout,
    /// retries or scheduling), sorted: to report names no tool has.
    pub fn tool_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .overrides
            .keys()
            .chain(self.scheduling.keys())
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The largest result of any call, in bytes; `None` for no limit.
    pub fn with_max_output_bytes(mut self, max: Option<usize>) -> Self {
        self.default.max_output_bytes = max;
        self
    }

    /// The largest result of the tool `name`, in bytes; `None` for no limit.
    pub fn with_tool_max_output_bytes(
        mut self,
        name: impl Into<String>,
        max: Option<usize>,
    ) -> Self {
        self.overrides
            .entry(name.into())
            .or_default()
            .max_output_bytes = Some(max);
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
            if let Some(m) = o.max_output_bytes {
                policy.max_output_bytes = m;
            }
        }
        policy
    }
}
