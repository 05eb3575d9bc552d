//! The scenario file as written: serde types that mirror the TOML and keep
//! every value's span, so later checks can point at a line and column.
//!
//! These types are also the source of the JSON Schema (`voipsim schema`),
//! so their doc comments are the schema's descriptions. Almost every key is
//! optional here even when the format requires it: `convert.rs` reports a
//! missing key with a location and a fix, which serde cannot. Keys that are
//! alternatives (`{ poisson = … }` or `{ ramp = … }`) are optional fields of
//! one table, so an unknown key still gets a "did you mean" from serde's
//! `deny_unknown_fields` and `convert.rs` checks that exactly one is given.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A value and the byte range it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<T>::deserialize(deserializer)?;
        Ok(Located {
            span: spanned.span(),
            value: spanned.into_inner(),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

// Map keys are compared by value only, so `BTreeMap<Located<String>, _>`
// orders apps by name and keeps each key's span.
impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Located<T> {}

impl<T: PartialOrd> PartialOrd for Located<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord> Ord for Located<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

type L<T> = Option<Located<T>>;

/// One `["HH:MM", weight]` point of a daily profile.
pub type RawPoint = Located<PointPair>;

/// The two elements of a profile point. Not a tuple: serde's tuple reads
/// the first two elements and ignores a third, so `["08:00", 1, 5]` was
/// accepted silently; this refuses any length but two.
#[derive(Debug, Clone)]
pub struct PointPair(pub Located<String>, pub Located<f64>);

impl<'de> Deserialize<'de> for PointPair {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(PointVisitor)
    }
}

struct PointVisitor;

impl<'de> Visitor<'de> for PointVisitor {
    type Value = PointPair;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a pair [\"HH:MM\", weight]")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let time = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let weight = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let mut extra = 0;
        while seq.next_element::<de::IgnoredAny>()?.is_some() {
            extra += 1;
        }
        if extra > 0 {
            return Err(de::Error::invalid_length(2 + extra, &self));
        }
        Ok(PointPair(time, weight))
    }
}

/// A voipsim scenario: who joins which WeChat voice-chat room when, under
/// which room rules, and what counts as a pass. Human units everywhere:
/// durations "30s", "15m", "24h", "2ms"; rates "5/min", "40/s", "100/day".
/// Limits (docs/scenarios.md, "Limits"): every duration at most "400d",
/// every rate at most "10000000/s", at most 1,000,000 report rows and 10^10
/// expected join attempts. A schema cannot range-check duration, rate or
/// instant strings; `voipsim validate` does.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "voipsim scenario")]
pub struct RawScenario {
    /// Names the scenario and its report folder: letters, digits, `.`, `_`
    /// and `-` only.
    #[schemars(required, regex(pattern = r"^[A-Za-z0-9._-]+$"), example = &"evening-peak")]
    pub name: L<String>,
    /// Free text describing the scenario.
    pub description: L<String>,
    /// Seed of every random stream; the same seed and scenario give the same
    /// report. Default 1.
    #[schemars(range(min = 0))]
    pub seed: L<u64>,
    /// The simulated instant the run starts at, RFC 3339 with a UTC offset
    /// (quoted or as a TOML date-time). Its offset is the clock for times of
    /// day in profiles and bursts, from 1970-01-01T00:00:00Z to before
    /// 2200-01-01T00:00:00Z. Default "2026-01-01T00:00:00+08:00".
    #[schemars(with = "Option<String>", example = &"2026-11-27T00:00:00+08:00")]
    pub start: L<toml::Value>,
    /// Simulated length, a duration > 0 and at most "400d", such as "24h"
    /// (a duration string: the bound is checked by `voipsim validate`).
    #[schemars(required, example = &"24h")]
    pub duration: L<String>,
    /// Length of one time-series row, > 0 and ≤ duration, with at most
    /// 1,000,000 rows (duration / report_interval). Default "1m".
    pub report_interval: L<String>,
    /// Rooms begin in their steady state (occupied as they would be after a
    /// long run) instead of empty. Default true: starting every room empty
    /// overstates room creations.
    pub warm_start: L<bool>,
    /// Leading period excluded from the statistics, < duration. Default "0s".
    pub warmup: L<String>,
    /// Mini Programs by name, each with WeChat's room rules unless
    /// overridden. Without this table there is one app named "default".
    pub apps: Option<BTreeMap<Located<String>, Located<RawApp>>>,
    /// The traffic: one or more workloads.
    #[schemars(required, length(min = 1))]
    pub workloads: Option<Vec<Located<RawWorkload>>>,
    /// Pass/fail checks, k6-style: `METRIC [/ METRIC] OP VALUE[UNIT]`, e.g.
    /// "joins.rejected.room_full / joins.attempted < 0.01",
    /// "signing.latency_ns.p(95) < 500us" or "apps.game.joins.attempted >
    /// 0". METRIC is any numeric path of summary.json (an app by name or
    /// index, a list element by index, a latency percentile p(N)). A failed
    /// threshold makes the exit code 1. Must be written before the first
    /// `[table]` header.
    pub thresholds: Option<Vec<Located<String>>>,
    /// Network or service outages: at `at`, a share of the members in rooms
    /// drop within `over` and rejoin after `rejoin`.
    pub outages: Option<Vec<Located<RawOutage>>>,
    /// Client releases: from `at`, over `spread`, every user logs in again
    /// and gets a new session key; a share of their next joins is still
    /// signed with the old one.
    pub releases: Option<Vec<Located<RawRelease>>>,
    /// The share of each app's daily quota kept free when the report says
    /// how many apps a day's traffic needs: in [0, 1), default 0.2 (plan
    /// for 80% of the quota).
    #[schemars(range(min = 0, max = 1))]
    pub quota_headroom: L<f64>,
}

