//! Tool names in the settings that no loaded tool has: `[tools.NAME]`
//! tables and `--approve` names. Every command that loads tools warns of
//! them once, on stderr, as a plain line: a typo there would otherwise
//! leave a limit, a timeout or an approval silently unapplied. Also the
//! resource names of `exclusive`/`shared` that look keyed but are not.

use crate::settings::Settings;

/// The warning lines for `settings` when the loaded tools are `loaded`.
pub fn warnings<'a>(settings: &Settings, loaded: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let loaded: Vec<&str> = loaded.into_iter().collect();
    let listed = if loaded.is_empty() {
        "none".to_owned()
    } else {
        loaded.join(", ")
    };
    let unknown = |name: &str| !loaded.contains(&name);
    let mut out = Vec::new();
    for name in settings.tools.value.keys().filter(|n| unknown(n)) {
        out.push(format!(
            "warning: [tools.{name}] names no loaded tool, so its settings (in {}) apply to \
             nothing{}; loaded: {listed}",
            settings.tools.source,
            did_you_mean(name, &loaded)
        ));
    }
    let approve = &settings.approve.value;
    if !approve.iter().any(|n| n == "all") {
        for name in approve.iter().filter(|n| unknown(n)) {
            out.push(format!(
                "warning: `{name}` in approve ({}) names no loaded tool, so no call asks for \
                 approval by it{}; loaded: {listed}",
                settings.approve.source,
                did_you_mean(name, &loaded)
            ));
        }
    }
    for (name, o) in &settings.tools.value {
        let resources = o.exclusive.iter().chain(&o.shared).flatten();
        for r in resources.filter(|r| r.contains(':') && !r.contains(":/")) {
            let (base, key) = r.split_once(':').unwrap_or((r, ""));
            out.push(format!(
                "warning: [tools.{name}] resource {r:?} is one plain resource, not keyed by \
                 the input: a key is a JSON pointer after `:`, starting with `/` (write \
                 \"{base}:/{key}\" to key it by the input's /{key})"
            ));
        }
    }
    out
}

/// Prints [`warnings`] to stderr.
pub fn warn<'a>(settings: &Settings, loaded: impl IntoIterator<Item = &'a str>) {
    for line in warnings(settings, loaded) {
        eprintln!("{line}");
    }
}

/// ` (did you mean `X`?)` for the loaded name closest to `name`, when one
/// is within two edits; empty otherwise.
fn did_you_mean(name: &str, loaded: &[&str]) -> String {
    loaded
        .iter()
        .map(|l| (edit_distance(name, l), *l))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, l)| format!(" (did you mean `{l}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance, by characters: names are short, so the plain
/// two-row table is cheap enough.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let best = (prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1);
            row.push(best);
        }
        prev = row;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_far_ones_not() {
        let loaded = ["get_weather", "get_stock_price"];
        assert_eq!(
            did_you_mean("get_wether", &loaded),
            " (did you mean `get_weather`?)"
        );
        assert_eq!(did_you_mean("send_mail", &loaded), "");
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
