//! The README's embedding example is the compiled one: the block in the
//! README is `crates/bedrock-client/examples/quickstart.rs` (which `cargo
//! test` builds) from its first `use` on, so it cannot drift from the API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn the_readme_embedding_example_is_the_compiled_example() {
    let readme = include_str!("../../../README.md");
    let example = include_str!("../../bedrock-client/examples/quickstart.rs");
    let code = &example[example.find("use agent_core::Agent;").unwrap()..];
    assert!(
        readme.contains(&format!("```rust,no_run\n{code}```")),
        "README.md's embedding example differs from {}",
        "crates/bedrock-client/examples/quickstart.rs"
    );
    // A handful of lines: the set-up is the backend and the tool.
    let setup = code
        .lines()
        .skip_while(|l| !l.contains("let agent"))
        .take_while(|l| !l.contains(".build()?"))
        .count();
    assert!(setup <= 4, "{setup} lines of set-up");
}
