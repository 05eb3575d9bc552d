//! The Kubernetes manifest in `deploy/` against voipsim's own command
//! line: every pod's whole `voipsim load` command line (the completion
//! index substituted) parses with the CLI's clap types, the shards are
//! 0/N … N−1/N with N the Job's completions, each pod writes its own
//! report folder, and the app secrets come from a Secret.
//!
//! Read by hand rather than with a YAML crate (one file, a few known keys):
//! a dependency for this alone is not worth it, and a manifest the lines
//! below cannot read fails the test, which is the point.

use clap::Parser;
use voipsim::cli::{Cli, Command};
use voipsim::workload::ShardSpec;

const MANIFEST: &str = include_str!("../deploy/voipsim-load-shards.yaml");

/// The number after `key:`.
fn number(key: &str) -> u32 {
    MANIFEST
        .lines()
        .find_map(|l| l.trim().strip_prefix(key)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{key}` number in the manifest"))
}

/// The container's `command` and `args` items, in order.
fn command_line() -> Vec<String> {
    let mut line = Vec::new();
    let mut in_args = false;
    for l in MANIFEST.lines() {
        let t = l.trim();
        if let Some(cmd) = t.strip_prefix("command:") {
            line.extend(
                cmd.trim()
                    .trim_matches(['[', ']'])
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_string()),
            );
        } else if t == "args:" {
            in_args = true;
        } else if in_args && let Some(item) = t.strip_prefix("- ") {
            line.push(item.trim_matches('"').to_string());
        } else if in_args && !t.starts_with('#') {
            in_args = false;
        }
    }
    line
}

#[test]
fn every_pod_runs_its_own_shard_with_arguments_the_cli_accepts() {
    let n = number("completions:");
    assert_eq!(
        number("parallelism:"),
        n,
        "parallelism and completions differ"
    );
    let template = command_line();
    assert_eq!(template.first().map(String::as_str), Some("voipsim"));
    let mut outs = Vec::new();
    for index in 0..n {
        let args: Vec<String> = template
            .iter()
            .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &index.to_string()))
            .collect();
        let value = |flag: &str| {
            let i = args
                .iter()
                .position(|a| a == flag)
                .unwrap_or_else(|| panic!("no {flag}"));
            args[i + 1].clone()
        };
        let shard = ShardSpec::parse(&value("--shard")).unwrap();
        assert_eq!(shard, ShardSpec::new(index, n).unwrap());
        outs.push(value("--out"));
        // The whole `voipsim load` command line, with the CLI's own types.
        let cli =
            Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("pod {index}: {args:?}: {e}"));
        let Command::Load(load) = cli.command else {
            panic!("pod {index} does not run `voipsim load`: {args:?}");
        };
        assert_eq!(load.shard, Some(shard), "pod {index}");
        assert_eq!(
            load.out.as_deref(),
            Some(std::path::Path::new(&value("--out")))
        );
        assert!(load.target.starts_with("http://"), "{}", load.target);
        assert!(
            load.scenario.is_some() || load.events.is_some(),
            "pod {index} plays nothing"
        );
    }
    outs.sort();
    outs.dedup();
    assert_eq!(outs.len(), n as usize, "pods share a report folder");
}

#[test]
fn the_pods_read_the_app_secrets_from_a_secret() {
    let env = MANIFEST
        .find("name: VOIPSIM_APP_SECRETS")
        .unwrap_or_else(|| panic!("the pods get no VOIPSIM_APP_SECRETS: room flows cannot log in"));
    // The entry's next lines: a reference to a Secret, not a value.
    let entry: String = MANIFEST[env..].lines().skip(1).take(4).collect();
    assert!(
        entry.contains("secretKeyRef:") && !entry.contains("value:"),
        "VOIPSIM_APP_SECRETS must come from a Secret, not a value in the manifest: {entry}"
    );
}