/// One outage (`[[outages]]`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Outage")]
pub struct RawOutage {
    /// When it strikes: an offset from the start "+30m", or a time of day
    /// "20:30" (its first occurrence at or after the start).
    #[schemars(required, example = &"+30m")]
    pub at: L<String>,
    /// The window the drops fall in, each member's at a uniform instant of
    /// it; "0s" (the default) drops them all at `at`.
    pub over: L<String>,
    /// Chance in [0, 1] that a member in a room at its drop instant drops.
    #[schemars(required, range(min = 0, max = 1))]
    pub share: L<f64>,
    /// Time from the drop to the rejoin (a distribution).
    #[schemars(required)]
    pub rejoin: L<RawDistribution>,
    /// The workloads it hits, by name (default: every workload that is not
    /// a trace).
    pub workloads: L<Vec<Located<String>>>,
    /// Or: every workload of this app.
    pub app: L<String>,
}

/// One client release (`[[releases]]`): every user in its scope logs in
/// again (`wx.login`, then the backend's `code2Session`) at its own moment
/// of the spread, which replaces its session key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Release")]
pub struct RawRelease {
    /// When it ships: an offset from the start "+30m", or a time of day
    /// "20:00" (its first occurrence at or after the start).
    #[schemars(required, example = &"20:00")]
    pub at: L<String>,
    /// The window users pick it up in, each at its own uniform moment of
    /// it; "0s" (the default) rotates every key at `at`.
    #[schemars(example = &"10m")]
    pub spread: L<String>,
    /// Chance in [0, 1] that a user's first join after its new login is
    /// still signed with the old key (the backend's cache not refreshed),
    /// and so refused as `invalid_signature`. Default 0.
    #[schemars(range(min = 0, max = 1))]
    pub stale_signing: L<f64>,
    /// The workloads whose users it reaches, by name (default: every
    /// workload that is not a trace).
    pub workloads: L<Vec<Located<String>>>,
    /// Or: every workload of these apps, by name.
    pub apps: L<Vec<Located<String>>>,
}

