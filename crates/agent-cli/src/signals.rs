//! The signals that stop a run early, all handled as Ctrl-C is: the calls
//! in flight are cancelled (each still answered, so the conversation stays
//! valid), the partial figures or the JSON document are printed, and the
//! process exits with 128 + the signal's number.
//!
//! - `SIGINT` (Ctrl-C): exit 130.
//! - `SIGTERM` (a service manager, `kill`, a container runtime stopping
//!   us): exit 143. Without a handler the process would die mid-call with
//!   nothing printed and its tools left running.
//! - `SIGHUP` (the terminal went away), listened to by `chat` only: exit 129.
//!
//! [`Signals`] listens for the whole command; each prompt gets a
//! [`Signals::token`] that the next signal not yet acknowledged cancels.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

/// A signal that stops a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `SIGINT`, Ctrl-C.
    Interrupt,
    /// `SIGTERM`.
    Terminate,
    /// `SIGHUP`.
    Hangup,
}

impl Signal {
    /// The exit code of a process this signal stopped: 128 + its number,
    /// as a shell reports a process it killed.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Interrupt => 130,
            Self::Terminate => 143,
            Self::Hangup => 129,
        }
    }

    /// Its name, as `kill -l` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
            Self::Hangup => "SIGHUP",
        }
    }
}

/// Listens for the stopping signals for as long as the command runs.
#[derive(Debug, Clone)]
pub struct Signals {
    /// The last signal received; every send wakes the waiters, even when
    /// it is the same signal again.
    rx: watch::Receiver<Option<Signal>>,
}

impl Signals {
    /// Starts listening for `SIGINT` and `SIGTERM`, and `SIGHUP` too when
    /// `hangup` is set. Must be called inside the tokio runtime; the
    /// handlers are in place when it returns. A signal whose handler
    /// cannot be installed keeps its default action (logged).
    pub fn listen(hangup: bool) -> Self {
        let (tx, rx) = watch::channel(None);
        let tx = Arc::new(tx);
        let mut kinds = vec![Signal::Interrupt];
        if cfg!(unix) {
            kinds.push(Signal::Terminate);
            if hangup {
                kinds.push(Signal::Hangup);
            }
        }
        for kind in kinds {
            let Some(mut listener) = Listener::install(kind) else {
                continue;
            };
            let tx = Arc::clone(&tx);
            tokio::spawn(async move {
                while listener.recv().await {
                    tx.send_replace(Some(kind));
                }
            });
        }
        Self { rx }
    }

    /// The last signal received, if any.
    pub fn received(&self) -> Option<Signal> {
        *self.rx.borrow()
    }

    /// A token that the next signal not yet [acknowledged](Self::acknowledge)
    /// cancels (at once, if one came already: a signal while the plugins
    /// loaded stops the run as it starts), and a guard that stops watching
    /// when dropped (at the end of the prompt).
    pub fn token(&self) -> (CancellationToken, DropGuard) {
        let token = CancellationToken::new();
        let done = CancellationToken::new();
        let mut rx = self.rx.clone();
        let (t, d) = (token.clone(), done.clone());
        tokio::spawn(async move {
            tokio::select! {
                changed = rx.changed() => if changed.is_ok() { t.cancel() },
                () = d.cancelled() => {}
            }
        });
        (token, done.drop_guard())
    }

    /// Waits for the next signal not yet acknowledged (at once if one
    /// came already).
    pub async fn next(&self) -> Signal {
        let mut rx = self.rx.clone();
        loop {
            if rx.changed().await.is_err() {
                // Every listener is gone: no signal will come.
                std::future::pending::<()>().await;
            }
            if let Some(signal) = *rx.borrow_and_update() {
                return signal;
            }
        }
    }

    /// Marks every signal so far as handled: later tokens and waits see
    /// only newer ones (`chat` at a terminal, after Ctrl-C cancelled a
    /// prompt, reads the next one).
    pub fn acknowledge(&mut self) {
        self.rx.borrow_and_update();
    }
}

/// One installed handler.
struct Listener {
    #[cfg(unix)]
    stream: tokio::signal::unix::Signal,
}

impl Listener {
    /// Installs the handler for `kind`; `None` (logged) when it cannot be.
    fn install(kind: Signal) -> Option<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let which = match kind {
                Signal::Interrupt => SignalKind::interrupt(),
                Signal::Terminate => SignalKind::terminate(),
                Signal::Hangup => SignalKind::hangup(),
            };
            match signal(which) {
                Ok(stream) => Some(Self { stream }),
                Err(e) => {
                    tracing::warn!("cannot listen for {}: {e}", kind.name());
                    None
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = kind;
            Some(Self {})
        }
    }

    /// The next signal; false when no more can come.
    async fn recv(&mut self) -> bool {
        #[cfg(unix)]
        {
            self.stream.recv().await.is_some()
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.is_ok()
        }
    }
}
