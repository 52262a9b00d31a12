//! The faults the local server injects, and how each looks on the wire.
//! Which request gets which is `mock_support::FaultPlan`'s.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::answer::error;

/// A fault the server plays instead of its next answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 `rate_limit_exceeded`, with `retry-after` (whole seconds, rounded
    /// up) and `retry-after-ms` if set.
    RateLimit {
        /// The hint sent.
        retry_after: Option<Duration>,
    },
    /// 503: the engine is overloaded.
    Overloaded,
    /// 500 `server_error`.
    ServerError,
    /// A 200 whose body breaks off midway (a stream cut after a few
    /// chunks; a JSON body cut in half).
    CutStream,
    /// Any error answer.
    Error {
        /// HTTP status.
        status: u16,
        /// The error's `code` (`context_length_exceeded`...), if any.
        code: Option<String>,
        /// The error's `message`.
        message: String,
    },
}

/// The error answer for `fault` to request `id`. [`Fault::CutStream`] is
/// the caller's, which knows the answer to cut.
pub(crate) fn answer(fault: &Fault, id: &str) -> Response {
    match fault {
        Fault::RateLimit { retry_after } => {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "requests",
                Some("rate_limit_exceeded"),
                "Rate limit reached for requests (injected). Please try again later.",
                None,
                id,
            );
            if let Some(after) = retry_after {
                let secs = after.as_secs_f64().ceil() as u64;
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
                r.headers_mut().insert(
                    "retry-after-ms",
                    HeaderValue::from(after.as_millis() as u64),
                );
            }
            r
        }
        Fault::Overloaded => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            None,
            "The engine is currently overloaded, please try again later (injected).",
            None,
            id,
        ),
        Fault::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
            "The server had an error while processing your request (injected).",
            None,
            id,
        ),
        Fault::Error {
            status,
            code,
            message,
        } => error(
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "invalid_request_error",
            code.as_deref(),
            message,
            None,
            id,
        ),
        Fault::CutStream => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
            "cut",
            None,
            id,
        ),
    }
}
