//! [`ToolRegistry`]: the set of tools offered to the model, by unique name.

use std::collections::HashMap;
use std::sync::Arc;

use crate::{RegistryError, Tool, ToolSpec};

/// A registered tool: the tool, its normalised spec, and where it came from.
#[derive(Clone)]
pub struct RegisteredTool {
    /// The tool itself.
    pub tool: Arc<dyn Tool>,
    /// Its spec, with the name checked and the schema normalised.
    pub spec: ToolSpec,
    /// Where it came from, for error messages: `built-in`, a plugin's path...
    pub source: String,
}

impl std::fmt::Debug for RegisteredTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredTool")
            .field("name", &self.spec.name)
            .field("source", &self.source)
            .finish()
    }
}

/// Tools by name, in registration order (which is the order of the
/// `toolConfig` sent to the model, kept stable for its prompt cache).
///
/// Registration checks the name, normalises the schema once, and refuses a
/// second tool with the same name, naming where both came from.
///
/// ```
/// use std::sync::Arc;
/// use tool_api::{tool_fn, ToolOutput, ToolRegistry};
///
/// let mut tools = ToolRegistry::new();
/// let now = tool_fn("now", "Current time.", |(): (), _| async { Ok(ToolOutput::text("noon")) }).unwrap();
/// tools.register(Arc::new(now), "built-in").unwrap();
/// assert_eq!(tools.names().collect::<Vec<_>>(), ["now"]);
/// ```
#[derive(Debug, Default, Clone)]
pub struct ToolRegistry {
    tools: Vec<RegisteredTool>,
    by_name: HashMap<String, usize>,
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `tool`, recording `source` (for error messages).
    pub fn register(
        &mut self,
        tool: Arc<dyn Tool>,
        source: impl Into<String>,
    ) -> Result<(), RegistryError> {
        let source = source.into();
        let spec = tool
            .spec()
            .clone()
            .normalized()
            .map_err(|e| RegistryError::Spec {
                source: e,
                origin: source.clone(),
            })?;
        if let Some(&i) = self.by_name.get(&spec.name) {
            return Err(RegistryError::Duplicate {
                name: spec.name,
                first: self.tools[i].source.clone(),
                second: source,
            });
        }
        self.by_name.insert(spec.name.clone(), self.tools.len());
        self.tools.push(RegisteredTool { tool, spec, source });
        Ok(())
    }

    /// Adds every tool of `tools`, all from `source`; stops at the first error.
    pub fn register_all(
        &mut self,
        tools: impl IntoIterator<Item = Arc<dyn Tool>>,
        source: &str,
    ) -> Result<(), RegistryError> {
        tools.into_iter().try_for_each(|t| self.register(t, source))
    }

    /// The tool named `name`.
    pub fn get(&self, name: &str) -> Option<&RegisteredTool> {
        self.by_name.get(name).map(|&i| &self.tools[i])
    }

    /// Every tool, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &RegisteredTool> {
        self.tools.iter()
    }

    /// The normalised specs, in registration order.
    pub fn specs(&self) -> impl Iterator<Item = &ToolSpec> {
        self.tools.iter().map(|t| &t.spec)
    }

    /// The names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(|t| t.spec.name.as_str())
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::{ToolContext, ToolError, ToolOutput};

    struct Raw(ToolSpec);

    #[async_trait::async_trait]
    impl Tool for Raw {
        fn spec(&self) -> &ToolSpec {
            &self.0
        }
        async fn call(&self, _: Value, _: ToolContext) -> Result<ToolOutput, ToolError> {
            Ok(ToolOutput::text("ok"))
        }
    }

    fn raw(name: &str, schema: Value) -> Arc<dyn Tool> {
        Arc::new(Raw(ToolSpec::new(name, "d", schema)))
    }

    #[test]
    fn duplicates_name_both_sources() {
        let mut r = ToolRegistry::new();
        r.register(raw("a", json!({"type": "object"})), "plugin one.so")
            .unwrap();
        let err = r
            .register(raw("a", json!({"type": "object"})), "plugin two.so")
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("one.so") && msg.contains("two.so") && msg.contains("`a`"),
            "{msg}"
        );
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn specs_are_normalised_at_registration() {
        let mut r = ToolRegistry::new();
        r.register(
            raw("a", json!({"$schema": "x", "title": "A", "type": "object"})),
            "s",
        )
        .unwrap();
        assert_eq!(
            r.get("a").unwrap().spec.input_schema,
            json!({"type": "object", "properties": {}})
        );
        let err = r
            .register(raw("b", json!({"type": "string"})), "lib.so")
            .unwrap_err();
        assert!(err.to_string().contains("lib.so"), "{err}");
        let err = r
            .register(raw("bad name", json!({"type": "object"})), "lib.so")
            .unwrap_err();
        assert!(err.to_string().contains("bad name"), "{err}");
    }

    #[test]
    fn keeps_registration_order() {
        let mut r = ToolRegistry::new();
        for n in ["z", "a", "m"] {
            r.register(raw(n, json!({"type": "object"})), "s").unwrap();
        }
        assert_eq!(r.names().collect::<Vec<_>>(), ["z", "a", "m"]);
    }
}
