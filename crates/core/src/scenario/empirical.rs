//! Empirical distributions: the CSV of durations an
//! `{ empirical = "file.csv" }` distribution draws from.
//!
//! Either one value per line (a number of seconds like `312.5`, or a
//! duration like `5m`), or a header with a `seconds` column (other columns
//! ignored) and numbers of seconds below it. Blank lines and `#` comments
//! are skipped; at least one value is required.

use std::path::Path;
use std::time::Duration;

use super::csv::{data_lines, split_line};
use super::error::ScenarioError;
use super::limits;
use super::trace::MAX_ROW_ERRORS;
use crate::units;

/// Parses an empirical CSV's text; `path` names it in errors.
pub fn parse_empirical(text: &str, path: &Path) -> Result<Vec<Duration>, Vec<ScenarioError>> {
    let mut lines = data_lines(text).peekable();
    // A first line that is not a value is a header naming a `seconds` column.
    let mut column = None;
    if let Some(&(line, first)) = lines.peek()
        && parse_value(first.trim()).is_err()
    {
        let names =
            split_line(first).map_err(|(c, m)| vec![ScenarioError::at(path, line, c, m)])?;
        match names
            .iter()
            .position(|f| f.text.eq_ignore_ascii_case("seconds"))
        {
            Some(i) => column = Some(i),
            None if names.len() > 1 => {
                return Err(vec![ScenarioError::at(
                    path,
                    line,
                    1,
                    "the header has no `seconds` column; name the column of durations `seconds`, or write one duration per line",
                )]);
            }
            None => {} // a one-column file whose first value is bad: reported below
        }
        if column.is_some() {
            lines.next();
        }
    }

    let mut values = Vec::new();
    let mut errors = Vec::new();
    let mut skipped = 0usize;
    for (line, row) in lines {
        let result = match column {
            None => {
                parse_value(row.trim()).map_err(|m| (1 + row.len() - row.trim_start().len(), m))
            }
            Some(i) => split_line(row).and_then(|fields| match fields.get(i) {
                Some(f) => parse_seconds(&f.text).map_err(|m| (f.column, m)),
                None => Err((
                    1,
                    format!("row has no `seconds` field (column {}); fill it in", i + 1),
                )),
            }),
        };
        // Every value obeys the scenario-wide bound on durations.
        let result = result.and_then(|value| {
            limits::check_duration(value).map_err(|m| (1 + row.len() - row.trim_start().len(), m))
        });
        match result {
            Ok(value) => values.push(value),
            Err((col, message)) if errors.len() < MAX_ROW_ERRORS => {
                errors.push(ScenarioError::at(path, line, col, message));
            }
            Err(_) => skipped += 1,
        }
    }
    if skipped > 0 {
        errors.push(ScenarioError::file(
            path,
            format!("… and {skipped} more bad rows"),
        ));
    }
    if values.is_empty() && errors.is_empty() {
        errors.push(ScenarioError::file(
            path,
            "no durations in the file; write at least one, like 300 or 5m",
        ));
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// A number of seconds or a duration with a unit.
fn parse_value(text: &str) -> Result<Duration, String> {
    if text.parse::<f64>().is_ok() {
        return parse_seconds(text);
    }
    units::parse_duration(text).map_err(|_| {
        format!("`{text}` is not a duration; write seconds (like 312.5) or a duration (like 5m), one per line")
    })
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds; write a number like 312.5"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!(
            "`{text}` is not a duration; write a number of seconds ≥ 0"
        ));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` seconds is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Duration>, Vec<String>> {
        parse_empirical(text, Path::new("e.csv"))
            .map_err(|e| e.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn one_value_per_line() {
        assert_eq!(
            parse("# stays\n300\n5m\n\n1.5\n").unwrap(),
            [
                Duration::from_secs(300),
                Duration::from_secs(300),
                Duration::from_millis(1500)
            ]
        );
    }

    #[test]
    fn seconds_column() {
        assert_eq!(
            parse("user,seconds\na,10\nb,20\n").unwrap(),
            [Duration::from_secs(10), Duration::from_secs(20)]
        );
        assert_eq!(parse("seconds\n7\n").unwrap(), [Duration::from_secs(7)]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("300\n-4\nabc\n").unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("e.csv:2:1:") && e[0].contains("≥ 0"),
            "{}",
            e[0]
        );
        assert!(e[1].starts_with("e.csv:3:1:"), "{}", e[1]);
        let e = parse("user,seconds\na,x\n").unwrap_err();
        assert!(e[0].starts_with("e.csv:2:3:"), "{}", e[0]);
        let e = parse("user,secs\na,1\n").unwrap_err();
        assert!(e[0].contains("no `seconds` column"), "{}", e[0]);
        assert!(parse("# nothing\n").unwrap_err()[0].contains("at least one"));
        let e = parse("300\n1000000000\n").unwrap_err();
        assert!(
            e[0].starts_with("e.csv:2:1:") && e[0].contains("400d"),
            "{}",
            e[0]
        );
    }
}
