//! `/metrics`: counters kept as atomics as requests are answered, gauges
//! read from the apps when scraped, rendered in Prometheus' text format
//! (version 0.0.4), which `promtool check metrics` accepts.
//!
//! Names (documented in `docs/api.md`):
//! * `voipsim_joins_total{app,result}`: joins answered; `result` is `ok` or
//!   the refusal's reason as reports name it (`room_full`, `daily_quota`, …).
//! * `voipsim_logins_total{app}`, `voipsim_users_evicted_total{app}`.
//! * `voipsim_rooms_active{app}`, `voipsim_members_active{app}`,
//!   `voipsim_users_registered{app}`, `voipsim_quota_used{app}`,
//!   `voipsim_quota_left{app}` (the quota day a room created now counts on).
//! * `voipsim_http_request_duration_seconds{endpoint}`: a histogram of the
//!   time from a request's head to its answer (a member stream's until its
//!   head is sent).
//! * `voipsim_connections_open`, `voipsim_connections_refused_total`.
//!
//! Why atomics and fixed buckets rather than a metrics crate: a handful of
//! series, one relaxed increment each on the hot path, and the text format
//! is twenty lines to write.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::rules::RejectReason;

use super::apps::Activity;
use super::routes::Endpoint;

/// Upper bounds of the latency buckets, in seconds (`+Inf` is implied).
pub const BUCKETS_S: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    5.0,
];

/// `result` label values: `ok`, then every refusal in check order.
const RESULTS: usize = 1 + RejectReason::ALL.len();

/// Counters of one app.
#[derive(Debug, Default)]
pub struct AppCounters {
    joins: [AtomicU64; RESULTS],
    pub logins: AtomicU64,
    pub evicted: AtomicU64,
}

impl AppCounters {
    /// Counts a join's outcome: `None` admitted, else the refusal.
    pub fn join(&self, refused: Option<RejectReason>) {
        let i = refused.map_or(0, |r| 1 + r.index());
        self.joins[i].fetch_add(1, Relaxed);
    }

    /// Joins by result, `ok` first.
    pub fn joins(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        std::iter::once("ok")
            .chain(RejectReason::ALL.iter().map(|r| r.as_str()))
            .zip(self.joins.iter().map(|c| c.load(Relaxed)))
    }
}

/// A latency histogram.
#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket (not cumulative), the last is `+Inf`.
    counts: [AtomicU64; BUCKETS_S.len() + 1],
    sum_ns: AtomicU64,
}

impl Histogram {
    fn record(&self, elapsed: Duration) {
        let s = elapsed.as_secs_f64();
        let i = BUCKETS_S
            .iter()
            .position(|&b| s <= b)
            .unwrap_or(BUCKETS_S.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }
}

/// Server-wide metrics.
#[derive(Debug, Default)]
pub struct ServerMetrics {
    latency: [Histogram; Endpoint::ALL.len()],
    pub connections_open: AtomicU64,
    pub connections_refused: AtomicU64,
}

impl ServerMetrics {
    /// Records one answered request.
    pub fn request(&self, endpoint: Endpoint, elapsed: Duration) {
        self.latency[endpoint.index()].record(elapsed);
    }
}

/// One app as the scrape sees it.
pub struct AppSample<'a> {
    pub app_id: &'a str,
    pub counters: &'a AppCounters,
    pub activity: Activity,
}

