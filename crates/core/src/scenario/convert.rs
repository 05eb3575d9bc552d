//! Raw (as written, with spans) → model (typed, validated): the top level
//! and thresholds. Apps are in `app.rs`, workloads in `workload.rs`.
//!
//! Every check records its error with the offending value's location and
//! carries on, so one run of `voipsim validate` lists every semantic
//! problem in a file. A part that failed is left out (`None`) and checks
//! that depend on it are skipped rather than reported twice.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;
use time::macros::datetime;

use super::app::convert_apps;
use super::error::ScenarioError;
use super::limits;
use super::model::{DEFAULT_QUOTA_HEADROOM, Scenario};
use super::raw::{Located, RawScenario};
use super::threshold::{Threshold, parse_threshold};
use super::workload::convert_workloads;
use crate::units;

/// The start when a scenario gives none.
pub const DEFAULT_START: OffsetDateTime = datetime!(2026-01-01 00:00:00 +08:00);
/// The report interval when a scenario gives none.
pub const DEFAULT_REPORT_INTERVAL: Duration = Duration::from_secs(60);
/// The app a scenario without `[apps]` has.
pub const IMPLICIT_APP: &str = "default";

/// The state of one conversion: where the text came from and the errors
/// found so far.
pub(crate) struct Ctx<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    /// Folder relative paths (traces, CSVs) are resolved against.
    pub dir: PathBuf,
    pub errors: Vec<ScenarioError>,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        Ctx {
            file,
            text,
            dir,
            errors: Vec::new(),
        }
    }

    /// Records an error at the start of `span`.
    pub fn error(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.errors.push(ScenarioError::spanned(
            self.file,
            self.text,
            span.clone(),
            message,
        ));
    }

    /// Records an error about the whole file (line 1, column 1).
    pub fn error_at_top(&mut self, message: impl Into<String>) {
        self.errors
            .push(ScenarioError::at(self.file, 1, 1, message));
    }

    /// Parses a value with `parse`, recording `` `key`{section}: message ``
    /// on failure.
    pub fn parse<T>(
        &mut self,
        value: &Located<String>,
        key: &str,
        section: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(&value.value) {
            Ok(v) => Some(v),
            Err(message) => {
                self.error(&value.span, format!("`{key}`{section}: {message}"));
                None
            }
        }
    }

    pub fn duration(
        &mut self,
        value: &Located<String>,
        key: &str,
        section: &str,
    ) -> Option<Duration> {
        self.parse(value, key, section, |text| {
            units::parse_duration(text).and_then(limits::check_duration)
        })
    }

    /// A duration that must be > 0.
    pub fn positive_duration(
        &mut self,
        value: &Located<String>,
        key: &str,
        section: &str,
    ) -> Option<Duration> {
        let d = self.duration(value, key, section)?;
        if d.is_zero() {
            self.error(
                &value.span,
                format!("`{key}`{section} must be longer than 0; write a duration like \"10m\""),
            );
            return None;
        }
        Some(d)
    }

    pub fn rate(&mut self, value: &Located<String>, key: &str, section: &str) -> Option<f64> {
        self.parse(value, key, section, |text| {
            units::parse_rate(text).and_then(limits::check_rate)
        })
    }

    /// A number in `[0, 1]`.
    pub fn probability(&mut self, value: &Located<f64>, key: &str, section: &str) -> Option<f64> {
        let p = value.value;
        if !(0.0..=1.0).contains(&p) {
            self.error(
                &value.span,
                format!("`{key}`{section} is {p}, but a probability lies in [0, 1]; write a fraction like 0.05 (for 5%)"),
            );
            return None;
        }
        Some(p)
    }

    /// A whole number ≥ `min` that fits `T`.
    pub fn at_least<T: TryFrom<i64>>(
        &mut self,
        value: &Located<i64>,
        min: i64,
        key: &str,
        section: &str,
    ) -> Option<T> {
        if value.value < min {
            self.error(
                &value.span,
                format!(
                    "`{key}`{section} is {}, but must be at least {min}",
                    value.value
                ),
            );
            return None;
        }
        match T::try_from(value.value) {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(
                    &value.span,
                    format!("`{key}`{section} is {}, which is too large", value.value),
                );
                None
            }
        }
    }

    /// A path relative to the scenario's folder.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// Reads a data file the scenario names (a trace, an empirical CSV),
    /// relative to the scenario's folder; on failure records
    /// `` `what`{section}: cannot read NOUN `PATH`: … `` at the value's span.
    pub fn read_data_file(
        &mut self,
        file: &Located<String>,
        what: &str,
        noun: &str,
        section: &str,
    ) -> Option<(PathBuf, String)> {
        let path = self.resolve(&file.value);
        match limits::read_capped(&path, limits::MAX_DATA_FILE_BYTES) {
            Ok(text) => Some((path, text)),
            Err(limits::ReadError::Io(e)) => {
                self.error(
                    &file.span,
                    format!(
                        "`{what}`{section}: cannot read {noun} `{}`: {e}; the path is relative to the scenario file's folder",
                        path.display()
                    ),
                );
                None
            }
            Err(limits::ReadError::TooLarge) => {
                self.error(
                    &file.span,
                    format!(
                        "`{what}`{section}: {noun} `{}` is larger than {} MiB, the most voipsim reads; check the path, or cut the file into shorter runs",
                        path.display(),
                        limits::mib(limits::MAX_DATA_FILE_BYTES)
                    ),
                );
                None
            }
            Err(limits::ReadError::NotUtf8 { line, column }) => {
                self.errors
                    .push(limits::not_utf8(&path, line, column, "the file"));
                None
            }
        }
    }
}

