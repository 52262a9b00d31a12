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
    match &settings.config_file {
        Some(p) => println!("config file: {}", p.display()),
        None => println!("config file: (none: ./agent.toml or ~/.config/agent/agent.toml)"),
    }
    let rows = settings.rows();
    let key_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let val_w = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for (key, value, source) in rows {
        println!("{key:<key_w$}  {value:<val_w$}  ({source})");
    }
    settings.validate().map_err(Failure::Usage)
}
