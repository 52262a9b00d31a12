//! CountTokens through the real AWS SDK to the local Converse server on
//! 127.0.0.1: the base model id is what crosses the wire, and the count
//! agrees with the usage the same server reports for the same request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use agent_core::{ModelBackend, ModelErrorKind};
use agent_testkit::reference;
use bedrock_client::mock::{MockServer, Outcome};
use common::{backend, backend_for, first_request};

#[tokio::test]
async fn counts_for_the_base_model_of_the_inference_profile() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    assert!(backend.model_id().starts_with("us.anthropic."));
    let request = first_request(reference::queries()[0].prompt.as_deref().unwrap());
    let counted = backend.count_tokens(&request).await.unwrap();
    let answered = backend.converse(&request).await.unwrap();
    assert!(counted > 0);
    assert_eq!(counted, answered.usage.input_tokens);
    let seen = server.requests();
    assert_eq!(
        seen[0].path,
        "/model/anthropic.claude-sonnet-4-20250514-v1%3A0/count-tokens"
    );
    assert_eq!(seen[0].model_id, "anthropic.claude-sonnet-4-20250514-v1:0");
    assert_eq!(
        seen[0].outcome,
        Outcome::Counted {
            input_tokens: counted
        }
    );
    // The SDK sent the conversation in CountTokens' envelope.
    let sent = &seen[0].body["input"]["converse"];
    assert_eq!(sent["messages"], seen[1].body["messages"]);
    assert_eq!(sent["toolConfig"], seen[1].body["toolConfig"]);
    assert!(sent.get("inferenceConfig").is_none());
}

#[tokio::test]
async fn the_service_refuses_a_profile_id_so_the_mapping_matters() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let converse = aws_sdk_bedrockruntime::types::ConverseTokensRequest::builder()
        .messages(
            aws_sdk_bedrockruntime::types::Message::builder()
                .role(aws_sdk_bedrockruntime::types::ConversationRole::User)
                .content(aws_sdk_bedrockruntime::types::ContentBlock::Text(
                    "hi".into(),
                ))
                .build()
                .unwrap(),
        )
        .build();
    let refused = backend
        .client()
        .count_tokens()
        .model_id(backend.model_id())
        .input(aws_sdk_bedrockruntime::types::CountTokensInput::Converse(
            converse,
        ))
        .send()
        .await;
    assert!(refused.is_err());
    assert!(matches!(
        server.requests()[0].outcome,
        Outcome::Rejected { status: 400, .. }
    ));
}

#[tokio::test]
async fn a_longer_conversation_counts_more_and_still_agrees_with_usage() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend_for(&server, "anthropic.claude-3-haiku-20240307-v1:0").await;
    let mut request = first_request(reference::queries()[1].prompt.as_deref().unwrap());
    let first = backend.count_tokens(&request).await.unwrap();
    let answer = backend.converse(&request).await.unwrap();
    request.messages.push(answer.message.clone());
    let results = answer
        .message
        .tool_uses()
        .map(|u| {
            agent_core::ContentBlock::ToolResult(agent_core::ToolResult::success(
                u.id.clone(),
                agent_core::ToolResultContent::Text("sunny, 21 °C".into()),
            ))
        })
        .collect();
    request.messages.push(agent_core::Message {
        role: agent_core::Role::User,
        content: results,
    });
    let second = backend.count_tokens(&request).await.unwrap();
    assert!(second > first, "{second} > {first}");
    assert_eq!(
        second,
        backend.converse(&request).await.unwrap().usage.input_tokens
    );
}

#[tokio::test]
async fn a_count_refused_is_a_model_error_with_its_kind() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend_for(&server, "anthropic-claude-9").await;
    let request = first_request("hello");
    let e = backend.count_tokens(&request).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::ModelNotFound, "{e}");
    assert!(e.request_id.is_some());
}
