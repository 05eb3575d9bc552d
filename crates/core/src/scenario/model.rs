//! The validated, typed scenario: what the workload generator and the
//! simulator consume.
//!
//! Everything here has already been checked (see `convert.rs`): durations
//! are [`std::time::Duration`], rates are events per second (`f64`, finite,
//! ≥ 0), probabilities are in `[0, 1]`, parties fit their app's rooms, and
//! every app reference resolves. Nothing here remembers TOML spans; those
//! live only in the parsing layer (`raw.rs`).
//!
//! Rates are always the *workload's total* rate of party arrivals: a TOML
//! `per = "group"` rate has already been multiplied by the pool size.

use std::path::PathBuf;
use std::time::Duration;

use time::{OffsetDateTime, UtcOffset};

use super::threshold::Threshold;

/// Seconds in a day, the period of daily profiles and daily bursts.
pub const DAY_SECS: f64 = 86_400.0;

/// The quota headroom when a scenario gives none: plan for 80% of each
/// app's daily quota, so a busier day than the simulated one still fits.
pub const DEFAULT_QUOTA_HEADROOM: f64 = 0.2;

/// A whole scenario: one simulated period of one or more apps' traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// `[A-Za-z0-9._-]+`; names the report folder.
    pub name: String,
    /// Free text; empty when not given.
    pub description: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Wall-clock instant the simulation starts at (its offset sets the time
    /// of day used by daily profiles and daily bursts).
    pub start: OffsetDateTime,
    /// Simulated length, > 0.
    pub duration: Duration,
    /// Length of one time-series row, > 0 and ≤ `duration`.
    pub report_interval: Duration,
    /// Rooms begin in their steady state instead of empty (generated
    /// workloads only: a trace replay starts from the rooms its rows make).
    pub warm_start: bool,
    /// Leading period excluded from the statistics, < `duration`.
    pub warmup: Duration,
    /// The apps, sorted by name. Never empty: without an `[apps]` table there
    /// is one app named `default` with WeChat's rules.
    pub apps: Vec<App>,
    /// At least one workload.
    pub workloads: Vec<Workload>,
    /// Pass/fail checks over the summary (evaluated by the report).
    pub thresholds: Vec<Threshold>,
    /// Client releases that rotate session keys, in scenario order.
    pub releases: Vec<Release>,
    /// The share of each app's daily quota kept free when the report says
    /// how many apps a day needs (`quota_headroom`, default
    /// [`DEFAULT_QUOTA_HEADROOM`]), in `[0, 1)`.
    pub quota_headroom: f64,
    /// The file the scenario came from (`<built-in>` for the default), used
    /// for messages; relative paths in it were resolved against its folder.
    pub origin: PathBuf,
}

impl Scenario {
    /// The app a workload (or a trace event) refers to by index.
    pub fn app(&self, index: usize) -> &App {
        &self.apps[index]
    }

    /// The app with this name, if any.
    pub fn app_named(&self, name: &str) -> Option<&App> {
        self.apps.iter().find(|app| app.name == name)
    }

    /// Seconds since midnight (in the start's UTC offset) of the instant
    /// `elapsed` after the start: the clock daily profiles and daily bursts
    /// read. Always in `[0, 86400)`.
    pub fn time_of_day_secs(&self, elapsed: Duration) -> f64 {
        let (h, m, s, ns) = self.start.to_hms_nano();
        let start =
            f64::from(h) * 3600.0 + f64::from(m) * 60.0 + f64::from(s) + f64::from(ns) * 1e-9;
        (start + elapsed.as_secs_f64()).rem_euclid(DAY_SECS)
    }
}

