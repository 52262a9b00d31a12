//! The output limit: a result larger than its tool's `max_output_bytes` is
//! cut, and the model is told it was and by how much, so one huge result
//! neither ends the run (a request the service refuses) nor crowds out the
//! conversation.

use tool_api::{OutputPart, ToolOutput};

/// A text or JSON output as its one part.
fn single(output: ToolOutput) -> OutputPart {
    match output {
        ToolOutput::Json(v) => OutputPart::Json(v),
        ToolOutput::Text(t) => OutputPart::Text(t),
        ToolOutput::Parts(mut parts) if parts.len() == 1 => parts.remove(0),
        ToolOutput::Parts(parts) => OutputPart::Text(
            parts
                .iter()
                .map(OutputPart::to_text)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    }
}

/// `output`, cut to at most `max` bytes of text (JSON is sent as its text
/// once cut) plus a note saying how much was left out; unchanged when it fits.
pub(crate) fn limit(output: ToolOutput, max: Option<usize>) -> ToolOutput {
    let Some(max) = max else {
        return output;
    };
    let text = match output {
        ToolOutput::Text(text) if text.len() > max => text,
        // Measured without writing it out: most results fit, and a copy
        // per call is a cost every call would pay.
        ToolOutput::Json(value) if json_len(&value) <= max => return ToolOutput::Json(value),
        ToolOutput::Json(value) => value.to_string(),
        // Each text or JSON part is held to the limit; images and
        // documents are held to the services' own size limits instead.
        ToolOutput::Parts(parts) => {
            return ToolOutput::Parts(
                parts
                    .into_iter()
                    .map(|part| match part {
                        OutputPart::Text(t) => single(limit(ToolOutput::Text(t), Some(max))),
                        OutputPart::Json(v) => single(limit(ToolOutput::Json(v), Some(max))),
                        media => media,
                    })
                    .collect(),
            );
        }
        fits => return fits,
    };
    let total = text.len();
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut kept = text;
    kept.truncate(cut);
    kept.push_str(&format!(
        "\n[output truncated: showing the first {cut} of {total} bytes; {} bytes were cut. Ask the tool for less (a narrower query, a page, a range) if you need the rest.]",
        total - cut
    ));
    ToolOutput::Text(kept)
}

/// The length of `value`'s compact JSON text, counted, not written.
fn json_len(value: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` to a sink that never fails cannot fail.
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_fits_is_untouched() {
        let out = ToolOutput::text("small");
        assert_eq!(limit(out.clone(), Some(5)), out);
        let json = ToolOutput::Json(serde_json::json!({"a": 1}));
        assert_eq!(limit(json.clone(), Some(100)), json);
        let big = ToolOutput::text("x".repeat(1000));
        assert_eq!(limit(big.clone(), None), big);
    }

    #[test]
    fn text_is_cut_on_a_char_boundary_and_says_how_much() {
        let out = limit(ToolOutput::text("é".repeat(10)), Some(5));
        let ToolOutput::Text(text) = out else {
            unreachable!("text stays text")
        };
        assert!(text.starts_with("éé\n[output truncated"), "{text}");
        assert!(
            text.contains("first 4 of 20 bytes; 16 bytes were cut"),
            "{text}"
        );
    }

    #[test]
    fn json_is_measured_as_its_text() {
        let value = serde_json::json!({"a": [1, "é", null], "b": {"c": 1.5}});
        assert_eq!(json_len(&value), value.to_string().len());
    }

    #[test]
    fn json_too_big_becomes_its_cut_text() {
        let value = serde_json::json!({"items": vec![1; 1000]});
        let ToolOutput::Text(text) = limit(ToolOutput::Json(value), Some(50)) else {
            unreachable!("cut JSON is text")
        };
        assert!(text.starts_with("{\"items\":[1,1,"), "{text}");
        assert!(text.contains("of 2011 bytes"), "{text}");
    }
}
