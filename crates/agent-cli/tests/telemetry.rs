//! OpenTelemetry export through the real `agent` binary (issue 17): the
//! real Bedrock backend against the local Converse server, the real demo
//! plugin fanning out, and an OTLP receiver on 127.0.0.1 that decodes the
//! official protobuf definitions (`opentelemetry-proto`), over HTTP/protobuf
//! and gRPC. Span names, parentage, overlapping tool spans, attributes,
//! metrics, content capture only when asked, a flush on Ctrl-C, and a dead
//! collector that does not fail the run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

mod common;

use std::collections::HashSet;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use bedrock_client::mock::MockServer;
use common::{agent_with_keys, demo_plugin, stderr};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;

const Q2: &str = "I'm planning a trip from Boston to Miami. Get the weather for both cities, \
                  calculate the distance, and find Italian restaurants in Miami.";
const SLEEPY: &str = "Take a long nap, twice.";

/// What a receiver got: every span with its resource's `service.name`, and
/// the names of the metrics.
#[derive(Default)]
struct Received {
    spans: Vec<(String, Span)>,
    /// Each metric's name and unit.
    metrics: Vec<(String, String)>,
}

type Store = Arc<Mutex<Received>>;

fn keep_traces(store: &Store, request: ExportTraceServiceRequest) {
    let mut got = store.lock().unwrap();
    for rs in request.resource_spans {
        let service = rs
            .resource
            .as_ref()
            .and_then(|r| attr(&r.attributes, "service.name"))
            .unwrap_or_default();
        for ss in rs.scope_spans {
            for span in ss.spans {
                got.spans.push((service.clone(), span));
            }
        }
    }
}

fn keep_metrics(store: &Store, request: ExportMetricsServiceRequest) {
    let mut got = store.lock().unwrap();
    for rm in request.resource_metrics {
        for sm in rm.scope_metrics {
            got.metrics
                .extend(sm.metrics.into_iter().map(|m| (m.name, m.unit)));
        }
    }
}

/// An OTLP/HTTP receiver (`POST /v1/traces`, `/v1/metrics`, protobuf bodies).
async fn http_receiver() -> (String, Store) {
    let store = Store::default();
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            post(|State(store): State<Store>, body: Bytes| async move {
                keep_traces(&store, ExportTraceServiceRequest::decode(body).unwrap());
                protobuf(ExportTraceServiceResponse::default().encode_to_vec())
            }),
        )
        .route(
            "/v1/metrics",
            post(|State(store): State<Store>, body: Bytes| async move {
                keep_metrics(&store, ExportMetricsServiceRequest::decode(body).unwrap());
                protobuf(ExportMetricsServiceResponse::default().encode_to_vec())
            }),
        )
        .with_state(store.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, store)
}

fn protobuf(body: Vec<u8>) -> impl axum::response::IntoResponse {
    ([("content-type", "application/x-protobuf")], body)
}

