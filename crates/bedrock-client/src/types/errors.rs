//! SDK errors → [`ModelError`]: the kind (which decides whether the agent
//! retries), the service's own message, its request id and its retry hint.
//!
//! | what the SDK reports | kind | retried |
//! |---|---|---|
//! | `ThrottlingException` (429) | `Throttled` | yes |
//! | `ServiceUnavailableException`, `InternalServerException`, `ModelNotReadyException`, `ModelTimeoutException`, `ModelErrorException`, other 5xx | `Unavailable` | yes |
//! | `modelStreamErrorException` inside a stream, a stream cut mid-message, an unreadable response | `Stream` | yes |
//! | connection refused or reset, timeouts | `Network` | yes |
//! | `ValidationException` (400) | `Validation` | no |
//! | a validation message about input length or the context window | `ContextOverflow` | no |
//! | `ResourceNotFoundException`, "The provided model identifier is invalid." | `ModelNotFound` | no |
//! | `AccessDeniedException`, bad signature, unknown key (403) | `Auth` | no |
//! | no credentials found, expired token | `Credentials` | no |
//! | `ServiceQuotaExceededException` | `QuotaExceeded` | no |
//!
//! `modelStreamErrorException` is matched on its variant: the SDK leaves its
//! `code()` and `request_id()` empty, so the backend adds the request id of
//! the stream's HTTP response.

use std::error::Error as StdError;
use std::time::Duration;

use agent_core::{ModelError, ModelErrorKind};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::operation::converse::ConverseError;
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::operation::count_tokens::CountTokensError;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::event_stream::RawMessage;

/// A failed SDK call, read into a [`ModelError`] with `From`.
///
/// ```
/// use agent_core::{ModelError, ModelErrorKind};
/// use aws_sdk_bedrockruntime::error::SdkError;
/// use aws_sdk_bedrockruntime::operation::converse::ConverseError;
/// use bedrock_client::types::SdkFailure;
///
/// let err: SdkError<ConverseError, _> = SdkError::timeout_error("slow");
/// let err = ModelError::from(SdkFailure(err));
/// assert_eq!(err.kind, ModelErrorKind::Network);
/// ```
#[derive(Debug)]
pub struct SdkFailure<E, R>(pub SdkError<E, R>);

/// The part of [`NO_CREDENTIALS_HELP`] that says which profile is read;
/// a backend given a profile puts that one in its place.
pub(crate) const DEFAULT_PROFILE_TEXT: &str = "profile from AWS_PROFILE or `default`";

/// Where the default credentials chain looks, and how to fix a miss: the
/// one line a user sees when no credentials were found.
pub const NO_CREDENTIALS_HELP: &str = "no AWS credentials found; the default chain looked in \
environment variables (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN), the shared \
profile files (~/.aws/config and ~/.aws/credentials, profile from AWS_PROFILE or `default`, with \
its SSO, credential_process and assume-role settings), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), \
the ECS container endpoint and EC2 instance metadata (IMDS). Fix: run `aws configure` or `aws sso \
login`, or set AWS_PROFILE to a configured profile";

fn kind_of_code(code: &str) -> Option<ModelErrorKind> {
    use ModelErrorKind::*;
    Some(match code {
        "ThrottlingException" | "TooManyRequestsException" => Throttled,
        "ServiceUnavailableException"
        | "InternalServerException"
        | "InternalFailure"
        | "ModelNotReadyException"
        | "ModelTimeoutException"
        | "ModelErrorException" => Unavailable,
        "ModelStreamErrorException" | "modelStreamErrorException" => Stream,
        "ValidationException" | "SerializationException" => Validation,
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignatureException"
        | "MissingAuthenticationTokenException" => Auth,
        "ExpiredTokenException" => Credentials,
        "ResourceNotFoundException" => ModelNotFound,
        "ServiceQuotaExceededException" => QuotaExceeded,
        _ => return None,
    })
}