/// One Mini Program's service settings; every key overrides a WeChat default.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "App")]
pub struct RawApp {
    /// The appId signed into joins. Default: "wx" and 16 hex digits derived
    /// from the app's name.
    #[schemars(example = &"wx20afc706a711eefc")]
    pub app_id: L<String>,
    /// Members a room holds at once, 1 to 65535. WeChat: 10.
    #[schemars(range(min = 1, max = 65535))]
    pub capacity: L<i64>,
    /// Rooms the app may create per quota day, 1 to 4294967295 (the room
    /// service counts them in 32 bits). WeChat: 100000.
    #[schemars(range(min = 1, max = 4_294_967_295_i64))]
    pub daily_quota: L<i64>,
    /// UTC offset of the quota day's midnight, "+HH:MM" within ±14:00.
    /// Default "+08:00" (China).
    #[schemars(example = &"+08:00")]
    pub quota_day_offset: L<String>,
    /// Reject joins whose timestamp is further than this from the service's
    /// clock. Default: no limit (WeChat documents none).
    pub timestamp_tolerance: L<String>,
    /// Check join signatures. Default true.
    pub verify_signatures: L<bool>,
    /// Reject a join whose nonce the app has already seen. Default false.
    /// Needs `timestamp_tolerance` (nonces are remembered for that window).
    pub nonce_replay: L<bool>,
    /// Who signs joins when `voipsim load` plays the room service's user
    /// flows: "backend" (the backend signs with the session key the login
    /// returned) or "getvoipsign" (WeChat's signing call, as cloud
    /// development does). Default "backend". The simulator ignores it.
    #[schemars(example = &"getvoipsign", regex(pattern = r"^(backend|getvoipsign)$"))]
    pub signer: L<String>,
}

/// A stream of parties joining rooms of one app, or a replayed trace.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Workload")]
pub struct RawWorkload {
    /// Unique name. Default "workload-N" (N counts from 1).
    pub name: L<String>,
    /// The app (a key of `[apps]`) the parties join, or a list of apps to
    /// spread the parties over (`["a", "b"]`: group number g goes to the
    /// (g mod N)-th app, so fresh groups go round-robin). Required when the
    /// scenario has more than one app.
    pub app: L<RawAppChoice>,
    /// How parties choose their groupId. Default { fresh = true }.
    pub groups: L<RawGroups>,
    /// When parties arrive: exactly one of poisson, profile, ramp, trace.
    #[schemars(required)]
    pub arrivals: L<RawArrivals>,
    /// Windows that multiply the arrival rate.
    pub bursts: Option<Vec<Located<RawBurst>>>,
    /// Members per party. Default { size = 1 }.
    pub party: L<RawParty>,
    /// Gap between successive members of a party joining (a distribution).
    /// Default "0s".
    pub stagger: L<RawDistribution>,
    /// How long each member stays (a distribution). Required unless the
    /// workload replays a trace.
    pub stay: L<RawDistribution>,
    /// Whose stay `stay` is: "member" (default; each member's drawn on its
    /// own) or "match" (one draw per party; members leave together when
    /// the match ends).
    pub stay_of: L<String>,
    /// With stay_of = "match": the share of members (0 to 1) who leave at
    /// a uniform point before the match ends. Default 0.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub early_leavers: L<f64>,
    /// Members that drop once during their stay and rejoin.
    pub reconnect: L<RawReconnect>,
    /// Fractions of join attempts made wrong on purpose. Default all 0.
    pub faults: L<RawFaults>,
}

/// One app by name, or several to spread a workload's parties over.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "AppChoice")]
pub enum RawAppChoice {
    /// One app, e.g. "game".
    One(String),
    /// Several distinct apps, e.g. ["game-1", "game-2"].
    #[schemars(with = "Vec<String>")]
    Many(Vec<Located<String>>),
}

impl<'de> Deserialize<'de> for RawAppChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AppChoiceVisitor)
    }
}

struct AppChoiceVisitor;

impl<'de> Visitor<'de> for AppChoiceVisitor {
    type Value = RawAppChoice;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an app name like \"game\" or a list like [\"game-1\", \"game-2\"]")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(RawAppChoice::One(v.to_string()))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = seq.next_element()? {
            names.push(name);
        }
        Ok(RawAppChoice::Many(names))
    }
}

