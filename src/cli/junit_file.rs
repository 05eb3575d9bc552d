//! `--junit FILE` of `simulate` and `load`: the run's thresholds as JUnit
//! XML (one testcase per threshold, see `voipsim_core::report::junit`), for
//! CI test reporters. The file is created before the run starts, so a
//! path that cannot be written costs no run, and filled when it ends.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::UsageError;
use crate::report::junit;
use crate::report::summary::Summary;

/// A JUnit file claimed before the run.
#[derive(Debug)]
pub struct JunitFile {
    path: PathBuf,
    file: File,
}

impl JunitFile {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> Result<JunitFile, UsageError> {
        let file = File::create(path).map_err(|e| {
            UsageError::new(format!(
                "--junit {}: cannot create the file: {e}; pick a writable path",
                path.display()
            ))
        })?;
        Ok(JunitFile {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Writes the thresholds of `summary`, reported by `command`
    /// (`voipsim simulate`), and closes the file.
    pub fn finish(mut self, command: &str, summary: &Summary) -> Result<(), UsageError> {
        let text = junit::thresholds(command, &summary.scenario.name, &summary.thresholds);
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| {
                UsageError::new(format!(
                    "--junit {}: cannot write the file: {e}; check the disk has room",
                    self.path.display()
                ))
            })
    }
}
