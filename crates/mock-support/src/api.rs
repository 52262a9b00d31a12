//! The builder, the running server and the record shared by the local
//! servers of JSON-over-HTTP model APIs with an API key: the Messages API
//! (`anthropic-client`) and Chat Completions (`openai-client`). Their
//! surfaces are the same; each protocol implements [`ApiProtocol`] (its
//! faults, its routes) and names the types:
//! `pub type MockServer = mock_support::api::ApiServer<Protocol>`.
//! Bedrock's server has a surface of its own (signed requests, event
//! streams, every-Nth faults of any kind) and its own wrapper.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agent_core::ModelRequest;
use agent_testkit::Scenario;
use axum::Router;
use axum::http::{HeaderMap, Uri};
use serde_json::Value;

use crate::recorder::header_map;
use crate::{MockError, ServerHandle, Settings, Shared, load_scenarios};

/// What a JSON-over-HTTP API's local server brings of its own.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use mock_support::api::{ApiProtocol, ApiServer, ApiState};
///
/// #[derive(Debug)]
/// struct Echo;
///
/// impl ApiProtocol for Echo {
///     type Fault = Option<Duration>;
///     const NAME: &'static str = "echo";
///     const BASE_PATH: &'static str = "/v1";
///     fn throttle(retry_after: Option<Duration>) -> Self::Fault {
///         retry_after
///     }
///     fn router(state: Arc<ApiState<Self>>) -> axum::Router {
///         axum::Router::new().with_state(state)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), mock_support::MockError> {
/// let server = ApiServer::<Echo>::builder().throttle_every(3).start().await?;
/// assert!(server.base_url().ends_with("/v1"));
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub trait ApiProtocol: Sized + Send + Sync + 'static {
    /// The faults the server injects, and renders in its wire format.
    type Fault: Clone + Debug + Send + Sync + 'static;
    /// The server's name in logs ("Messages API").
    const NAME: &'static str;
    /// What the client's base URL adds to `http://ADDR` (`""`, `"/v1"`).
    const BASE_PATH: &'static str;
    /// The 429 that [`ApiServerBuilder::throttle_every`] plays, with its
    /// retry hint.
    fn throttle(retry_after: Option<Duration>) -> Self::Fault;
    /// The routes, over the state every request shares.
    fn router(state: Arc<ApiState<Self>>) -> Router;
}

/// The state every request of an API server shares.
pub type ApiState<P> = Shared<<P as ApiProtocol>::Fault, ApiRequest, ApiAuth>;

/// The key an API server accepts.
#[derive(Debug, Clone, Default)]
pub struct ApiAuth {
    /// The one key accepted; `None`: the protocol's rule (the Messages
    /// API: any non-empty key; Chat Completions: no key needed).
    pub api_key: Option<String>,
    /// The prompt cache, for the protocols that cache prompts (the
    /// Messages API); shared by every request to the server.
    pub prompt_cache: std::sync::Arc<crate::prompt_cache::PromptCache>,
}

/// One request to an API server, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    /// The request id the server answered with (in the protocol's
    /// request-id header).
    pub id: String,
    /// The HTTP method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The protocol's headers of interest (`content-type`, `accept`,
    /// `user-agent`, its version and organization headers); never the key.
    pub headers: BTreeMap<String, String>,
    /// Whether the request's key was accepted (always, for a server of a
    /// protocol that needs none and was given none).
    pub authorized: bool,
    /// The body, parsed (`Value::Null` if it was not JSON).
    pub body: Value,
    /// Whether the body asked for a stream.
    pub stream: bool,
    /// The body as core types, if it was a request of the protocol.
    pub request: Option<ModelRequest>,
    /// The HTTP status answered (0 until the answer is decided).
    pub status: u16,
}

impl ApiRequest {
    /// The record of `POST` request `id`: the headers named in `keep`
    /// (lowercase; never the key), the body as JSON, and, if the body was
    /// a request of the protocol, `read`: whether it asked for a stream and
    /// the request as core types. The status is 0 until answered.
    pub fn post(
        id: &str,
        uri: &Uri,
        headers: &HeaderMap,
        keep: &[&str],
        body: &[u8],
        read: Option<(bool, ModelRequest)>,
        authorized: bool,
    ) -> Self {
        let (stream, request) = match read {
            Some((stream, request)) => (stream, Some(request)),
            None => (false, None),
        };
        Self {
            id: id.to_owned(),
            method: "POST".into(),
            path: uri.path().to_owned(),
            headers: header_map(headers, |name, v| keep.contains(&name).then_some(v)),
            authorized,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
            stream,
            request,
            status: 0,
        }
    }
}