/// One Mini Program: WeChat's room rules, possibly overridden.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// The name workloads use (the key of `[apps.NAME]`).
    pub name: String,
    /// The `appId` signed into joins: given, or `"wx"` + 16 hex digits
    /// derived from the name.
    pub app_id: String,
    /// Members a room holds at once (WeChat: 10), 1 to
    /// [`MAX_CAPACITY`](crate::rules::MAX_CAPACITY).
    pub capacity: u32,
    /// Rooms the app may create per quota day (WeChat: 100,000), 1 to
    /// [`MAX_DAILY_QUOTA`].
    pub daily_quota: u64,
    /// UTC offset of the quota day's midnight (default +08:00), within ±14:00.
    pub quota_day_offset: UtcOffset,
    /// A join whose timestamp is further than this from the service's clock
    /// is rejected as stale; `None` (the default) accepts any timestamp.
    pub timestamp_tolerance: Option<Duration>,
    /// Check join signatures (default true). When false, joins are never
    /// rejected for their signature and signing is not measured.
    pub verify_signatures: bool,
    /// Reject a join that reuses a nonce the app has already seen (default
    /// false: WeChat documents no such check).
    pub nonce_replay: bool,
    /// Who signs this app's joins when `voipsim load` plays the room
    /// service's user flows (`signer`); the simulator's rules are the same
    /// either way.
    pub signer: JoinSigner,
}

/// Who signs a join in a load test of the room service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JoinSigner {
    /// The Mini Program's backend, with the session key the user's login
    /// (`code2Session`) returned: the usual setup.
    #[default]
    Backend,
    /// WeChat's signing call, `POST /wxa/getvoipsign` (cloud development,
    /// where the backend never sees the session key).
    GetVoipSign,
}

/// WeChat's room capacity.
pub const WECHAT_CAPACITY: u32 = 10;
/// WeChat's daily room quota per app.
pub const WECHAT_DAILY_QUOTA: u64 = 100_000;
/// The largest `daily_quota` a scenario may give: the room service counts
/// a day's rooms in 32 bits ([`AppSettings::daily_quota`]), so a larger
/// quota could not be honoured and is refused where it is written rather
/// than silently capped.
///
/// [`AppSettings::daily_quota`]: crate::rules::AppSettings::daily_quota
pub const MAX_DAILY_QUOTA: u64 = u32::MAX as u64;
/// The most groupIds `groups.recent` may remember: the workload generator
/// keeps at most this many (`workload::groups`), so a larger value is
/// refused where it is written rather than silently lowered.
pub const MAX_RECENT_GROUPS: u64 = 1 << 20;

/// A stream of parties (or a replayed trace) aimed at one app.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Unique within the scenario (default `workload-N`, N from 1).
    pub name: String,
    /// Index into [`Scenario::apps`]: the first (often the only) app of
    /// [`Workload::apps`].
    pub app: usize,
    /// Indexes into [`Scenario::apps`] of every app its parties are spread
    /// over (`app = ["a", "b"]`), at least one, distinct, in the order
    /// written: a party of group number `g` joins `apps[g % apps.len()]`
    /// (see [`Workload::app_of_group`]).
    pub apps: Vec<usize>,
    /// The daily-active-users figures its arrival rate was derived from
    /// (`arrivals = { dau = …, sessions_per_user = … }`), if it was.
    pub demand: Option<Demand>,
    /// How parties choose their groupId. Ignored for a trace.
    pub groups: Groups,
    /// The shared pool the workload's groups come from (`groups.shared`):
    /// its groupIds are `<pool>-N` rather than `<workload>-N`.
    pub shared_pool: Option<String>,
    /// When parties arrive.
    pub arrivals: Arrivals,
    /// Windows that multiply the arrival rate. Empty for a trace.
    pub bursts: Vec<Burst>,
    /// Members per party. `Fixed(1)` for a trace.
    pub party: PartySize,
    /// How a party is let in: member by member, or whole or not at all.
    /// [`Admission::Partial`] for a trace.
    pub admission: Admission,
    /// Gap between successive members of a party joining. Fixed zero for a
    /// trace.
    pub stagger: Distribution,
    /// How long each member stays. Fixed zero for a trace (the trace says
    /// when members leave). With [`StayOf::Match`], the match's length.
    pub stay: Distribution,
    /// Whether `stay` is drawn per member or once per party (a match whose
    /// members leave together).
    pub stay_of: StayOf,
    /// Drop-and-rejoin behaviour; `None` means members never reconnect.
    pub reconnect: Option<Reconnect>,
    /// Fractions of join attempts made wrong on purpose.
    pub faults: Faults,
    /// The outages that hit this workload, in scenario order.
    pub outages: Vec<Outage>,
}

