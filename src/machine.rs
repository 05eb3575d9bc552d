//! The machine this run is on, for the `machine` block of every report
//! (see `voipsim_core::report::machine`): the CPU's model, the cores this
//! process may use, whether the CPU has SHA instructions, and voipsim's
//! version and git commit (baked in by `build.rs`).

use voipsim_core::report::machine::Machine;
use voipsim_core::signature::sha_ni_available;

/// What a CPU model is called when the system does not say.
const UNKNOWN: &str = "unknown";

/// This machine, read now.
pub fn this_machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    Machine {
        cpu_model: cpu_model(&cpuinfo).unwrap_or(UNKNOWN).to_string(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
        arch: std::env::consts::ARCH.to_string(),
        sha_extensions: sha_ni_available(),
        voipsim_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: Some(env!("VOIPSIM_GIT_COMMIT"))
            .filter(|c| !c.is_empty())
            .map(str::to_string),
    }
}

/// The first `model name` of a `/proc/cpuinfo` (x86), else its `Model`
/// or `Hardware` line (ARM boards).
fn cpu_model(cpuinfo: &str) -> Option<&str> {
    ["model name", "Model", "Hardware"].iter().find_map(|key| {
        cpuinfo.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k.trim() == *key && !v.trim().is_empty()).then(|| v.trim())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_name_is_read_from_cpuinfo() {
        let x86 = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 85\n\
                   model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nflags\t\t: sha_ni\n";
        assert_eq!(cpu_model(x86), Some("Intel(R) Xeon(R) CPU @ 2.20GHz"));
        let arm = "processor\t: 0\nBogoMIPS\t: 108.00\n\nModel\t\t: Raspberry Pi 4 Model B\n";
        assert_eq!(cpu_model(arm), Some("Raspberry Pi 4 Model B"));
        assert_eq!(cpu_model(""), None);
    }

    #[test]
    fn this_machine_has_at_least_one_core_and_this_version() {
        let m = this_machine();
        assert!(m.cores >= 1);
        assert!(!m.cpu_model.is_empty());
        assert_eq!(m.voipsim_version, env!("CARGO_PKG_VERSION"));
        assert!(m.git_commit.iter().all(|c| c.len() >= 4));
    }
}