/// Configures an [`ApiServer`]: `MockServer::builder()` in the protocol's
/// crate.
pub struct ApiServerBuilder<P: ApiProtocol> {
    settings: Settings<P::Fault>,
    auth: ApiAuth,
    throttle_every: Option<u64>,
    protocol: PhantomData<P>,
}

impl<P: ApiProtocol> Default for ApiServerBuilder<P> {
    fn default() -> Self {
        Self {
            settings: Settings {
                retry_after: Some(Duration::from_secs(1)),
                ..Settings::default()
            },
            auth: ApiAuth::default(),
            throttle_every: None,
            protocol: PhantomData,
        }
    }
}

impl<P: ApiProtocol> Clone for ApiServerBuilder<P> {
    fn clone(&self) -> Self {
        Self {
            settings: self.settings.clone(),
            auth: self.auth.clone(),
            throttle_every: self.throttle_every,
            protocol: PhantomData,
        }
    }
}

impl<P: ApiProtocol> Debug for ApiServerBuilder<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServerBuilder")
            .field("protocol", &P::NAME)
            .field("settings", &self.settings)
            .field("throttle_every", &self.throttle_every)
            .finish_non_exhaustive()
    }
}

impl<P: ApiProtocol> ApiServerBuilder<P> {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.settings.addr = addr;
        self
    }

    /// The port on 127.0.0.1 (default 0: a free one; see
    /// [`ApiServer::addr`]).
    pub fn port(mut self, port: u16) -> Self {
        self.settings.addr.set_port(port);
        self
    }

    /// The scenarios to play, replacing the default reference work.
    pub fn scenarios(mut self, scenarios: Vec<Scenario>) -> Self {
        self.settings.scenarios.replace(scenarios);
        self
    }

    /// Adds the scenarios of a file ahead of the others (so they win).
    pub fn scenario_file(mut self, path: impl AsRef<Path>) -> Result<Self, MockError> {
        self.settings.scenarios.add_first(load_scenarios(path)?);
        Ok(self)
    }

    /// The one key accepted (Messages API: in `x-api-key`; Chat
    /// Completions: as `Authorization: Bearer KEY`). Without it, the
    /// Messages API server accepts any non-empty key, the Chat Completions
    /// server needs none (as Ollama) and accepts any.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.auth.api_key = Some(key.into());
        self
    }

    /// Time before each answer (the model's latency).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.settings.latency = latency;
        self
    }

    /// Answers every `n`-th request (n, 2n, ...) with a 429; `n` ≥ 2.
    pub fn throttle_every(mut self, n: u64) -> Self {
        self.throttle_every = Some(n.max(2));
        self
    }

    /// Answers every `n`-th request (n, 2n, ...; counted over all requests;
    /// 0 turns the rule off) with `fault`. Rules are tried in the order
    /// given, the periodic throttle last.
    pub fn fault_every(mut self, n: u64, fault: P::Fault) -> Self {
        self.settings.fault_every.push((n, fault));
        self
    }

    /// The `retry-after` of the periodic 429s (default 1 s; `None` omits it).
    pub fn retry_after(mut self, after: Option<Duration>) -> Self {
        self.settings.retry_after = after;
        self
    }

    /// Faults played, in order, instead of the first answers.
    pub fn faults(mut self, faults: impl IntoIterator<Item = P::Fault>) -> Self {
        self.settings.fault_next.extend(faults);
        self
    }

    /// The model ids accepted (Chat Completions lists them at
    /// `GET /v1/models`); others get the protocol's 404. Default: any.
    pub fn models(mut self, models: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let ids: Vec<String> = models.into_iter().map(Into::into).collect();
        self.settings.models = (!ids.is_empty()).then_some(ids);
        self
    }

    /// Whether to record requests (default on); off for long runs, where
    /// the record would only grow.
    pub fn record(mut self, on: bool) -> Self {
        self.settings.record = on;
        self
    }

    /// Binds and serves in the background until the [`ApiServer`] is
    /// dropped or shut down. Needs a tokio runtime.
    pub async fn start(self) -> Result<ApiServer<P>, MockError> {
        let mut settings = self.settings;
        if let Some(n) = self.throttle_every {
            let throttle = P::throttle(settings.retry_after);
            settings.fault_every.push((n, throttle));
        }
        let (handle, state) = settings.start(self.auth, P::NAME, P::router).await?;
        Ok(ApiServer { handle, state })
    }
}

