//! `agent config`: the effective settings and where each came from.

use crate::cli::ConfigArgs;
use crate::config::{ProcessEnv, Settings};
use crate::exit::Failure;

/// Prints the settings table (or JSON with `--json`).
pub fn config(args: ConfigArgs) -> Result<(), Failure> {
    let settings = Settings::resolve(&args.agent, &ProcessEnv)?;
    if args.agent.json {
        return crate::json::print(&settings);
    }
    let mut out = match &settings.config_file {
        Some(p) => format!("config file: {}\n", p.display()),
        None => format!(
            "config file: (none: ./agent.toml or {})\n",
            crate::config::user_config_file()
                .map_or_else(|| "a user config dir".into(), |p| p.display().to_string())
        ),
    };
    let rows = settings.rows();
    let key_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let val_w = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for (key, value, source) in rows {
        out.push_str(&format!("{key:<key_w$}  {value:<val_w$}  ({source})\n"));
    }
    // A bad setting is the answer, not a table of values with an error
    // after it.
    settings.validate().map_err(Failure::Usage)?;
    crate::stdout::write(&out)
}
