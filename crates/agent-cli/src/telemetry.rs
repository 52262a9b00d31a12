//! OpenTelemetry export: when the standard `OTEL_*` variables name a
//! collector, the agent's GenAI spans and metrics (emitted through `tracing`
//! by `agent_core::telemetry`) go to it over OTLP, HTTP/protobuf or gRPC.
//!
//! # Contract
//!
//! - Nothing is exported unless `OTEL_EXPORTER_OTLP_ENDPOINT` or a
//!   signal's own endpoint (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
//!   `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`) is set; `OTEL_SDK_DISABLED=true`
//!   and `OTEL_{TRACES,METRICS}_EXPORTER=none` turn export off.
//! - The protocol is `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL` or
//!   `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` (the default) or `grpc`.
//!   Headers, timeouts and the resource (`OTEL_SERVICE_NAME`,
//!   `OTEL_RESOURCE_ATTRIBUTES`) follow the standard variables; the service
//!   is `agent` unless they name it.
//! - Export never fails a run: a configuration it cannot use and every
//!   export failure together print one warning on stderr, at most.
//! - [`Export::shutdown`] flushes what is buffered; `main` calls it on every
//!   exit path (success, errors, signals), bounded in time.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{MetricExporter, SpanExporter};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{Aggregation, Instrument, SdkMeterProvider, Stream, Temporality};
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