/// A running local API server (`MockServer` in the protocol's crate);
/// stops when shut down or dropped.
pub struct ApiServer<P: ApiProtocol> {
    handle: ServerHandle,
    state: Arc<ApiState<P>>,
}

impl<P: ApiProtocol> Debug for ApiServer<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServer")
            .field("protocol", &P::NAME)
            .field("addr", &self.handle.addr())
            .finish_non_exhaustive()
    }
}

impl<P: ApiProtocol> ApiServer<P> {
    /// A builder with the defaults: 127.0.0.1, a free port, the reference
    /// scenarios, no latency, no faults, a 1 s retry hint.
    pub fn builder() -> ApiServerBuilder<P> {
        ApiServerBuilder::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    /// The base URL to give the protocol's backend builder
    /// (`http://ADDR` and the protocol's base path: `/v1` for Chat
    /// Completions).
    pub fn base_url(&self) -> String {
        format!("{}{}", self.handle.url(), P::BASE_PATH)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<ApiRequest> {
        self.state.recorder.all()
    }

    /// Forgets the requests received so far (the count for
    /// `throttle_every` goes on).
    pub fn clear_requests(&self) {
        self.state.recorder.clear();
    }

    /// Plays `fault` instead of a coming answer (after those already queued).
    pub fn push_fault(&self, fault: P::Fault) {
        self.state.faults.push([fault]);
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Test;

    impl ApiProtocol for Test {
        type Fault = (&'static str, Option<Duration>);
        const NAME: &'static str = "test";
        const BASE_PATH: &'static str = "/v1";
        fn throttle(retry_after: Option<Duration>) -> Self::Fault {
            ("throttle", retry_after)
        }
        fn router(state: Arc<ApiState<Self>>) -> Router {
            Router::new().with_state(state)
        }
    }

    #[tokio::test]
    async fn the_builder_reaches_the_shared_state() {
        let server = ApiServer::<Test>::builder()
            .faults([("cut", None)])
            .throttle_every(1)
            .retry_after(None)
            .models(Vec::<String>::new())
            .api_key("k")
            .record(false)
            .start()
            .await
            .unwrap();
        let state = &server.state;
        assert_eq!(state.faults.pick(1), Some(("cut", None)));
        assert_eq!(
            state.faults.pick(2),
            Some(("throttle", None)),
            "every 2nd at least, with the hint set after"
        );
        assert_eq!(state.faults.pick(3), None);
        assert_eq!(state.lists_model("any"), None, "no list: any model");
        assert_eq!(state.protocol.api_key.as_deref(), Some("k"));
        server.push_fault(("later", None));
        assert_eq!(state.faults.pick(5), Some(("later", None)));
        assert_eq!(server.base_url(), format!("http://{}/v1", server.addr()));
        server.shutdown().await;
    }

    #[test]
    fn a_post_keeps_the_headers_asked_for_and_the_body_as_json() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "secret".parse().unwrap());
        headers.insert("accept", "text/event-stream".parse().unwrap());
        let uri: Uri = "/v1/messages?beta=true".parse().unwrap();
        let read = Some((true, ModelRequest::default()));
        let r = ApiRequest::post("req_1", &uri, &headers, &["accept"], b"{}", read, true);
        assert_eq!(
            (r.path.as_str(), r.method.as_str()),
            ("/v1/messages", "POST")
        );
        assert_eq!(r.headers.keys().collect::<Vec<_>>(), ["accept"]);
        assert!(r.stream && r.authorized && r.request.is_some());
        assert_eq!((r.body, r.status), (serde_json::json!({}), 0));
        let r = ApiRequest::post("req_2", &uri, &headers, &[], b"not json", None, false);
        assert_eq!(r.body, Value::Null);
        assert!(!r.stream && r.request.is_none() && r.headers.is_empty());
    }

    #[test]
    fn the_default_retry_hint_is_one_second() {
        let b = ApiServerBuilder::<Test>::default();
        assert_eq!(b.settings.retry_after, Some(Duration::from_secs(1)));
        assert!(format!("{b:?}").contains("test"));
    }
}