/// Exactly one of: { pool = N }, { fresh = true },
/// { recent = N, reuse = P }.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Groups")]
pub struct RawGroups {
    /// A fixed pool of this many groupIds (≥ 1), chosen uniformly.
    #[schemars(range(min = 1))]
    pub pool: L<i64>,
    /// With `pool`: the name of a pool several workloads share. Its
    /// groupIds are "NAME-N" instead of "WORKLOAD-N", so the parties of
    /// every workload naming it meet in the same rooms. Workloads sharing
    /// a pool give it the same size and app.
    pub shared: L<String>,
    /// A new groupId for every party (must be true when given).
    pub fresh: L<bool>,
    /// Remember this many (1 to 1048576) most recently created groupIds
    /// for reuse.
    #[schemars(range(min = 1, max = 1_048_576))]
    pub recent: L<i64>,
    /// With `recent`: probability in [0, 1] of reusing a recent groupId
    /// instead of taking a fresh one.
    #[schemars(range(min = 0, max = 1))]
    pub reuse: L<f64>,
}

/// Whether a rate counts parties per pool group or for the whole workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "Per")]
pub enum RawPer {
    /// The rate is the workload's total (default).
    Workload,
    /// The rate is per group of the pool (needs groups = { pool = N }).
    Group,
}

/// Exactly one of: { poisson = RATE }, { profile = RATE, hourly = [...] or
/// points = [...] or peaks = [...] }, { dau = N, sessions_per_user = S }
/// (optionally shaped by hourly, points or peaks),
/// { ramp = [RATE, RATE], over = DURATION }, { trace = "file.csv" }. Rates
/// count party arrivals.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Arrivals")]
pub struct RawArrivals {
    /// A Poisson process at this rate, e.g. "1/min"; at most "10000000/s"
    /// (also after `per = "group"` and bursts).
    #[schemars(example = &"1/min")]
    pub poisson: L<String>,
    /// Mean rate of a Poisson process shaped over the day by `hourly` or
    /// `points` (generated by thinning).
    pub profile: L<String>,
    /// With `profile`: 24 weights ≥ 0, one per hour from 00:00, normalised
    /// to mean 1.
    #[schemars(length(min = 24, max = 24))]
    pub hourly: L<Vec<Located<f64>>>,
    /// With `profile`: [["HH:MM", weight], ...] sorted by time; weights
    /// linearly interpolated between points, wrapping around midnight, and
    /// normalised to mean 1.
    #[schemars(with = "Option<Vec<(String, f64)>>")]
    pub points: L<Vec<RawPoint>>,
    /// [FROM, TO]: a rate rising (or falling) linearly over `over`, then
    /// constant.
    #[schemars(length(min = 2, max = 2))]
    pub ramp: L<Vec<Located<String>>>,
    /// With `ramp`: how long the ramp lasts, > 0.
    pub over: L<String>,
    /// Daily active users (> 0): with `sessions_per_user`, the party rate
    /// is derived as dau × sessions_per_user ÷ mean party size per day
    /// (each session is one member's seat in a party). Flat over the day
    /// unless shaped by `hourly`, `points` or `peaks`.
    #[schemars(example = &2000000)]
    pub dau: L<f64>,
    /// With `dau`: sessions (matches, calls) each user has a day, > 0.
    #[schemars(example = &3)]
    pub sessions_per_user: L<f64>,
    /// With `profile` or `dau`: busy windows of the day, each a multiple of
    /// the rest of the day's rate, e.g. [{ from = "20:00", to = "23:00",
    /// factor = 4 }]. Whole hours only (they become 24 hourly weights,
    /// normalised to mean 1); a window may wrap midnight; windows must not
    /// overlap.
    pub peaks: L<Vec<Located<RawPeak>>>,
    /// Replay a recorded trace: a CSV with header
    /// time,app,group_id,openid,event, relative to the scenario file; at
    /// most 64 MiB, and no row at or after the end of `duration`.
    pub trace: L<String>,
    /// With `trace`: the log's own names for its columns, when they are not
    /// voipsim's, e.g. { time = "ts", group_id = "room", openid = "user",
    /// event = "action" }. Keys: time, app, group_id, openid, event, fault;
    /// a column not named keeps its own name.
    pub columns: L<RawTraceColumns>,
    /// With poisson, profile or ramp: "workload" (default, the rate is the
    /// total) or "group" (the rate is per pool group).
    pub per: L<RawPer>,
}

