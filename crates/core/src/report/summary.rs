//! `summary.json`: the run's answers, with stable field names.
//!
//! Field names are a contract (CI pipelines and dashboards read them):
//! renaming or removing one bumps [`SCHEMA_VERSION`]; adding one does not.
//! Every figure is deterministic for a given seed, scenario and voipsim
//! version, except the wall-clock measurements, which all live in
//! `engine.{wall_s, events_per_s}`, `signing.{ops_per_s, latency_ns}`,
//! `requests` (a load test) and the `observed` value of a threshold on one
//! of those, and the `machine` the run ran on. Every field carries its description into the JSON Schema
//! (`voipsim schema --summary`); `docs/reports.md` lists them too.

use super::members::MemberOutcomes;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::machine::Machine;
pub use super::workloads::WorkloadSummary;

/// The version of this file's layout. Version 2 added `mode`, `requests`
/// and `quota.days[].created_in_window`, and made `timeseries.csv` cover
/// the statistics window only.
pub const SCHEMA_VERSION: u32 = 2;

/// The whole summary.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Layout version of this file (renaming or removing a field bumps it).
    pub schema_version: u32,
    /// The voipsim version that wrote it.
    pub voipsim_version: String,
    /// Which clock ran the workload: `simulate` (virtual time, the rules
    /// in-process) or `load` (wall-clock time, requests over HTTP).
    pub mode: RunMode,
    /// True when the run was interrupted (Ctrl-C, SIGTERM): the figures
    /// cover only the time up to `window.to`.
    pub partial: bool,
    /// What ran.
    pub scenario: ScenarioInfo,
    /// The seed every random stream derives from.
    pub seed: u64,
    /// The period the statistics cover.
    pub window: Window,
    /// The driver's own work: events processed and how fast (measured).
    pub engine: Engine,
    /// Join attempts in the window and how the rules answered them.
    pub joins: Joins,
    /// Members that left a room in the window (at the end of their stay,
    /// or when dropping before a reconnect).
    pub leaves: u64,
    /// Rooms created, destroyed and active.
    pub rooms: Rooms,
    /// Members active.
    pub members: Members,
    /// The daily room quota, per app and quota day.
    pub quota: Quota,
    /// The backend's signing load, and signing cost on this CPU.
    pub signing: Signing,
    /// HTTP requests of a load test (null for a simulation).
    pub requests: Option<Requests>,
    /// Join attempts made wrong on purpose by the scenario's `faults`.
    pub faults: FaultCounts,
    /// What the scenario's client releases (`[[releases]]`) did: re-logins
    /// and joins signed with a replaced key; absent when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub releases: Option<ReleaseCounts>,
    /// What a trace replay did not play; absent when no workload replays a
    /// trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceReplay>,
    /// Per app, the same join and room counts.
    pub apps: Vec<AppSummary>,
    /// Per workload, in scenario order: its joins, their answers, the rooms
    /// they created, its signatures and faults (a threshold names one as
    /// `workloads.NAME.…`).
    #[serde(default)]
    pub workloads: Vec<WorkloadSummary>,
    /// Thresholds in scenario order.
    pub thresholds: Vec<ThresholdResult>,
    /// True when every threshold passed (and true when there are none).
    pub passed: bool,
    /// The shard of the workload this run played, `I/N` counted from 0
    /// (`--shard`); absent when it played the whole workload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Present on a report made by `voipsim merge`: what it combines, and
    /// which of its figures are exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged: Option<Merged>,
    /// The machine the run ran on: CPU, cores, SHA extensions, voipsim's
    /// version and git commit. Like the measured figures it varies between
    /// machines and builds, so it is left out when outputs are checked for
    /// being identical; `voipsim compare` gates timings only between runs
    /// of one machine class (same CPU model and cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Machine>,
    /// What voipsim derived from traffic stated in a planner's terms
    /// (`arrivals = { dau = …, sessions_per_user = … }`), per workload;
    /// absent when no workload states it so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub demand: Vec<DerivedDemand>,
    /// Queueing theory beside the simulation: where a model fits the
    /// workloads, its predictions beside the simulated figures (absent in
    /// load mode and in a merged report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theory: Option<super::theory::Theory>,
}

