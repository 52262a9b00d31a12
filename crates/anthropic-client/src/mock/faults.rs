//! The faults the local server injects, and how each looks on the wire.
//! Which request gets which is `mock_support::FaultPlan`'s.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::answer::{error, status};

/// A fault the server plays instead of its next answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 `rate_limit_error`, with `retry-after` (whole seconds, rounded
    /// up) if set.
    RateLimit {
        /// The hint sent.
        retry_after: Option<Duration>,
    },
    /// 529 `overloaded_error`.
    Overloaded,
    /// 500 `api_error`.
    ServerError,
    /// A 200 whose body breaks off midway (a stream cut after a few
    /// events; a JSON body cut in half).
    CutStream,
    /// Any error answer.
    Error {
        /// HTTP status.
        status: u16,
        /// The API's `error.type`.
        error_type: String,
        /// The API's `error.message`.
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
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit (injected)",
                id,
            );
            if let Some(after) = retry_after {
                let secs = after.as_secs_f64().ceil() as u64;
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
            }
            r
        }
        Fault::Overloaded => error(status(529), "overloaded_error", "Overloaded (injected)", id),
        Fault::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "Internal server error (injected)",
            id,
        ),
        Fault::Error {
            status: code,
            error_type,
            message,
        } => error(status(*code), error_type, message, id),
        Fault::CutStream => error(status(500), "api_error", "cut", id),
    }
}
