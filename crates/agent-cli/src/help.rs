//! The command definition with each setting's default in its `--help`
//! line. The settings flags carry no clap default (a flag must win only
//! when given, over the environment and the file), so clap cannot show
//! one; the defaults come from the settings table instead.

use clap::CommandFactory;

use agent_cli::settings::template::flag_default;

use crate::cli::Cli;

/// `Cli`'s command, with `[default: …]` on every settings flag that has a
/// default, in every subcommand.
pub fn command() -> clap::Command {
    with_defaults(Cli::command())
}

fn with_defaults(mut command: clap::Command) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, with_defaults);
    }
    // `demo` without --backend is the offline demo, not the default backend.
    let offline_default = command.get_name() == "demo";
    let flags: Vec<(String, String)> = command
        .get_arguments()
        .filter(|a| a.get_default_values().is_empty())
        .filter(|a| !(offline_default && a.get_long() == Some("backend")))
        .filter_map(|a| {
            let long = a.get_long()?.to_owned();
            let default = flag_default(&long.replace('-', "_"))?;
            Some((a.get_id().to_string(), default))
        })
        .collect();
    for (id, default) in flags {
        command = command.mut_arg(id, |arg| {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            arg.help(format!("{help} [default: {default}]"))
        });
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_flags_show_their_defaults() {
        let mut command = command();
        let run = command.find_subcommand_mut("run").unwrap();
        let help = run.render_help().to_string();
        assert!(help.contains("[default: 64]"), "{help}");
        assert!(help.contains("[default: bedrock]"), "{help}");
        assert!(help.contains("[default: 0.75]"), "{help}");
        // Flags with clap's own default keep exactly one.
        let mut command = self::command();
        let demo = command.find_subcommand_mut("demo").unwrap();
        let help = demo.render_help().to_string();
        assert_eq!(help.matches("[default: all]").count(), 1, "{help}");
        // Without --backend the demo is offline: no backend is the default.
        assert!(!help.contains("[default: bedrock]"), "{help}");
    }
}
