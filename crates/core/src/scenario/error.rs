//! Scenario errors: `FILE:LINE:COL: what is wrong; how to fix it`.
//!
//! Parsing collects every error it can find in a file and returns them
//! together as [`ScenarioErrors`], one per line when displayed. Locations
//! come from TOML spans (byte ranges), converted to 1-based line and column
//! (columns count characters, not bytes).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file the problem is in (the scenario, or a trace or CSV it names).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ScenarioError {
    /// An error about the whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error at a line and column.
    pub fn at(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }

    /// An error at the start of a byte span of `text`.
    pub fn spanned(
        file: &Path,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_col(text, span.start);
        Self::at(file, line, column, message)
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// All the problems found in one scenario (never empty), in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl ScenarioErrors {
    /// The errors, in order.
    pub fn errors(&self) -> &[ScenarioError] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ScenarioError> for ScenarioErrors {
    fn from(error: ScenarioError) -> Self {
        ScenarioErrors(vec![error])
    }
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// 1-based line and column (in characters) of byte `offset` in `text`.
/// Offsets past the end, or inside a character, are clamped.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_characters() {
        let text = "a = 1\nb = \"é\"\nc = 3";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        let c = text.find('c').unwrap();
        assert_eq!(line_col(text, c), (3, 1));
        assert_eq!(line_col(text, text.len() + 10), (3, 6));
        // Inside the two-byte é: clamped to its start.
        let e = text.find('é').unwrap();
        assert_eq!(line_col(text, e + 1), (2, 6));
    }

    #[test]
    fn display_one_per_line() {
        let p = Path::new("s.toml");
        let errors = ScenarioErrors(vec![
            ScenarioError::at(p, 3, 7, "bad rate; write \"5/min\""),
            ScenarioError::file(p, "no workloads"),
        ]);
        assert_eq!(
            errors.to_string(),
            "s.toml:3:7: bad rate; write \"5/min\"\ns.toml: no workloads"
        );
    }
}