/// The GenAI conventions' opt-in for message and tool content on spans.
pub const CAPTURE_CONTENT_VAR: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/// How long the flush at exit may take before the process exits anyway.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether message and tool content goes on the spans
/// ([`CAPTURE_CONTENT_VAR`]` = true`).
pub fn capture_content() -> bool {
    std::env::var(CAPTURE_CONTENT_VAR).is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The OTLP transport a signal uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf`: POST to `ENDPOINT/v1/traces` and `/v1/metrics`.
    HttpProtobuf,
    /// `grpc`, without TLS.
    Grpc,
}

/// The signals and their protocols the environment asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    traces: Option<Protocol>,
    metrics: Option<Protocol>,
}

impl Plan {
    /// Reads the variables through `var`; an unusable protocol is an error
    /// (the message names the variable).
    fn read(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
        if var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return Ok(Self {
                traces: None,
                metrics: None,
            });
        }
        let signal = |upper: &str, lower: &str| -> Result<Option<Protocol>, String> {
            let endpoint = set("OTEL_EXPORTER_OTLP_ENDPOINT")
                || set(&format!("OTEL_EXPORTER_OTLP_{upper}_ENDPOINT"));
            let off = var(&format!("OTEL_{upper}_EXPORTER"))
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("none"));
            if !endpoint || off {
                return Ok(None);
            }
            let (name, value) = [
                format!("OTEL_EXPORTER_OTLP_{upper}_PROTOCOL"),
                "OTEL_EXPORTER_OTLP_PROTOCOL".to_owned(),
            ]
            .into_iter()
            .find_map(|name| var(&name).map(|v| (name, v)))
            .unwrap_or_default();
            match value.trim() {
                "" | "http/protobuf" => Ok(Some(Protocol::HttpProtobuf)),
                "grpc" => Ok(Some(Protocol::Grpc)),
                other => Err(format!(
                    "{name}={other:?} is not supported for {lower}: use http/protobuf or grpc"
                )),
            }
        };
        Ok(Self {
            traces: signal("TRACES", "traces")?,
            metrics: signal("METRICS", "metrics")?,
        })
    }
}

/// Export to a collector, set up from the environment.
#[derive(Debug)]
pub struct Export {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl Export {
    /// The export the `OTEL_*` variables ask for, or `None` when they ask
    /// for none or it cannot be set up (then with one warning). `runtime`
    /// hosts the gRPC client's connection.
    pub fn from_env(runtime: &tokio::runtime::Handle) -> Option<Self> {
        let warning = Warning::default();
        let plan = match Plan::read(|name| std::env::var(name).ok()) {
            Ok(plan) => plan,
            Err(message) => {
                warning.once(&message);
                return None;
            }
        };
        if plan.traces.is_none() && plan.metrics.is_none() {
            return None;
        }
        let resource = resource();
        let tracer = plan.traces.and_then(|protocol| {
            let built = match protocol {
                Protocol::HttpProtobuf => SpanExporter::builder().with_http().build(),
                Protocol::Grpc => {
                    // tonic's channel spawns its connection task on the runtime.
                    let _entered = runtime.enter();
                    SpanExporter::builder().with_tonic().build()
                }
            };
            match built {
                Ok(exporter) => Some(
                    SdkTracerProvider::builder()
                        .with_resource(resource.clone())
                        .with_batch_exporter(Warned {
                            inner: exporter,
                            warning: warning.clone(),
                        })
                        .build(),
                ),
                Err(e) => {
                    warning.once(&format!("cannot set up trace export: {e}"));
                    None
                }
            }
        });
        let meter = plan.metrics.and_then(|protocol| {
            let built = match protocol {
                Protocol::HttpProtobuf => MetricExporter::builder().with_http().build(),
                Protocol::Grpc => {
                    let _entered = runtime.enter();
                    MetricExporter::builder().with_tonic().build()
                }
            };
            match built {
                Ok(exporter) => Some(
                    SdkMeterProvider::builder()
                        .with_resource(resource.clone())
                        .with_periodic_exporter(Warned {
                            inner: exporter,
                            warning: warning.clone(),
                        })
                        .with_view(gen_ai_view)
                        .build(),
                ),
                Err(e) => {
                    warning.once(&format!("cannot set up metrics export: {e}"));
                    None
                }
            }
        });
        (tracer.is_some() || meter.is_some()).then_some(Self { tracer, meter })
    }

    /// The `tracing` layers that hand the GenAI spans to the trace exporter
    /// and the metric events to the meter; nothing else reaches them.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        use agent_core::telemetry::{METRICS_TARGET, TARGET};
        let traces = self.tracer.as_ref().map(|provider| {
            tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("agent"))
                .with_filter(
                    Targets::new()
                        .with_target(TARGET, LevelFilter::INFO)
                        .with_target(METRICS_TARGET, LevelFilter::OFF),
                )
        });
        let metrics = self.meter.as_ref().map(|provider| {
            tracing_opentelemetry::MetricsLayer::new(provider.clone())
                .with_filter(Targets::new().with_target(METRICS_TARGET, LevelFilter::INFO))
        });
        Layer::and_then(traces, metrics)
    }

    /// Flushes and stops the exporters (within [`SHUTDOWN_TIMEOUT`] each).
    /// Failures were already warned about by the exporters.
    pub fn shutdown(self) {
        if let Some(tracer) = self.tracer {
            let _ = tracer.shutdown_with_timeout(SHUTDOWN_TIMEOUT);
        }
        if let Some(meter) = self.meter {
            let _ = meter.shutdown_with_timeout(SHUTDOWN_TIMEOUT);
        }
    }
}

/// The conventions' unit, description and bucket boundaries for the two
/// GenAI histograms (`tracing`'s metric events carry only name and value).
fn gen_ai_view(instrument: &Instrument) -> Option<Stream> {
    let (unit, description, boundaries): (_, _, &[f64]) = match instrument.name() {
        "gen_ai.client.operation.duration" => (
            "s",
            "GenAI operation duration",
            &[
                0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96,
                81.92,
            ],
        ),
        "gen_ai.client.token.usage" => (
            "{token}",
            "Number of input and output tokens used",
            &[
                1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0,
                4194304.0, 16777216.0, 67108864.0,
            ],
        ),
        _ => return None,
    };
    Stream::builder()
        .with_unit(unit)
        .with_description(description)
        .with_aggregation(Aggregation::ExplicitBucketHistogram {
            boundaries: boundaries.to_vec(),
            record_min_max: true,
        })
        .build()
        .ok()
}

/// `service.name` is `agent` unless `OTEL_SERVICE_NAME` or
/// `OTEL_RESOURCE_ATTRIBUTES` names it (the builder reads both).
fn resource() -> Resource {
    let named = std::env::var("OTEL_SERVICE_NAME").is_ok_and(|v| !v.trim().is_empty())
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|v| v.contains("service.name="));
    let builder = Resource::builder();
    let builder = if named {
        builder
    } else {
        builder.with_service_name("agent")
    };
    builder
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

/// One warning per process, whatever fails and however often.
#[derive(Debug, Clone, Default)]
struct Warning(Arc<AtomicBool>);

impl Warning {
    fn once(&self, message: &str) {
        if !self.0.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: OpenTelemetry export failed: {message}; the run goes on without it \
                 (check OTEL_EXPORTER_OTLP_ENDPOINT; further export errors are not shown)"
            );
        }
    }
}

/// An exporter whose failures are warned about once.
#[derive(Debug)]
struct Warned<E> {
    inner: E,
    warning: Warning,
}

impl<E> Warned<E> {
    fn check(&self, result: OTelSdkResult) -> OTelSdkResult {
        if let Err(e) = &result {
            self.warning.once(&e.to_string());
        }
        result
    }
}

impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
    for Warned<E>
{
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let sent = self.inner.export(batch);
        async move { self.check(sent.await) }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<E: PushMetricExporter> PushMetricExporter for Warned<E> {
    fn export(&self, metrics: &ResourceMetrics) -> impl Future<Output = OTelSdkResult> + Send {
        let sent = self.inner.export(metrics);
        async move { self.check(sent.await) }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(vars: &[(&str, &str)]) -> Result<Plan, String> {
        Plan::read(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn nothing_is_exported_without_an_endpoint() {
        let none = Plan {
            traces: None,
            metrics: None,
        };
        assert_eq!(plan(&[]), Ok(none.clone()));
        assert_eq!(
            plan(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]),
            Ok(none.clone())
        );
        let disabled = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_SDK_DISABLED", "true"),
        ];
        assert_eq!(plan(&disabled), Ok(none));
    }

    #[test]
    fn protocols_come_from_the_signal_or_the_general_variable() {
        let both = plan(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")]);
        assert_eq!(
            both,
            Ok(Plan {
                traces: Some(Protocol::HttpProtobuf),
                metrics: Some(Protocol::HttpProtobuf),
            })
        );
        let traces_grpc = plan(&[
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://127.0.0.1:4317",
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
        ]);
        assert_eq!(
            traces_grpc,
            Ok(Plan {
                traces: Some(Protocol::Grpc),
                metrics: None,
            })
        );
        let no_metrics = plan(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ]);
        assert_eq!(
            no_metrics,
            Ok(Plan {
                traces: Some(Protocol::Grpc),
                metrics: None,
            })
        );
    }

    #[test]
    fn an_unsupported_protocol_names_its_variable() {
        let json = plan(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ]);
        let message = json.err().unwrap_or_default();
        assert!(
            message.contains("OTEL_EXPORTER_OTLP_PROTOCOL=\"http/json\""),
            "{message}"
        );
    }
}
