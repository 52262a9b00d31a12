//! `restate-lb LISTEN BACKEND...`: several `agent serve --restate`
//! endpoints behind one address, for trying the topology on one machine
//! (docs/SCALING.md). Not for production: use an L7 load balancer that
//! speaks HTTP/2 to its upstreams (envoy, nginx, a cloud load balancer).

use std::net::SocketAddr;
use std::process::ExitCode;

use restate_lb::Proxy;

const USAGE: &str = "usage: restate-lb LISTEN BACKEND... \
    (e.g. restate-lb 127.0.0.1:9080 http://127.0.0.1:9081 http://127.0.0.1:9082)";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let listen = match args.next().map(|a| a.parse::<SocketAddr>()) {
        Some(Ok(addr)) => addr,
        Some(Err(e)) => {
            eprintln!("error: LISTEN is not an address like 127.0.0.1:9080 ({e})\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let backends: Vec<String> = args.collect();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let proxy = match Proxy::start(listen, &backends).await {
            Ok(proxy) => proxy,
            Err(e) => {
                eprintln!("error: {e}\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        eprintln!(
            "restate-lb: listening on {} (HTTP/2 cleartext), each request to the next of {}; \
             register {} with Restate as the deployment; Ctrl-C stops",
            proxy.uri(),
            backends.join(", "),
            proxy.uri()
        );
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("restate-lb: requests per backend: {:?}", proxy.served());
        ExitCode::SUCCESS
    })
}
