//! The one escape function for every human-readable output: text reports, stderr
//! warnings and notes, Markdown, GitHub annotations.
//!
//! File names, YAML values and commit data come from whoever wrote the pull request.
//! Printed raw, a newline followed by `::add-mask::` or `::stop-commands::` becomes a
//! GitHub workflow command in the job log, and an escape sequence clears or retitles a
//! terminal. [`for_display`] makes such text inert: control characters (C0, DEL, C1),
//! line and paragraph separators and bidirectional overrides become visible `\u{..}`
//! escapes, so nothing printed can start a new line, and a `::` at the start of the
//! text is broken so it cannot be read as a command even where a caller starts a line
//! with it.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or CI log as it is.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
                | '\u{200e}' | '\u{200f}' // directional marks
                | '\u{202a}'..='\u{202e}' // bidirectional embeddings and overrides
                | '\u{2066}'..='\u{2069}' // bidirectional isolates
                | '\u{feff}' // byte-order mark / zero-width no-break space
        )
}

/// `text` made safe to print on one line of a terminal or CI log: control and
/// invisible formatting characters escaped as `\u{XX}` (tab, newline and carriage
/// return as `\t`, `\n`, `\r`), a backslash that could be mistaken for one of those
/// escapes doubled, and a leading `::` broken as `:\u{3a}`. Borrows when nothing
/// changes (the common case).
pub fn for_display(text: &str) -> Cow<'_, str> {
    let needs = text.starts_with("::") || text.chars().any(|c| is_unsafe(c) || c == '\\');
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    if text.starts_with("::") {
        out.push_str(":\\u{3a}");
        chars.next();
        chars.next();
    }
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Only a backslash that starts something that looks like an escape is
            // doubled, so Windows paths and regexes stay readable.
            '\\' if matches!(chars.peek(), Some('n' | 'r' | 't' | 'u' | '\\')) => {
                out.push_str("\\\\")
            }
            c if is_unsafe(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like [`for_display`], and Markdown-inert too: characters that Markdown or HTML
/// would interpret (`|`, `` ` ``, `*`, `_`, `[`, `]`, `<`, `>`, `#`, `!`) are
/// backslash-escaped, so a file or secret name cannot break a table, open a link or
/// inject markup into a pull-request comment.
pub fn for_markdown(text: &str) -> String {
    let safe = for_display(text);
    let mut out = String::with_capacity(safe.len() + 4);
    for c in safe.chars() {
        if matches!(
            c,
            '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text for inside a Markdown code span (`` `...` ``): [`for_display`], with each
/// backtick, which would close the span, shown as `'`. Backslash escapes do not work
/// inside code spans, and everything else there is shown literally.
pub fn for_markdown_code(text: &str) -> String {
    for_display(text).replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(for_display("src/a.rs"), Cow::Borrowed(_)));
        assert!(matches!(for_display("emoji 🙂 ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn newlines_cannot_start_workflow_commands() {
        let s = for_display("y\n::add-mask::MASKED\n.env");
        assert!(!s.contains('\n'));
        assert_eq!(s, "y\\n::add-mask::MASKED\\n.env");
    }

    #[test]
    fn leading_double_colon_is_broken() {
        let s = for_display("::stop-commands::x");
        assert!(!s.starts_with("::"));
    }

    #[test]
    fn escape_sequences_and_bidi_are_visible() {
        assert_eq!(for_display("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(for_display("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(for_display("a\u{85}b"), "a\\u{85}b");
        assert_eq!(for_display("a\u{2028}b"), "a\\u{2028}b");
    }

    #[test]
    fn escaped_text_is_unambiguous() {
        // A literal backslash-n in a name is not confused with an escaped newline.
        assert_eq!(for_display("a\\nb"), "a\\\\nb");
        assert_eq!(for_display("C:\\Users\\x"), "C:\\Users\\x");
    }

    #[test]
    fn markdown_code_spans_cannot_be_closed() {
        assert_eq!(for_markdown_code("a`<b>`\n"), "a'<b>'\\n");
    }

    #[test]
    fn markdown_is_inert() {
        assert_eq!(for_markdown("a|b"), "a\\|b");
        assert_eq!(for_markdown("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(for_markdown("x\n| y"), "x\\n\\| y");
    }
}
