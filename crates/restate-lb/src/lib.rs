//! # restate-lb: several Restate endpoints behind one address
//!
//! Restate registers a deployment by one URI and sends each invocation to
//! it as one HTTP/2 request whose request and response bodies stream both
//! ways for the whole invocation (its bidirectional protocol). To run
//! several `agent serve --restate` endpoints as one deployment, something
//! has to sit at that URI and spread the requests over them: in production
//! an L7 load balancer speaking HTTP/2 to its upstreams (envoy, nginx, a
//! cloud load balancer; docs/SCALING.md). This crate is the smallest such
//! thing, for the two-endpoint test and the load bench (`agent-bench
//! --restate --restate-endpoints N`), runnable by hand as the `restate-lb`
//! binary to try the topology on one machine.
//!
//! # Contract
//!
//! - Both sides speak HTTP/2 over cleartext TCP with prior knowledge
//!   (h2c, no upgrade): what Restate uses for an `http://` deployment URI
//!   and what restate-sdk's endpoint serves.
//! - Each request (each invocation stream, and each discovery request) goes
//!   to the next backend in turn (round robin), whole: its body is streamed
//!   to the backend as it arrives and the backend's response (head, body,
//!   trailers) streamed back as it comes, nothing buffered, so the
//!   bidirectional protocol works through it.
//! - A backend that cannot be reached answers that request with 502 (Restate
//!   retries the invocation, and the retry goes to the next backend); the
//!   proxy does not take a backend out of the rotation.
//! - It admits 200 concurrent streams per backend (hyper's default for one
//!   endpoint), so N backends take N times one endpoint's streams.
//! - No TLS, no authentication, no health checks: keep it on 127.0.0.1 or a
//!   network only Restate reaches.

mod error;
mod proxy;

pub use error::LbError;
pub use proxy::Proxy;
