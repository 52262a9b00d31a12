//! [`DurableAgent`]: the Restate virtual object `Agent`, keyed by session id.

use std::sync::Arc;

use agent_core::{Agent, Message};
use restate_sdk::prelude::*;
use serde_json::Value;

use crate::RunReport;
use crate::turn::{Step, Turn};

/// The object's state key holding the conversation (every finished turn).
const MESSAGES: &str = "messages";

/// The agent served as the Restate virtual object `Agent`: one instance per
/// session id (the object key), its turns in order, its conversation in the
/// object's state. Cheap to clone: the agent is shared.
#[derive(Clone)]
pub struct DurableAgent {
    agent: Arc<Agent>,
    report: Arc<dyn RunReport>,
}

impl DurableAgent {
    /// Serves `agent`; `report` makes the document `send` answers.
    pub fn new(agent: Arc<Agent>, report: Arc<dyn RunReport>) -> Self {
        Self { agent, report }
    }

    /// The service the endpoint binds.
    pub(crate) fn into_service(self) -> AgentObject {
        AgentObject(self)
    }
}

/// The Restate service: the object's name and handlers are the API a
/// caller of the ingress sees (`/Agent/<session>/send`).
pub(crate) struct AgentObject(DurableAgent);

#[allow(missing_docs)]
#[restate_sdk::object(name = "Agent")]
impl AgentObject {
    /// One turn: the prompt in, the run's document out.
    #[handler]
    async fn send(
        &self,
        ctx: ObjectContext<'_>,
        prompt: Json<String>,
    ) -> HandlerResult<Json<Value>> {
        let history = ctx
            .get::<Json<Vec<Message>>>(MESSAGES)
            .await?
            .map(Json::into_inner)
            .unwrap_or_default();
        let turn = Turn::new(
            Arc::clone(&self.0.agent),
            Arc::clone(&self.0.report),
            history,
            prompt.into_inner(),
        );
        // One journaled step at a time, always in this order: on replay
        // the same steps come back from the journal, in the same order,
        // whatever order the run produced their entries in.
        let mut number = 0u64;
        loop {
            number += 1;
            let live = turn.clone();
            let Json(step) = ctx
                .run(|| async move { live.next_step().await.map(Json) })
                .name(format!("step {number}"))
                .await?;
            match step {
                Step::Entries { entries } => {
                    tracing::debug!(step = number, entries = entries.len(), "step journaled");
                    turn.journaled(entries).await
                }
                Step::Done { document, messages } => {
                    ctx.set(MESSAGES, Json(messages));
                    return Ok(Json(document));
                }
            }
        }
    }

    /// The conversation as of the last finished turn (shared: readable
    /// while a turn runs).
    #[handler]
    async fn conversation(
        &self,
        ctx: SharedObjectContext<'_>,
    ) -> HandlerResult<Json<Vec<Message>>> {
        Ok(Json(
            ctx.get::<Json<Vec<Message>>>(MESSAGES)
                .await?
                .map(Json::into_inner)
                .unwrap_or_default(),
        ))
    }
}
