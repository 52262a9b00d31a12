//! Typed tools: write an input type deriving `JsonSchema + Deserialize` and an
//! async function; the adapter makes the spec and checks the input.

use std::future::Future;
use std::marker::PhantomData;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Scheduling, SpecError, Tool, ToolContext, ToolError, ToolOutput, ToolSpec};

/// A tool with a typed input. Wrap it in [`Typed`] to get a [`Tool`].
///
/// ```
/// use async_trait::async_trait;
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use tool_api::{Tool, ToolContext, ToolError, ToolOutput, Typed, TypedTool};
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Input {
///     /// City to look up, e.g. "Paris".
///     location: String,
/// }
///
/// struct Weather;
///
/// #[async_trait]
/// impl TypedTool for Weather {
///     type Input = Input;
///     fn name(&self) -> &str { "get_weather" }
///     fn description(&self) -> &str { "Current weather for a city." }
///     async fn run(&self, input: Input, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
///         Ok(ToolOutput::text(format!("sunny in {}", input.location)))
///     }
/// }
///
/// let tool = Typed::new(Weather).unwrap();
/// assert_eq!(tool.spec().input_schema["required"][0], "location");
/// ```
#[async_trait]
pub trait TypedTool: Send + Sync + 'static {
    /// The input; its `schemars` schema becomes the tool's input schema.
    type Input: JsonSchema + DeserializeOwned + Send + 'static;

    /// The tool's name (`^[a-zA-Z0-9_-]{1,64}$`).
    fn name(&self) -> &str;

    /// What the tool does, for the model.
    fn description(&self) -> &str;

    /// Runs the tool on input that has already passed deserialisation.
    async fn run(&self, input: Self::Input, ctx: ToolContext) -> Result<ToolOutput, ToolError>;
}

/// Adapts a [`TypedTool`] to [`Tool`]: builds the normalised spec once and
/// turns input that fails to deserialise into [`ToolError::InvalidInput`]
/// naming the field and the problem.
pub struct Typed<T> {
    tool: T,
    spec: ToolSpec,
    unit_input: bool,
}

impl<T: TypedTool> Typed<T> {
    /// Builds the spec from `T::Input`'s schema; fails on a bad name or a
    /// schema that is not an object.
    pub fn new(tool: T) -> Result<Self, SpecError> {
        let (spec, unit_input) = typed_spec::<T::Input>(tool.name(), tool.description())?;
        Ok(Self {
            tool,
            spec,
            unit_input,
        })
    }

    /// The wrapped tool.
    pub fn inner(&self) -> &T {
        &self.tool
    }

    /// This tool with its scheduling declared ([`ToolSpec::with_scheduling`]):
    /// the executor reads it from the spec, and `[tools.NAME]` settings
    /// override it field by field.
    ///
    /// ```
    /// # use async_trait::async_trait;
    /// # use schemars::JsonSchema;
    /// # use serde::Deserialize;
    /// # use tool_api::{Tool, ToolContext, ToolError, ToolOutput, Typed, TypedTool};
    /// use tool_api::Scheduling;
    /// # #[derive(Deserialize, JsonSchema)]
    /// # struct Input { location: String }
    /// # struct Weather;
    /// # #[async_trait]
    /// # impl TypedTool for Weather {
    /// #     type Input = Input;
    /// #     fn name(&self) -> &str { "get_weather" }
    /// #     fn description(&self) -> &str { "Current weather for a city." }
    /// #     async fn run(&self, _: Input, _: ToolContext) -> Result<ToolOutput, ToolError> {
    /// #         Ok(ToolOutput::text("sunny"))
    /// #     }
    /// # }
    /// // An API that takes 2 calls at once and answers the same for a minute.
    /// let tool = Typed::new(Weather).unwrap().with_scheduling(Scheduling {
    ///     idempotent: Some(true),
    ///     ..Scheduling::default().with_concurrency(2).with_cache_ttl(60.0)
    /// });
    /// assert_eq!(tool.spec().scheduling.concurrency, Some(2));
    /// ```
    pub fn with_scheduling(mut self, scheduling: Scheduling) -> Self {
        self.spec = self.spec.with_scheduling(scheduling);
        self
    }

    /// This tool declared non-idempotent ([`ToolSpec::non_idempotent`]): a
    /// call cut off by a crash is not run again on resume, never cached.
    pub fn non_idempotent(mut self) -> Self {
        self.spec = self.spec.non_idempotent();
        self
    }
}

#[async_trait]
impl<T: TypedTool> Tool for Typed<T> {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let input = parse_input::<T::Input>(&self.spec.name, input, self.unit_input)?;
        self.tool.run(input, ctx).await
    }
}

