//! `agent mock-server`: a local server of a model API's wire protocol
//! (Converse by default; the Anthropic Messages API or OpenAI Chat
//! Completions on request), for any SDK or tool to point at.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use agent_testkit::Scenario;

use crate::cli::MockServerArgs;
use agent_cli::exit::Failure;
use agent_cli::settings::BackendKind;

/// Serves until Ctrl-C. The first line on stdout names the address.
pub async fn mock_server(args: MockServerArgs) -> Result<(), Failure> {
    for (flag, value) in [
        ("--throttle-every", args.throttle_every),
        ("--server-error-every", args.server_error_every),
        ("--cut-every", args.cut_every),
    ] {
        if value == Some(0) {
            return Err(Failure::Usage(format!("{flag} must be at least 1")));
        }
    }
    let latency = Duration::from_millis(args.latency_ms);
    let extra = args.scenario.as_deref().map(load).transpose()?;
    let cannot_start = |e: &dyn std::fmt::Display| {
        Failure::Usage(format!("cannot serve on 127.0.0.1:{}: {e}", args.port))
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let (url, stop): (String, Box<dyn FnOnce() -> futures_stop::Stop + Send>) = match args.protocol
    {
        BackendKind::Bedrock => {
            let mut b = bedrock_client::mock::MockServer::builder()
                .port(args.port)
                .latency(latency);
            if let Some(n) = args.throttle_every {
                b = b.throttle_every(n);
            }
            if let Some(n) = args.server_error_every {
                b = b.server_error_every(n);
            }
            if let Some(n) = args.cut_every {
                b = b.stream_cut_every(n);
            }
            if let Some(s) = extra {
                b = b.scenarios(s);
            }
            let server = b.start().await.map_err(|e| cannot_start(&e))?;
            (
                server.endpoint_url(),
                Box::new(move || Box::pin(server.shutdown())),
            )
        }
        BackendKind::Anthropic => {
            let mut b = anthropic_client::mock::MockServer::builder()
                .bind(addr)
                .latency(latency);
            if let Some(n) = args.throttle_every {
                b = b.throttle_every(n);
            }
            if let Some(n) = args.server_error_every {
                b = b.fault_every(n, anthropic_client::mock::Fault::ServerError);
            }
            if let Some(n) = args.cut_every {
                b = b.fault_every(n, anthropic_client::mock::Fault::CutStream);
            }
            if let Some(s) = extra {
                b = b.scenarios(s);
            }
            let server = b.start().await.map_err(|e| cannot_start(&e))?;
            (
                server.base_url(),
                Box::new(move || Box::pin(server.shutdown())),
            )
        }
        BackendKind::Openai => {
            let mut b = openai_client::mock::MockServer::builder()
                .bind(addr)
                .latency(latency);
            if let Some(n) = args.throttle_every {
                b = b.throttle_every(n);
            }
            if let Some(n) = args.server_error_every {
                b = b.fault_every(n, openai_client::mock::Fault::ServerError);
            }
            if let Some(n) = args.cut_every {
                b = b.fault_every(n, openai_client::mock::Fault::CutStream);
            }
            if let Some(s) = extra {
                b = b.scenarios(s);
            }
            let server = b.start().await.map_err(|e| cannot_start(&e))?;
            (
                server.base_url(),
                Box::new(move || Box::pin(server.shutdown())),
            )
        }
    };
    // Scripts read this line and may close the pipe (`| head -1`): the
    // server goes on serving either way.
    let _ = agent_cli::stdout::line(format!("listening on {url}"));
    eprintln!("{}", hint(args.protocol, &url));
    eprintln!("Ctrl-C stops the server");
    let _ = tokio::signal::ctrl_c().await;
    stop().await;
    Ok(())
}

/// How to point `agent run` at the server, as a command that works when
/// pasted: throwaway credentials (the server checks that there are some,
/// not whose), and the demo plugin, whose tools the reference scenarios
/// call (without tools the server refuses the request, saying so).
fn hint(protocol: BackendKind, url: &str) -> String {
    let (keys, target) = match protocol {
        BackendKind::Bedrock => (
            "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x ",
            format!("--region us-east-1 --endpoint-url {url}"),
        ),
        BackendKind::Anthropic => (
            "ANTHROPIC_API_KEY=x ",
            format!("--backend anthropic --base-url {url}"),
        ),
        BackendKind::Openai => ("", format!("--backend openai --base-url {url}")),
    };
    let (plugin, build) = match agent_cli::plugins::find_demo_plugin() {
        Some(path) => (path.display().to_string(), String::new()),
        None => (
            format!("target/release/{}", agent_cli::plugins::demo_file_name()),
            "\n(build the demo plugin first: `cargo build --release -p demo-tools` in the \
             source tree; or run the demo tools built into agent: `agent demo --backend ...`)"
                .to_owned(),
        ),
    };
    format!(
        "point a client at it, e.g. {keys}agent run {target} --plugin {plugin} \
         \"What's the weather in New York and the stock price of AAPL?\"{build}"
    )
}

/// Scenarios from a JSON file (the format of `agent_testkit::Scenario`).
fn load(path: &Path) -> Result<Vec<Scenario>, Failure> {
    bedrock_client::mock::load_scenarios(path).map_err(|e| Failure::Usage(e.to_string()))
}

mod futures_stop {
    /// A server's shutdown, boxed so the three kinds share one type.
    pub type Stop = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
}