impl Workload {
    /// True when the workload replays a recorded trace.
    pub fn is_trace(&self) -> bool {
        matches!(self.arrivals, Arrivals::Trace(_))
    }

    /// The app (index into [`Scenario::apps`]) a party of group number
    /// `group` joins: group numbers are dealt round the workload's apps, so
    /// fresh groups (numbered 0, 1, 2, …) go round-robin and a group always
    /// stays in one app (its members meet in one room, a reused group finds
    /// its room). Deterministic and free of random draws, so spreading a
    /// workload changes nothing else in it and every driver picks the same.
    #[inline]
    pub fn app_of_group(apps: &[usize], group: u64) -> usize {
        match apps {
            [] => 0,
            [only] => *only,
            many => many[(group % many.len() as u64) as usize],
        }
    }
}

/// A workload's traffic as a planner states it: daily active users, each
/// with some sessions (matches, calls) a day, from which the party arrival
/// rate is derived: `parties per day = dau × sessions_per_user ÷ mean
/// party size` (each session is one member's seat in one party).
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// Daily active users, > 0.
    pub dau: f64,
    /// Sessions each user has a day, > 0.
    pub sessions_per_user: f64,
    /// The mean party size the rate was divided by.
    pub mean_party: f64,
    /// The derived parties per day (the mean over a day, before bursts).
    pub parties_per_day: f64,
}

impl Demand {
    /// The derived mean party arrival rate, per second.
    pub fn mean_rate(&self) -> f64 {
        self.parties_per_day / DAY_SECS
    }
}

/// How a party's groupId is chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Groups {
    /// A fixed pool of `size` groupIds (≥ 1), chosen uniformly.
    Pool { size: u64 },
    /// A new groupId for every party.
    Fresh,
    /// With probability `reuse`, reuse one of the `keep` (≥ 1) most
    /// recently *created* groupIds of this workload, chosen uniformly; else
    /// create a fresh one (which then joins those `keep`). Reusing a
    /// groupId does not make it more recent.
    Recent { keep: u64, reuse: f64 },
}

/// The arrival process of parties. All rates are workload totals in
/// parties per second.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrivals {
    /// A homogeneous Poisson process.
    Poisson { rate: f64 },
    /// A Poisson process whose rate is `mean_rate × profile.factor(time of
    /// day)`; generate it by thinning against `mean_rate × profile.peak()`.
    Profile {
        mean_rate: f64,
        profile: DailyProfile,
    },
    /// Rate linear from `from` to `to` over `over` (> 0) from the start,
    /// then constant at `to`.
    Ramp { from: f64, to: f64, over: Duration },
    /// Replay of a recorded trace; ignores groups, party, stagger and stay.
    Trace(Trace),
}

/// A daily shape with mean 1 over a day, periodic.
#[derive(Debug, Clone, PartialEq)]
pub enum DailyProfile {
    /// 24 factors, one per hour (hour 0 = 00:00–01:00), a step function,
    /// already normalised so that their mean is 1.
    Hourly([f64; 24]),
    /// Points `(seconds since midnight, factor)` sorted by time, strictly
    /// increasing, linearly interpolated and wrapping from the last point
    /// to the first one plus a day; already normalised so the day's average
    /// is 1.
    Points(Vec<(f64, f64)>),
}

