//! `summary.json`: the run's answers, with stable field names.
//!
//! Field names are a contract (CI pipelines and dashboards read them):
//! renaming or removing one bumps [`SCHEMA_VERSION`]; adding one does not.
//! Every figure is deterministic for a given seed, scenario and voipsim
//! version, except the wall-clock measurements, which all live in
//! `engine.{wall_s, events_per_s}` and `signing.{ops_per_s, latency_ns}`.

use schemars::JsonSchema;
use serde::Serialize;

/// The version of this file's layout.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole summary.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Summary {
    /// Layout version of this file.
    pub schema_version: u32,
    /// The voipsim version that wrote it.
    pub voipsim_version: String,
    /// True when the run was interrupted (Ctrl-C): the figures cover only
    /// the simulated time up to `window.to`.
    pub partial: bool,
    pub scenario: ScenarioInfo,
    /// The seed every random stream derives from.
    pub seed: u64,
    /// The simulated period the statistics cover.
    pub window: Window,
    pub engine: Engine,
    pub joins: Joins,
    /// Members that left a room (at the end of their stay, or when dropping
    /// before a reconnect).
    pub leaves: u64,
    pub rooms: Rooms,
    pub members: Members,
    pub quota: Quota,
    pub signing: Signing,
    /// Join attempts made wrong on purpose by the scenario's `faults`.
    pub faults: FaultCounts,
    /// Per app, the same join and room counts.
    pub apps: Vec<AppSummary>,
    /// Thresholds in scenario order.
    pub thresholds: Vec<ThresholdResult>,
    /// True when every threshold passed (and true when there are none).
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    /// The scenario file, or `<built-in>`.
    pub file: String,
    /// RFC 3339 start instant.
    pub start: String,
    pub duration_s: f64,
    pub report_interval_s: f64,
    pub warm_start: bool,
    pub warmup_s: f64,
}

/// What simulated time the statistics cover (RFC 3339).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Window {
    /// Start plus warm-up.
    pub from: String,
    /// The end of the run (earlier when partial).
    pub to: String,
    /// Simulated seconds of pre-roll before the start used to bring rooms
    /// to their steady state (0 without warm start).
    pub preroll_s: f64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Engine {
    /// Join attempts and leaves processed, pre-roll and warm-up included.
    pub events: u64,
    /// The most events pending at once.
    pub pending_peak: u64,
    /// Wall-clock seconds the simulation took (measured; varies run to run).
    pub wall_s: f64,
    /// `events / wall_s` (measured).
    pub events_per_s: f64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Joins {
    pub attempted: u64,
    pub accepted: u64,
    pub rejected: Rejections,
}

/// Rejected joins by reason (the rules' `Reject`).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Rejections {
    pub total: u64,
    pub room_full: u64,
    pub daily_quota: u64,
    pub already_in_room: u64,
    pub invalid_signature: u64,
    pub stale_timestamp: u64,
    pub replayed_nonce: u64,
    pub invalid_request: u64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Rooms {
    /// Rooms created (each spent one unit of its app's daily quota).
    pub created: u64,
    /// Rooms destroyed (their last member left).
    pub destroyed: u64,
    pub peak_active: u64,
    pub active_at_end: u64,
    /// `created / accepted joins`: how much quota each join costs.
    pub created_per_accepted_join: f64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Members {
    pub peak_active: u64,
    pub active_at_end: u64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Quota {
    /// How many (app, quota day) pairs ran out of rooms.
    pub exhausted_days: u64,
    /// Every quota day touched, per app, in order.
    pub days: Vec<QuotaDay>,
}

/// One app's quota day.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QuotaDay {
    pub app: String,
    /// The quota day's local date (in the app's quota offset), YYYY-MM-DD.
    pub date: String,
    pub rooms_created: u64,
    pub quota: u64,
    /// When the last unit was spent (RFC 3339), or null.
    pub exhausted_at: Option<String>,
    /// Joins refused because the quota was spent.
    pub rejected_joins: u64,
}

/// The backend's signing load, and signing cost on this CPU.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Signing {
    /// Signatures the backend issued (one per join attempt).
    pub count: u64,
    /// `count` over the statistics window's simulated seconds.
    pub mean_per_s: f64,
    /// The most signatures in any one simulated second: what the backend
    /// must serve at the peak.
    pub peak_per_s: u64,
    /// The start of that busiest second (RFC 3339), or null.
    pub peak_at: Option<String>,
    /// Whether signatures were computed and timed (false when no app
    /// verifies signatures: then only the counts are meaningful).
    pub measured: bool,
    /// Signatures per second one core sustains, from the mean latency
    /// (measured).
    pub ops_per_s: Option<f64>,
    /// Signing latency on this CPU (measured), from an HdrHistogram of a
    /// deterministic sample: the simulator times one signature in eight
    /// (the 1st, 9th, 17th, ...), so that reading the clock does not weigh
    /// on the run; `count` still counts every signature.
    pub latency_ns: Option<Latency>,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Latency {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct FaultCounts {
    pub wrong_signature: u64,
    pub millisecond_timestamp: u64,
    pub stale_timestamp: u64,
    pub stale_session_key: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AppSummary {
    pub name: String,
    pub app_id: String,
    pub capacity: u32,
    pub daily_quota: u64,
    pub joins: Joins,
    pub rooms_created: u64,
}

/// One threshold's outcome.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ThresholdResult {
    /// As written in the scenario.
    pub expr: String,
    /// The metric's value (or ratio); null when it could not be computed
    /// (e.g. a latency when signing was not measured).
    pub observed: Option<f64>,
    pub passed: bool,
}

/// The JSON Schema of `summary.json`.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Summary)).unwrap_or_default()
}

/// The schema as `voipsim schema --summary` prints it and
/// `docs/summary.schema.json` holds it: pretty JSON and a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// A filled-in summary for tests of the code that reads summaries.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    pub fn sample() -> Summary {
        Summary {
            schema_version: SCHEMA_VERSION,
            voipsim_version: "0.0.0".into(),
            partial: false,
            scenario: ScenarioInfo {
                name: "t".into(),
                description: String::new(),
                file: "t.toml".into(),
                start: "2026-01-01T00:00:00+08:00".into(),
                duration_s: 60.0,
                report_interval_s: 60.0,
                warm_start: true,
                warmup_s: 0.0,
            },
            seed: 1,
            window: Window {
                from: "a".into(),
                to: "b".into(),
                preroll_s: 0.0,
            },
            engine: Engine {
                events: 10,
                pending_peak: 1,
                wall_s: 0.5,
                events_per_s: 20.0,
            },
            joins: Joins::default(),
            leaves: 0,
            rooms: Rooms::default(),
            members: Members::default(),
            quota: Quota::default(),
            signing: Signing {
                latency_ns: Some(Latency {
                    p50: 100,
                    p90: 120,
                    p99: 150,
                    p999: 200,
                    max: 300,
                    mean: 110.0,
                }),
                ops_per_s: Some(9e6),
                measured: true,
                ..Signing::default()
            },
            faults: FaultCounts::default(),
            apps: Vec::new(),
            thresholds: Vec::new(),
            passed: true,
        }
    }
}