fn kind_of_status(status: u16) -> ModelErrorKind {
    match status {
        429 => ModelErrorKind::Throttled,
        500..=599 => ModelErrorKind::Unavailable,
        401 | 403 => ModelErrorKind::Auth,
        404 => ModelErrorKind::ModelNotFound,
        400..=499 => ModelErrorKind::Validation,
        _ => ModelErrorKind::Other,
    }
}

/// Whether a validation `message` says the conversation is too long for the
/// model's context window.
pub fn is_context_overflow_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "too many input tokens",
        "input is too long",
        "prompt is too long",
        "context length",
        "context window",
        "maximum context",
    ]
    .iter()
    .any(|p| m.contains(p))
}

/// The service's answer for an unknown or malformed model id.
pub const INVALID_MODEL_MESSAGE: &str = "The provided model identifier is invalid.";

/// Narrows a validation error by its message.
fn refine(kind: ModelErrorKind, message: &str) -> ModelErrorKind {
    match kind {
        ModelErrorKind::Validation if is_context_overflow_message(message) => {
            ModelErrorKind::ContextOverflow
        }
        ModelErrorKind::Validation if message.contains(INVALID_MODEL_MESSAGE) => {
            ModelErrorKind::ModelNotFound
        }
        other => other,
    }
}

/// A `Retry-After` hint in seconds (fractions allowed); HTTP dates are
/// ignored.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

fn retry_after(raw: &HttpResponse) -> Option<Duration> {
    raw.headers().get("retry-after").and_then(parse_retry_after)
}

fn header_request_id(raw: &HttpResponse) -> Option<&str> {
    raw.headers()
        .get("x-amzn-requestid")
        .or_else(|| raw.headers().get("x-amz-request-id"))
}

/// The [`CredentialsError`] behind `err`, if identity resolution failed.
fn credentials_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        current = e.source();
    }
    None
}

/// The one-line message for a credentials failure.
pub(crate) fn credentials_message(err: &CredentialsError) -> String {
    match err {
        CredentialsError::CredentialsNotLoaded(_) => NO_CREDENTIALS_HELP.to_owned(),
        other => {
            let detail = chain(other);
            let detail = detail.trim_end_matches('.');
            // Instance metadata is the chain's last stop: its failure (a
            // network that refuses it, say) means nothing before it had
            // credentials either, which is what the user needs to hear.
            if detail.contains("IMDS") {
                format!("{NO_CREDENTIALS_HELP} (instance metadata answered: {detail})")
            } else {
                format!(
                    "loading AWS credentials failed: {detail}. Fix the profile (`aws configure`), \
                     refresh an SSO session (`aws sso login`), or set AWS_PROFILE to a working profile"
                )
            }
        }
    }
}

/// Stands for the endpoint in an unreachable-server message, until the
/// backend, which knows the endpoint, puts it in.
pub(crate) const UNREACHED_ENDPOINT: &str = "the Bedrock endpoint";

/// Whether nothing accepted the connection: refused, or no such host. The
/// hyper connector keeps the OS error in the chain; its text is the fallback
/// for a connector that flattens it.
fn nothing_listening(err: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        let text = e.to_string();
        if text.contains("Connection refused") || text.contains("dns error") {
            return true;
        }
        current = e.source();
    }
    false
}

/// An error and its sources, joined: `dispatch failure: io error: ...`.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        current = e.source();
    }
    out
}

/// Errors that are not the service's answer: building, sending, reading.
fn transport_error<E, R>(err: SdkError<E, R>, in_stream: bool) -> Result<ModelError, SdkError<E, R>>
where
    E: StdError + 'static,
    R: std::fmt::Debug + 'static,
{
    let context = chain(&err);
    Ok(match &err {
        SdkError::ConstructionFailure(_) => ModelError::new(
            ModelErrorKind::Other,
            format!("could not build the Bedrock request: {context}"),
        ),
        SdkError::TimeoutError(_) => ModelError::new(
            ModelErrorKind::Network,
            format!("the request timed out: {context}"),
        ),
        SdkError::DispatchFailure(d) => {
            if let Some(c) = StdError::source(&err).and_then(credentials_error) {
                return Ok(ModelError::new(
                    ModelErrorKind::Credentials,
                    credentials_message(c),
                ));
            }
            if in_stream {
                ModelError::stream(format!("the response stream broke: {context}"))
            } else if d.is_user() {
                ModelError::new(ModelErrorKind::Other, context)
            } else if nothing_listening(&err) {
                ModelError::unreachable(format!(
                    "could not connect to {UNREACHED_ENDPOINT}: {context}"
                ))
            } else {
                ModelError::new(
                    ModelErrorKind::Network,
                    format!("could not reach Bedrock: {context}"),
                )
            }
        }
        SdkError::ResponseError(_) => ModelError::stream(format!(
            "the response could not be read to its end: {context}"
        )),
        SdkError::ServiceError(_) => return Err(err),
        _ => ModelError::new(ModelErrorKind::Other, context),
    })
}