/// An OTLP/gRPC receiver (the collector's trace and metrics services).
#[derive(Clone)]
struct Grpc(Store);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        keep_traces(&self.0, request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        keep_metrics(&self.0, request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

async fn grpc_receiver() -> (String, Store) {
    let store = Store::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let grpc = Grpc(store.clone());
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(grpc.clone()))
        .add_service(MetricsServiceServer::new(grpc))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(server);
    (url, store)
}

/// An attribute's value as text.
fn attr(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?;
    match value {
        AnyValue {
            value: Some(any_value::Value::StringValue(s)),
        } => Some(s.clone()),
        AnyValue {
            value: Some(any_value::Value::IntValue(i)),
        } => Some(i.to_string()),
        AnyValue {
            value: Some(any_value::Value::BoolValue(b)),
        } => Some(b.to_string()),
        AnyValue {
            value: Some(any_value::Value::DoubleValue(d)),
        } => Some(d.to_string()),
        _ => None,
    }
}

fn span_attr(span: &Span, key: &str) -> Option<String> {
    attr(&span.attributes, key)
}

/// `agent run --json Q2` against `server` with the demo plugin and `env`.
async fn run(server: &MockServer, env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap().keep();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let server_env = server.endpoint_url();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut cmd = agent_with_keys(&home);
        cmd.args(["run", "--json", "--region", "us-east-1", "--endpoint-url"])
            .arg(&server_env)
            .arg("--plugin")
            .arg(demo_plugin())
            .arg(Q2);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap()
}

/// The trace of one Q2 run: one `invoke_agent` root; under it two `chat`
/// spans and four `execute_tool` spans (started while the first chat's
/// stream was still arriving, yet children of the agent span), whose time
/// ranges intersect; all in one trace; with the GenAI attributes.
fn assert_q2_trace(store: &Store, service: &str, content: bool) {
    let got = store.lock().unwrap();
    let spans: Vec<&Span> = got.spans.iter().map(|(_, s)| s).collect();
    assert!(got.spans.iter().all(|(s, _)| s == service), "service.name");
    let agents: Vec<&&Span> = spans.iter().filter(|s| s.name == "invoke_agent").collect();
    assert_eq!(agents.len(), 1, "one agent span: {:?}", names(&spans));
    let agent = agents[0];
    assert!(
        agent.parent_span_id.is_empty(),
        "the agent span is the root"
    );
    let traces: HashSet<&Vec<u8>> = spans.iter().map(|s| &s.trace_id).collect();
    assert_eq!(traces.len(), 1, "one trace");
    assert_eq!(
        span_attr(agent, "gen_ai.operation.name").unwrap(),
        "invoke_agent"
    );
    assert_eq!(
        span_attr(agent, "gen_ai.provider.name").unwrap(),
        "aws.bedrock"
    );
    assert_eq!(
        span_attr(agent, "gen_ai.response.finish_reasons").unwrap(),
        "end_turn"
    );

    let chats: Vec<&&Span> = spans
        .iter()
        .filter(|s| s.name.starts_with("chat "))
        .collect();
    assert_eq!(chats.len(), 2, "{:?}", names(&spans));
    for chat in &chats {
        assert_eq!(chat.parent_span_id, agent.span_id, "chat under the agent");
        let model = span_attr(chat, "gen_ai.request.model").unwrap();
        assert_eq!(chat.name, format!("chat {model}"));
        assert_eq!(span_attr(chat, "gen_ai.operation.name").unwrap(), "chat");
        assert_eq!(
            span_attr(chat, "gen_ai.provider.name").unwrap(),
            "aws.bedrock"
        );
        let input: u64 = span_attr(chat, "gen_ai.usage.input_tokens")
            .unwrap()
            .parse()
            .unwrap();
        assert!(input > 0, "input tokens on {}", chat.name);
        assert!(span_attr(chat, "gen_ai.usage.output_tokens").is_some());
        assert_eq!(
            span_attr(chat, "gen_ai.input.messages").is_some(),
            content,
            "messages only when captured"
        );
        assert_eq!(span_attr(chat, "gen_ai.output.messages").is_some(), content);
    }
    let reasons: HashSet<String> = chats
        .iter()
        .map(|c| span_attr(c, "gen_ai.response.finish_reasons").unwrap())
        .collect();
    assert_eq!(
        reasons,
        HashSet::from(["tool_use".into(), "end_turn".into()])
    );
    let agent_tokens: u64 = span_attr(agent, "gen_ai.usage.input_tokens")
        .unwrap()
        .parse()
        .unwrap();
    let chat_tokens: u64 = chats
        .iter()
        .map(|c| {
            span_attr(c, "gen_ai.usage.input_tokens")
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(agent_tokens, chat_tokens, "the run's total is its turns'");

    let tools: Vec<&&Span> = spans
        .iter()
        .filter(|s| s.name.starts_with("execute_tool "))
        .collect();
    assert_eq!(tools.len(), 4, "{:?}", names(&spans));
    let mut ids = HashSet::new();
    for tool in &tools {
        assert_eq!(tool.parent_span_id, agent.span_id, "tool under the agent");
        let name = span_attr(tool, "gen_ai.tool.name").unwrap();
        assert_eq!(tool.name, format!("execute_tool {name}"));
        assert_eq!(
            span_attr(tool, "gen_ai.operation.name").unwrap(),
            "execute_tool"
        );
        ids.insert(span_attr(tool, "gen_ai.tool.call.id").unwrap());
        assert!(span_attr(tool, "error.type").is_none(), "{}", tool.name);
        assert_eq!(
            span_attr(tool, "gen_ai.tool.call.arguments").is_some(),
            content
        );
        assert_eq!(
            span_attr(tool, "gen_ai.tool.call.result").is_some(),
            content
        );
    }
    assert_eq!(ids.len(), 4, "each call its own id");
    // The calls ran at once: some instant lies inside every tool span.
    let latest_start = tools.iter().map(|t| t.start_time_unix_nano).max().unwrap();
    let earliest_end = tools.iter().map(|t| t.end_time_unix_nano).min().unwrap();
    assert!(
        latest_start < earliest_end,
        "tool spans overlap: last start {latest_start}, first end {earliest_end}"
    );

    let metrics: HashSet<(&str, &str)> = got
        .metrics
        .iter()
        .map(|(name, unit)| (name.as_str(), unit.as_str()))
        .collect();
    assert!(
        metrics.contains(&("gen_ai.client.token.usage", "{token}"))
            && metrics.contains(&("gen_ai.client.operation.duration", "s")),
        "{metrics:?}"
    );
}

fn names(spans: &[&Span]) -> Vec<String> {
    spans.iter().map(|s| s.name.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_metrics_reach_an_otlp_http_receiver_without_content() {
    let server = MockServer::builder().start().await.unwrap();
    let (url, store) = http_receiver().await;
    let out = run(
        &server,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &url),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_SERVICE_NAME", "agent-under-test"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("OpenTelemetry"), "{}", stderr(&out));
    assert_q2_trace(&store, "agent-under-test", false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_metrics_reach_an_otlp_grpc_receiver_with_content_when_asked() {
    let server = MockServer::builder().start().await.unwrap();
    let (url, store) = grpc_receiver().await;
    let out = run(
        &server,
        &[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &url),
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", &url),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("OpenTelemetry"), "{}", stderr(&out));
    // No OTEL_SERVICE_NAME: the service is `agent`.
    assert_q2_trace(&store, "agent", true);
    let got = store.lock().unwrap();
    let weather = got
        .spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.name == "execute_tool get_weather")
        .expect("a get_weather span");
    let arguments = span_attr(weather, "gen_ai.tool.call.arguments").unwrap();
    assert!(
        arguments.contains("Boston") || arguments.contains("Miami"),
        "{arguments}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_collector_does_not_fail_the_run_and_warns_once() {
    let server = MockServer::builder().start().await.unwrap();
    // A port nothing listens on any more.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    for protocol in ["http/protobuf", "grpc"] {
        let out = run(
            &server,
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &dead),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ],
        )
        .await;
        assert!(out.status.success(), "{protocol}: {}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["metrics"]["tool_calls"], 4, "{protocol}: the run ran");
        let warnings = stderr(&out)
            .matches("warning: OpenTelemetry export failed")
            .count();
        assert_eq!(warnings, 1, "{protocol}: {}", stderr(&out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_flushes_the_spans_of_the_cancelled_run() {
    let home = tempfile::tempdir().unwrap();
    let scenario = home.path().join("sleepy.json");
    let turns = serde_json::json!([{
        "name": "sleepy",
        "prompt": SLEEPY,
        "turns": [
            { "tool_calls": [
                { "name": "sleep_tool", "input": { "ms": 120000 } },
                { "name": "sleep_tool", "input": { "ms": 120000 } }
            ] },
            { "text": "Rested." }
        ]
    }]);
    std::fs::write(&scenario, serde_json::to_vec(&turns).unwrap()).unwrap();
    let scenarios = bedrock_client::mock::load_scenarios(&scenario).unwrap();
    let server = MockServer::builder()
        .scenarios(scenarios)
        .start()
        .await
        .unwrap();
    let (url, store) = http_receiver().await;
    let child = common::agent_process_with_keys(home.path())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &url)
        .args(["run", "--json", "--region", "us-east-1", "--endpoint-url"])
        .arg(server.endpoint_url())
        .arg("--plugin")
        .arg(demo_plugin())
        .arg(SLEEPY)
        .current_dir(home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The model answered and the two sleeps started.
    while server.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));

    let got = store.lock().unwrap();
    let spans: Vec<&Span> = got.spans.iter().map(|(_, s)| s).collect();
    let agent = spans
        .iter()
        .find(|s| s.name == "invoke_agent")
        .unwrap_or_else(|| panic!("the agent span was flushed: {:?}", names(&spans)));
    assert_eq!(span_attr(agent, "error.type").unwrap(), "cancelled");
    let sleeps: Vec<&&Span> = spans
        .iter()
        .filter(|s| s.name == "execute_tool sleep_tool")
        .collect();
    assert_eq!(sleeps.len(), 2, "{:?}", names(&spans));
    for sleep in sleeps {
        assert_eq!(span_attr(sleep, "error.type").unwrap(), "cancelled");
    }
}