/// Converts the whole document, or returns every error found.
pub(crate) fn convert(raw: RawScenario, ctx: &mut Ctx<'_>) -> Option<Scenario> {
    let name = scenario_name(&raw, ctx);
    let description = raw.description.map(|d| d.value).unwrap_or_default();
    let seed = raw.seed.map_or(1, |s| s.value);
    let start = match &raw.start {
        None => Some(DEFAULT_START),
        Some(value) => start_instant(value, ctx),
    };

    let duration = match &raw.duration {
        Some(d) => ctx.positive_duration(d, "duration", ""),
        None => {
            ctx.error_at_top(
                "missing key `duration`; add how long to simulate, like duration = \"24h\"",
            );
            None
        }
    };
    let report_interval = match &raw.report_interval {
        None => Some(DEFAULT_REPORT_INTERVAL),
        Some(v) => ctx.positive_duration(v, "report_interval", "").and_then(|interval| {
            if let Some(total) = duration
                && interval > total
            {
                ctx.error(
                    &v.span,
                    format!(
                        "`report_interval` ({}) is longer than `duration` ({}); make it at most the duration",
                        units::format_duration(interval),
                        units::format_duration(total)
                    ),
                );
                return None;
            }
            if let Some(total) = duration
                && limits::report_rows(total, interval) > limits::MAX_REPORT_ROWS
            {
                ctx.error(&v.span, limits::too_many_rows(&v.value, total, interval));
                return None;
            }
            Some(interval)
        }),
    };
    // The default report interval must also fit a very short run.
    let report_interval = match (raw.report_interval.is_none(), report_interval, duration) {
        (true, Some(interval), Some(total)) if interval > total => Some(total),
        (_, interval, _) => interval,
    };
    let warm_start = raw.warm_start.is_none_or(|w| w.value);
    let warmup = match &raw.warmup {
        None => Some(Duration::ZERO),
        Some(v) => ctx.duration(v, "warmup", "").and_then(|warmup| {
            if let Some(total) = duration
                && warmup >= total
            {
                ctx.error(
                    &v.span,
                    format!(
                        "`warmup` ({}) leaves nothing to measure in a `duration` of {}; make it shorter than the duration",
                        units::format_duration(warmup),
                        units::format_duration(total)
                    ),
                );
                return None;
            }
            Some(warmup)
        }),
    };

    // Workloads are checked even when the apps, start or duration have
    // errors, against best-effort values (WeChat's defaults stand in for
    // bad settings), so one run reports as much as it can.
    let workload_list = raw.workloads.iter().flatten();
    let spans = SizeSpans {
        duration: raw.duration.as_ref().map_or(0..0, |d| d.span.clone()),
        arrivals: workload_list
            .clone()
            .map(|w| {
                w.value
                    .arrivals
                    .as_ref()
                    .map_or(w.span.clone(), |a| a.span.clone())
            })
            .collect(),
        bursts: workload_list
            .map(|w| {
                w.value
                    .bursts
                    .as_ref()
                    .and_then(|b| b.first())
                    .map(|b| b.span.clone())
            })
            .collect(),
    };
    let (apps, apps_ok) = convert_apps(raw.apps, ctx);
    let workloads = match &raw.workloads {
        None => {
            ctx.error_at_top(
                "no workloads; add at least one [[workloads]] table, like\n  [[workloads]]\n  arrivals = { poisson = \"1/min\" }\n  stay = \"5m\"",
            );
            None
        }
        Some(list) if list.is_empty() => {
            ctx.error_at_top("`workloads` is empty; add at least one [[workloads]] table");
            None
        }
        Some(_) => convert_workloads(
            raw.workloads.unwrap_or_default(),
            &apps,
            start.unwrap_or(DEFAULT_START),
            duration,
            ctx,
        ),
    };
    if workloads.is_none() {
        // Their scopes need the workloads; the rest is still checked, so
        // every problem is reported at once.
        let start = start.unwrap_or(DEFAULT_START);
        if let Some(outages) = &raw.outages {
            super::outages::check_alone(outages, start, duration, ctx);
        }
        if let Some(releases) = &raw.releases {
            super::releases::check_alone(releases, start, duration, ctx);
        }
    }
    let workloads = workloads.and_then(|mut list| {
        let ok = super::outages::attach(
            raw.outages.unwrap_or_default(),
            &mut list,
            &apps,
            start.unwrap_or(DEFAULT_START),
            duration,
            ctx,
        );
        ok.then_some(list)
    });
    let releases = workloads.as_ref().and_then(|list| {
        super::releases::convert(
            raw.releases.unwrap_or_default(),
            list,
            &apps,
            start.unwrap_or(DEFAULT_START),
            duration,
            ctx,
        )
    });
    let apps = apps_ok.then_some(apps);
    let thresholds = convert_thresholds(raw.thresholds.unwrap_or_default(), ctx);
    let quota_headroom = match &raw.quota_headroom {
        None => Some(DEFAULT_QUOTA_HEADROOM),
        Some(h) if h.value.is_finite() && (0.0..1.0).contains(&h.value) => Some(h.value),
        Some(h) => {
            ctx.error(&h.span, format!("`quota_headroom` is {}, but must be in [0, 1): the share of each app's daily quota to keep free when planning (0.2 plans for 80% of the quota)", h.value));
            None
        }
    };

    if !ctx.errors.is_empty() {
        return None;
    }
    let scenario = Scenario {
        name: name?,
        description,
        seed,
        start: start?,
        duration: duration?,
        report_interval: report_interval?,
        warm_start,
        warmup: warmup?,
        apps: apps?,
        workloads: workloads?,
        thresholds: thresholds?,
        releases: releases?,
        quota_headroom: quota_headroom?,
        origin: ctx.file.to_path_buf(),
    };
    check_size(&scenario, &spans, ctx);
    ctx.errors.is_empty().then_some(scenario)
}

