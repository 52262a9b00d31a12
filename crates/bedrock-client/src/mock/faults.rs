//! The faults the local server injects, and how each looks on the wire.
//! Which request gets which is `mock_support::FaultPlan`'s.

use serde::{Deserialize, Serialize};

/// A failure the local server can inject, as the real service shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 429 `ThrottlingException` (with `Retry-After` if the server has a hint).
    Throttle,
    /// 500 `InternalServerException`.
    InternalError,
    /// 503 `ServiceUnavailableException`.
    Unavailable,
    /// 429 `ModelNotReadyException`.
    ModelNotReady,
    /// 408 `ModelTimeoutException`.
    ModelTimeout,
    /// The response starts, then the connection drops mid-message.
    StreamCut,
    /// ConverseStream: a `modelStreamErrorException` event mid-message.
    /// Converse: 424 `ModelErrorException`.
    StreamError,
    /// 400 `ValidationException`: a refusal no retry can fix.
    Reject,
}

/// An HTTP error answer: status, the `x-amzn-errortype` name, the message.
pub(crate) type HttpFault = (u16, &'static str, &'static str);

impl Fault {
    /// The error response this fault answers with before any body, if it is
    /// one of those (stream faults answer 200 and break the body instead).
    pub(crate) fn http(self, stream: bool) -> Option<HttpFault> {
        Some(match self {
            Fault::Throttle => (
                429,
                "ThrottlingException",
                "Too many requests, please wait before trying again.",
            ),
            Fault::InternalError => (
                500,
                "InternalServerException",
                "The server encountered an internal error while processing the request.",
            ),
            Fault::Unavailable => (
                503,
                "ServiceUnavailableException",
                "Bedrock is unable to process your request.",
            ),
            Fault::ModelNotReady => (
                429,
                "ModelNotReadyException",
                "Model is not ready to serve inference requests.",
            ),
            Fault::ModelTimeout => (
                408,
                "ModelTimeoutException",
                "Model has timed out in processing the request. Try your request again.",
            ),
            Fault::Reject => (
                400,
                "ValidationException",
                "The request was refused (injected fault).",
            ),
            Fault::StreamError if !stream => (
                424,
                "ModelErrorException",
                "The model failed to process the request.",
            ),
            Fault::StreamCut | Fault::StreamError => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_faults_have_no_http_answer_on_the_stream() {
        assert_eq!(Fault::StreamCut.http(true), None);
        assert_eq!(Fault::StreamError.http(true), None);
        assert_eq!(Fault::StreamError.http(false).map(|h| h.0), Some(424));
        assert_eq!(Fault::Throttle.http(true).map(|h| h.0), Some(429));
    }
}