/// A workload's party rate as derived from daily active users.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DerivedDemand {
    /// The workload's name.
    pub workload: String,
    /// Daily active users, as given.
    pub dau: f64,
    /// Sessions per user a day, as given.
    pub sessions_per_user: f64,
    /// The mean party size of its `party` mix.
    pub mean_party: f64,
    /// `dau × sessions_per_user ÷ mean_party`.
    pub parties_per_day: f64,
    /// `parties_per_day ÷ 86400`: the mean rate played (before bursts).
    pub parties_per_s: f64,
    /// The same in words.
    pub text: String,
}

/// Trace rows the replay counted rather than played.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TraceReplay {
    /// Leave rows by a user not in the room the row names (never joined,
    /// refused, already left, or in another room): nothing is done, as
    /// `exitVoIPChat` changes nothing then.
    pub unknown_leaves: u64,
}

/// How a merged report was made (`voipsim merge`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Merged {
    /// The report folders merged, in the order given.
    pub from: Vec<MergedPart>,
    /// The number of shards the workload was split into (1 when the
    /// inputs were not shards).
    pub shards: u32,
    /// Shard indexes (from 0) of that split with no report among the
    /// inputs: empty when the merge covers the whole workload.
    pub missing_shards: Vec<u32>,
    /// Figures that are sums of the inputs' maxima and so only an upper
    /// bound of the merged run's (a sum of peaks is at least the peak of
    /// the sums): paths into this file. Every other count is exact.
    pub upper_bounds: Vec<String>,
}

/// One merged input.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MergedPart {
    /// The report folder, as given on the command line.
    pub dir: String,
    /// Its `shard` (`I/N`), or null for a run of the whole workload.
    pub shard: Option<String>,
}

/// Which clock ran the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// Virtual time: the room rules applied in-process, a day in seconds.
    Simulate,
    /// Wall-clock time: requests sent over HTTP to a running service.
    Load,
}

/// The scenario that ran.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioInfo {
    /// The scenario's `name` (also the default report folder's name).
    pub name: String,
    /// The scenario's `description` (empty when not given).
    pub description: String,
    /// The scenario file, or `<built-in>`.
    pub file: String,
    /// The scenario's start instant (RFC 3339).
    pub start: String,
    /// The scenario's duration, in seconds.
    pub duration_s: f64,
    /// The length of one `timeseries.csv` row, in seconds.
    pub report_interval_s: f64,
    /// Whether rooms started in their steady state (a pre-roll ran first).
    pub warm_start: bool,
    /// Seconds after the start excluded from the statistics.
    pub warmup_s: f64,
}

/// What time the statistics cover (RFC 3339).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Window {
    /// Start plus warm-up.
    pub from: String,
    /// The end of the run (earlier when partial).
    pub to: String,
    /// Simulated seconds of pre-roll before the start used to bring rooms
    /// to their steady state (0 without warm start).
    pub preroll_s: f64,
}

/// The driver's own work.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Engine {
    /// Join attempts and leaves processed, pre-roll and warm-up included.
    pub events: u64,
    /// The most events pending at once (null in load mode: a load test
    /// has no event queue of the service's to observe).
    pub pending_peak: Option<u64>,
    /// Wall-clock seconds the run took (measured; varies run to run).
    pub wall_s: f64,
    /// `events / wall_s` (measured).
    pub events_per_s: f64,
}

/// Join attempts and their answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Joins {
    /// Join attempts (each member's join, and each rejoin after a drop).
    pub attempted: u64,
    /// Joins the rules accepted.
    pub accepted: u64,
    /// Members never sent to a room: their party, admitted all or nothing
    /// (`party.admission = "all_or_nothing"`), found no room for all of
    /// it. Not join attempts (nothing was signed or sent). 0 under the
    /// default partial admission; absent from reports written before it.
    #[serde(default)]
    pub turned_away: u64,
    /// Joins the rules refused, by reason.
    pub rejected: Rejections,
    /// Retries (attempts after a refusal, counted in `attempted` too), by
    /// the reason of the refusal they follow. Absent without a retry
    /// policy (`retry` in the scenario).
    #[serde(default, skip_serializing_if = "Rejections::is_zero")]
    pub retries: Rejections,
    /// What became of the members of workloads with a retry policy, each
    /// counted once however many attempts it made. Absent without one.
    #[serde(default, skip_serializing_if = "MemberOutcomes::is_zero")]
    pub members: MemberOutcomes,
}

