//! Text that came from the model, a tool or a plugin, made safe to print on
//! a terminal: control characters (escape sequences that clear the screen or
//! set the window title, carriage returns that overwrite a line, bells) and
//! the Unicode controls that reorder text (bidi overrides) are shown as
//! visible escapes instead of being obeyed. JSON output needs none of this:
//! JSON escapes control characters itself.

use std::borrow::Cow;

/// Whether `c` is obeyed by a terminal or reorders what is shown.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escape(c: char, out: &mut String) {
    match c {
        '\x1b' => out.push_str("^["),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 => {
            out.push('^');
            out.push(char::from(b'@' + c as u8));
        }
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

fn clean(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line text (an answer, streamed text): line breaks and tabs kept,
/// every other control character escaped.
pub fn text(text: &str) -> Cow<'_, str> {
    clean(text, |c| c == '\n' || c == '\t')
}

/// One line (a tool name, an error in a progress bar): line breaks escaped
/// too, so a bar stays one line.
pub fn line(text: &str) -> Cow<'_, str> {
    clean(text, |_| false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        assert_eq!(text("a\x1b[2Jb"), "a^[[2Jb");
        assert_eq!(text("\x1b]0;title\x07x"), "^[]0;title^Gx");
        assert_eq!(text("over\rwrite"), "over\\rwrite");
        assert_eq!(text("del\u{7f}"), "del\\u{7f}");
        assert_eq!(text("csi\u{9b}2J"), "csi\\u{9b}2J");
        assert_eq!(text("bidi\u{202e}txt"), "bidi\\u{202e}txt");
    }

    #[test]
    fn text_keeps_lines_and_tabs_line_does_not() {
        assert_eq!(text("a\n\tb"), "a\n\tb");
        assert_eq!(line("a\n\tb"), "a\\n\\tb");
    }

    #[test]
    fn clean_text_is_not_copied() {
        assert!(matches!(text("plain é ✓"), Cow::Borrowed(_)));
    }
}
