//! `voipsim merge`: the report folders of a sharded run (`--shard I/N`)
//! combined into one report, as if one process had played every shard.
//! Pure: the folders' files in as bytes, the merged folder's files out.
//!
//! What is exact and what is not:
//! * counts add, exactly: joins by outcome, leaves, rooms created and
//!   destroyed, signatures, faults, requests and their errors, events;
//! * latencies are exact: the `.hlog` interval histograms are decoded
//!   and added ([`super::merge_series`]), and the summary's percentiles
//!   are read from the sum, never averaged from the shards' percentiles;
//! * peaks are sums of the shards' peaks, which is an upper bound of the
//!   peak of the sum (shards peak at different moments): `rooms.peak_active`,
//!   `members.peak_active`, `signing.peak_per_s`, `engine.pending_peak`,
//!   `timeseries.csv`'s `signatures_peak_per_s`; the merged summary lists
//!   them in `merged.upper_bounds`;
//! * rates of parallel shards add (`engine.events_per_s`); wall time is
//!   the longest shard's.
//!
//! The merged folder gets its own `report.html`, drawn from the merged
//! rows and histograms (so its peaks are the same upper bounds).
//!
//! Inputs must be shards of one run: the same scenario (name, start,
//! duration, interval, warm start, warm-up), seed, mode, schema and
//! voipsim version, each shard once, all of one split `N`. Anything else
//! is refused with what differs and where.

use std::collections::BTreeMap;

use super::markdown;
use super::merge_series::{Input, merge_hlogs, merge_timeseries, parse_instant};
use super::summary::{Latency, Merged, MergedPart, QuotaDay, RunMode, SCHEMA_VERSION, Summary};
use super::thresholds;
use super::workloads::add_joins;
use super::write::{ReportFile, html_series, render_html};
use crate::scenario::threshold::parse_threshold;
use crate::workload::ShardSpec;

/// One report folder's files.
pub struct ReportInput {
    /// The folder, as the user named it (for messages and `merged.from`).
    pub dir: String,
    pub files: Vec<ReportFile>,
}

impl ReportInput {
    fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.bytes.as_slice())
    }
}

/// Why reports cannot be merged: `WHERE: what; how to fix`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MergeError(pub String);

/// Each measured latency's log name and its place in the summary.
const LATENCIES: [(&str, &str); 4] = [
    ("signing", "signing.latency_ns"),
    ("requests", "requests.latency_ns"),
    ("requests_uncorrected", "requests.latency_uncorrected_ns"),
    ("send_lateness", "requests.send_lateness_ns"),
];

/// Summary fields that are sums of maxima (see the module docs).
pub const UPPER_BOUNDS: [&str; 5] = [
    "rooms.peak_active",
    "members.peak_active",
    "signing.peak_per_s",
    "engine.pending_peak",
    "timeseries.csv: signatures_peak_per_s",
];

