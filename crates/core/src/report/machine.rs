//! The machine a report was made on (`summary.json`'s `machine`), and
//! whether two reports' machines are of one class.
//!
//! Measured figures (wall time, events per second, signing latency) say as
//! much about the CPU as about voipsim, so a report records what it ran on
//! and `voipsim compare` gates timings only between runs of one machine
//! class: the same CPU model and core count. The binary fills the block
//! (reading the CPU is I/O, which this crate does not do); like the
//! timings, it is left out when two runs' outputs are checked for being
//! identical, since the same seed on another machine (or another build)
//! writes another `machine`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a run ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Machine {
    /// The CPU's model name (Linux: `/proc/cpuinfo`'s `model name`), or
    /// `unknown`.
    pub cpu_model: String,
    /// Cores (hardware threads) the process may use.
    pub cores: u64,
    /// The CPU architecture (`x86_64`, `aarch64`, ...).
    pub arch: String,
    /// Whether the CPU has SHA instructions (x86 SHA-NI, ARMv8 SHA2), which
    /// make HMAC-SHA256 signing several times faster.
    pub sha_extensions: bool,
    /// The voipsim version that made the report.
    pub voipsim_version: String,
    /// The git commit voipsim was built from (`git rev-parse --short
    /// HEAD`), or null when built outside a git checkout.
    pub git_commit: Option<String>,
}

/// Why the measured figures of two summaries cannot be gated against each
/// other, or `None` when their machines are of one class (same CPU model
/// and core count).
pub fn class_mismatch(baseline: &Value, current: &Value) -> Option<String> {
    let class = |v: &Value| {
        let m = v.get("machine")?;
        Some((
            m.get("cpu_model")?.as_str()?.to_string(),
            m.get("cores")?.as_u64()?,
        ))
    };
    match (class(baseline), class(current)) {
        (Some(b), Some(c)) if b == c => None,
        (Some(b), Some(c)) => Some(format!(
            "the machines differ (baseline {} with {} cores, current {} with {} cores)",
            b.0, b.1, c.0, c.1
        )),
        (None, _) => Some("the baseline does not record its machine".to_string()),
        (_, None) => Some("the current run does not record its machine".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(cpu: &str, cores: u64) -> Value {
        json!({"machine": {"cpu_model": cpu, "cores": cores, "arch": "x86_64",
            "sha_extensions": true, "voipsim_version": "1", "git_commit": null}})
    }

    #[test]
    fn one_class_is_the_same_cpu_model_and_cores() {
        assert_eq!(class_mismatch(&with("A", 2), &with("A", 2)), None);
        let differ = class_mismatch(&with("A", 2), &with("A", 4)).unwrap();
        assert!(differ.contains("A with 2 cores") && differ.contains("A with 4 cores"));
        assert!(class_mismatch(&with("A", 2), &with("B", 2)).is_some());
    }

    #[test]
    fn an_unrecorded_machine_is_no_class() {
        let why = class_mismatch(&json!({}), &with("A", 2)).unwrap();
        assert!(why.contains("baseline does not record"), "{why}");
        assert!(class_mismatch(&with("A", 2), &json!({"machine": null})).is_some());
    }
}
