//! Bakes the git commit voipsim is built from into the binary
//! (`VOIPSIM_GIT_COMMIT`), for the `machine` block every report records.
//! Outside a git checkout (a crates tarball) or without git, the variable
//! is empty and reports say null: the build never fails for it.

use std::process::Command;

/// `git ARGS` run in the package's folder, its trimmed output if it
/// succeeded.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
}

fn main() {
    // Only voipsim's own checkout names the commit: unpacked inside some
    // other repository (a vendored crate), git would name that one's.
    let own_checkout = git(&["rev-parse", "--show-toplevel"])
        .zip(std::env::var_os("CARGO_MANIFEST_DIR"))
        .and_then(|(top, manifest)| {
            Some(std::fs::canonicalize(top).ok()? == std::fs::canonicalize(manifest).ok()?)
        })
        .unwrap_or(false);
    let commit = own_checkout
        .then(|| git(&["rev-parse", "--short", "HEAD"]))
        .flatten()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_default();
    println!("cargo:rustc-env=VOIPSIM_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves (a commit, a checkout); a worktree's .git is
    // a file naming its git folder, so ask git where HEAD lives.
    // (The reflog `logs/HEAD` grows with every commit on the branch.)
    for path in ["HEAD", "logs/HEAD"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]).filter(|_| own_checkout) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
