//! `agent config`: the effective settings and where each came from; `agent
//! config init`: a commented `agent.toml` to start from.

use std::io::Write;

use crate::cli::{ConfigAction, ConfigArgs, ConfigInitArgs};
use agent_cli::exit::Failure;
use agent_cli::settings::{ProcessEnv, Settings};

/// Prints the settings table (or JSON with `--json`).
pub fn config(args: ConfigArgs) -> Result<(), Failure> {
    if let Some(ConfigAction::Init(init_args)) = args.action {
        return init(init_args);
    }
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

/// Writes the commented template; an existing file is kept unless `--force`.
fn init(args: ConfigInitArgs) -> Result<(), Failure> {
    let text = agent_cli::settings::template::config_file()?;
    if args.path.as_os_str() == "-" {
        return agent_cli::stdout::write(&text);
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let written = options
        .open(&args.path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    match written {
        Ok(()) => {
            eprintln!(
                "wrote {}: every setting is commented out at its default; uncomment what you \
                 change (`agent config` shows the effective values)",
                args.path.display()
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Failure::Usage(format!(
            "{} exists; pass --force to replace it, or --path FILE to write another",
            args.path.display()
        ))),
        Err(e) => Err(Failure::Other(format!(
            "cannot write {}: {e}",
            args.path.display()
        ))),
    }
}