fn service_error(
    typed: Option<ModelErrorKind>,
    meta: &impl ProvideErrorMetadata,
    status: Option<u16>,
    fallback: impl FnOnce() -> String,
) -> ModelError {
    let kind = typed
        .or_else(|| meta.code().and_then(kind_of_code))
        .or_else(|| status.map(kind_of_status))
        .unwrap_or(ModelErrorKind::Other);
    let message = meta
        .message()
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(fallback);
    let message = match meta.code() {
        Some(code) if kind == ModelErrorKind::Other => format!("{code}: {message}"),
        _ => message,
    };
    ModelError::new(refine(kind, &message), message)
}

fn converse_kind(e: &ConverseError) -> Option<ModelErrorKind> {
    use ModelErrorKind::*;
    Some(match e {
        ConverseError::ThrottlingException(_) => Throttled,
        ConverseError::ServiceUnavailableException(_)
        | ConverseError::InternalServerException(_)
        | ConverseError::ModelNotReadyException(_)
        | ConverseError::ModelTimeoutException(_)
        | ConverseError::ModelErrorException(_) => Unavailable,
        ConverseError::ValidationException(_) => Validation,
        ConverseError::AccessDeniedException(_) => Auth,
        ConverseError::ResourceNotFoundException(_) => ModelNotFound,
        _ => return None,
    })
}

fn converse_stream_kind(e: &ConverseStreamError) -> Option<ModelErrorKind> {
    use ModelErrorKind::*;
    Some(match e {
        ConverseStreamError::ThrottlingException(_) => Throttled,
        ConverseStreamError::ServiceUnavailableException(_)
        | ConverseStreamError::InternalServerException(_)
        | ConverseStreamError::ModelNotReadyException(_)
        | ConverseStreamError::ModelTimeoutException(_)
        | ConverseStreamError::ModelErrorException(_) => Unavailable,
        ConverseStreamError::ModelStreamErrorException(_) => Stream,
        ConverseStreamError::ValidationException(_) => Validation,
        ConverseStreamError::AccessDeniedException(_) => Auth,
        ConverseStreamError::ResourceNotFoundException(_) => ModelNotFound,
        _ => return None,
    })
}

fn count_tokens_kind(e: &CountTokensError) -> Option<ModelErrorKind> {
    use ModelErrorKind::*;
    Some(match e {
        CountTokensError::ThrottlingException(_) => Throttled,
        CountTokensError::ServiceUnavailableException(_)
        | CountTokensError::InternalServerException(_) => Unavailable,
        CountTokensError::ValidationException(_) => Validation,
        CountTokensError::AccessDeniedException(_) => Auth,
        CountTokensError::ResourceNotFoundException(_) => ModelNotFound,
        _ => return None,
    })
}

fn stream_output_kind(e: &ConverseStreamOutputError) -> Option<ModelErrorKind> {
    use ModelErrorKind::*;
    Some(match e {
        ConverseStreamOutputError::ThrottlingException(_) => Throttled,
        ConverseStreamOutputError::ServiceUnavailableException(_)
        | ConverseStreamOutputError::InternalServerException(_) => Unavailable,
        ConverseStreamOutputError::ModelStreamErrorException(_) => Stream,
        ConverseStreamOutputError::ValidationException(_) => Validation,
        _ => return None,
    })
}

