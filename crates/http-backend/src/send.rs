//! [`Endpoint`]: one API URL, and sending to it with the auth headers and
//! the timeouts, whole or streamed; every failure comes back as the
//! [`ModelError`] the agent's retry policy reads.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use agent_core::{ModelError, ModelEvent};
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::HttpApi;
use crate::error::{from_transport, tag};
use crate::sse::{SseDecoder, decode_sse};

/// Where an HTTP backend sends its requests: the client, the URL, the
/// headers every request carries (the key, the API version) and the
/// timeout of a whole response. Cheap to clone: the client is shared.
pub struct Endpoint<A> {
    client: reqwest::Client,
    url: String,
    headers: HeaderMap,
    timeout: Duration,
    api: PhantomData<fn() -> A>,
}

impl<A> Clone for Endpoint<A> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            timeout: self.timeout,
            api: PhantomData,
        }
    }
}

impl<A> fmt::Debug for Endpoint<A> {
    /// The headers are left out: they carry the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A whole answer, read and parsed, with the request id it came with (for
/// tagging errors found in it later).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    /// The parsed body.
    pub body: T,
    /// The provider's request id, if it sent one.
    pub request_id: Option<String>,
}

impl<A: HttpApi> Endpoint<A> {
    /// An endpoint at `url`, sending `headers` with every request; a whole
    /// response must arrive within `timeout`.
    pub fn new(
        client: reqwest::Client,
        url: String,
        headers: HeaderMap,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            url,
            headers,
            timeout,
            api: PhantomData,
        }
    }

    /// The URL requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The timeout of a whole response.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The headers every request carries (sensitive ones marked so).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// POSTs `body` as JSON. Whole answers get the per-request timeout;
    /// streams ask for `text/event-stream` and are bounded by the client's
    /// read timeout only, as a long answer may stream for minutes. A non-2xx
    /// answer is [`HttpApi::error_from_http`]'s; no answer at all is a
    /// [`crate::TransportError`].
    pub async fn post<B: Serialize + ?Sized>(
        &self,
        body: &B,
        stream: bool,
    ) -> Result<reqwest::Response, ModelError> {
        let mut builder = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .json(body);
        if stream {
            builder = builder.header(ACCEPT, HeaderValue::from_static("text/event-stream"));
        } else {
            builder = builder.timeout(self.timeout);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| from_transport(&e, &self.url, self.timeout))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_default();
        Err(A::error_from_http(status, &headers, &bytes, &self.url))
    }

    /// POSTs `body` and reads the whole answer as a `T`; `what` names `T`
    /// in the error for a body that is not one ("a chat completion").
    pub async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        body: &B,
        what: &str,
    ) -> Result<Reply<T>, ModelError> {
        let response = self.post(body, false).await?;
        let request_id = self.request_id(&response);
        let id = request_id.as_deref();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| tag(from_transport(&e, &self.url, self.timeout), id))?;
        let body = serde_json::from_slice(&bytes).map_err(|e| {
            tag(
                ModelError::protocol(format!(
                    "the response from {} is not {what} ({e})",
                    self.url
                )),
                id,
            )
        })?;
        Ok(Reply { body, request_id })
    }

    /// POSTs `body` for a stream and decodes its server-sent events with
    /// `decoder` (see [`SseDecoder`]); a refused request is the stream's one
    /// item.
    pub fn post_stream<'a, B, D>(
        &'a self,
        body: B,
        decoder: D,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>>
    where
        B: Serialize + Send + Sync + 'a,
        D: SseDecoder + 'a,
    {
        stream::once(async move {
            match self.post(&body, true).await {
                Ok(response) => {
                    let request_id = self.request_id(&response);
                    decode_sse(
                        response.bytes_stream(),
                        decoder,
                        self.url.clone(),
                        request_id,
                    )
                    .boxed()
                }
                Err(e) => stream::iter([Err(e)]).boxed(),
            }
        })
        .flatten()
        .boxed()
    }

    fn request_id(&self, response: &reqwest::Response) -> Option<String> {
        response
            .headers()
            .get(A::REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}