impl Rejections {
    /// True when every count is 0.
    pub fn is_zero(&self) -> bool {
        self.total == 0
    }

    /// Adds `other`'s counts, reason by reason (merging shards, adding up
    /// workloads).
    pub fn add(&mut self, other: &Rejections) {
        // Destructured, so a reason added to the struct must be added here.
        let Rejections {
            total,
            room_full,
            daily_quota,
            already_in_room,
            invalid_signature,
            stale_timestamp,
            replayed_nonce,
            invalid_request,
        } = *other;
        self.total += total;
        self.room_full += room_full;
        self.daily_quota += daily_quota;
        self.already_in_room += already_in_room;
        self.invalid_signature += invalid_signature;
        self.stale_timestamp += stale_timestamp;
        self.replayed_nonce += replayed_nonce;
        self.invalid_request += invalid_request;
    }
}

/// Rejected joins by reason (the rules' `Reject`), in the order the rules
/// check them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Rejections {
    /// All refusals.
    pub total: u64,
    /// The room already held `capacity` members.
    pub room_full: u64,
    /// The join would have created a room after the app's daily quota was
    /// spent (WeChat: −1000 / −13000).
    pub daily_quota: u64,
    /// The user was already in a room (WeChat: −1).
    pub already_in_room: u64,
    /// The signature did not match the user's current session key
    /// (WeChat: −1000 / −12020).
    pub invalid_signature: u64,
    /// The timestamp was outside the app's `timestamp_tolerance`.
    pub stale_timestamp: u64,
    /// The nonce was used before within the tolerance window.
    pub replayed_nonce: u64,
    /// A field was empty, too long or malformed.
    pub invalid_request: u64,
}

/// Rooms.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Rooms {
    /// Rooms created in the window (each spent one unit of its app's daily
    /// quota).
    pub created: u64,
    /// Rooms destroyed in the window (their last member left); null in
    /// load mode (not observable from the client: the service does not say
    /// when a room goes).
    pub destroyed: Option<u64>,
    /// The most rooms active at once in the window; null in load mode (not
    /// observable from the client).
    pub peak_active: Option<u64>,
    /// Rooms active when the run ended; null in load mode (not observable
    /// from the client).
    pub active_at_end: Option<u64>,
    /// `created / accepted joins`: how much quota each join costs.
    pub created_per_accepted_join: f64,
}

/// Members (users in a room).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Members {
    /// The most members in rooms at once in the window.
    pub peak_active: u64,
    /// Members in rooms when the run ended.
    pub active_at_end: u64,
}

/// The daily room quota.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Quota {
    /// How many (app, quota day) pairs ran out of rooms; null in load mode
    /// (the service's quota ledger is not observable from the client).
    pub exhausted_days: Option<u64>,
    /// Every quota day the window touched, per app, in order (empty in
    /// load mode).
    pub days: Vec<QuotaDay>,
    /// The scenario's `quota_headroom`: the share of each app's quota kept
    /// free when counting the apps a day needs (0.2: plan for 80%).
    #[serde(default)]
    pub headroom: f64,
    /// Per quota date, the rooms every app together was asked for and the
    /// apps that takes at the headroom (empty in load mode).
    #[serde(default)]
    pub plan: Vec<QuotaPlanDay>,
    /// The most apps any quota date needs (`plan[].apps_needed`, the peak
    /// day's); null in load mode (the quota ledger is not observable).
    #[serde(default)]
    pub apps_needed: Option<u64>,
}