impl DailyProfile {
    /// The factor at `secs` seconds since midnight (any value; taken modulo
    /// a day).
    pub fn factor(&self, secs: f64) -> f64 {
        let t = secs.rem_euclid(DAY_SECS);
        match self {
            DailyProfile::Hourly(weights) => weights[((t / 3600.0) as usize).min(23)],
            DailyProfile::Points(points) => interpolate(points, t),
        }
    }

    /// The largest factor over the day (the thinning bound).
    pub fn peak(&self) -> f64 {
        match self {
            DailyProfile::Hourly(weights) => weights.iter().copied().fold(0.0, f64::max),
            DailyProfile::Points(points) => points.iter().map(|p| p.1).fold(0.0, f64::max),
        }
    }
}

/// Periodic piecewise-linear interpolation over sorted points.
pub(crate) fn interpolate(points: &[(f64, f64)], t: f64) -> f64 {
    match points {
        [] => 1.0,
        [only] => only.1,
        _ => {
            let first = points[0];
            let last = points[points.len() - 1];
            // Before the first point or after the last: the wrap segment
            // from the last point to the first point of the next day.
            if t < first.0 || t >= last.0 {
                let span = first.0 + DAY_SECS - last.0;
                let into = if t >= last.0 {
                    t - last.0
                } else {
                    t + DAY_SECS - last.0
                };
                return lerp(last.1, first.1, into / span);
            }
            let i = points.partition_point(|p| p.0 <= t) - 1;
            let (a, b) = (points[i], points[i + 1]);
            lerp(a.1, b.1, (t - a.0) / (b.0 - a.0))
        }
    }
}

fn lerp(a: f64, b: f64, f: f64) -> f64 {
    a + (b - a) * f
}

/// A window during which the arrival rate (of a Poisson, profile or ramp
/// process) is multiplied by `factor`; overlapping windows multiply. A
/// window runs over `[start, start + duration)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    pub at: BurstAt,
    /// Length of the window, > 0.
    pub duration: Duration,
    /// Rate multiplier, ≥ 0 (0 silences the window; < 1 is a lull).
    pub factor: f64,
}

/// When a burst starts.
#[derive(Debug, Clone, PartialEq)]
pub enum BurstAt {
    /// Every day at this time of day (since midnight in the start's offset).
    Daily(Duration),
    /// Once, this long after the start.
    Once(Duration),
}

/// Members per party.
#[derive(Debug, Clone, PartialEq)]
pub enum PartySize {
    /// Always this many (≥ 1).
    Fixed(u32),
    /// Uniform over `min..=max` (1 ≤ min ≤ max).
    Uniform { min: u32, max: u32 },
    /// Sizes with probabilities: sizes distinct and ascending, probabilities
    /// > 0, normalised to sum to 1.
    Weighted(Vec<(u32, f64)>),
}

impl PartySize {
    /// The largest party this can produce.
    pub fn max(&self) -> u32 {
        match self {
            PartySize::Fixed(n) => *n,
            PartySize::Uniform { max, .. } => *max,
            PartySize::Weighted(table) => table.iter().map(|e| e.0).max().unwrap_or(1),
        }
    }

    /// The mean party size.
    pub fn mean(&self) -> f64 {
        match self {
            PartySize::Fixed(n) => f64::from(*n),
            PartySize::Uniform { min, max } => (f64::from(*min) + f64::from(*max)) / 2.0,
            PartySize::Weighted(table) => table.iter().map(|(n, p)| f64::from(*n) * p).sum(),
        }
    }
}

/// A distribution of durations (stays, staggers, reconnect delays).
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Always this long.
    Fixed(Duration),
    /// Exponential with this mean.
    Exponential { mean: Duration },
    /// Lognormal given by its median and 95th percentile (`p95 > median >
    /// 0`); see [`Distribution::lognormal_params`].
    LogNormal { median: Duration, p95: Duration },
    /// Uniform over `[min, max]`, `min ≤ max`.
    Uniform { min: Duration, max: Duration },
    /// Drawn uniformly from these values (at least one, as loaded from the
    /// CSV, in file order).
    Empirical(Vec<Duration>),
}