/// A trace's column names (`arrivals.columns`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TraceColumns")]
pub struct RawTraceColumns {
    /// The column holding the time (default "time").
    pub time: L<String>,
    /// The column naming the app (default "app"; optional with one app).
    pub app: L<String>,
    /// The column holding the room's groupId (default "group_id").
    pub group_id: L<String>,
    /// The column holding the member's openid (default "openid").
    pub openid: L<String>,
    /// The column saying join or leave (default "event").
    pub event: L<String>,
    /// The column giving a join its own fault (default "fault"; optional).
    pub fault: L<String>,
}

impl RawTraceColumns {
    /// The names given, as (voipsim's key, the log's name, its span).
    pub fn given(&self) -> Vec<(&'static str, &Located<String>)> {
        [
            ("time", &self.time),
            ("app", &self.app),
            ("group_id", &self.group_id),
            ("openid", &self.openid),
            ("event", &self.event),
            ("fault", &self.fault),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect()
    }
}

/// A busy window of the day, as a multiple of the rest of the day.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Peak")]
pub struct RawPeak {
    /// Start, a whole hour "HH:00".
    #[schemars(required, example = &"20:00")]
    pub from: L<String>,
    /// End (exclusive), a whole hour "HH:00"; "24:00" or an hour before
    /// `from` wraps past midnight.
    #[schemars(required, example = &"23:00")]
    pub to: L<String>,
    /// The rate in the window as a multiple of the rest of the day's
    /// (> 0; 4 = four times as busy).
    #[schemars(required, example = &4)]
    pub factor: L<f64>,
}

/// A window multiplying the arrival rate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Burst")]
pub struct RawBurst {
    /// A time of day "HH:MM" (every day) or an offset from the start "+2h"
    /// (once).
    #[schemars(required, example = &"20:00")]
    pub at: L<String>,
    /// How long the window lasts, > 0.
    #[serde(rename = "for")]
    #[schemars(required, example = &"10m")]
    pub for_: L<String>,
    /// Rate multiplier during the window, ≥ 0 and at most 1000000;
    /// overlapping bursts multiply, and the peak rate must stay within
    /// "10000000/s".
    #[schemars(required, range(min = 0, max = 1000000))]
    pub factor: L<f64>,
}

/// Exactly one of: { size = N }, { uniform = [MIN, MAX] },
/// { weights = { "2" = 0.5, "4" = 0.5 } }. No party may exceed the app's
/// capacity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Party")]
pub struct RawParty {
    /// Every party has this many members (≥ 1).
    #[schemars(range(min = 1, max = 4294967295_i64))]
    pub size: L<i64>,
    /// Uniform over [MIN, MAX], 1 ≤ MIN ≤ MAX.
    #[schemars(length(min = 2, max = 2))]
    pub uniform: L<Vec<Located<i64>>>,
    /// Party size (digits only, like "2") → relative weight (≥ 0, not all 0).
    #[schemars(with = "Option<BTreeMap<String, f64>>")]
    pub weights: L<BTreeMap<Located<String>, Located<f64>>>,
    /// Allow parties bigger than the app's room capacity: members join one
    /// by one, and those past the capacity are refused as room full ("11
    /// friends try one room"). Default false: such a party is an error.
    pub overfill: L<bool>,
    /// How the party is let in: "partial" (default; members join one by
    /// one and those past the capacity are refused, as WeChat does) or
    /// "all_or_nothing" (a matchmaker sends the party only to a room with
    /// a seat for every member; otherwise none joins). `voipsim load`
    /// plays it as the matchmaker, from its own table of the rooms.
    pub admission: L<String>,
}

/// A distribution of durations: a duration string ("5m", fixed) or a table
/// with exactly one key.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Distribution")]
pub enum RawDistribution {
    /// Always this long, e.g. "5m".
    Fixed(String),
    /// A table naming the distribution.
    Table(Box<RawDistributionTable>),
}

/// Exactly one of: { fixed = D }, { exponential = MEAN },
/// { lognormal = { median = D, p95 = D } }, { uniform = [MIN, MAX] },
/// { empirical = "file.csv" }.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DistributionTable")]
pub struct RawDistributionTable {
    /// Always this long.
    pub fixed: L<String>,
    /// Exponential with this mean (> 0).
    pub exponential: L<String>,
    /// Lognormal given by its median and 95th percentile (p95 > median).
    pub lognormal: L<RawLogNormal>,
    /// Uniform between [MIN, MAX], MIN ≤ MAX.
    #[schemars(length(min = 2, max = 2))]
    pub uniform: L<Vec<Located<String>>>,
    /// Drawn from a CSV of durations (one per line, or a `seconds` column),
    /// relative to the scenario file; at most 64 MiB.
    pub empirical: L<String>,
}

/// A lognormal distribution by two quantiles.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LogNormal")]
pub struct RawLogNormal {
    /// The median (> 0).
    #[schemars(required)]
    pub median: L<String>,
    /// The 95th percentile (> median).
    #[schemars(required)]
    pub p95: L<String>,
}

/// A member drops once during its stay and rejoins after a delay.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Reconnect")]
pub struct RawReconnect {
    /// Chance in [0, 1] that a member drops once (give this or `rate`).
    #[schemars(range(min = 0, max = 1))]
    pub probability: L<f64>,
    /// Drops per unit of time spent in the room, e.g. "2/h" (give this or
    /// `probability`): a member may drop any number of times, as a Poisson
    /// process over its time in the room.
    #[schemars(example = &"2/h")]
    pub rate: L<String>,
    /// Time from the drop to the rejoin (a distribution).
    #[schemars(required)]
    pub delay: L<RawDistribution>,
}

/// Fractions of join attempts, each in [0, 1], summing to at most 1.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Faults")]
pub struct RawFaults {
    /// Signed with a wrong key or message (needs verify_signatures).
    #[schemars(range(min = 0, max = 1))]
    pub wrong_signature: L<f64>,
    /// Timestamp in milliseconds instead of seconds, a common client bug
    /// (needs verify_signatures or timestamp_tolerance).
    #[schemars(range(min = 0, max = 1))]
    pub millisecond_timestamp: L<f64>,
    /// Timestamp older than the app's timestamp_tolerance (needs it set).
    #[schemars(range(min = 0, max = 1))]
    pub stale_timestamp: L<f64>,
    /// Signed with a session key a re-login replaced (needs
    /// verify_signatures).
    #[schemars(range(min = 0, max = 1))]
    pub stale_session_key: L<f64>,
}

impl<'de> Deserialize<'de> for RawDistribution {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DistributionVisitor)
    }
}

