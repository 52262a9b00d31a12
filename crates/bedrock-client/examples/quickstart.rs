//! The README's embedding example: an agent with one typed tool on Claude
//! through Amazon Bedrock. Run it with AWS credentials and Bedrock model
//! access: `cargo run -p bedrock-client --example quickstart`.

use agent_core::Agent;
use bedrock_client::BedrockBackend;
use schemars::JsonSchema;
use serde::Deserialize;
use tool_api::{ToolContext, ToolError, ToolOutput, tool_fn};

#[derive(Deserialize, JsonSchema)]
struct City {
    /// City name, e.g. "Paris".
    location: String,
}

async fn get_weather(city: City, _: ToolContext) -> Result<ToolOutput, ToolError> {
    Ok(ToolOutput::text(format!(
        "21 °C, sunny in {}",
        city.location
    )))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let weather = tool_fn("get_weather", "Current weather for a city.", get_weather)?;
    let agent = Agent::builder()
        .backend(BedrockBackend::from_env().await?)
        .tool(weather)
        .build()?;
    let run = agent.run("Weather in Paris and in Rome?").await?;
    println!("{}", run.answer);
    if let Some(x) = run.metrics.parallel_speedup() {
        println!("tools ran {x:.1}x faster than one at a time");
    }
    Ok(())
}
