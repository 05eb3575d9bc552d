//! The little CSV the trace and empirical files use: comma-separated
//! fields, optionally in double quotes (`""` is a quote inside them), `#`
//! comment lines and blank lines skipped.

/// One field and the 1-based column (in characters) it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub column: usize,
    pub text: String,
}

/// The data lines of a file: (1-based line number, line), skipping blank
/// lines and `#` comments, with any `\r` removed. A leading byte-order
/// mark (Excel's "CSV UTF-8" writes one) is dropped: it is invisible, so
/// columns are counted without it.
pub fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
}

/// Splits one line into trimmed fields.
pub fn split_line(line: &str) -> Result<Vec<Field>, (usize, String)> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    let mut column = 1;
    loop {
        let start_column = column;
        let mut text = String::new();
        // Leading spaces before a quote are allowed.
        while chars.peek() == Some(&' ') {
            chars.next();
            column += 1;
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            column += 1;
            let mut closed = false;
            while let Some(c) = chars.next() {
                column += 1;
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        column += 1;
                        text.push('"');
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    text.push(c);
                }
            }
            if !closed {
                return Err((
                    start_column,
                    "a quoted field has no closing `\"`; close the quote".to_string(),
                ));
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                let c = chars.next().unwrap_or(' ');
                column += 1;
                if !c.is_whitespace() {
                    return Err((
                        column - 1,
                        "text after a closing quote; put the whole field in the quotes".into(),
                    ));
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                text.push(c);
                chars.next();
                column += 1;
            }
            text = text.trim().to_string();
        }
        fields.push(Field {
            column: start_column,
            text,
        });
        if chars.next().is_none() {
            return Ok(fields);
        }
        column += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split_line(line)
            .unwrap()
            .into_iter()
            .map(|f| f.text)
            .collect()
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(
            texts("1.5,game,g1,o1,join"),
            ["1.5", "game", "g1", "o1", "join"]
        );
        assert_eq!(
            texts(" 1 , \"a,b\" ,\"say \"\"hi\"\"\","),
            ["1", "a,b", "say \"hi\"", ""]
        );
        let fields = split_line("ab,cd").unwrap();
        assert_eq!(fields[1].column, 4);
    }

    #[test]
    fn unclosed_quote_is_an_error() {
        assert!(split_line("1,\"abc").is_err());
        assert!(split_line("1,\"abc\"x").is_err());
    }

    #[test]
    fn skips_blank_and_comment_lines() {
        let lines: Vec<_> = data_lines("# c\n\na\r\n  # d\nb").collect();
        assert_eq!(lines, [(3, "a"), (5, "b")]);
    }

    #[test]
    fn excel_byte_order_mark_is_dropped() {
        let lines: Vec<_> = data_lines("\u{feff}time,app\n1,a\n").collect();
        assert_eq!(lines, [(1, "time,app"), (2, "1,a")]);
    }
}
