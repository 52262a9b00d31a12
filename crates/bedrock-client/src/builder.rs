//! [`BedrockBackendBuilder`]: configuration of a [`BedrockBackend`].

use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{
    Credentials, ProvideCredentials, Region, SharedCredentialsProvider,
    StalledStreamProtectionConfig, retry::RetryConfig, timeout::TimeoutConfig,
};
use aws_types::os_shim_internal::{Env, Fs};

use crate::{BedrockBackend, BedrockError, DEFAULT_MODEL_ID};

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default read timeout: the longest wait for a response, or, inside a
/// stream, for its next bytes.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a response stream may go without an event before it is cut and
/// the call retried: the SDK's stalled-stream protection does not cover
/// event streams, so without this a stream that stops sending would wait
/// forever. A model streams tokens (thinking included) far more often.
pub const DEFAULT_STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds a [`BedrockBackend`].
///
/// Unless told otherwise it reads the standard AWS chain with `aws-config`:
/// region and credentials from the environment, the shared profile files
/// (with SSO, `credential_process` and assume-role profiles), web identity,
/// the ECS container endpoint and EC2 instance metadata. Whatever the source,
/// the SDK's own retries are turned off: the agent retries (see
/// `docs/BEDROCK.md`).
///
/// ```no_run
/// use std::time::Duration;
/// use bedrock_client::BedrockBackend;
///
/// # async fn run() -> Result<(), bedrock_client::BedrockError> {
/// let backend = BedrockBackend::builder()
///     .region("us-west-2")
///     .profile("dev")
///     .model_id("us.anthropic.claude-sonnet-4-20250514-v1:0")
///     .read_timeout(Duration::from_secs(120))
///     .build()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BedrockBackendBuilder {
    region: Option<String>,
    profile: Option<String>,
    model_id: String,
    connect_timeout: Duration,
    read_timeout: Duration,
    stream_idle_timeout: Duration,
    endpoint_url: Option<String>,
    credentials: Option<SharedCredentialsProvider>,
    sdk_config: Option<SdkConfig>,
}

impl Default for BedrockBackendBuilder {
    fn default() -> Self {
        Self {
            region: None,
            profile: None,
            model_id: DEFAULT_MODEL_ID.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            stream_idle_timeout: DEFAULT_STREAM_IDLE_TIMEOUT,
            endpoint_url: None,
            credentials: None,
            sdk_config: None,
        }
    }
}

impl BedrockBackendBuilder {
    /// The AWS region (else from `AWS_REGION`, the profile, or IMDS).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The profile of the shared config files to read (else `AWS_PROFILE`,
    /// else `default`).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The model or inference-profile id (default [`DEFAULT_MODEL_ID`]).
    pub fn model_id(mut self, model_id: impl Into<String>) -> Self {
        self.model_id = model_id.into();
        self
    }

    /// How long to wait for a connection (default 60 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for a response to start, and inside a stream for its
    /// next bytes (default 300 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long a ConverseStream response may go without an event before it
    /// is cut as a retryable stream error (default
    /// [`DEFAULT_STREAM_IDLE_TIMEOUT`], 60 s). Zero is refused by `build`.
    pub fn stream_idle_timeout(mut self, timeout: Duration) -> Self {
        self.stream_idle_timeout = timeout;
        self
    }

