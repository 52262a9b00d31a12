//! [`TokenEstimator`]: tokens of a message without asking the service,
//! calibrated by what the service reported.

use crate::Message;

/// Estimates tokens as a quarter of a message's JSON length, scaled by how
/// far that rule was off the last time the service reported a count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenEstimator {
    /// Reported tokens per estimated token.
    ratio: f64,
}

impl Default for TokenEstimator {
    /// Uncalibrated: the raw quarter-of-the-bytes rule.
    fn default() -> Self {
        Self { ratio: 1.0 }
    }
}

impl TokenEstimator {
    /// The uncalibrated estimate of `text`: a token per 4 bytes.
    pub fn raw_text(text: &str) -> u64 {
        (text.len() as u64).div_ceil(4)
    }

    /// The uncalibrated estimate of `message` (its JSON).
    pub fn raw(message: &Message) -> u64 {
        Self::raw_text(&serde_json::to_string(message).unwrap_or_default())
    }

    /// The uncalibrated estimate of `messages`.
    pub fn raw_all(messages: &[Message]) -> u64 {
        messages.iter().map(Self::raw).sum()
    }

    /// Learns from a count: `raw` estimated tokens were `reported` by the
    /// service. A zero on either side teaches nothing.
    pub fn calibrate(&mut self, raw: u64, reported: u64) {
        if raw > 0 && reported > 0 {
            self.ratio = reported as f64 / raw as f64;
        }
    }

    /// `raw` estimated tokens, calibrated.
    pub fn scale(&self, raw: u64) -> u64 {
        (raw as f64 * self.ratio).ceil() as u64
    }

    /// The calibrated estimate of `message`.
    pub fn message(&self, message: &Message) -> u64 {
        self.scale(Self::raw(message))
    }

    /// The calibrated estimate of `messages`.
    pub fn messages(&self, messages: &[Message]) -> u64 {
        self.scale(Self::raw_all(messages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_scales_the_raw_rule() {
        let m = Message::user("x".repeat(400));
        let raw = TokenEstimator::raw(&m);
        let mut e = TokenEstimator::default();
        assert_eq!(e.message(&m), raw);
        e.calibrate(raw, raw / 2);
        assert!(e.message(&m) <= raw / 2 + 1, "{}", e.message(&m));
        e.calibrate(0, 10);
        assert!(e.message(&m) <= raw / 2 + 1);
    }
}
