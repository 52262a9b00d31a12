//! `agent mock-server`: the local Converse-compatible endpoint, for any AWS
//! SDK or tool to point at.

use std::io::Write;
use std::time::Duration;

use bedrock_client::mock::MockServer;

use crate::cli::MockServerArgs;
use crate::exit::Failure;

/// Serves until Ctrl-C. The first line on stdout is the endpoint URL.
pub async fn mock_server(args: MockServerArgs) -> Result<(), Failure> {
    let mut builder = MockServer::builder()
        .port(args.port)
        .latency(Duration::from_millis(args.latency_ms));
    if let Some(n) = args.throttle_every {
        if n == 0 {
            return Err(Failure::Usage("--throttle-every must be at least 1".into()));
        }
        builder = builder.throttle_every(n);
    }
    if let Some(path) = &args.scenario {
        let scenarios = bedrock_client::mock::load_scenarios(path)
            .map_err(|e| Failure::Usage(e.to_string()))?;
        builder = builder.scenarios(scenarios);
    }
    let server = builder.start().await.map_err(|e| {
        Failure::Usage(format!(
            "cannot start the server on 127.0.0.1:{}: {e}",
            args.port
        ))
    })?;
    println!("listening on {}", server.endpoint_url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "point any AWS SDK at it, e.g.: agent run --endpoint-url {} \"What's the weather in New York and the stock price of AAPL?\"",
        server.endpoint_url()
    );
    eprintln!("Ctrl-C stops the server");
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    Ok(())
}