/// Where the size checks point: the `duration` key and each workload's
/// `arrivals` and first burst.
struct SizeSpans {
    duration: Range<usize>,
    arrivals: Vec<Range<usize>>,
    bursts: Vec<Option<Range<usize>>>,
}

/// Refuses a scenario whose run would not finish: a rate curve too long to
/// hold, a peak rate past [`limits::MAX_RATE_PER_S`] once bursts overlap, or
/// more than [`limits::MAX_JOIN_ATTEMPTS`] expected join attempts. Runs only
/// on an otherwise valid scenario, so every value is in range.
fn check_size(scenario: &Scenario, spans: &SizeSpans, ctx: &mut Ctx<'_>) {
    let start_tod = scenario.time_of_day_secs(Duration::ZERO);
    let mut total = 0.0;
    let mut parts = Vec::new();
    for (i, w) in scenario.workloads.iter().enumerate() {
        let s = format!(" in workload '{}'", w.name);
        let arrivals = spans.arrivals.get(i).cloned().unwrap_or(0..0);
        if !w.is_trace() {
            let segments = limits::rate_segments(w, scenario.duration);
            if segments > limits::MAX_RATE_SEGMENTS {
                ctx.error(&arrivals, format!(
                    "`arrivals`{s}: the daily shape repeated over `duration` needs about {segments} rate segments, more than {} voipsim holds; use fewer profile points or daily bursts, or a shorter `duration`",
                    limits::MAX_RATE_SEGMENTS
                ));
                continue;
            }
            let base = limits::peak_rate(w, start_tod, scenario.duration, false);
            let peak = limits::peak_rate(w, start_tod, scenario.duration, true);
            // NaN (from an infinite factor) counts as too large.
            if peak.is_nan() || peak > limits::MAX_RATE_PER_S {
                let (at, what) = match spans.bursts.get(i).cloned().flatten() {
                    Some(burst) if base <= limits::MAX_RATE_PER_S => (burst, "`bursts`"),
                    _ => (arrivals.clone(), "`arrivals`"),
                };
                ctx.error(&at, format!(
                    "{what}{s}: the arrival rate peaks at {} (with every burst factor that overlaps), more than the highest rate voipsim simulates (10000000/s per workload); lower the rate or the burst factors",
                    limits::rate_text(peak)
                ));
                continue;
            }
        }
        let joins = limits::expected_joins(w, start_tod, scenario.duration);
        total += joins;
        parts.push(format!("'{}' {joins:.2e}", w.name));
    }
    if ctx.errors.is_empty() && (total.is_nan() || total > limits::MAX_JOIN_ATTEMPTS) {
        ctx.error(&spans.duration, format!(
            "the run would make about {total:.2e} join attempts ({}), more than the {:.0e} voipsim simulates in one run; shorten `duration`, lower the rates or party sizes, or split the scenario",
            parts.join(", "),
            limits::MAX_JOIN_ATTEMPTS
        ));
    }
}

