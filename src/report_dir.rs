//! The report folder on disk: claimed before a run starts, filled with one
//! run's files, whole, when it ends.
//!
//! A run can take minutes, and the worst moment to learn that `--out` is
//! unusable is after it. So [`ReportDir::claim`] creates the folder and
//! takes a lock file in it before anything is simulated: a file in the
//! way, a read-only place or a full disk is reported at once (exit 2), and
//! a second run pointed at the same folder is told which process holds it
//! instead of mixing its files with the first's.
//!
//! [`ReportDir::write`] then makes the folder one run's, whole: every file
//! is first written and flushed into a staging folder inside it; only when
//! all of them are on disk are they renamed into place (each rename is
//! atomic on POSIX file systems), `summary.json` last, and a latency log
//! the new run did not produce is removed. A disk that fills up partway
//! leaves the previous report untouched, not a new `timeseries.csv` beside
//! an old `summary.json`.
//!
//! The lock holds the owner's process id; a lock left by a process that
//! no longer runs (killed with SIGKILL) is taken over.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use voipsim_core::report::write::{REPORT_FILES, ReportFile};

/// The lock file's name, inside the report folder.
const LOCK: &str = ".voipsim.lock";

/// Why the report folder cannot be used or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportDirError {
    #[error("cannot use {path} as the report folder: {source}; pick a writable place with --out")]
    Unusable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the report folder {path} is in use by another voipsim run (process {pid}); wait for it to finish, or pick another folder with --out"
    )]
    Busy { path: PathBuf, pid: String },
    #[error(
        "cannot write {path}: {source}; check that the folder is writable and the disk has room (or pick another with --out); the previous report there, if any, is unchanged"
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A claimed report folder; the claim is released when dropped.
#[derive(Debug)]
pub struct ReportDir {
    path: PathBuf,
}

impl ReportDir {
    /// Creates `path` (and its parents) if needed and locks it for this
    /// process. Fails at once when it cannot be created or written, or when
    /// another live run holds it.
    pub fn claim(path: &Path) -> Result<ReportDir, ReportDirError> {
        let unusable = |source| ReportDirError::Unusable {
            path: path.to_path_buf(),
            source,
        };
        if path.exists() && !path.is_dir() {
            return Err(unusable(std::io::Error::new(
                ErrorKind::AlreadyExists,
                "a file is in the way (it is not a folder)",
            )));
        }
        fs::create_dir_all(path).map_err(unusable)?;
        let lock = path.join(LOCK);
        // Twice at most: the second time after removing a dead run's lock.
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
            {
                Ok(mut file) => {
                    // Writing our pid also proves the folder takes writes.
                    file.write_all(std::process::id().to_string().as_bytes())
                        .and_then(|()| file.sync_all())
                        .map_err(|source| {
                            let _ = fs::remove_file(&lock);
                            unusable(source)
                        })?;
                    return Ok(ReportDir {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let pid = fs::read_to_string(&lock).unwrap_or_default();
                    let pid = pid.trim().to_string();
                    if process_is_running(&pid) {
                        return Err(ReportDirError::Busy {
                            path: path.to_path_buf(),
                            pid,
                        });
                    }
                    // Left by a run that died without cleaning up.
                    let _ = fs::remove_file(&lock);
                }
                Err(e) => return Err(unusable(e)),
            }
        }
        Err(unusable(std::io::Error::other(
            "its lock file keeps reappearing; another process is using it",
        )))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts one run's `files` in the folder, whole (see the module docs);
    /// returns their paths.
    pub fn write(&self, files: &[ReportFile]) -> Result<Vec<PathBuf>, ReportDirError> {
        let staging = self
            .path
            .join(format!(".voipsim-staging-{}", std::process::id()));
        let result = self.stage_and_swap(&staging, files);
        let _ = fs::remove_dir_all(&staging);
        result
    }

    fn stage_and_swap(
        &self,
        staging: &Path,
        files: &[ReportFile],
    ) -> Result<Vec<PathBuf>, ReportDirError> {
        let failed = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ReportDirError::Write { path, source }
        };
        let _ = fs::remove_dir_all(staging);
        fs::create_dir(staging).map_err(failed(staging))?;
        for file in files {
            let staged = staging.join(&file.name);
            write_synced(&staged, &file.bytes).map_err(failed(&self.path.join(&file.name)))?;
        }
        // Everything is on disk: only renames from here, which need no room.
        let mut written = Vec::with_capacity(files.len());
        for file in files {
            let target = self.path.join(&file.name);
            fs::rename(staging.join(&file.name), &target).map_err(failed(&target))?;
            written.push(target);
        }
        self.remove_stale(files);
        Ok(written)
    }

    /// Removes report files of an earlier run that this run did not write
    /// (a latency log it did not measure).
    fn remove_stale(&self, files: &[ReportFile]) {
        let Ok(entries) = fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.ends_with(".hlog") || REPORT_FILES.contains(&name.as_str());
            if ours && !files.iter().any(|f| f.name == name) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

impl Drop for ReportDir {
    fn drop(&mut self) {
        let _ = fs::remove_file(self.path.join(LOCK));
    }
}

/// Writes `bytes` to a new file at `path` and flushes it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Whether the process `pid` (as text from a lock file) is running. Where
/// that cannot be known (no `/proc`), a lock is assumed live.
fn process_is_running(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<u32>() else {
        // Garbage in the lock file: no run wrote it.
        return false;
    };
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> ReportFile {
        ReportFile {
            name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_report_replaces_the_old_whole_and_leaves_no_temporary_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sub/report");
        {
            let dir = ReportDir::claim(&path).unwrap();
            dir.write(&[
                file("signing.hlog", b"old log"),
                file("summary.json", b"one"),
            ])
            .unwrap();
        }
        let dir = ReportDir::claim(&path).unwrap();
        dir.write(&[file("summary.json", b"two")]).unwrap();
        assert_eq!(fs::read(path.join("summary.json")).unwrap(), b"two");
        // The old run's log went with it; only the lock is left besides.
        assert_eq!(names(&path), [LOCK, "summary.json"]);
        drop(dir);
        assert_eq!(names(&path), ["summary.json"]);
    }

    #[test]
    fn a_second_run_is_told_the_folder_is_busy() {
        let tmp = tempfile::tempdir().unwrap();
        let _first = ReportDir::claim(tmp.path()).unwrap();
        let err = ReportDir::claim(tmp.path()).unwrap_err();
        assert!(matches!(err, ReportDirError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("another voipsim run"), "{err}");
    }

    #[test]
    fn a_dead_runs_lock_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        // No process has pid 0 in /proc; garbage is no pid either.
        for stale in ["0", "not a pid"] {
            fs::write(tmp.path().join(LOCK), stale).unwrap();
            assert!(ReportDir::claim(tmp.path()).is_ok(), "{stale}");
        }
    }

    #[test]
    fn a_file_in_the_way_is_found_before_the_run() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        for path in [blocker.clone(), blocker.join("report")] {
            let err = ReportDir::claim(&path).unwrap_err();
            assert!(matches!(err, ReportDirError::Unusable { .. }), "{err}");
            assert!(err.to_string().contains("--out"), "{err}");
        }
    }
}