/// Merges `inputs` (at least one) into one report folder's files, in the
/// order [`super::write::render`] gives them. `out_dir` is the folder the
/// Markdown mentions.
pub fn merge(inputs: &[ReportInput], out_dir: &str) -> Result<Vec<ReportFile>, MergeError> {
    let summaries = read_summaries(inputs)?;
    let (shards, missing) = check_shards(inputs, &summaries)?;
    check_same_run(inputs, &summaries)?;

    let mut summary = merge_summaries(&summaries);
    let mut files = Vec::new();
    let series: Vec<Input<'_>> = inputs
        .iter()
        .map(|i| {
            i.file("timeseries.csv")
                .map(|bytes| Input { dir: &i.dir, bytes })
                .ok_or_else(|| missing_file(&i.dir, "timeseries.csv"))
        })
        .collect::<Result<_, _>>()?;
    let quota = |app: &str| {
        summary
            .apps
            .iter()
            .find(|a| a.name == app)
            .map(|a| a.daily_quota)
    };
    let merged_csv = merge_timeseries(&series, quota).map_err(MergeError)?;
    files.push(ReportFile {
        name: "timeseries.csv".into(),
        bytes: merged_csv,
    });

    // Latencies: every log any input has; every input must have it.
    let mut windows = BTreeMap::new();
    for (track, path) in LATENCIES {
        let name = format!("{track}.hlog");
        let present: Vec<bool> = inputs.iter().map(|i| i.file(&name).is_some()).collect();
        if !present.iter().any(|p| *p) {
            continue;
        }
        if let Some(i) = present.iter().position(|p| !p) {
            return Err(missing_file(&inputs[i].dir, &name));
        }
        let logs: Vec<Input<'_>> = inputs
            .iter()
            .map(|i| Input {
                dir: &i.dir,
                bytes: i.file(&name).unwrap_or_default(),
            })
            .collect();
        let (bytes, window) = merge_hlogs(&logs, &name).map_err(MergeError)?;
        set_latency(&mut summary, path, Latency::from_histogram(&window));
        windows.insert(path, window);
        files.push(ReportFile { name, bytes });
    }
    for (i, (input, s)) in inputs.iter().zip(&summaries).enumerate() {
        for (track, path) in LATENCIES {
            if get_latency(s, path).is_some() && !windows.contains_key(path) {
                return Err(MergeError(format!(
                    "{}: summary.json has {path} but the folder has no {track}.hlog (input {}); copy whole report folders, .hlog files included",
                    input.dir,
                    i + 1
                )));
            }
        }
    }
    if let Some(l) = summary.signing.latency_ns {
        summary.signing.ops_per_s = Some(1e9 / l.mean.max(1.0));
    }
    summary.signing.measured = summary.signing.latency_ns.is_some();

    // Thresholds, evaluated again on the merged figures.
    let exprs: Vec<_> = summaries[0]
        .thresholds
        .iter()
        .filter_map(|t| parse_threshold(&t.expr).ok())
        .collect();
    let percentile = |path: &str, q: f64| {
        windows
            .get(path)
            .filter(|h| !h.is_empty())
            .map(|h| h.value_at_quantile(q) as f64)
    };
    summary.thresholds = thresholds::evaluate(&exprs, &summary, percentile);
    summary.passed = summary.thresholds.iter().all(|t| t.passed);
    summary.merged = Some(Merged {
        from: inputs
            .iter()
            .zip(&summaries)
            .map(|(i, s)| MergedPart {
                dir: i.dir.clone(),
                shard: s.shard.clone(),
            })
            .collect(),
        shards,
        missing_shards: missing,
        upper_bounds: UPPER_BOUNDS.iter().map(|s| s.to_string()).collect(),
    });
    summary.shard = None;

    // The charts of the merged run, from the merged rows and histograms.
    let html = {
        let csv = files.first().map_or(&[][..], |f| f.bytes.as_slice());
        let tracks = LATENCIES
            .iter()
            .filter_map(|(track, path)| windows.get(path).map(|h| (*track, h)));
        render_html(&summary, html_series(&summary, csv), tracks)
    };
    files.push(html);
    let mut md = markdown::summary(&summary, Some(out_dir));
    md.push_str(&merged_note(&summary));
    files.push(ReportFile {
        name: "summary.md".into(),
        bytes: md.into_bytes(),
    });
    let mut json = serde_json::to_vec_pretty(&summary).unwrap_or_default();
    json.push(b'\n');
    files.push(ReportFile {
        name: "summary.json".into(),
        bytes: json,
    });
    Ok(files)
}

/// The Markdown's last line: what was merged and what is only a bound.
fn merged_note(summary: &Summary) -> String {
    let Some(m) = &summary.merged else {
        return String::new();
    };
    let missing = if m.missing_shards.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = m
            .missing_shards
            .iter()
            .map(|i| format!("{i}/{}", m.shards))
            .collect();
        format!(
            " **Missing shards: {}** (their requests are not in these figures).",
            list.join(", ")
        )
    };
    format!(
        "\nMerged from {} report(s) of a split into {} shard(s).{missing} Counts and latency percentiles are exact; peaks are sums of the shards' peaks, an upper bound.\n",
        m.from.len(),
        m.shards
    )
}