/// One quota date across the apps: the demand beyond one app's quota.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QuotaPlanDay {
    /// The quota day's local date, YYYY-MM-DD.
    pub date: String,
    /// The apps that had rooms asked of them that date.
    pub apps: Vec<String>,
    /// Rooms the traffic asked for that date, all apps together
    /// (`Σ days[].rooms_wanted`).
    pub rooms_wanted: u64,
    /// The smallest daily quota among those apps: what one app is planned
    /// to hold.
    pub quota_per_app: u64,
    /// Apps needed so that none uses more than (1 − headroom) of its
    /// quota: ⌈rooms_wanted ÷ (quota_per_app × (1 − headroom))⌉.
    pub apps_needed: u64,
    /// True when the statistics window covered the whole quota day; a
    /// partly covered day understates its demand.
    pub whole_day: bool,
}

/// One app's quota day.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QuotaDay {
    /// The app's name in the scenario.
    pub app: String,
    /// The quota day's local date (in the app's quota offset), YYYY-MM-DD.
    pub date: String,
    /// Rooms the day has used, as WeChat counts them: every room created
    /// on that quota day, including those created before the statistics
    /// window (a warm-start pre-roll, a warm-up).
    pub rooms_created: u64,
    /// Rooms this run's statistics window created on that day (the part of
    /// `rooms_created` that the window's traffic caused).
    pub created_in_window: u64,
    /// The app's daily quota.
    pub quota: u64,
    /// When the last unit was spent (RFC 3339), or null.
    pub exhausted_at: Option<String>,
    /// Joins refused in the window because the quota was spent.
    pub rejected_joins: u64,
    /// Rooms refused in the window because the quota was spent: distinct
    /// groupIds whose join would have created a room (exact when every
    /// party has its own group; a group of a pool refused twice that day
    /// counts once).
    #[serde(default)]
    pub rooms_refused: u64,
    /// Rooms the traffic wanted that day: `rooms_created + rooms_refused`.
    #[serde(default)]
    pub rooms_wanted: u64,
    /// Quota left at the end of the run (or of the day): `quota −
    /// rooms_created`.
    #[serde(default)]
    pub quota_left: u64,
    /// Apps of this quota needed for the day's wanted rooms at the
    /// headroom: ⌈rooms_wanted ÷ (quota × (1 − headroom))⌉.
    #[serde(default)]
    pub apps_needed: u64,
}

/// The backend's signing load, and signing cost on this CPU.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Signing {
    /// Signatures the backend issued in the window (one per join attempt).
    pub count: u64,
    /// `count` over the statistics window's seconds.
    pub mean_per_s: f64,
    /// The most signatures in any one calendar second: what the backend
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
    /// deterministic sample of the window's signatures: the simulator times
    /// one signature in eight (the 1st, 9th, 17th, ...), so that reading
    /// the clock does not weigh on the run; `count` still counts every
    /// signature. The same samples as `signing.hlog`.
    pub latency_ns: Option<Latency>,
}

/// Percentiles of a latency distribution, in nanoseconds, from an
/// HdrHistogram (3 significant digits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Latency {
    /// How many values were recorded.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// The largest value.
    pub max: u64,
    /// The mean.
    pub mean: f64,
}

impl Latency {
    /// Summarizes a histogram of nanosecond values; `None` when empty.
    pub fn from_histogram(histogram: &hdrhistogram::Histogram<u64>) -> Option<Latency> {
        (!histogram.is_empty()).then(|| Latency {
            count: histogram.len(),
            p50: histogram.value_at_quantile(0.5),
            p90: histogram.value_at_quantile(0.9),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
            mean: histogram.mean(),
        })
    }
}

/// HTTP requests of a load test.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Requests {
    /// Requests sent in the window.
    pub sent: u64,
    /// Requests answered (any status) in the window.
    pub completed: u64,
    /// Latency from each request's *intended* send time to its answer:
    /// corrected for coordinated omission (a stalled server shows here).
    pub latency_ns: Option<Latency>,
    /// Latency from each request's actual send to its answer: uncorrected
    /// (hides the time requests waited to be sent).
    pub latency_uncorrected_ns: Option<Latency>,
    /// How late each request was sent after its intended time.
    pub send_lateness_ns: Option<Latency>,
    /// Requests that failed, by class.
    pub errors: RequestErrors,
    /// WeChat codes in the answers, by code: a room's refusals as
    /// `errCode/inner code` (`-1000/-12020` invalid signature, `-1` already
    /// in a room) and the `errcode` of a refused WeChat API call (`40013`).
    /// A refusal is an answer, not an error: it is counted here and under
    /// `joins.rejected`, not under `errors`.
    pub wechat_codes: std::collections::BTreeMap<String, u64>,
    /// Scenario seconds played per wall-clock second (`--speed`; 1 for a
    /// quick look): the time compression of this run.
    pub speed: f64,
    /// Client connections in the pool (`--connections`).
    pub connections: u64,
}

