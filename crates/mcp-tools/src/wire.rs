//! [`WatchedStdout`]: a stdio server's standard output as rmcp reads it,
//! watched for what rmcp drops without a word — a line that is not a
//! JSON-RPC message, or one longer than rmcp's line limit — so that a call
//! left without an answer can say why.
//!
//! The check is cheap on purpose (every byte of every answer passes here):
//! a line is suspect when its first non-blank byte is not `{` or `[`; a
//! line that starts like JSON but is broken is not caught here.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use rmcp::transport::async_rw::DEFAULT_MAX_LINE_LENGTH;
use tokio::io::{AsyncRead, ReadBuf};

/// How much of a bad line a message quotes.
const QUOTED: usize = 60;

/// The last thing a server wrote that was not a message, numbered (so a
/// call can tell one that came while it waited), shared with the
/// connection that reports it.
#[derive(Debug, Clone, Default)]
pub(crate) struct WireFaults(Arc<Mutex<(u64, Option<String>)>>);

impl WireFaults {
    fn record(&self, fault: String) {
        tracing::warn!(target: "mcp_tools::wire", "{fault}");
        let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *last = (last.0 + 1, Some(fault));
    }

    /// How many faults there have been, and the last one.
    pub(crate) fn last(&self) -> (u64, Option<String>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A reader passing every byte through while watching line by line.
pub(crate) struct WatchedStdout<R> {
    inner: R,
    faults: WireFaults,
    /// Bytes in the current line so far.
    length: usize,
    /// Its first bytes, for the message.
    head: Vec<u8>,
}

impl<R> WatchedStdout<R> {
    pub(crate) fn new(inner: R, faults: WireFaults) -> Self {
        Self {
            inner,
            faults,
            length: 0,
            head: Vec::with_capacity(QUOTED),
        }
    }

    /// Looks at bytes just read.
    fn scan(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let (part, rest, ended) = match bytes.iter().position(|b| *b == b'\n') {
                Some(at) => (&bytes[..at], &bytes[at + 1..], true),
                None => (bytes, &[][..], false),
            };
            self.length += part.len();
            let room = QUOTED.saturating_sub(self.head.len());
            self.head.extend_from_slice(&part[..part.len().min(room)]);
            if ended {
                self.line_ended();
            }
            bytes = rest;
        }
    }

    fn line_ended(&mut self) {
        if self.length > DEFAULT_MAX_LINE_LENGTH {
            self.faults.record(format!(
                "it sent a message of {} bytes, over the {} MiB limit; the message was dropped",
                self.length,
                DEFAULT_MAX_LINE_LENGTH / (1024 * 1024)
            ));
        } else if let Some(first) = self.head.iter().find(|b| !b.is_ascii_whitespace())
            && *first != b'{'
            && *first != b'['
        {
            self.faults.record(format!(
                "it wrote a line that is not JSON-RPC on its stdout: {:?}",
                String::from_utf8_lossy(&self.head)
            ));
        }
        self.length = 0;
        self.head.clear();
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for WatchedStdout<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let new = buf.filled()[before..].to_vec();
            self.scan(&new);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(chunks: &[&[u8]]) -> Option<String> {
        let faults = WireFaults::default();
        let mut w = WatchedStdout::new(tokio::io::empty(), faults.clone());
        for chunk in chunks {
            w.scan(chunk);
        }
        faults.last().1
    }

    #[test]
    fn messages_pass_and_other_lines_are_named() {
        assert_eq!(watch(&[b"{\"jsonrpc\":\"2.0\"}\n", b"  [1]\n\n"]), None);
        assert_eq!(
            watch(&[b"{\"a\":1}\nnot js", b"on {\n{}\n"]).as_deref(),
            Some("it wrote a line that is not JSON-RPC on its stdout: \"not json {\"")
        );
    }

    #[test]
    fn an_oversized_line_is_named_with_its_size() {
        let big = vec![b'x'; DEFAULT_MAX_LINE_LENGTH];
        let fault = watch(&[b"{", &big, b"}\n"]).unwrap();
        assert!(
            fault.starts_with(&format!(
                "it sent a message of {} bytes, over the 16 MiB limit",
                DEFAULT_MAX_LINE_LENGTH + 2
            )),
            "{fault}"
        );
    }
}