    /// Sends requests to `url` instead of the regional endpoint: a VPC
    /// endpoint, or the local server (`http://127.0.0.1:PORT`).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Uses `provider` instead of the default credentials chain.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(SharedCredentialsProvider::new(provider));
        self
    }

    /// Uses fixed keys instead of the default credentials chain; handy with
    /// the local server, which checks that requests are signed, not by whom.
    pub fn static_credentials(
        self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials_provider(Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "bedrock-client-static",
        ))
    }

    /// Starts from an already loaded `SdkConfig` instead of reading the
    /// chain; this builder's region, endpoint, credentials and timeouts
    /// still apply on top (the profile only matters when loading), and
    /// retries are still turned off.
    pub fn sdk_config(mut self, config: SdkConfig) -> Self {
        self.sdk_config = Some(config);
        self
    }

    /// Loads the configuration and builds the backend. Credentials are
    /// resolved at the first call, so a missing one shows up there, as a
    /// `Credentials` [`agent_core::ModelError`].
    pub async fn build(self) -> Result<BedrockBackend, BedrockError> {
        if self.model_id.trim().is_empty() {
            return Err(BedrockError::EmptyModelId);
        }
        if let Some(region) = &self.region
            && !crate::error::is_region_name(region)
        {
            return Err(BedrockError::InvalidRegion {
                region: region.clone(),
            });
        }
        if self.stream_idle_timeout.is_zero() {
            return Err(BedrockError::ZeroStreamIdleTimeout);
        }
        if let Some(url) = &self.endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(BedrockError::InvalidEndpoint { url: url.clone() });
        }
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .build();
        // A stream that stalls longer than the read timeout is cut; the
        // SDK's default grace period (5 s) is too short for a model that
        // pauses.
        let stalled = StalledStreamProtectionConfig::enabled()
            .grace_period(self.read_timeout)
            .build();
        // An explicit profile wins over keys in the environment, as with the
        // AWS CLI's `--profile`: the default chain would try the
        // environment first.
        let mut credentials = self.credentials.clone();
        if let (Some(profile), None, None) = (&self.profile, &credentials, &self.sdk_config) {
            check_profile_exists(profile).await?;
            credentials = Some(SharedCredentialsProvider::new(
                ProfileFileCredentialsProvider::builder()
                    .profile_name(profile)
                    .build(),
            ));
        }
        let sdk_config = match self.sdk_config {
            Some(config) => config,
            None => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .retry_config(RetryConfig::disabled())
                    .timeout_config(timeouts.clone())
                    .stalled_stream_protection(stalled.clone());
                if let Some(region) = &self.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some(profile) = &self.profile {
                    loader = loader.profile_name(profile);
                }
                if let Some(credentials) = &credentials {
                    loader = loader.credentials_provider(credentials.clone());
                }
                loader.load().await
            }
        };
        let region = match self.region {
            Some(region) => Region::new(region),
            None => sdk_config.region().cloned().ok_or(BedrockError::NoRegion {
                profile: self.profile.clone(),
            })?,
        };
        if !crate::error::is_region_name(region.as_ref()) {
            return Err(BedrockError::InvalidRegion {
                region: region.as_ref().to_owned(),
            });
        }
        let mut config = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .stalled_stream_protection(stalled)
            .region(region);
        if let Some(url) = &self.endpoint_url {
            config = config.endpoint_url(url.clone());
        }
        if let Some(credentials) = credentials {
            config = config.credentials_provider(credentials);
        }
        Ok(BedrockBackend::from_parts(
            Client::from_conf(config.build()),
            self.model_id,
            self.profile,
            self.stream_idle_timeout,
            self.endpoint_url,
        ))
    }
}

/// The shared files the SDK reads, as a reader would look for them.
fn profile_file_paths() -> String {
    let path = |var: &str, default: &str| {
        std::env::var(var).unwrap_or_else(|_| format!("~/.aws/{default} (or {var})"))
    };
    format!(
        "{} and {}",
        path("AWS_CONFIG_FILE", "config"),
        path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
    )
}

/// Refuses a profile that neither shared file defines, naming where it
/// looked, instead of a generic "no credentials" at the first call.
async fn check_profile_exists(profile: &str) -> Result<(), BedrockError> {
    let set =
        aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
            .await
            .map_err(|e| BedrockError::ProfileFiles {
                looked_in: profile_file_paths(),
                reason: e.to_string(),
            })?;
    if set.get_profile(profile).is_none() {
        return Err(BedrockError::ProfileNotFound {
            profile: profile.to_owned(),
            looked_in: profile_file_paths(),
        });
    }
    Ok(())
}
