//! `voipsim validate --format json`: every file's verdict as one JSON
//! document on stdout, for scripts and editors. Field names are a contract:
//! renaming or removing one bumps [`SCHEMA_VERSION`]; adding one does not.

use std::path::Path;

use serde::Serialize;

use crate::scenario::{Scenario, ScenarioErrors};

/// The layout version of the document.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole document.
#[derive(Debug, Serialize)]
pub struct Validation {
    pub schema_version: u32,
    /// The voipsim version that checked the files.
    pub voipsim_version: &'static str,
    /// True when every file is valid.
    pub valid: bool,
    /// One entry per file, in the order given.
    pub files: Vec<FileVerdict>,
}

/// One file's verdict.
#[derive(Debug, Serialize)]
pub struct FileVerdict {
    pub file: String,
    pub valid: bool,
    /// The scenario's name, workloads and thresholds (null when invalid).
    pub name: Option<String>,
    pub workloads: Option<usize>,
    pub thresholds: Option<usize>,
    /// Every problem found, in order (empty when valid).
    pub errors: Vec<Problem>,
}

/// One problem: where, and what is wrong and how to fix it.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// The file the problem is in (the scenario, or a trace or CSV it
    /// names).
    pub file: String,
    /// 1-based line and column (in characters), when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl FileVerdict {
    /// A file that parsed.
    pub fn valid(file: &Path, scenario: &Scenario) -> Self {
        FileVerdict {
            file: file.display().to_string(),
            valid: true,
            name: Some(scenario.name.clone()),
            workloads: Some(scenario.workloads.len()),
            thresholds: Some(scenario.thresholds.len()),
            errors: Vec::new(),
        }
    }

    /// A file with errors.
    pub fn invalid(file: &Path, errors: &ScenarioErrors) -> Self {
        let errors = errors
            .errors()
            .iter()
            .map(|e| Problem {
                file: e.file.display().to_string(),
                line: e.line,
                column: e.column,
                message: e.message.clone(),
            })
            .collect();
        FileVerdict::refused(file, errors)
    }

    /// A file refused before it was read (`message` says why).
    pub fn refused_with(file: &Path, message: String) -> Self {
        let problem = Problem {
            file: file.display().to_string(),
            line: None,
            column: None,
            message,
        };
        FileVerdict::refused(file, vec![problem])
    }

    fn refused(file: &Path, errors: Vec<Problem>) -> Self {
        FileVerdict {
            file: file.display().to_string(),
            valid: false,
            name: None,
            workloads: None,
            thresholds: None,
            errors,
        }
    }
}

/// The document for `files`, pretty JSON and a final newline.
pub fn render(files: Vec<FileVerdict>) -> String {
    let doc = Validation {
        schema_version: SCHEMA_VERSION,
        voipsim_version: env!("CARGO_PKG_VERSION"),
        valid: files.iter().all(|f| f.valid),
        files,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScenarioError;

    #[test]
    fn errors_keep_their_place_and_the_versions_are_there() {
        let errors = ScenarioErrors(vec![ScenarioError {
            file: "s.toml".into(),
            line: Some(3),
            column: Some(7),
            message: "unknown key `stay_time`; did you mean `stay`?".into(),
        }]);
        let text = render(vec![FileVerdict::invalid(Path::new("s.toml"), &errors)]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema_version"], SCHEMA_VERSION);
        assert_eq!(v["voipsim_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["valid"], false);
        let e = &v["files"][0]["errors"][0];
        assert_eq!(
            (e["line"].as_u64(), e["column"].as_u64()),
            (Some(3), Some(7))
        );
        assert!(v["files"][0]["workloads"].is_null());
    }
}
