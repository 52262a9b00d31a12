//! The local Converse server for the tests that run the binary (blocking
//! tests: the server needs a runtime of its own), and the flags that point
//! the binary at it.

use bedrock_client::mock::{MockServer, MockServerBuilder};
use tokio::runtime::Runtime;

/// Starts `builder`'s server on a new runtime; the server serves as long as
/// the runtime lives, so keep it to the end of the test.
pub fn start(builder: MockServerBuilder) -> (Runtime, MockServer) {
    let rt = Runtime::new().unwrap();
    let server = rt.block_on(builder.start()).unwrap();
    (rt, server)
}

/// `--region us-east-1 --endpoint-url URL`: the binary's Bedrock backend
/// against `server`.
pub fn endpoint_args(server: &MockServer) -> [String; 4] {
    [
        "--region".into(),
        "us-east-1".into(),
        "--endpoint-url".into(),
        server.endpoint_url(),
    ]
}
