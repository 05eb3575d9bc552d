//! `voipsim merge DIR… [--out DIR]`: the report folders of a sharded run
//! (`simulate --shard I/N`, `load --shard I/N`) combined into one report
//! folder. The folders are read here; the merge itself is the core's
//! ([`crate::report::merge`]: bytes in, bytes out), so its rules (what
//! adds, what is an upper bound, what is refused) are tested there.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use super::output::{print_failed_thresholds, print_stdout};
use super::{CliResult, EXIT_FAILED, EXIT_OK, UsageError};
use crate::report::merge::{ReportInput, merge};
use crate::report::summary::Summary;
use crate::report::write::ReportFile;
use crate::report_dir::ReportDir;
use crate::secrets::ShownPath;

/// Files larger than this are not a report's (a day's `.hlog` at one-minute
/// intervals is a few hundred kilobytes).
const MAX_FILE: u64 = 512 * 1024 * 1024;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    for i in 0 1 2 3; do voipsim simulate day.toml --shard $i/4 --out shards/$i --quiet; done\n  \
    voipsim merge shards/0 shards/1 shards/2 shards/3 --out merged\n\n\
Counts add; latency histograms (.hlog) merge losslessly; timeseries.csv rows\n\
align by their start time; peaks add (an upper bound: see merged.upper_bounds\n\
in summary.json). Refuses folders of different runs (scenario, seed, mode,\n\
version) or a shard given twice. The scenario's thresholds are evaluated again
on the merged figures. Exit codes: 0 merged, thresholds passed; 1 a threshold
failed; 2 bad input.")]
pub struct MergeArgs {
    /// The shards' report folders.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged report (default: reports/merged/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No summary on stdout (the files are still written).
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: MergeArgs) -> CliResult {
    let inputs = args
        .dirs
        .iter()
        .map(|dir| read_folder(dir))
        .collect::<Result<Vec<_>, _>>()?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join("merged"));
    let shown = out.display().to_string();
    // Writing into one of the inputs would replace a shard's report with
    // the merge before anyone could check it.
    let canonical = |p: &std::path::Path| fs::canonicalize(p).ok();
    if let Some(target) = canonical(&out)
        && args
            .dirs
            .iter()
            .any(|d| canonical(d).as_ref() == Some(&target))
    {
        return Err(UsageError::new(format!(
            "--out {}: is one of the folders being merged; write the merged report to a new folder",
            ShownPath::new(&out)
        )));
    }
    let files = merge(&inputs, &shown).map_err(|e| UsageError::new(e.to_string()))?;
    let report_dir = ReportDir::claim(&out).map_err(|e| UsageError::new(e.to_string()))?;
    report_dir
        .write(&files)
        .map_err(|e| UsageError::new(e.to_string()))?;
    if !args.quiet
        && let Some(md) = files.iter().find(|f| f.name == "summary.md")
    {
        print_stdout(&String::from_utf8_lossy(&md.bytes))?;
    }
    // The merged summary is the one `merge` just rendered; it parses
    // unless the two sides of the schema disagree, which is a bug to say.
    let summary: Summary = files
        .iter()
        .find(|f| f.name == "summary.json")
        .and_then(|f| serde_json::from_slice(&f.bytes).ok())
        .ok_or_else(|| {
            UsageError::new(format!(
                "the merged summary.json in {} could not be read back to judge its thresholds",
                ShownPath::new(&out)
            ))
        })?;
    print_failed_thresholds(&summary.thresholds)?;
    Ok(ExitCode::from(if summary.passed {
        EXIT_OK
    } else {
        EXIT_FAILED
    }))
}

/// A report folder's files: `summary.json`, `timeseries.csv`, `*.hlog`.
fn read_folder(dir: &std::path::Path) -> Result<ReportInput, UsageError> {
    let shown = ShownPath::new(dir).to_string();
    let entries = fs::read_dir(dir).map_err(|e| {
        UsageError::new(format!(
            "{shown}: cannot read the report folder: {e}; give the folders the shards wrote (--out)"
        ))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| UsageError::new(format!("{shown}: {e}")))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let wanted = name == "summary.json" || name == "timeseries.csv" || name.ends_with(".hlog");
        if !wanted || !entry.path().is_file() {
            continue;
        }
        let path = entry.path();
        let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
        if len > MAX_FILE {
            return Err(UsageError::new(format!(
                "{shown}/{name}: {len} bytes is too large for a report file; give the folders voipsim wrote"
            )));
        }
        let bytes = fs::read(&path)
            .map_err(|e| UsageError::new(format!("{shown}/{name}: cannot read it: {e}")))?;
        files.push(ReportFile { name, bytes });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ReportInput { dir: shown, files })
}