fn missing_file(dir: &str, name: &str) -> MergeError {
    MergeError(format!(
        "{dir}: no {name}; give report folders written by `voipsim simulate` or `voipsim load`, whole"
    ))
}

fn read_summaries(inputs: &[ReportInput]) -> Result<Vec<Summary>, MergeError> {
    if inputs.is_empty() {
        return Err(MergeError(
            "no report folders to merge; name the shards' folders: voipsim merge shard-0 shard-1 …"
                .into(),
        ));
    }
    inputs
        .iter()
        .map(|input| {
            let bytes = input
                .file("summary.json")
                .ok_or_else(|| missing_file(&input.dir, "summary.json"))?;
            // The version first, so an old report gets that reason rather
            // than a missing field's.
            let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
                MergeError(format!(
                    "{}/summary.json: not JSON ({e}); give report folders written by voipsim",
                    input.dir
                ))
            })?;
            let version = value.get("schema_version").and_then(|v| v.as_u64());
            if version != Some(u64::from(SCHEMA_VERSION)) {
                return Err(MergeError(format!(
                    "{}/summary.json: schema_version {} is not {SCHEMA_VERSION}, the one this voipsim writes; run every shard with the same voipsim version as merge",
                    input.dir,
                    version.map_or("(none)".to_string(), |v| v.to_string())
                )));
            }
            let summary: Summary = serde_json::from_value(value).map_err(|e| {
                MergeError(format!(
                    "{}/summary.json: not a voipsim summary ({e}); give report folders written by voipsim",
                    input.dir
                ))
            })?;
            if summary.merged.is_some() {
                return Err(MergeError(format!(
                    "{}: is already a merged report; merge the shards' own folders, all at once",
                    input.dir
                )));
            }
            Ok(summary)
        })
        .collect()
}

/// The split `N` and the shards missing from it.
fn check_shards(
    inputs: &[ReportInput],
    summaries: &[Summary],
) -> Result<(u32, Vec<u32>), MergeError> {
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    let mut count = None;
    for (input, s) in inputs.iter().zip(summaries) {
        let Some(text) = &s.shard else {
            if inputs.len() > 1 {
                return Err(MergeError(format!(
                    "{}: is a run of the whole workload, not a shard; merging it with others would count its requests twice: merge only the reports of `--shard I/N` runs",
                    input.dir
                )));
            }
            return Ok((1, Vec::new()));
        };
        let shard = ShardSpec::parse(text)
            .map_err(|e| MergeError(format!("{}/summary.json: {e}", input.dir)))?;
        match count {
            None => count = Some((shard.count, input.dir.as_str())),
            Some((n, dir)) if n != shard.count => {
                return Err(MergeError(format!(
                    "{}: is shard {shard} but {dir} is of a split into {n}; merge the shards of one split",
                    input.dir
                )));
            }
            Some(_) => {}
        }
        if let Some(other) = seen.insert(shard.index, &input.dir) {
            return Err(MergeError(format!(
                "{} and {other} are both shard {shard}; give each shard's folder once",
                input.dir
            )));
        }
    }
    let n = count.map_or(1, |c| c.0);
    let missing = (0..n).filter(|i| !seen.contains_key(i)).collect();
    Ok((n, missing))
}

