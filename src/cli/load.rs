//! `voipsim load [SCENARIO] --target URL`: play a workload against a
//! running service on the wall clock, write the same report folder as
//! `simulate` (summary.json with `mode: load`, timeseries.csv per second,
//! HdrHistogram logs, summary.md), and exit 1 if a threshold failed.
//!
//! Three ways to run it:
//! * a scenario against the room service (`voipsim serve` or anything
//!   implementing `docs/api.md`): each member logs in, gets its join
//!   signed, joins, stays, drops and rejoins, leaves;
//! * `--mode sign --template FILE`: the scenario's joins (or `--rate` of
//!   them) become signing requests to a team's own backend;
//! * a quick look without a scenario: `--rate 500/s --duration 60s`, with
//!   `--mode http` (GET the URL, the default) or `--mode sign`;
//! * `--events FILE`: replay a day `simulate --events` wrote, row by row
//!   (room flows, or `--mode sign`'s signing requests), the scenario
//!   (optional) giving the apps' appIds.
//!
//! `--shard I/N` plays the I-th of N disjoint parts, as `simulate --shard`
//! does (parties of a workload, users of a replayed file, every N-th
//! request of a quick look); the report says `shard: I/N` for `voipsim
//! merge`.
//!
//! Everything a flag can get wrong is checked before the report folder is
//! claimed and before a request is sent (exit 2, naming the flag). Ctrl-C
//! stops sending, waits briefly for what is in flight and writes the
//! partial report (exit 130), as `simulate` does.
//!
//! A run in which requests were sent and not one got a good answer (the
//! target down, every answer a 500) measured nothing about the service:
//! unless a threshold failed (exit 1, as ever), it exits
//! [`EXIT_NOTHING_MEASURED`], 3, never 0, so a CI job does not pass on it;
//! 3 and not 1 so the job can tell "the service is down, or not the one
//! meant" from "the service missed its thresholds". Either way stderr
//! says how the requests failed.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::junit_file::JunitFile;
use super::output::{print_failed_thresholds, print_stderr, print_stdout};
use super::simulate::EXIT_INTERRUPTED;
use super::{CliResult, EXIT_FAILED, EXIT_OK, UsageError};
use crate::load::flows::{Context, SignVia};
use crate::load::measure::Recorder;
use crate::load::paired_plan::PairedPlan;
use crate::load::plan::{Plan, RatePlan, RateWork};
use crate::load::replay_file::{self, ReplayFacts};
use crate::load::replay_plan::{ReplayApp, ReplayPlan, ReplayTally};
use crate::load::run::{ReportOut, RunSettings, Schedule, run as run_load};
use crate::load::target::Target;
use crate::load::template::SignTemplate;
use crate::load::trace_rows::trace_plan;
use crate::load::verdict::nothing_but_failures;
use crate::load::workload_plan::{JoinKind, WorkloadPlan};
use crate::machine::this_machine;
use crate::report::markdown;
use crate::report::timeline::{Timeline, TimelineSpec};
use crate::report::write::{render, render_summaries};
use crate::report_dir::ReportDir;
use crate::scenario::threshold::parse_threshold;
use crate::scenario::{self, JoinSigner, Scenario};
use crate::secrets::{self, AppSecrets};
use crate::units::{parse_duration_showing, parse_rate};
use crate::workload::ShardSpec;

/// Exit code of a run that sent requests and got not one good answer.
pub const EXIT_NOTHING_MEASURED: u8 = 3;

/// What each scheduled request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoadMode {
    /// The room service's user flows (log in, sign, join, exit): needs a scenario.
    Room,
    /// Signing requests to a team's backend, built from --template.
    Sign,
    /// GET the target URL (raw throughput comparisons with wrk or oha).
    Http,
}

/// Who signs joins in room mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Signing {
    /// The backend signs with the session key the login returned.
    Local,
    /// The service's POST /wxa/getvoipsign signs.
    Service,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    voipsim serve --listen 127.0.0.1:8080 --app-secrets-file secrets.txt &\n  \
    voipsim load scenarios/quickstart.toml --target http://127.0.0.1:8080 --app-secrets-file secrets.txt \\\n      \
      --speed 60 --duration 1m\n  \
    voipsim load --target http://127.0.0.1:9000 --mode sign --template sign.toml --rate 500/s --duration 60s\n  \
    voipsim load --target http://127.0.0.1:9000/ --rate 10000/s --duration 30s --connections 64\n  \
    voipsim simulate day.toml --events day.csv && voipsim load day.toml --events day.csv --target URL --speed 60\n  \
    voipsim load day.toml --target URL --shard 0/4 --out shard-0   # then: voipsim merge shard-*\n\n\
