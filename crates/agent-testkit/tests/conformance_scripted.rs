//! The backend conformance suite against the scripted backend: the
//! in-process model every other backend's local server imitates.

use std::sync::Arc;

use agent_testkit::ScriptedBackend;
use agent_testkit::conformance::{BoxError, Harness, Setup, Target};
use async_trait::async_trait;

struct Scripted;

#[async_trait]
impl Harness for Scripted {
    async fn start(&self, setup: Setup) -> Result<Target, BoxError> {
        let faults = setup.faults.iter().map(|f| f.to_model_error());
        let backend = Arc::new(ScriptedBackend::new(setup.scenarios).with_faults(faults));
        let seen = backend.clone();
        Ok(Target::new(backend, move || seen.requests()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scripted_backend_passes_the_conformance_suite() {
    let report = agent_testkit::conformance::run(&Scripted).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
}

/// A broken backend: it sends tool results in reverse order and reports
/// every error as `Other`. The suite must catch both.
struct Broken(Arc<ScriptedBackend>);

#[async_trait]
impl agent_core::ModelBackend for Broken {
    fn name(&self) -> &str {
        "broken"
    }

    async fn converse(
        &self,
        request: &agent_core::ModelRequest,
    ) -> Result<agent_core::ModelResponse, agent_core::ModelError> {
        let mut request = request.clone();
        if let Some(last) = request.messages.last_mut() {
            last.content.reverse();
        }
        self.0
            .converse(&request)
            .await
            .map_err(|e| agent_core::ModelError::new(agent_core::ModelErrorKind::Other, e.message))
    }
}

struct BrokenHarness;

#[async_trait]
impl Harness for BrokenHarness {
    async fn start(&self, setup: Setup) -> Result<Target, BoxError> {
        let faults = setup.faults.iter().map(|f| f.to_model_error());
        let inner = Arc::new(ScriptedBackend::new(setup.scenarios).with_faults(faults));
        let seen = inner.clone();
        Ok(Target::new(Arc::new(Broken(inner)), move || {
            seen.requests()
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_catches_reordered_results_and_misclassified_errors() {
    use agent_testkit::conformance::Case;
    let cases = [
        Case::UnknownTool,
        Case::ThrottledThenSuccess,
        Case::NonRetryableError,
        Case::Chain,
    ];
    let report = agent_testkit::conformance::run_cases(&BrokenHarness, &cases).await;
    let failed: Vec<Case> = report.failures().map(|r| r.case).collect();
    assert_eq!(
        failed,
        [
            Case::UnknownTool,
            Case::ThrottledThenSuccess,
            Case::NonRetryableError
        ],
        "{report}"
    );
    let text = report.to_string();
    assert!(text.contains("results answer"), "{text}");
    assert!(text.contains("1 passed, 3 failed"), "{text}");
}