fn scenario_name(raw: &RawScenario, ctx: &mut Ctx<'_>) -> Option<String> {
    let Some(name) = &raw.name else {
        ctx.error_at_top(
            "missing key `name`; add one at the top of the file, like name = \"evening-peak\"",
        );
        return None;
    };
    match check_name(&name.value) {
        Ok(()) => Some(name.value.clone()),
        Err(why) => {
            ctx.error(&name.span, format!("`name` {why}; it names the report folder, so use letters, digits, `.`, `_` and `-`, like \"evening-peak\""));
            None
        }
    }
}

/// A name that is safe as a folder name: `[A-Za-z0-9._-]+`, not `.`/`..`.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("\"{name}\" is not a folder name"));
    }
    if name.len() > 100 {
        return Err("is longer than 100 characters".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(c) => Err(format!("\"{name}\" contains {c:?}")),
        None => Ok(()),
    }
}

fn start_instant(value: &Located<toml::Value>, ctx: &mut Ctx<'_>) -> Option<OffsetDateTime> {
    let text = match &value.value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) if d.date.is_some() && d.time.is_some() && d.offset.is_some() => {
            d.to_string()
        }
        toml::Value::Datetime(_) => {
            ctx.error(&value.span, "`start` needs a date, a time and a UTC offset; write it like 2026-11-27T00:00:00+08:00");
            return None;
        }
        other => {
            ctx.error(
                &value.span,
                format!(
                    "`start`: found {}, expected an instant; write it like \"2026-11-27T00:00:00+08:00\"",
                    other.type_str()
                ),
            );
            return None;
        }
    };
    let located = Located {
        value: text,
        span: value.span.clone(),
    };
    let instant = ctx.parse(&located, "start", "", units::parse_instant)?;
    if instant < limits::EARLIEST_START || instant >= limits::LATEST_START {
        ctx.error(
            &value.span,
            format!(
                "`start` {} is outside the years voipsim simulates (1970 to 2199); write an instant in that range, like \"2026-11-27T00:00:00+08:00\"",
                located.value.trim()
            ),
        );
        return None;
    }
    Some(instant)
}

fn convert_thresholds(raw: Vec<Located<String>>, ctx: &mut Ctx<'_>) -> Option<Vec<Threshold>> {
    let mut thresholds = Vec::new();
    let mut ok = true;
    for expr in raw {
        match parse_threshold(&expr.value) {
            Ok(t) => thresholds.push(t),
            Err(e) => {
                // Point inside the string when it is written without escapes.
                let written = ctx.text.get(expr.span.clone()).unwrap_or("");
                let inner = written
                    .get(1..written.len().saturating_sub(1))
                    .unwrap_or("");
                let at = if inner == expr.value {
                    expr.span.start + 1 + e.at
                } else {
                    expr.span.start
                };
                ctx.error(
                    &(at..at + 1),
                    format!("threshold \"{}\": {}", expr.value, e.message),
                );
                ok = false;
            }
        }
    }
    ok.then_some(thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_path_safe() {
        assert!(check_name("evening-peak_2.v1").is_ok());
        for bad in ["", ".", "..", "a/b", "a b", "день", &"x".repeat(101)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
