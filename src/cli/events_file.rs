//! The events file on disk (`simulate --events FILE`): opened before the
//! run (so an unusable path costs no run), filled as the simulator tells
//! each action, in 256 KiB writes, so memory stays constant however many
//! millions of rows a day has. The rows are formatted by the core
//! ([`voipsim_core::events::EventsWriter`]); this file only moves bytes.
//!
//! A write that fails (a full disk) is remembered and later rows are
//! dropped; the run goes on and its report is still written, then the
//! command says what went wrong and exits 2.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use voipsim_core::events::{ActionRecord, EventsWriter};
use voipsim_sim::actions::ActionSink;

use super::UsageError;
use crate::secrets::ShownPath;

/// Bytes gathered before one write to the file.
const CHUNK: usize = 256 * 1024;

/// An events file being written.
pub struct EventsFile {
    file: File,
    shown: String,
    rows: EventsWriter,
    buf: Vec<u8>,
    error: Option<std::io::Error>,
}

impl EventsFile {
    /// Creates (or truncates) `path` and writes the header.
    pub fn create(path: &Path) -> Result<EventsFile, UsageError> {
        let shown = ShownPath::new(path).to_string();
        let file = File::create(path).map_err(|e| {
            UsageError::new(format!(
                "--events {shown}: cannot create the events file: {e}; give a writable path"
            ))
        })?;
        let rows = EventsWriter::new();
        let mut buf = Vec::with_capacity(CHUNK + 4096);
        rows.header(&mut buf);
        Ok(EventsFile {
            file,
            shown,
            rows,
            buf,
            error: None,
        })
    }

    fn drain(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.file.write_all(&self.buf)
        {
            self.error = Some(e);
        }
        self.buf.clear();
    }

    /// Writes what is left; the first error of the whole file, if any.
    pub fn finish(mut self) -> Result<(), UsageError> {
        self.drain();
        if self.error.is_none()
            && let Err(e) = self.file.flush()
        {
            self.error = Some(e);
        }
        match self.error {
            None => Ok(()),
            Some(e) => Err(UsageError::new(format!(
                "--events {}: cannot write the events file: {e}; check that the disk has room (the report was written; the events file is incomplete)",
                self.shown
            ))),
        }
    }
}

impl ActionSink for EventsFile {
    #[inline]
    fn action(&mut self, action: &ActionRecord<'_>) {
        self.rows.row(action, &mut self.buf);
        if self.buf.len() >= CHUNK {
            self.drain();
        }
    }
}
