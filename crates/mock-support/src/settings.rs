//! What every local server is configured with ([`Settings`], the common
//! half of each protocol's builder) and what every request shares while it
//! runs ([`Shared`]).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use agent_core::ModelRequest;
use agent_testkit::Scenario;
use axum::Router;

use crate::{FaultPlan, MockError, Recorder, Scenarios, ServerHandle, scenarios};

/// The settings every protocol's builder has, over its own `Fault` type
/// `F`. The fields are public: a protocol's builder methods set them, each
/// with the protocol's own words in its docs.
///
/// ```
/// use std::sync::Arc;
/// use mock_support::{Settings, Shared};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), mock_support::MockError> {
/// let mut settings = Settings::<&'static str>::default();
/// settings.fault_every.push((3, "throttle"));
/// // The protocol's router gets the shared state: faults, record, scenarios.
/// let router = |state: Arc<Shared<&'static str, String, ()>>| axum::Router::new();
/// let (handle, state) = settings.start((), "example", router).await?;
/// assert_eq!(state.faults.pick(state.recorder.arrive()), None);
/// handle.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Settings<F> {
    /// Where to listen (default `127.0.0.1:0`: a free port).
    pub addr: SocketAddr,
    /// The model's latency per answer (default none).
    pub latency: Duration,
    /// The scenarios to play (default the reference work).
    pub scenarios: Scenarios,
    /// Every-Nth fault rules `(n, fault)`, tried in order.
    pub fault_every: Vec<(u64, F)>,
    /// Faults for the first requests, one each, before any every-Nth rule.
    pub fault_next: Vec<F>,
    /// The retry hint sent with throttles (default none).
    pub retry_after: Option<Duration>,
    /// The model ids served; `None`: the protocol's default rule.
    pub models: Option<Vec<String>>,
    /// Whether requests are recorded (default on).
    pub record: bool,
}

impl<F> Default for Settings<F> {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            latency: Duration::ZERO,
            scenarios: Scenarios::default(),
            fault_every: Vec::new(),
            fault_next: Vec::new(),
            retry_after: None,
            models: None,
            record: true,
        }
    }
}

impl<F: Clone> Settings<F> {
    /// The state the requests will share, with the protocol's own part.
    pub fn into_shared<R, P>(self, protocol: P) -> Shared<F, R, P> {
        Shared {
            latency: self.latency,
            scenarios: self.scenarios.resolve(),
            faults: FaultPlan::new(self.fault_every, self.fault_next),
            recorder: Recorder::new(self.record),
            retry_after: self.retry_after,
            models: self.models,
            protocol,
        }
    }

    /// Builds the shared state, binds, and serves the protocol's `router`
    /// over it in the background (see [`crate::serve`]). Returns the
    /// server's handle and the state, for the protocol's `MockServer` to
    /// read the record and inject faults.
    pub async fn start<R, P>(
        self,
        protocol: P,
        name: &'static str,
        router: impl FnOnce(Arc<Shared<F, R, P>>) -> Router,
    ) -> Result<(ServerHandle, Arc<Shared<F, R, P>>), MockError> {
        let addr = self.addr;
        let state = Arc::new(self.into_shared(protocol));
        let handle = crate::serve(addr, router(Arc::clone(&state)), name).await?;
        Ok((handle, state))
    }
}

/// What every request of a running server shares: the protocol's `Fault`
/// type `F`, its record type `R`, and `protocol`, the settings only it has
/// (an API key, a token limit...).
pub struct Shared<F, R, P> {
    /// The model's latency per answer.
    pub latency: Duration,
    /// The scenarios, in match order.
    pub scenarios: Vec<Scenario>,
    /// Which request gets which fault.
    pub faults: FaultPlan<F>,
    /// Arrival numbers and the record.
    pub recorder: Recorder<R>,
    /// The retry hint sent with throttles.
    pub retry_after: Option<Duration>,
    /// The model ids served; `None`: the protocol's default rule.
    pub models: Option<Vec<String>>,
    /// The protocol's own settings.
    pub protocol: P,
}

impl<F, R, P> Shared<F, R, P> {
    /// Whether `id` is among the models listed; `None` when no list was
    /// given, for the protocol's default rule to decide.
    pub fn lists_model(&self, id: &str) -> Option<bool> {
        self.models.as_ref().map(|ids| ids.iter().any(|m| m == id))
    }

    /// The scenario that answers `request`, or why none does (see
    /// [`scenarios::pick`]).
    pub fn scenario_for(&self, request: &ModelRequest) -> Result<&Scenario, String> {
        scenarios::pick(&self.scenarios, request)
    }
}

impl<F, R, P: std::fmt::Debug> std::fmt::Debug for Shared<F, R, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("latency", &self.latency)
            .field("scenarios", &self.scenarios.len())
            .field("retry_after", &self.retry_after)
            .field("models", &self.models)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_model_lists() {
        let settings = Settings::<u8>::default();
        assert_eq!(settings.addr.to_string(), "127.0.0.1:0");
        assert!(settings.record);
        let shared: Shared<u8, (), ()> = settings.clone().into_shared(());
        assert_eq!(shared.lists_model("m"), None);
        assert_eq!(
            shared.scenarios.len(),
            agent_testkit::reference::all().len()
        );
        let shared: Shared<u8, (), ()> = Settings {
            models: Some(vec!["m".into()]),
            ..settings
        }
        .into_shared(());
        assert_eq!(shared.lists_model("m"), Some(true));
        assert_eq!(shared.lists_model("n"), Some(false));
    }
}