/// A tool from a name, a description and an async closure over a typed input.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use tool_api::{tool_fn, ToolOutput};
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Add { a: i64, b: i64 }
///
/// let add = tool_fn("add", "Adds two integers.", |input: Add, _ctx| async move {
///     Ok(ToolOutput::Json(serde_json::json!({ "sum": input.a + input.b })))
/// })
/// .unwrap();
/// ```
pub fn tool_fn<I, F, Fut>(
    name: impl Into<String>,
    description: impl Into<String>,
    f: F,
) -> Result<FnTool<I, F>, SpecError>
where
    I: JsonSchema + DeserializeOwned + Send + 'static,
    F: Fn(I, ToolContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ToolOutput, ToolError>> + Send + 'static,
{
    let (spec, unit_input) = typed_spec::<I>(&name.into(), &description.into())?;
    Ok(FnTool {
        f,
        spec,
        unit_input,
        _input: PhantomData,
    })
}

/// The [`Tool`] made by [`tool_fn`].
pub struct FnTool<I, F> {
    f: F,
    spec: ToolSpec,
    unit_input: bool,
    _input: PhantomData<fn() -> I>,
}

impl<I, F> FnTool<I, F> {
    /// This tool with its scheduling declared ([`ToolSpec::with_scheduling`]):
    /// the executor reads it from the spec, and `[tools.NAME]` settings
    /// override it field by field.
    ///
    /// ```
    /// use schemars::JsonSchema;
    /// use serde::Deserialize;
    /// use tool_api::{tool_fn, Scheduling, Tool, ToolOutput};
    ///
    /// #[derive(Deserialize, JsonSchema)]
    /// struct Write { path: String, text: String }
    ///
    /// // Writes to one file never overlap (keyed by the input's `/path`);
    /// // writes to different files run side by side.
    /// let write = tool_fn("write_file", "Writes a file.", |w: Write, _ctx| async move {
    ///     Ok(ToolOutput::text(format!("wrote {}", w.path)))
    /// })
    /// .unwrap()
    /// .with_scheduling(Scheduling::default().with_exclusive("file:/path"))
    /// .non_idempotent();
    /// assert_eq!(write.spec().scheduling.exclusive, ["file:/path"]);
    /// assert_eq!(write.spec().scheduling.idempotent, Some(false));
    /// ```
    pub fn with_scheduling(mut self, scheduling: Scheduling) -> Self {
        self.spec = self.spec.with_scheduling(scheduling);
        self
    }

    /// This tool declared non-idempotent ([`ToolSpec::non_idempotent`]): a
    /// call cut off by a crash is not run again on resume, never cached.
    pub fn non_idempotent(mut self) -> Self {
        self.spec = self.spec.non_idempotent();
        self
    }
}

#[async_trait]
impl<I, F, Fut> Tool for FnTool<I, F>
where
    I: JsonSchema + DeserializeOwned + Send + 'static,
    F: Fn(I, ToolContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ToolOutput, ToolError>> + Send + 'static,
{
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let input = parse_input::<I>(&self.spec.name, input, self.unit_input)?;
        (self.f)(input, ctx).await
    }
}

fn typed_spec<I: JsonSchema>(name: &str, description: &str) -> Result<(ToolSpec, bool), SpecError> {
    let raw = schemars::schema_for!(I).to_value();
    let unit_input = crate::schema::is_unit_schema(&raw);
    let spec = ToolSpec::new(name, description, raw).normalized()?;
    Ok((spec, unit_input))
}

/// Deserialises the model's input, naming the failing field in the error.
fn parse_input<I: DeserializeOwned>(
    tool: &str,
    input: Value,
    unit_input: bool,
) -> Result<I, ToolError> {
    // A unit input's schema is offered as the empty object, so accept `{}`.
    let input = if unit_input { Value::Null } else { input };
    serde_path_to_error::deserialize(input).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if path == "." || path.is_empty() {
            ToolError::invalid_input(format!(
                "input for `{tool}` does not match its schema: {inner}"
            ))
        } else {
            ToolError::invalid_input(format!(
                "input for `{tool}` does not match its schema: field `{path}`: {inner}"
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[allow(dead_code)]
    #[derive(Deserialize, JsonSchema)]
    struct Trip {
        origin: String,
        stops: Vec<Stop>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize, JsonSchema)]
    struct Stop {
        city: String,
        nights: u8,
    }

    fn trip() -> impl Tool {
        tool_fn("plan_trip", "Plans a trip.", |t: Trip, _ctx| async move {
            Ok(ToolOutput::text(format!("{} stops", t.stops.len())))
        })
        .unwrap()
    }

    #[tokio::test]
    async fn good_input_runs() {
        let out = trip()
            .call(
                json!({"origin": "Boston", "stops": [{"city": "Miami", "nights": 2}]}),
                ToolContext::new("c1"),
            )
            .await;
        assert_eq!(out, Ok(ToolOutput::text("1 stops")));
    }

    #[tokio::test]
    async fn bad_input_names_the_field_and_the_problem() {
        let err = trip()
            .call(
                json!({"origin": "Boston", "stops": [{"city": "Miami", "nights": "two"}]}),
                ToolContext::new("c1"),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "invalid_input");
        let msg = err.to_string();
        assert!(msg.contains("plan_trip"), "{msg}");
        assert!(msg.contains("stops[0].nights"), "{msg}");
        assert!(msg.contains("expected u8"), "{msg}");

        let err = trip()
            .call(json!({"stops": []}), ToolContext::new("c2"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("missing field `origin`"), "{err}");
    }

    #[tokio::test]
    async fn unit_input_accepts_the_empty_object() {
        let t = tool_fn("now", "Current time.", |(): (), _ctx| async {
            Ok(ToolOutput::text("noon"))
        })
        .unwrap();
        assert_eq!(
            t.spec().input_schema,
            json!({"type": "object", "properties": {}})
        );
        assert_eq!(
            t.call(json!({}), ToolContext::new("c")).await,
            Ok(ToolOutput::text("noon"))
        );
    }

    #[test]
    fn typed_and_fn_tools_declare_their_scheduling() {
        let t = tool_fn("plan_trip", "Plans a trip.", |_: Trip, _ctx| async {
            Ok(ToolOutput::text(""))
        })
        .unwrap()
        .with_scheduling(Scheduling::default().with_concurrency(2))
        .non_idempotent();
        assert_eq!(t.spec().scheduling.concurrency, Some(2));
        assert!(!t.spec().is_idempotent());
    }

    #[test]
    fn bad_names_are_refused() {
        let err = tool_fn("plan trip", "x", |_: Trip, _ctx| async {
            Ok(ToolOutput::text(""))
        })
        .err()
        .unwrap();
        assert!(matches!(err, SpecError::InvalidName { .. }));
    }
}
