//! How a streamed answer is cut into deltas: text a few words or characters
//! at a time, tool input JSON in pieces, and the half an input keeps when a
//! turn stops at `max_tokens`. The wire encoding of each delta is the
//! protocol's.

/// Splits `text` into pieces of `words` words, the spaces kept.
///
/// ```
/// assert_eq!(mock_support::split::word_chunks("a b c d", 3), ["a b c ", "d"]);
/// ```
pub fn word_chunks(text: &str, words: usize) -> Vec<String> {
    let words = words.max(1);
    let mut out = Vec::new();
    let mut current = String::new();
    for (n, word) in text.split_inclusive(' ').enumerate() {
        current.push_str(word);
        if (n + 1) % words == 0 {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Splits `text` into at most `parts` pieces at char boundaries (none for
/// empty text).
///
/// ```
/// assert_eq!(mock_support::split::pieces("abcdefg", 3), ["abc", "def", "g"]);
/// ```
pub fn pieces(text: &str, parts: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(parts.max(1)).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// Splits `text` into pieces of `size` chars; empty text is one empty
/// piece.
///
/// ```
/// assert_eq!(mock_support::split::char_chunks("abcde", 2), ["ab", "cd", "e"]);
/// assert_eq!(mock_support::split::char_chunks("", 2), [""]);
/// ```
pub fn char_chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// The first half of `text`, at a char boundary: an input cut short by
/// `max_tokens`.
///
/// ```
/// assert_eq!(mock_support::split::cut_half("{\"a\":1}"), "{\"a");
/// ```
pub fn cut_half(text: &str) -> String {
    let n = text.chars().count() / 2;
    text.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_add_up() {
        let text = "Once upon a time, there were tools. Ünïcode too.";
        assert_eq!(word_chunks(text, 3).concat(), text);
        assert!(word_chunks(text, 3).len() > 2);
        assert_eq!(pieces("{\"a\":\"é\"}", 3).concat(), "{\"a\":\"é\"}");
        assert!(pieces("", 3).is_empty());
        assert_eq!(char_chunks(text, 24).concat(), text);
        assert_eq!(cut_half("abcd"), "ab");
        assert_eq!(cut_half("éé"), "é");
    }
}
