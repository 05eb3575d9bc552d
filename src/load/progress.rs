//! The live progress line on stderr, once a second: requests sent, the
//! rate over the last second, the last second's corrected p99, and errors
//! so far. Only when stderr is a terminal (the caller checks
//! `std::io::IsTerminal`): a CI log gets the summary, not a line a second.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::measure::Recorder;
use crate::cli::output::print_stderr;
use crate::report::markdown::{nanos, thousands};

/// Prints the progress line every second until aborted.
pub async fn report(recorder: Arc<Mutex<Recorder>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last_sent = 0;
    loop {
        tick.tick().await;
        let p = recorder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take_progress();
        let p99 = if p.second.is_empty() {
            "-".to_string()
        } else {
            nanos(p.second.value_at_quantile(0.99) as f64)
        };
        let _ = print_stderr(&format!(
            "\r\x1b[2Ksent {}, {}/s, p99 {p99} (corrected), errors {}",
            thousands(p.sent),
            thousands(p.sent - last_sent),
            thousands(p.errors)
        ));
        last_sent = p.sent;
    }
}

/// Clears the progress line.
pub fn clear() {
    let _ = print_stderr("\r\x1b[2K");
}
