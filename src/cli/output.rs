//! Writing results to stdout without panicking: `print!` panics when
//! stdout is a closed pipe (`voipsim … | head -1`) or a full disk. A
//! closed pipe means the reader has what it wanted, so the output simply
//! stops (the command's exit code is kept); any other failure is bad
//! output, reported as such (exit 2).

use std::io::{ErrorKind, Write};

use super::UsageError;

/// Writes `text` to stdout and flushes it. A closed pipe is not an error.
pub fn print_stdout(text: &str) -> Result<(), UsageError> {
    write_to(&mut std::io::stdout().lock(), text, "stdout")
}

/// Writes `text` to stderr (for `--explain` and the like); a closed pipe
/// is not an error.
pub fn print_stderr(text: &str) -> Result<(), UsageError> {
    write_to(&mut std::io::stderr().lock(), text, "stderr")
}

fn write_to(out: &mut impl Write, text: &str, name: &str) -> Result<(), UsageError> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(UsageError::new(format!(
            "cannot write to {name}: {e}; check the disk or the file {name} is redirected to"
        ))),
    }
}

/// Names each failed threshold on stderr, one line each: whatever
/// `--quiet` hides, a CI log must say which gate failed and what was
/// observed (or that the figure was not measured).
pub fn print_failed_thresholds(
    thresholds: &[crate::report::summary::ThresholdResult],
) -> Result<(), UsageError> {
    for t in thresholds.iter().filter(|t| !t.passed) {
        let observed = t.observed.map_or_else(
            || crate::report::markdown::unobserved(&t.expr).to_string(),
            |v| format!("observed {v}"),
        );
        print_stderr(&format!(
            "voipsim: threshold failed: {} ({observed})\n",
            t.expr
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails like a closed pipe or a full disk.
    struct Failing(ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(self.0))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_quiet_and_a_full_disk_is_an_error() {
        assert!(write_to(&mut Failing(ErrorKind::BrokenPipe), "x", "stdout").is_ok());
        let err = write_to(&mut Failing(ErrorKind::StorageFull), "x", "stdout").unwrap_err();
        assert!(err.0.contains("cannot write to stdout"), "{err}");
    }
}
