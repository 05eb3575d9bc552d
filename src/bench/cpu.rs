//! The CPU time the calling thread has used, so a benchmark can tell how
//! much of its wall time it actually ran: on a machine shared with other
//! work, two threads may get far less than two cores, and ops/s alone would
//! blame the code. Linux only (`/proc/thread-self/stat`, in clock ticks of
//! 10 ms); elsewhere the figure is simply absent.

use std::time::Duration;

/// Ticks per second of the `/proc` interface (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// User plus system CPU time of the calling thread, if the platform says.
pub fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    parse_stat(&stat)
}

/// Fields 14 and 15 (utime, stime) of a `stat` line. The command name in
/// field 2 may hold spaces and parentheses, so count from the last `)`.
fn parse_stat(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime + stime;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime_after_an_awkward_name() {
        let line = "4242 (bench (sign) 1) R 1 2 3 4 5 6 7 8 9 10 52 3 0 0 20 0 1 0";
        assert_eq!(parse_stat(line), Some(Duration::from_millis(550)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn counts_this_threads_work_where_available() {
        let Some(before) = thread_cpu_time() else {
            return;
        };
        let wall = std::time::Instant::now();
        while thread_cpu_time().is_some_and(|now| now <= before)
            && wall.elapsed() < Duration::from_secs(5)
        {
            std::hint::black_box(0u64);
        }
        assert!(thread_cpu_time().unwrap() > before);
    }
}
