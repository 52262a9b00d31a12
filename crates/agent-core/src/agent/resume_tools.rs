//! The tools a resumed run needs before it may start: the tools of the
//! interrupted batch's calls that will run again, and, for a conversation
//! that holds tool calls, tools at all (Bedrock refuses a request with
//! `toolUse`/`toolResult` blocks and no `toolConfig`). Checked before
//! anything runs or is journaled, so a resume without the interrupted
//! run's tool sources can be retried with them.

use super::Agent;
use crate::session::Pending;
use crate::{ContentBlock, Message};

impl Agent {
    /// The tools, by name and in first-use order, that continuing
    /// `messages` from `pending` needs and this agent does not have; empty
    /// when it may go ahead.
    ///
    /// - Of an interrupted batch ([`Pending::Batch`]), each call that has no
    ///   journaled result and would run again (its tool is not declared
    ///   non-idempotent) needs its tool.
    /// - A conversation that holds tool calls or results needs the agent to
    ///   offer tools at all: then, without any, every tool it used is named.
    pub fn missing_tools(&self, messages: &[Message], pending: &Pending) -> Vec<String> {
        let mut missing: Vec<String> = Vec::new();
        let mut add = |name: &str| {
            if !missing.iter().any(|m| m == name) {
                missing.push(name.to_owned());
            }
        };
        if let Pending::Batch { calls, finished } = pending {
            for call in calls {
                let done = finished.iter().any(|r| r.tool_use_id == call.id);
                if !done && self.is_idempotent(&call.name) && self.tools.get(&call.name).is_none() {
                    add(&call.name);
                }
            }
        }
        if self.tools.is_empty() {
            let used = messages
                .iter()
                .flat_map(|m| &m.content)
                .any(|b| matches!(b, ContentBlock::ToolUse(_) | ContentBlock::ToolResult(_)));
            if used {
                for message in messages {
                    for call in message.tool_uses() {
                        add(&call.name);
                    }
                }
            }
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, ToolResult, ToolUse};

    fn asks(names: &[&str]) -> (Message, Vec<ToolUse>) {
        let calls: Vec<ToolUse> = names
            .iter()
            .enumerate()
            .map(|(i, n)| ToolUse {
                id: format!("c{i}"),
                name: (*n).into(),
                input: serde_json::json!({}),
            })
            .collect();
        let message = Message {
            role: Role::Assistant,
            content: calls.iter().cloned().map(ContentBlock::ToolUse).collect(),
        };
        (message, calls)
    }

    /// Never asked: the check runs before any model call.
    struct Unused;

    #[async_trait::async_trait]
    impl crate::ModelBackend for Unused {
        fn name(&self) -> &str {
            "unused"
        }
        async fn converse(
            &self,
            _: &crate::ModelRequest,
        ) -> Result<crate::ModelResponse, crate::ModelError> {
            unreachable!("the check makes no model call")
        }
    }

    fn agent(tools: tool_api::ToolRegistry, non_idempotent: &[&str]) -> Agent {
        let mut builder = Agent::builder().backend(Unused).tools(tools);
        for name in non_idempotent {
            builder = builder.non_idempotent(*name);
        }
        builder.build().unwrap()
    }

    #[test]
    fn the_calls_to_run_again_need_their_tools() {
        let (message, calls) = asks(&["get_weather", "get_weather", "fetch", "charge"]);
        let messages = vec![Message::user("go"), message];
        let pending = Pending::Batch {
            calls,
            // `fetch` finished: replayed, its tool not needed.
            finished: vec![ToolResult::error("c2", "x")],
        };
        // `charge` is not run again (non-idempotent): not needed either.
        let bare = agent(tool_api::ToolRegistry::new(), &["charge"]);
        assert_eq!(
            bare.missing_tools(&messages, &pending),
            ["get_weather", "fetch", "charge"],
            "without any tools, every tool the conversation used is named"
        );
        let mut other = tool_api::ToolRegistry::new();
        let tool = tool_api::tool_fn("other", "A tool.", |(): (), _| async {
            Ok(tool_api::ToolOutput::text("ok"))
        })
        .unwrap();
        other.register(std::sync::Arc::new(tool), "test").unwrap();
        let some = agent(other, &["charge"]);
        assert_eq!(some.missing_tools(&messages, &pending), ["get_weather"]);
        assert!(
            some.missing_tools(&messages, &Pending::Nothing).is_empty(),
            "with tools, a finished conversation needs no particular one"
        );
    }
}