/// The standard normal quantile at 0.95.
pub const Z95: f64 = 1.644_853_626_951_472_2;

impl Distribution {
    /// `(mu, sigma)` of the underlying normal, in ln-seconds, for a
    /// lognormal: `mu = ln(median)`, `sigma = ln(p95 / median) / z(0.95)`.
    /// `None` for other kinds.
    pub fn lognormal_params(&self) -> Option<(f64, f64)> {
        match self {
            Distribution::LogNormal { median, p95 } => {
                let m = median.as_secs_f64();
                Some((m.ln(), (p95.as_secs_f64() / m).ln() / Z95))
            }
            _ => None,
        }
    }

    /// The mean in seconds (used, for example, to size a warm start).
    pub fn mean_secs(&self) -> f64 {
        match self {
            Distribution::Fixed(d) => d.as_secs_f64(),
            Distribution::Exponential { mean } => mean.as_secs_f64(),
            Distribution::LogNormal { .. } => {
                let (mu, sigma) = self.lognormal_params().unwrap_or((0.0, 0.0));
                (mu + sigma * sigma / 2.0).exp()
            }
            Distribution::Uniform { min, max } => (min.as_secs_f64() + max.as_secs_f64()) / 2.0,
            Distribution::Empirical(values) => {
                values.iter().map(Duration::as_secs_f64).sum::<f64>() / values.len().max(1) as f64
            }
        }
    }

    /// The zero duration, fixed.
    pub fn zero() -> Self {
        Distribution::Fixed(Duration::ZERO)
    }
}

/// How a party is let into its room (`party.admission`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Admission {
    /// Members join one by one, as WeChat lets them: those finding the
    /// room full are refused, the others stay (a party can be split).
    #[default]
    Partial,
    /// A matchmaker sends the party only to a room with a seat for every
    /// member at the moment it arrives; otherwise no member joins (they
    /// are counted as turned away, not as join attempts).
    AllOrNothing,
}

/// Whose stay a workload's `stay` distribution draws.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum StayOf {
    /// Each member's stay is drawn on its own: a room lives until its
    /// last member leaves.
    #[default]
    Member,
    /// One draw per party, the match's length from the party's arrival:
    /// every member leaves when the match ends, except a share
    /// `early_leavers` (in `[0, 1]`) who leave at a uniform point before.
    Match { early_leavers: f64 },
}

/// A member drops once during its stay and rejoins after a delay.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnect {
    /// Chance that a member drops once, in `[0, 1]` (0 with `rate_per_s`).
    pub probability: f64,
    /// Drops per second in the room, when reconnects are a rate: any
    /// number of drops, a Poisson process over the member's time in the
    /// room. `None`: at most one drop, with `probability`.
    pub rate_per_s: Option<f64>,
    /// Time between the drop and the rejoin.
    pub delay: Distribution,
}

/// An outage: at `at` (since the start), each member in a room at its own
/// drop instant (uniform in `[at, at + over]`) drops with probability
/// `share` and rejoins after `rejoin`, for the rest of its stay.
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    pub at: Duration,
    pub over: Duration,
    pub share: f64,
    pub rejoin: Distribution,
}

/// A client release: each user of the workloads it reaches logs in again
/// at its own moment of `[at, at + spread]` (since the start), which
/// replaces its session key; its next join needs that login and, with
/// probability `stale_signing`, is still signed with the old key.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub at: Duration,
    pub spread: Duration,
    pub stale_signing: f64,
    /// Indexes into [`Scenario::workloads`] of the workloads it reaches
    /// (never a trace), ascending.
    pub workloads: Vec<usize>,
}

/// Fractions of join attempts made wrong on purpose, each in `[0, 1]`,
/// summing to at most 1 (a join gets at most one fault).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Signed with a wrong key or message.
    pub wrong_signature: f64,
    /// Timestamp in milliseconds instead of seconds (signs fine, fails
    /// verification at WeChat).
    pub millisecond_timestamp: f64,
    /// Timestamp older than the app's tolerance.
    pub stale_timestamp: f64,
    /// Signed with the session key a re-login has replaced.
    pub stale_session_key: f64,
}