Writes summary.json (mode load), summary.md, timeseries.csv (one row per second)\n\
and requests.hlog, requests_uncorrected.hlog, send_lateness.hlog into --out.\n\
Exit codes: 0 all thresholds passed; 1 a threshold failed; 2 bad flags, scenario\n\
or template; 3 no threshold failed, but requests were sent and not one got a good\n\
answer (target down, every answer an error: the run measured nothing; report\n\
still written); 130 interrupted (partial report written).")]
pub struct LoadArgs {
    /// The scenario whose workload to play (TOML). Without it, a quick look:
    /// --rate requests a second for --duration.
    pub scenario: Option<PathBuf>,
    /// The service under test: http://HOST:PORT[/PATH].
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// What each request is (default: room with a scenario, http without).
    #[arg(long, value_enum)]
    pub mode: Option<LoadMode>,
    /// The signing request template for --mode sign (TOML, see docs/load.md).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Requests a second for a quick look (no scenario), e.g. 500/s or 30000/min.
    #[arg(long, value_name = "RATE")]
    pub rate: Option<String>,
    /// Wall-clock length of the run (default: the scenario's duration over
    /// --speed; 10s for a quick look).
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Play N scenario seconds per wall-clock second (time compression).
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub speed: f64,
    /// Client connections (HTTP/1.1, one request in flight each).
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub connections: usize,
    /// Give up on a request after this long (counted as a timeout).
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub timeout: String,
    /// Who signs joins in room mode, for every app (default: each app's
    /// `signer` in the scenario, "backend" unless it says "getvoipsign").
    #[arg(long, value_enum)]
    pub signing: Option<Signing>,
    /// App secrets for logging users in (appId=secret lines); default from
    /// the VOIPSIM_APP_SECRETS environment variable.
    #[arg(long, value_name = "FILE")]
    pub app_secrets_file: Option<PathBuf>,
    /// --mode sign: the session key the backend signs with (a test user's),
    /// so each signature is checked; default from VOIPSIM_SESSION_KEY.
    /// Without one, signatures are only checked for shape.
    #[arg(long, value_name = "FILE")]
    pub session_key_file: Option<PathBuf>,
    /// A threshold to check after the scenario's own (repeatable), e.g.
    /// 'requests.latency_ns.p(99) < 50ms'.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The report folder (default: reports/NAME-load/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress line and no summary on stdout (the files are still written).
    #[arg(long, short)]
    pub quiet: bool,
    /// Replay an events file written by `simulate --events`: each join,
    /// rejoin, drop and leave row at its time (over --speed) as a room
    /// flow, or a signing request with --mode sign. The scenario, if
    /// given, names the apps (default: the built-in scenario's).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Play only shard I of N (counted from 0: 0/4 … 3/4), as `simulate
    /// --shard`: a workload's parties, a replay's users, a quick look's
    /// every N-th request. Merge the N reports with `voipsim merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardSpec>,
    /// Threads sending and receiving (default: one per core); the pacer
    /// that schedules the requests has its own.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub set: super::scenario_args::SetArgs,
    /// Also write the thresholds' outcomes as JUnit XML to FILE, one
    /// testcase per threshold (a failure names the observed value), for
    /// CI test reporters.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// The longest quick look, and the most connections: guards against a
/// typo that would hold sockets for days.
const MAX_CONNECTIONS: usize = 10_000;
const MAX_RATE: f64 = 1_000_000.0;

pub fn run(args: LoadArgs) -> CliResult {
    let target = Arc::new(Target::parse(&args.target)?);
    let timeout = flag_duration("--timeout", &args.timeout)?;
    if timeout.is_zero() {
        return Err(UsageError::new(
            "--timeout 0: give a timeout above zero, e.g. 5s",
        ));
    }
    if args.connections == 0 || args.connections > MAX_CONNECTIONS {
        return Err(UsageError::new(format!(
            "--connections {}: give 1 to {MAX_CONNECTIONS}",
            args.connections
        )));
    }
    if args.threads.is_some_and(|t| t == 0 || t > 1024) {
        return Err(UsageError::new(
            "--threads: give 1 to 1024 (default: one per core)",
        ));
    }
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(UsageError::new(format!(
            "--speed {}: give a number above zero (60 plays a scenario minute per second)",
            args.speed
        )));
    }
    let replaying = args.events.is_some();
    let mode = args
        .mode
        .unwrap_or(if args.scenario.is_some() || replaying {
            LoadMode::Room
        } else {
            LoadMode::Http
        });
    let template = match (mode, &args.template) {
        (LoadMode::Sign, Some(path)) => Some(SignTemplate::load(path)?),
        (LoadMode::Sign, None) => {
            return Err(UsageError::new(
                "--mode sign needs --template FILE: the request your signing backend takes (see docs/load.md)",
            ));
        }
        (_, Some(_)) => {
            return Err(UsageError::new(
                "--template is used only with --mode sign; add --mode sign, or drop --template",
            ));
        }
        (_, None) => None,
    };
    if mode == LoadMode::Http && replaying {
        return Err(UsageError::new(
            "--events replays a day's joins and leaves: use --mode room (the default) or --mode sign, not --mode http",
        ));
    }
    if mode == LoadMode::Room && args.scenario.is_none() && !replaying {
        return Err(UsageError::new(
            "--mode room plays a scenario's user flows: give a scenario file, e.g. voipsim load scenarios/quickstart.toml --target URL",
        ));
    }
    let rate = args
        .rate
        .as_deref()
        .map(|r| {
            parse_rate(r)
                .map_err(|e| UsageError::new(format!("--rate '{r}': {e}")))
                .and_then(|v| {
                    if v > 0.0 && v <= MAX_RATE {
                        Ok(v)
                    } else {
                        Err(UsageError::new(format!(
                            "--rate '{r}': give a rate above zero and at most {MAX_RATE}/s"
                        )))
                    }
                })
        })
        .transpose()?;
    let duration = args
        .duration
        .as_deref()
        .map(|d| flag_duration("--duration", d))
        .transpose()?;
    if duration.is_some_and(|d| d.is_zero()) {
        return Err(UsageError::new(
            "--duration 0: give a length above zero, e.g. 60s",
        ));
    }