fn check_same_run(inputs: &[ReportInput], summaries: &[Summary]) -> Result<(), MergeError> {
    let first = &summaries[0];
    let facts = |s: &Summary| {
        vec![
            ("mode", format!("{:?}", s.mode).to_lowercase()),
            ("voipsim_version", s.voipsim_version.clone()),
            ("scenario.name", s.scenario.name.clone()),
            ("scenario.start", s.scenario.start.clone()),
            ("scenario.duration_s", s.scenario.duration_s.to_string()),
            (
                "scenario.report_interval_s",
                s.scenario.report_interval_s.to_string(),
            ),
            ("scenario.warm_start", s.scenario.warm_start.to_string()),
            ("scenario.warmup_s", s.scenario.warmup_s.to_string()),
            ("seed", s.seed.to_string()),
            (
                "apps",
                s.apps
                    .iter()
                    .map(|a| format!("{}:{}", a.name, a.app_id))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ]
    };
    let expected = facts(first);
    for (input, s) in inputs.iter().zip(summaries).skip(1) {
        for ((field, theirs), (_, ours)) in facts(s).into_iter().zip(&expected) {
            // A load shard's start is the wall-clock instant its process
            // began (shards on N machines never start at the same
            // microsecond); their time series align by wall clock.
            if field == "scenario.start" && s.mode == RunMode::Load {
                continue;
            }
            if &theirs != ours {
                return Err(MergeError(format!(
                    "{}/summary.json: {field} is `{theirs}` but {}'s is `{ours}`; merge only the shards of one run (same scenario, seed, mode and voipsim version)",
                    input.dir, inputs[0].dir
                )));
            }
        }
    }
    Ok(())
}

/// The counts and peaks of `summaries` added (latencies and thresholds
/// are the caller's: they need the histograms).
fn merge_summaries(summaries: &[Summary]) -> Summary {
    let mut m = summaries[0].clone();
    let instant = |s: &str| parse_instant(s).unwrap_or(0);
    let mut peak_of_peaks = m.signing.peak_per_s;
    for s in &summaries[1..] {
        m.partial |= s.partial;
        if instant(&s.window.from) < instant(&m.window.from) {
            m.window.from = s.window.from.clone();
        }
        if instant(&s.window.to) > instant(&m.window.to) {
            m.window.to = s.window.to.clone();
        }
        m.engine.events += s.engine.events;
        add_measured(&mut m.engine.pending_peak, s.engine.pending_peak);
        m.engine.wall_s = m.engine.wall_s.max(s.engine.wall_s);
        m.engine.events_per_s += s.engine.events_per_s;
        add_joins(&mut m.joins, &s.joins);
        m.leaves += s.leaves;
        m.rooms.created += s.rooms.created;
        add_measured(&mut m.rooms.destroyed, s.rooms.destroyed);
        add_measured(&mut m.rooms.peak_active, s.rooms.peak_active);
        add_measured(&mut m.rooms.active_at_end, s.rooms.active_at_end);
        m.members.peak_active += s.members.peak_active;
        m.members.active_at_end += s.members.active_at_end;
        m.signing.count += s.signing.count;
        m.signing.mean_per_s += s.signing.mean_per_s;
        m.signing.peak_per_s += s.signing.peak_per_s;
        // The busiest second named is the busiest shard's (the merged
        // run's own busiest second is not known from the shards' files).
        if s.signing.peak_per_s > peak_of_peaks {
            peak_of_peaks = s.signing.peak_per_s;
            m.signing.peak_at = s.signing.peak_at.clone();
        }
        let f = &s.faults;
        m.faults.wrong_signature += f.wrong_signature;
        m.faults.millisecond_timestamp += f.millisecond_timestamp;
        m.faults.stale_timestamp += f.stale_timestamp;
        m.faults.stale_session_key += f.stale_session_key;
        if let Some(theirs) = &s.releases {
            let r = m.releases.get_or_insert_with(Default::default);
            r.relogins += theirs.relogins;
            r.stale_key_joins += theirs.stale_key_joins;
            r.stale_key_refused += theirs.stale_key_refused;
        }
        if let Some(theirs) = &s.trace {
            m.trace.get_or_insert_with(Default::default).unknown_leaves += theirs.unknown_leaves;
        }
        for (a, b) in m.apps.iter_mut().zip(&s.apps) {
            add_joins(&mut a.joins, &b.joins);
            a.rooms_created += b.rooms_created;
        }
        super::workloads::add(&mut m.workloads, &s.workloads);
        // Shards may run on different machines: the merged report names one
        // only when every input ran on the same.
        if m.machine != s.machine {
            m.machine = None;
        }
        merge_quota_days(&mut m.quota.days, &s.quota.days);
        if let Some(theirs) = &s.requests {
            let r = m.requests.get_or_insert_with(Default::default);
            r.sent += theirs.sent;
            r.completed += theirs.completed;
            let (e, t) = (&mut r.errors, &theirs.errors);
            e.total += t.total;
            e.connect += t.connect;
            e.timeout += t.timeout;
            e.http_status += t.http_status;
            e.malformed_body += t.malformed_body;
            e.wrong_signature += t.wrong_signature;
        }
    }
    m.rooms.created_per_accepted_join = if m.joins.accepted > 0 {
        m.rooms.created as f64 / m.joins.accepted as f64
    } else {
        0.0
    };
    // Not observed by every input (a load test sees no quota ledger): the
    // merged figure is not known either.
    if summaries.iter().all(|s| s.quota.exhausted_days.is_some()) {
        m.quota.exhausted_days = Some(
            m.quota
                .days
                .iter()
                .filter(|d| d.exhausted_at.is_some())
                .count() as u64,
        );
    }
    // Rooms wanted, quota left and apps needed from the added days; a date
    // is whole when an input's window covered it whole.
    let whole: Vec<String> = summaries
        .iter()
        .flat_map(|s| s.quota.plan.iter().filter(|p| p.whole_day))
        .map(|p| p.date.clone())
        .collect();
    let headroom = summaries.first().map_or(0.0, |s| s.quota.headroom);
    // The models judged each input against its own window; a merge of
    // several has no one window to judge (one input is given back as is).
    if summaries.len() != 1 {
        m.theory = None;
    }
    super::planning::fill(&mut m.quota, headroom, |date| {
        whole.iter().any(|d| d == date)
    });
    m
}

/// Adds a figure some runs cannot observe (null in a load test's
/// summary): the sum is null unless both parts measured it, so a merge
/// never turns "not measured" into a number.
fn add_measured(total: &mut Option<u64>, part: Option<u64>) {
    *total = match (*total, part) {
        (Some(a), Some(b)) => Some(a + b),
        _ => None,
    };
}

/// Quota days by (app, date): rooms add; the day ran out at the earliest
/// moment any shard saw it run out.
fn merge_quota_days(into: &mut Vec<QuotaDay>, from: &[QuotaDay]) {
    for day in from {
        match into
            .iter_mut()
            .find(|d| d.app == day.app && d.date == day.date)
        {
            Some(d) => {
                d.rooms_created += day.rooms_created;
                d.created_in_window += day.created_in_window;
                d.rejected_joins += day.rejected_joins;
                d.rooms_refused += day.rooms_refused;
                d.exhausted_at = match (d.exhausted_at.take(), &day.exhausted_at) {
                    (Some(a), Some(b)) => Some(
                        if parse_instant(b).unwrap_or(i64::MAX)
                            < parse_instant(&a).unwrap_or(i64::MAX)
                        {
                            b.clone()
                        } else {
                            a
                        },
                    ),
                    (a, b) => a.or_else(|| b.clone()),
                };
            }
            None => into.push(day.clone()),
        }
    }
}

fn get_latency(s: &Summary, path: &str) -> Option<Latency> {
    match path {
        "signing.latency_ns" => s.signing.latency_ns,
        "requests.latency_ns" => s.requests.as_ref()?.latency_ns,
        "requests.latency_uncorrected_ns" => s.requests.as_ref()?.latency_uncorrected_ns,
        "requests.send_lateness_ns" => s.requests.as_ref()?.send_lateness_ns,
        _ => None,
    }
}

fn set_latency(s: &mut Summary, path: &str, latency: Option<Latency>) {
    match path {
        "signing.latency_ns" => s.signing.latency_ns = latency,
        _ => {
            let r = s.requests.get_or_insert_with(Default::default);
            match path {
                "requests.latency_ns" => r.latency_ns = latency,
                "requests.latency_uncorrected_ns" => r.latency_uncorrected_ns = latency,
                _ => r.send_lateness_ns = latency,
            }
        }
    }
}

#[cfg(test)]
mod tests;