impl Faults {
    /// Sum of the fractions (≤ 1).
    pub fn total(&self) -> f64 {
        self.wrong_signature
            + self.millisecond_timestamp
            + self.stale_timestamp
            + self.stale_session_key
    }
}

/// A recorded trace, loaded and checked at parse time.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The CSV file (resolved against the scenario's folder).
    pub path: PathBuf,
    /// Events sorted by `at` (non-decreasing, in file order). Events at or
    /// after the scenario's `duration` are to be ignored by the runner.
    pub events: Vec<TraceEvent>,
}

/// One row of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    /// Time since the scenario start.
    pub at: Duration,
    /// Index into [`Scenario::apps`].
    pub app: usize,
    pub group_id: String,
    pub openid: String,
    pub kind: TraceEventKind,
    /// A join's fault: its own (the trace's `fault` column) or drawn.
    pub fault: TraceFault,
}

/// The fault a trace row gives its join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFault {
    /// Drawn from the workload's `faults` (an empty or absent cell).
    Drawn,
    /// None: the row says `none`.
    Clean,
    /// The row's own.
    Given(crate::workload::Fault),
}

impl TraceFault {
    /// The fault the join gets, given the one its workload drew for it
    /// (drawn for every join row either way, so the draws of the other
    /// rows do not depend on which rows carry their own).
    #[inline]
    pub fn or_drawn(self, drawn: Option<crate::workload::Fault>) -> Option<crate::workload::Fault> {
        match self {
            TraceFault::Drawn => drawn,
            TraceFault::Clean => None,
            TraceFault::Given(fault) => Some(fault),
        }
    }
}

/// What a trace row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceEventKind {
    Join,
    Leave,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_interpolate_and_wrap() {
        let points = vec![(0.0, 1.0), (43_200.0, 3.0)];
        assert_eq!(interpolate(&points, 0.0), 1.0);
        assert_eq!(interpolate(&points, 21_600.0), 2.0);
        assert_eq!(interpolate(&points, 43_200.0), 3.0);
        assert_eq!(interpolate(&points, 64_800.0), 2.0);
        let offset = vec![(3600.0, 2.0), (7200.0, 4.0)];
        // Wrap segment runs from 02:00 (4.0) to 01:00 next day (2.0): 23 h.
        let mid = interpolate(&offset, 0.0);
        assert!((mid - (4.0 - 2.0 * (22.0 / 23.0))).abs() < 1e-9);
    }

    #[test]
    fn hourly_factor_picks_the_hour() {
        let mut w = [1.0; 24];
        w[20] = 5.0;
        let p = DailyProfile::Hourly(w);
        assert_eq!(p.factor(20.5 * 3600.0), 5.0);
        assert_eq!(p.factor(DAY_SECS + 20.5 * 3600.0), 5.0);
        assert_eq!(p.peak(), 5.0);
    }

    #[test]
    fn lognormal_params_match_median_and_p95() {
        let d = Distribution::LogNormal {
            median: Duration::from_secs(300),
            p95: Duration::from_secs(1800),
        };
        let (mu, sigma) = d.lognormal_params().unwrap();
        assert!((mu.exp() - 300.0).abs() < 1e-9);
        assert!(((mu + Z95 * sigma).exp() - 1800.0).abs() < 1e-6);
        assert!(d.mean_secs() > 300.0);
    }

    #[test]
    fn party_max_and_mean() {
        let p = PartySize::Weighted(vec![(2, 0.5), (4, 0.5)]);
        assert_eq!(p.max(), 4);
        assert_eq!(p.mean(), 3.0);
        assert_eq!(PartySize::Uniform { min: 2, max: 6 }.mean(), 4.0);
    }
}
