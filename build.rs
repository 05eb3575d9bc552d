//! Bakes the git commit voipsim is built from into the binary
//! (`VOIPSIM_GIT_COMMIT`), for the `machine` block every report records.
//! Outside a git checkout (a crates tarball) or without git, the variable
//! is empty and reports say null: the build never fails for it.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_default();
    println!("cargo:rustc-env=VOIPSIM_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves (a commit, a checkout); a worktree's .git is
    // a file naming its git folder, so ask git where HEAD lives.
    for path in ["HEAD", "logs/HEAD"] {
        if let Some(p) = Command::new("git")
            .args(["rev-parse", "--git-path", path])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
        {
            println!("cargo:rerun-if-changed={}", p.trim());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