/// Failed requests by class (a WeChat refusal is not an error here: it is
/// counted under `joins.rejected`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct RequestErrors {
    /// All failed requests.
    pub total: u64,
    /// The connection could not be made or broke.
    pub connect: u64,
    /// No answer within the timeout.
    pub timeout: u64,
    /// An HTTP status other than 2xx.
    pub http_status: u64,
    /// A 2xx answer whose body was not what the API promises.
    pub malformed_body: u64,
    /// A signing backend's signature that did not match the expected one.
    pub wrong_signature: u64,
}

/// Join attempts made wrong on purpose by the scenario's `faults`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct FaultCounts {
    /// Signed over the wrong message (refused as `invalid_signature`).
    pub wrong_signature: u64,
    /// Signed with a millisecond timestamp (refused as `invalid_signature`).
    pub millisecond_timestamp: u64,
    /// A timestamp older than the app's tolerance (`stale_timestamp`).
    pub stale_timestamp: u64,
    /// Signed with the key a re-login just replaced (`invalid_signature`).
    pub stale_session_key: u64,
}

/// What client releases did in the window.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ReleaseCounts {
    /// Re-logins a release forced before a user's join: each one a
    /// `wx.login` and a `code2Session` call through the backend, its
    /// extra load.
    pub relogins: u64,
    /// Joins signed with the session key the release had replaced (the
    /// backend's cache not refreshed, `stale_signing`).
    pub stale_key_joins: u64,
    /// Of those, the joins refused as `invalid_signature` (in the
    /// simulator, all of them; in a load test, as the service answered).
    pub stale_key_refused: u64,
}

/// One app's figures.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AppSummary {
    /// The app's name in the scenario.
    pub name: String,
    /// Its appId.
    pub app_id: String,
    /// Room capacity.
    pub capacity: u32,
    /// Daily room quota.
    pub daily_quota: u64,
    /// Its join attempts in the window.
    pub joins: Joins,
    /// Rooms it created in the window.
    pub rooms_created: u64,
}

/// One threshold's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdResult {
    /// As written in the scenario.
    pub expr: String,
    /// The metric's value (or ratio); null when it could not be computed
    /// (e.g. a latency when signing was not measured). Measured when the
    /// metric is (a signing latency): then it varies run to run.
    pub observed: Option<f64>,
    /// Whether the threshold held.
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
            mode: RunMode::Simulate,
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
                pending_peak: Some(1),
                wall_s: 0.5,
                events_per_s: 20.0,
            },
            joins: Joins::default(),
            leaves: 0,
            rooms: Rooms {
                destroyed: Some(0),
                peak_active: Some(0),
                active_at_end: Some(0),
                ..Rooms::default()
            },
            members: Members::default(),
            quota: Quota {
                exhausted_days: Some(0),
                apps_needed: Some(0),
                ..Quota::default()
            },
            signing: Signing {
                latency_ns: Some(Latency {
                    count: 8,
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
            requests: None,
            faults: FaultCounts::default(),
            releases: None,
            trace: None,
            apps: Vec::new(),
            workloads: Vec::new(),
            thresholds: Vec::new(),
            passed: true,
            shard: None,
            merged: None,
            machine: None,
            demand: Vec::new(),
            theory: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_percentiles_of_a_known_distribution() {
        let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        let l = Latency::from_histogram(&h).unwrap();
        assert_eq!(
            (l.count, l.p50, l.p90, l.p99, l.p999, l.max),
            (1000, 500, 900, 990, 999, 1000)
        );
        assert!((l.mean - 500.5).abs() < 1.0);
        let empty = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        assert_eq!(Latency::from_histogram(&empty), None);
    }
}