/// A per-app family: name, type, help, and how to read its value.
type PerApp = (
    &'static str,
    &'static str,
    &'static str,
    fn(&AppSample<'_>) -> u64,
);

/// The text `/metrics` answers.
pub fn render(server: &ServerMetrics, apps: &[AppSample<'_>]) -> String {
    let mut out = String::with_capacity(4096);
    family(
        &mut out,
        "voipsim_joins_total",
        "counter",
        "Joins answered, by app and result (ok or the refusal's reason).",
    );
    for a in apps {
        for (result, n) in a.counters.joins() {
            let _ = writeln!(
                out,
                "voipsim_joins_total{{app=\"{}\",result=\"{result}\"}} {n}",
                label(a.app_id)
            );
        }
    }
    let per_app: [PerApp; 7] = [
        (
            "voipsim_logins_total",
            "counter",
            "Logins (jscode2session) answered with a session key.",
            |a| a.counters.logins.load(Relaxed),
        ),
        (
            "voipsim_users_evicted_total",
            "counter",
            "Idle users removed to keep the app under --max-users-per-app.",
            |a| a.counters.evicted.load(Relaxed),
        ),
        (
            "voipsim_users_registered",
            "gauge",
            "Users registered now (each holds a session key).",
            |a| a.activity.users,
        ),
        ("voipsim_rooms_active", "gauge", "Rooms active now.", |a| {
            u64::from(a.activity.active_rooms)
        }),
        (
            "voipsim_members_active",
            "gauge",
            "Members in active rooms now.",
            |a| a.activity.active_members,
        ),
        (
            "voipsim_quota_used",
            "gauge",
            "Rooms created on the quota day a room created now counts on.",
            |a| u64::from(a.activity.quota_used),
        ),
        (
            "voipsim_quota_left",
            "gauge",
            "Rooms the app may still create on that quota day.",
            |a| u64::from(a.activity.quota_left),
        ),
    ];
    for (name, kind, help, value) in per_app {
        family(&mut out, name, kind, help);
        for a in apps {
            let _ = writeln!(out, "{name}{{app=\"{}\"}} {}", label(a.app_id), value(a));
        }
    }
    let name = "voipsim_http_request_duration_seconds";
    family(
        &mut out,
        name,
        "histogram",
        "Time from a request's head to its answer, by endpoint.",
    );
    for e in Endpoint::ALL {
        let h = &server.latency[e.index()];
        let mut cumulative = 0;
        for (i, c) in h.counts.iter().enumerate() {
            cumulative += c.load(Relaxed);
            let le = BUCKETS_S
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{endpoint=\"{}\",le=\"{le}\"}} {cumulative}",
                e.label()
            );
        }
        let sum = h.sum_ns.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{endpoint=\"{}\"}} {sum}", e.label());
        let _ = writeln!(
            out,
            "{name}_count{{endpoint=\"{}\"}} {cumulative}",
            e.label()
        );
    }
    family(
        &mut out,
        "voipsim_connections_open",
        "gauge",
        "HTTP connections open now.",
    );
    let _ = writeln!(
        out,
        "voipsim_connections_open {}",
        server.connections_open.load(Relaxed)
    );
    family(
        &mut out,
        "voipsim_connections_refused_total",
        "counter",
        "Connections closed at once because --max-connections were open.",
    );
    let _ = writeln!(
        out,
        "voipsim_connections_refused_total {}",
        server.connections_refused.load(Relaxed)
    );
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value escaped as the text format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(counters: &AppCounters) -> String {
        let server = ServerMetrics::default();
        server.request(Endpoint::Join, Duration::from_micros(300));
        server.request(Endpoint::Join, Duration::from_secs(10));
        let apps = [AppSample {
            app_id: "wx\"1",
            counters,
            activity: Activity {
                active_rooms: 2,
                active_members: 5,
                users: 9,
                quota_used: 3,
                quota_left: 7,
            },
        }];
        render(&server, &apps)
    }

    #[test]
    fn joins_are_counted_by_result() {
        let counters = AppCounters::default();
        counters.join(None);
        counters.join(None);
        counters.join(Some(RejectReason::RoomFull));
        let text = sample(&counters);
        assert!(
            text.contains("voipsim_joins_total{app=\"wx\\\"1\",result=\"ok\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("result=\"room_full\"} 1\n"), "{text}");
        assert!(text.contains("result=\"daily_quota\"} 0\n"), "{text}");
        assert!(
            text.contains("voipsim_quota_left{app=\"wx\\\"1\"} 7\n"),
            "{text}"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_inf() {
        let text = sample(&AppCounters::default());
        let n = "voipsim_http_request_duration_seconds";
        assert!(
            text.contains(&format!(
                "{n}_bucket{{endpoint=\"join\",le=\"0.00025\"}} 0\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "{n}_bucket{{endpoint=\"join\",le=\"0.0005\"}} 1\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("{n}_bucket{{endpoint=\"join\",le=\"5\"}} 1\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{n}_bucket{{endpoint=\"join\",le=\"+Inf\"}} 2\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{n}_count{{endpoint=\"join\"}} 2\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{n}_count{{endpoint=\"exit\"}} 0\n")),
            "{text}"
        );
        // Every family has HELP and TYPE once.
        for family in ["voipsim_joins_total", n, "voipsim_connections_open"] {
            assert_eq!(
                text.matches(&format!("# TYPE {family} ")).count(),
                1,
                "{family}"
            );
        }
    }
}