fn from_http<E>(
    err: SdkError<E, HttpResponse>,
    kind_of: fn(&E) -> Option<ModelErrorKind>,
) -> ModelError
where
    E: StdError + ProvideErrorMetadata + 'static,
{
    let request_id = RequestId::request_id(&err).map(str::to_owned);
    let err = match transport_error(err, false) {
        Ok(done) => {
            return match request_id {
                Some(id) => done.with_request_id(id),
                None => done,
            };
        }
        Err(service) => service,
    };
    let SdkError::ServiceError(ctx) = err else {
        return ModelError::new(ModelErrorKind::Other, "unexpected SDK error");
    };
    let raw = ctx.raw();
    let status = raw.status().as_u16();
    let e = ctx.err();
    if (200..300).contains(&status) {
        // A success status whose body the SDK could not read: the answer
        // was damaged on its way, and a new attempt may read a whole one.
        return ModelError::stream(format!(
            "the HTTP {status} response could not be read: {}",
            chain(e)
        ));
    }
    let mut out = service_error(kind_of(e), e, Some(status), || {
        format!("HTTP {status}: {}", chain(e))
    });
    if let Some(id) = request_id.as_deref().or_else(|| header_request_id(raw)) {
        out = out.with_request_id(id);
    }
    if let Some(after) = retry_after(raw) {
        out = out.with_retry_after(after);
    }
    out
}

impl From<SdkFailure<ConverseError, HttpResponse>> for ModelError {
    fn from(failure: SdkFailure<ConverseError, HttpResponse>) -> Self {
        from_http(failure.0, converse_kind)
    }
}

impl From<SdkFailure<CountTokensError, HttpResponse>> for ModelError {
    fn from(failure: SdkFailure<CountTokensError, HttpResponse>) -> Self {
        from_http(failure.0, count_tokens_kind)
    }
}

impl From<SdkFailure<ConverseStreamError, HttpResponse>> for ModelError {
    fn from(failure: SdkFailure<ConverseStreamError, HttpResponse>) -> Self {
        from_http(failure.0, converse_stream_kind)
    }
}

/// An error met while reading the event stream: an exception event, a cut
/// connection or an unreadable frame. Always classified as if mid-stream.
/// The `:exception-type` header of an exception frame.
fn exception_type(raw: &RawMessage) -> Option<&str> {
    let RawMessage::Decoded(message) = raw else {
        return None;
    };
    message
        .headers()
        .iter()
        .find(|h| h.name().as_str() == ":exception-type")
        .and_then(|h| h.value().as_string().ok())
        .map(|s| s.as_str())
}

