//! The value types of settings that are not plain numbers or text: which
//! backend, an API key that never prints, and an on/off switch.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which model API the agent talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Claude on Amazon Bedrock, through the Converse API (AWS credentials).
    Bedrock,
    /// Claude through Anthropic's Messages API (`ANTHROPIC_API_KEY`).
    Anthropic,
    /// Any OpenAI Chat Completions server (`OPENAI_API_KEY` for OpenAI itself).
    Openai,
}

impl FromStr for BackendKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bedrock" => Ok(Self::Bedrock),
            "anthropic" => Ok(Self::Anthropic),
            "openai" => Ok(Self::Openai),
            _ => Err(()),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bedrock => "bedrock",
            Self::Anthropic => "anthropic",
            Self::Openai => "openai",
        })
    }
}

/// The variables a backend's own crate reads, which rank below the `AGENT_*`
/// ones and above the config file.
#[derive(Debug, Clone, Copy)]
pub struct OwnVariables {
    /// The API key's variable (`ANTHROPIC_API_KEY`).
    pub api_key: &'static str,
    /// The base URL's variable (`ANTHROPIC_BASE_URL`).
    pub base_url: &'static str,
    /// The model's variable (`ANTHROPIC_MODEL`).
    pub model: &'static str,
}

impl BackendKind {
    /// The variables its crate reads; Bedrock reads the AWS chain instead.
    pub fn own_variables(self) -> Option<OwnVariables> {
        match self {
            Self::Bedrock => None,
            Self::Anthropic => Some(OwnVariables {
                api_key: anthropic_client::API_KEY_ENV,
                base_url: anthropic_client::BASE_URL_ENV,
                model: anthropic_client::MODEL_ENV,
            }),
            Self::Openai => Some(OwnVariables {
                api_key: openai_client::API_KEY_ENV,
                base_url: openai_client::BASE_URL_ENV,
                model: openai_client::MODEL_ENV,
            }),
        }
    }

    /// The model it uses when none is set.
    pub fn default_model(self) -> &'static str {
        match self {
            Self::Bedrock => bedrock_client::DEFAULT_MODEL_ID,
            Self::Anthropic => anthropic_client::DEFAULT_MODEL,
            Self::Openai => openai_client::DEFAULT_MODEL,
        }
    }

    /// What `agent config` shows when no base URL is set: the one the
    /// backend will use.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::Bedrock => "(the region's Bedrock endpoint)",
            Self::Anthropic => anthropic_client::DEFAULT_BASE_URL,
            Self::Openai => openai_client::DEFAULT_BASE_URL,
        }
    }
}

/// An API key: never printed, logged or serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The key itself, for the backend's builder only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(set)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("(set)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl FromStr for Secret {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(Self(s.to_owned()))
    }
}

/// An on/off value from the environment: `true`/`false`, `1`/`0`,
/// `yes`/`no` or `on`/`off`, in any case.
pub fn switch(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}
