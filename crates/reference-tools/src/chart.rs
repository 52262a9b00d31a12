//! `render_chart`: a bar chart of the given values as a small PNG image,
//! with a caption: the reference tool for rich tool output (text and an
//! image in one result).

use schemars::JsonSchema;
use serde::Deserialize;
use tool_api::{OutputPart, ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

/// Most bars drawn.
const MAX_BARS: usize = 64;
/// Each bar's width and the chart's height, in pixels.
const BAR: u32 = 4;
const HEIGHT: u32 = 32;

/// The input of `render_chart`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// The bars' values, left to right (1 to 64 of them).
    pub values: Vec<u32>,
}

/// Draws a bar chart.
pub(crate) struct RenderChart;

#[async_trait]
impl TypedTool for RenderChart {
    type Input = Input;

    fn name(&self) -> &str {
        "render_chart"
    }

    fn description(&self) -> &str {
        "Draws a bar chart of the given values and returns it as a PNG image with a caption."
    }

    async fn run(&self, input: Input, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        if input.values.is_empty() || input.values.len() > MAX_BARS {
            return Err(ToolError::invalid_input(format!(
                "`values` holds {} values; give 1 to {MAX_BARS}",
                input.values.len()
            )));
        }
        let png = draw(&input.values);
        let image =
            tool_api::Image::from_bytes(png).map_err(|e| ToolError::fatal(e.to_string()))?;
        Ok(ToolOutput::parts([
            OutputPart::Text(format!(
                "A bar chart of {} values (largest {}).",
                input.values.len(),
                input.values.iter().max().copied().unwrap_or_default()
            )),
            OutputPart::Image(image),
        ]))
    }
}

/// The chart's PNG: black bars on white, scaled to the largest value.
pub(crate) fn draw(values: &[u32]) -> Vec<u8> {
    let width = BAR * values.len() as u32;
    let max = values.iter().max().copied().unwrap_or(0).max(1);
    let mut pixels = vec![255u8; (width * HEIGHT) as usize];
    for (i, &v) in values.iter().enumerate() {
        let bar = (u64::from(v) * u64::from(HEIGHT) / u64::from(max)) as u32;
        for y in HEIGHT - bar..HEIGHT {
            for x in 0..BAR - 1 {
                pixels[(y * width + i as u32 * BAR + x) as usize] = 0;
            }
        }
    }
    crate::png::grayscale(width, HEIGHT, &pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_a_caption_and_a_png() {
        let out = RenderChart
            .run(
                Input {
                    values: vec![3, 1, 2],
                },
                ToolContext::new("c"),
            )
            .await
            .unwrap();
        let ToolOutput::Parts(parts) = out else {
            panic!("not parts")
        };
        assert_eq!(
            parts[0],
            OutputPart::Text("A bar chart of 3 values (largest 3).".into())
        );
        let OutputPart::Image(image) = &parts[1] else {
            panic!("not an image")
        };
        assert_eq!(image.format, tool_api::ImageFormat::Png);
        assert_eq!(
            image.source.bytes().unwrap().as_bytes(),
            &draw(&[3, 1, 2])[..]
        );
    }
}