    let overrides = args.set.overrides()?;
    let mut scenario = match &args.scenario {
        Some(path) => {
            super::guard_scenario_path(path)?;
            if rate.is_some() {
                return Err(UsageError::new(
                    "--rate is for a quick look without a scenario; a scenario's arrivals set the rate (use --speed to play it faster)",
                ));
            }
            scenario::load_with(path, &overrides)
                .map_err(|errors| UsageError::new(errors.to_string()))?
        }
        None if !overrides.is_empty() && !replaying => {
            return Err(UsageError::new(
                "--set changes a scenario's keys; give a scenario file, or use --rate and --duration for a quick look",
            ));
        }
        None if replaying => {
            if rate.is_some() {
                return Err(UsageError::new(
                    "--rate is for a quick look; a replay sends each row of --events at its time (use --speed to play it faster)",
                ));
            }
            // The apps a file simulated without a scenario names.
            scenario::default_scenario_with(&overrides)
                .map_err(|errors| UsageError::new(errors.to_string()))?
        }
        None => {
            if rate.is_none() {
                return Err(UsageError::new(
                    "without a scenario, give --rate: e.g. voipsim load --target URL --rate 500/s --duration 60s",
                ));
            }
            quick_look_scenario(duration.unwrap_or(Duration::from_secs(10)))
        }
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    for expr in &args.thresholds {
        let threshold = parse_threshold(expr)
            .map_err(|e| UsageError::new(format!("--threshold '{expr}': {}", e.message)))?;
        scenario.thresholds.push(threshold);
    }
    let shard = args.shard.unwrap_or_default();
    let replay: Option<ReplayFacts> = match &args.events {
        Some(path) => {
            let apps: Vec<&str> = scenario.apps.iter().map(|a| a.name.as_str()).collect();
            Some(replay_file::scan(path, &apps, shard).map_err(UsageError::new)?)
        }
        None => None,
    };
    let speed = if args.scenario.is_some() || replaying {
        args.speed
    } else {
        1.0
    };
    let wall = duration.unwrap_or_else(|| match &replay {
        // The last row's flow gets a second to be sent and answered.
        Some(facts) => {
            Duration::from_micros(facts.span_us()).div_f64(speed) + Duration::from_secs(1)
        }
        None => scenario.duration.div_f64(speed),
    });

    let sign_key = match mode {
        LoadMode::Sign => optional_session_key(&args)?,
        _ => None,
    };
    let mut secrets_by_app = vec![None; scenario.apps.len()];
    if mode == LoadMode::Room {
        let secrets = AppSecrets::load(
            args.app_secrets_file.as_deref(),
            std::env::var_os(secrets::APP_SECRETS_ENV),
        )?;
        for (i, app) in scenario.apps.iter().enumerate() {
            let secret = secrets.get(&app.app_id).ok_or_else(|| {
                UsageError::new(format!(
                    "app '{}' (appId {}) has no secret in the app secrets: add a line {}=SECRET (the secret the service under test holds for it)",
                    app.name, app.app_id, app.app_id
                ))
            })?;
            secrets_by_app[i] = Some(secret.clone());
        }
    }

    let mut replay_handles = None;
    let plan: Schedule = match (&args.events, &args.scenario) {
        (Some(path), _) => {
            let facts = replay
                .as_ref()
                .map_or_else(ReplayFacts::default, Clone::clone);
            let apps = replay_apps(&scenario);
            let kind = if mode == LoadMode::Sign {
                JoinKind::Sign
            } else {
                JoinKind::Room
            };
            let mut plan = ReplayPlan::new(
                replay_file::open(path).map_err(UsageError::new)?,
                apps,
                kind,
                speed,
                facts.base_us(),
                wall.as_micros() as u64,
                shard,
                scenario.seed,
                sign_key,
            );
            plan.name_workloads(scenario.workloads.iter().map(|w| w.name.clone()).collect());
            replay_handles = Some((plan.tally(), plan.error()));
            scenario.description = replay_description(&facts, speed, shard);
            Schedule::Paced(Box::new(plan))
        }
        (None, Some(_)) => {
            let kind = if mode == LoadMode::Sign {
                JoinKind::Sign
            } else {
                JoinKind::Room
            };
            if mode == LoadMode::Http {
                return Err(UsageError::new(
                    "--mode http sends plain GETs at --rate; with a scenario use --mode room or --mode sign",
                ));
            }
            let located =
                |e: String| UsageError::new(format!("{}: {e}", scenario.origin.display()));
            let wall_us = wall.as_micros() as u64;
            // Generated workloads and traces are two plans, paired when a
            // scenario has both.
            let generated: Option<Box<dyn Plan>> =
                if scenario.workloads.iter().any(|w| !w.is_trace()) {
                    let mut plan =
                        WorkloadPlan::new(&scenario, kind, speed, wall_us, sign_key.clone())
                            .map_err(located)?;
                    plan.shard(shard).map_err(located)?;
                    Some(Box::new(plan))
                } else {
                    None
                };
            let traces: Option<Box<dyn Plan>> =
                scenario.workloads.iter().any(|w| w.is_trace()).then(|| {
                    let apps = replay_apps(&scenario);
                    let plan = trace_plan(&scenario, apps, kind, speed, wall_us, shard, sign_key);
                    Box::new(plan) as Box<dyn Plan>
                });
            let plan: Box<dyn Plan> = match (generated, traces) {
                (Some(generated), Some(traces)) => Box::new(PairedPlan::new(generated, traces)),
                (Some(plan), None) | (None, Some(plan)) => plan,
                (None, None) => return Err(located("the scenario has no workloads".into())),
            };
            Schedule::Paced(plan)
        }
        (None, None) => {
            // A quick look plays none of the scenario's workloads: its
            // summary lists none, so a threshold naming one is null (and
            // fails) rather than a made-up 0.
            scenario.workloads.clear();
            let work = match mode {
                LoadMode::Sign => RateWork::Sign {
                    app_id: scenario.apps[0].app_id.as_str().into(),
                    key: sign_key,
                },
                _ => RateWork::Get,
            };
            let mut plan = RatePlan::new(
                rate.unwrap_or(1.0),
                wall.as_micros() as u64,
                work,
                scenario.seed,
            );
            plan.shard(shard);
            // No replies needed: the workers own the schedule (wrk2's model).
            Schedule::Tickets(plan)
        }
    };

    let out = args.out.clone().unwrap_or_else(|| {
        let what = if replaying { "replay" } else { "load" };
        PathBuf::from("reports").join(format!("{}-{what}", scenario.name))
    });
    let report_dir = ReportDir::claim(&out).map_err(|e| UsageError::new(e.to_string()))?;
    let junit = args.junit.as_deref().map(JunitFile::create).transpose()?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&stop);
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let sign_via = scenario
        .apps
        .iter()
        .map(|app| match (args.signing, app.signer) {
            (Some(Signing::Local), _) => SignVia::Local,
            (Some(Signing::Service), _) => SignVia::Service,
            (None, JoinSigner::Backend) => SignVia::Local,
            (None, JoinSigner::GetVoipSign) => SignVia::Service,
        })
        .collect();
    let context = Context {
        recorder: Arc::new(Mutex::new(placeholder_recorder())),
        template,
        sign_via,
        secrets: secrets_by_app,
        get: crate::load::http1::FixedRequest::get(&target.authority, &target.own_path()),
        target,
        tokens: Vec::new(),
        replies: None,
    };
    // A replay counts every row it sends: the file's rows are the day.
    let warmup = if replaying {
        Duration::ZERO
    } else {
        scenario.warmup.div_f64(speed)
    };
    let shown = out.display().to_string();
    // The time series and interval logs are written there as rows close.
    let staging = report_dir
        .stage()
        .map_err(|e| UsageError::new(e.to_string()))?;
    let mut ran = run_load(RunSettings {
        scenario,
        plan,
        context,
        connections: args.connections,
        timeout,
        duration: wall,
        speed,
        warmup,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        stop,
        threads: args.threads,
        report: Some(ReportOut { staging }),
    })
    .map_err(|e| UsageError::new(format!("cannot start the load test's runtime: {e}")))?;
    let mut record = ran.record;
    record.summary.machine = Some(this_machine());