/// Reads either form of a distribution without losing the table's own
/// error messages (an untagged enum would hide them).
struct DistributionVisitor;

impl<'de> Visitor<'de> for DistributionVisitor {
    type Value = RawDistribution;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration like \"5m\" or a table like { exponential = \"5m\" }")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(RawDistribution::Fixed(v.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        RawDistributionTable::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(|t| RawDistribution::Table(Box::new(t)))
    }
}

/// The JSON Schema of [`RawScenario`].
/// The JSON Schema of [`RawScenario`]. TOML has no null, so optional keys
/// are simply absent: the `null` alternatives schemars adds for `Option`
/// are removed.
pub fn schema() -> serde_json::Value {
    let mut value = schemars::schema_for!(RawScenario).to_value();
    strip_null(&mut value);
    value
}

fn strip_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(map) = value else {
        if let Value::Array(items) = value {
            items.iter_mut().for_each(strip_null);
        }
        return;
    };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(options)) = map.get("anyOf") {
        let is_null = |v: &Value| v.get("type").is_some_and(|t| t == "null");
        let rest: Vec<Value> = options.iter().filter(|v| !is_null(v)).cloned().collect();
        if rest.len() == 1 && rest.len() < options.len() {
            map.remove("anyOf");
            if let Value::Object(inner) = &rest[0] {
                for (k, v) in inner {
                    map.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    map.values_mut().for_each(strip_null);
}
