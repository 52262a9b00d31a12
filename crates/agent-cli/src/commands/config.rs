//! `agent config`: the effective settings and where each came from.

use crate::cli::ConfigArgs;
use agent_cli::exit::Failure;
use agent_cli::settings::{ProcessEnv, Settings};

/// Prints the settings table (or JSON with `--json`).
pub fn config(args: ConfigArgs) -> Result<(), Failure> {
    let settings = Settings::resolve(&args.agent.overrides(), &ProcessEnv)?;
    if args.agent.json {
        return agent_cli::json::print(&settings);
    }
    let mut out = match &settings.config_file {
        Some(p) => format!("config file: {}\n", p.display()),
        None => format!(
            "config file: (none: ./agent.toml or {})\n",
            agent_cli::settings::user_config_file()
                .map_or_else(|| "a user config dir".into(), |p| p.display().to_string())
        ),
    };
    let rows = settings.entries();
    let key_w = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    let val_w = rows
        .iter()
        .map(|r| r.value.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for row in rows {
        let (key, value, source) = (row.key, row.value, row.source);
        out.push_str(&format!("{key:<key_w$}  {value:<val_w$}  ({source})\n"));
    }
    // A bad setting is the answer, not a table of values with an error
    // after it.
    settings.validate().map_err(Failure::Usage)?;
    agent_cli::stdout::write(&out)
}