    if !shard.is_whole() {
        // As simulate's shards say, so `voipsim merge` takes the folders.
        record.summary.shard = Some(shard.to_string());
    }
    let replayed = replay_handles.map(|(tally, error)| {
        let tally = *tally.lock().unwrap_or_else(|p| p.into_inner());
        let error = error.lock().unwrap_or_else(|p| p.into_inner()).take();
        (tally, error)
    });
    // The summary is final: render it, and publish it with what streamed.
    let mut files = match &mut ran.report {
        Some(Ok(stream)) => {
            let mut files = vec![stream.report_html(&record.summary)];
            files.extend(render_summaries(&record.summary, &shown));
            files
        }
        Some(Err(_)) => render_summaries(&record.summary, &shown),
        None => render(&record, &shown).map_err(|e| {
            UsageError::new(format!("cannot render the interval logs of {shown}: {e}"))
        })?,
    };
    let replay_note = replayed
        .as_ref()
        .map(|(tally, _)| replay_section(&record.summary.scenario.description, tally));
    if let Some(note) = &replay_note
        && let Some(md) = files.iter_mut().find(|f| f.name == "summary.md")
    {
        md.bytes.extend_from_slice(note.as_bytes());
    }
    match ran.report {
        Some(stream) => stream.and_then(|s| s.publish(&files)),
        None => report_dir.write(&files),
    }
    .map_err(|e| UsageError::new(e.to_string()))?;
    if let Some(junit) = junit {
        junit.finish("voipsim load", &record.summary)?;
    }
    if !args.quiet {
        print_stdout(&markdown::summary(&record.summary, Some(&shown)))?;
        if let Some(note) = &replay_note {
            print_stdout(note)?;
        }
    }
    if let Some((_, Some(error))) = replayed {
        // The file changed after it was checked: what was sent is
        // reported, and the bad row named.
        return Err(UsageError::new(format!(
            "{error} (the replay stopped there; the report of what was sent is in {shown})"
        )));
    }
    print_failed_thresholds(&record.summary.thresholds)?;
    if record.summary.partial {
        print_stderr(&format!(
            "voipsim: interrupted: partial report written to {shown}\n"
        ))?;
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    let nothing = record
        .summary
        .requests
        .as_ref()
        .and_then(nothing_but_failures);
    if let Some(why) = &nothing {
        print_stderr(&format!("voipsim: {why} (report in {shown})\n"))?;
    }
    Ok(ExitCode::from(match (record.summary.passed, nothing) {
        (false, _) => EXIT_FAILED,
        (true, Some(_)) => EXIT_NOTHING_MEASURED,
        (true, None) => EXIT_OK,
    }))
}

/// What a replay plays, for the summary's description.
fn replay_description(facts: &ReplayFacts, speed: f64, shard: ShardSpec) -> String {
    let of_shard = if shard.is_whole() {
        String::new()
    } else {
        format!(", shard {shard} of its users")
    };
    format!(
        "replay of {}: {} of its {} rows{of_shard} ({} joins, {} rejoins, {} drops, {} leaves; the file says {} joins accepted, {} refused), elapsed {} to {} µs, at {speed}× speed",
        facts.shown,
        facts.rows,
        facts.rows_in_file,
        facts.joins,
        facts.rejoins,
        facts.drops,
        facts.leaves,
        facts.accepted,
        facts.refused,
        facts.first_us,
        facts.last_us,
    )
}

/// The replay's section of summary.md: what was replayed, and the
/// service's join outcomes beside the file's.
fn replay_section(description: &str, t: &ReplayTally) -> String {
    let unanswered = t.joins.saturating_sub(t.replay_accepted + t.replay_refused);
    format!(
        "\n## Replay\n\n{description}.\n\n\
         | joins sent | accepted | refused | unanswered by the end |\n|---|---|---|---|\n\
         | the file | {} | {} | |\n| the service | {} | {} | {unanswered} |\n\n\
         {} join(s) answered otherwise than the file says; {} drop and leave row(s) sent as exits.\n",
        t.file_accepted, t.file_refused, t.replay_accepted, t.replay_refused, t.differ, t.exits
    )
}

fn flag_duration(flag: &str, text: &str) -> Result<Duration, UsageError> {
    parse_duration_showing(text, "write a number and a unit, e.g. 60s, 500ms or 10m")
        .map_err(|e| UsageError::new(format!("{flag} '{text}': {e}")))
}

/// The session key a signing backend is expected to sign with, when one
/// is given (file or environment); none is fine.
fn optional_session_key(
    args: &LoadArgs,
) -> Result<Option<Arc<crate::signature::SessionKey>>, UsageError> {
    let env = std::env::var_os(secrets::SESSION_KEY_ENV);
    if args.session_key_file.is_none() && env.is_none() {
        return Ok(None);
    }
    let (key, _) = secrets::load_session_key(args.session_key_file.as_deref(), env)?;
    Ok(Some(Arc::new(key)))
}

/// The scenario a quick look reports under: its name, one default app,
/// the run's length; its workload is not played (the rate is).
fn quick_look_scenario(duration: Duration) -> Scenario {
    let text = format!(
        "name = \"quick-look\"\ndescription = \"voipsim load without a scenario: a constant rate\"\n\
         duration = \"{}ms\"\nreport_interval = \"1s\"\n\
         [[workloads]]\nname = \"quick-look\"\narrivals = {{ poisson = \"1/s\" }}\nparty = {{ size = 1 }}\nstay = \"1s\"\n",
        duration.as_millis().max(1)
    );
    match scenario::parse(&text, std::path::Path::new("<quick look>")) {
        Ok(s) => s,
        // Only a duration past the scenario limits could fail here.
        Err(_) => scenario::default_scenario(),
    }
}

/// The scenario's apps as a replay names them.
fn replay_apps(scenario: &Scenario) -> Vec<ReplayApp> {
    scenario
        .apps
        .iter()
        .map(|a| ReplayApp {
            name: a.name.clone(),
            app_id: a.app_id.as_str().into(),
            tolerance_s: a
                .timestamp_tolerance
                .map(|t| t.as_secs().min(u64::from(u32::MAX)) as u32),
        })
        .collect()
}

/// The recorder the run replaces before the first request.
fn placeholder_recorder() -> Recorder {
    Recorder::new(
        std::time::Instant::now(),
        Timeline::new(TimelineSpec {
            start: 0,
            window_from: 0,
            end: 1,
            interval_us: 1,
            start_unix_us: 0,
            offset: time::UtcOffset::UTC,
            apps: 0,
            latencies: Vec::new(),
        }),
    )
}