impl From<SdkFailure<ConverseStreamOutputError, RawMessage>> for ModelError {
    fn from(failure: SdkFailure<ConverseStreamOutputError, RawMessage>) -> Self {
        let err = match transport_error(failure.0, true) {
            Ok(done) => return done,
            Err(service) => service,
        };
        let SdkError::ServiceError(ctx) = err else {
            return ModelError::stream("unexpected SDK error inside the stream");
        };
        let e = ctx.err();
        let error = service_error(stream_output_kind(e), e, None, || {
            format!("the stream carried an error: {}", chain(e))
        });
        // An exception type the SDK does not model reaches it without its
        // name, which is in the frame's header: keep it for the reader.
        match exception_type(ctx.raw()) {
            Some(name)
                if stream_output_kind(e).is_none()
                    && e.code().is_none()
                    && !error.message.contains(name) =>
            {
                let message = format!("{name}: {}", error.message);
                ModelError { message, ..error }
            }
            _ => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_bedrockruntime::types::error::{
        ModelStreamErrorException, ThrottlingException, ValidationException,
    };
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn raw(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
        let mut r = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        for (k, v) in headers {
            r.headers_mut().insert(k.to_string(), v.to_string());
        }
        r
    }

    fn meta(code: &str, message: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message(message).build()
    }

    #[test]
    fn throttling_is_retryable_with_request_id_and_hint() {
        let e = ConverseError::ThrottlingException(
            ThrottlingException::builder()
                .message("Too many requests, please wait before trying again.")
                .meta(meta(
                    "ThrottlingException",
                    "Too many requests, please wait before trying again.",
                ))
                .build(),
        );
        let err = SdkError::service_error(
            e,
            raw(429, &[("x-amzn-requestid", "req-1"), ("retry-after", "2")]),
        );
        let m = ModelError::from(SdkFailure(err));
        assert_eq!(m.kind, ModelErrorKind::Throttled);
        assert_eq!(m.request_id.as_deref(), Some("req-1"));
        assert_eq!(m.retry_after, Some(Duration::from_secs(2)));
        assert!(m.message.starts_with("Too many requests"));
        assert!(m.is_retryable());
    }

    #[test]
    fn validation_messages_are_narrowed() {
        let make = |msg: &str| {
            let e = ConverseError::ValidationException(
                ValidationException::builder()
                    .message(msg)
                    .meta(meta("ValidationException", msg))
                    .build(),
            );
            ModelError::from(SdkFailure(SdkError::service_error(e, raw(400, &[]))))
        };
        assert_eq!(make("messages.1: bad").kind, ModelErrorKind::Validation);
        assert_eq!(
            make("Input is too long for requested model.").kind,
            ModelErrorKind::ContextOverflow
        );
        assert_eq!(
            make("prompt is too long: 210000 tokens > 200000 maximum").kind,
            ModelErrorKind::ContextOverflow
        );
        assert_eq!(
            make(INVALID_MODEL_MESSAGE).kind,
            ModelErrorKind::ModelNotFound
        );
    }

    #[test]
    fn unhandled_codes_fall_back_to_code_then_status() {
        let quota = ConverseError::generic(meta("ServiceQuotaExceededException", "quota"));
        let m = ModelError::from(SdkFailure(SdkError::service_error(quota, raw(400, &[]))));
        assert_eq!(m.kind, ModelErrorKind::QuotaExceeded);
        assert!(!m.is_retryable());
        let odd = ConverseError::generic(ErrorMetadata::builder().message("boom").build());
        let m = ModelError::from(SdkFailure(SdkError::service_error(odd, raw(502, &[]))));
        assert_eq!(m.kind, ModelErrorKind::Unavailable);
    }

    #[test]
    fn model_stream_errors_match_on_the_variant() {
        // As the SDK builds it from an event: a message, no code, no request id.
        let e = ConverseStreamOutputError::ModelStreamErrorException(
            ModelStreamErrorException::builder()
                .message("The model stream failed.")
                .meta(
                    ErrorMetadata::builder()
                        .message("The model stream failed.")
                        .build(),
                )
                .build(),
        );
        let err = SdkError::service_error(e, RawMessage::invalid(None));
        let m = ModelError::from(SdkFailure(err));
        assert_eq!(m.kind, ModelErrorKind::Stream);
        assert!(m.is_retryable());
        assert_eq!(m.message, "The model stream failed.");
    }

    #[test]
    fn missing_credentials_get_the_help_line() {
        let err: SdkError<ConverseError, HttpResponse> = SdkError::dispatch_failure(
            aws_smithy_runtime_api::client::result::ConnectorError::other(
                Box::new(CredentialsError::not_loaded(
                    "no providers in chain provided credentials",
                )),
                None,
            ),
        );
        let m = ModelError::from(SdkFailure(err));
        assert_eq!(m.kind, ModelErrorKind::Credentials);
        assert_eq!(m.message, NO_CREDENTIALS_HELP);
        assert!(!m.message.contains('\n'));
    }

    #[test]
    fn retry_after_parses_seconds() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 0.25 "),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn a_failing_instance_metadata_reads_as_no_credentials() {
        let imds = CredentialsError::provider_error(
            "failed to load IMDS session token: request forbidden.",
        );
        let msg = credentials_message(&imds);
        assert!(msg.starts_with("no AWS credentials found"), "{msg}");
        assert!(msg.contains("request forbidden)"), "{msg}");
        let profile = CredentialsError::provider_error("the SSO session has expired.");
        let msg = credentials_message(&profile);
        assert!(msg.contains("has expired. Fix the profile"), "{msg}");
    }
}
