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
//! A run that writes as it goes (a load test streams its time series and
//! latency logs row by row, so its memory stays flat) does so into the
//! same staging folder ([`ReportDir::stage`], [`Staging`]): nothing it
//! streams is in the folder before [`Staging::publish`] renames it there
//! with the summaries, so a crash mid-run leaves the previous report, not
//! half a new one (and the dead run's staging folder is removed by the
//! next claim).
//!
//! The lock holds the owner's process id; a lock left by a process that
//! no longer runs (killed with SIGKILL) is taken over.

use std::fs;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use voipsim_core::report::write::{REPORT_FILES, ReportFile};

/// The lock file's name, inside the report folder.
const LOCK: &str = ".voipsim.lock";
/// The staging folder's name, before the owner's process id.
const STAGING_PREFIX: &str = ".voipsim-staging-";

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
                    let dir = ReportDir {
                        path: path.to_path_buf(),
                    };
                    dir.remove_dead_staging();
                    return Ok(dir);
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
        self.stage()?.publish(files)
    }

    /// Opens the staging folder for a run that writes some files as it
    /// goes (a load test's time series and latency logs, row by row):
    /// they grow in the staging folder, where no reader looks, and join
    /// the folder only with the rest, whole, at [`Staging::publish`].
    pub fn stage(&self) -> Result<Staging, ReportDirError> {
        let path = self
            .path
            .join(format!("{STAGING_PREFIX}{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir(&path).map_err(|source| ReportDirError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(Staging {
            folder: self.path.clone(),
            path,
            streams: Vec::new(),
        })
    }

    /// Removes the staging folders of runs that died before publishing
    /// (killed mid-run): their files were never part of a report.
    fn remove_dead_staging(&self) {
        let Ok(entries) = fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix(STAGING_PREFIX)
                && !process_is_running(pid)
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Removes report files of an earlier run in `folder` that this run did
/// not write (`names`): a latency log it did not measure.
fn remove_stale(folder: &Path, names: &[&str]) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.ends_with(".hlog") || REPORT_FILES.contains(&name.as_str());
        if ours && !names.contains(&name.as_str()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A run's staging folder inside the report folder: files streamed into
/// it as the run goes, and the rest written at the end, all renamed into
/// the folder together by [`Staging::publish`]. Dropped unpublished (an
/// error, a panic), it removes itself: the previous report stays whole.
#[derive(Debug)]
pub struct Staging {
    /// The report folder.
    folder: PathBuf,
    /// The staging folder inside it.
    path: PathBuf,
    /// The streamed files, by name, open for appending.
    streams: Vec<(String, BufWriter<fs::File>)>,
}

impl Staging {
    /// Starts a streamed file `name` with `head` (a CSV header, a log's
    /// header).
    pub fn create(&mut self, name: &str, head: &[u8]) -> Result<(), ReportDirError> {
        let staged = self.path.join(name);
        let file = fs::File::create(&staged).map_err(|e| self.failed(name, e))?;
        self.streams
            .push((name.to_string(), BufWriter::with_capacity(64 * 1024, file)));
        self.append(name, head)
    }

    /// Appends `bytes` to the streamed file `name` (ignored for a name
    /// never created: a caller's slip must not lose the report).
    pub fn append(&mut self, name: &str, bytes: &[u8]) -> Result<(), ReportDirError> {
        let Some(i) = self.streams.iter().position(|(n, _)| n == name) else {
            return Ok(());
        };
        let result = self.streams[i].1.write_all(bytes);
        result.map_err(|e| self.failed(name, e))
    }

    /// Leaves the streamed file `name` out of the report (a latency that
    /// turned out to measure nothing).
    pub fn discard(&mut self, name: &str) {
        self.streams.retain(|(n, _)| n != name);
        let _ = fs::remove_file(self.path.join(name));
    }

    /// Flushes the streamed files to disk, writes `files` beside them and
    /// renames everything into the report folder, `files` in their order
    /// after the streamed ones (so `summary.json`, last, is the last to
    /// change); removes report files of an earlier run this one did not
    /// write. Returns the paths written.
    pub fn publish(mut self, files: &[ReportFile]) -> Result<Vec<PathBuf>, ReportDirError> {
        let result = self.flush_and_swap(files);
        let _ = fs::remove_dir_all(&self.path);
        result
    }

    fn flush_and_swap(&mut self, files: &[ReportFile]) -> Result<Vec<PathBuf>, ReportDirError> {
        let streams = std::mem::take(&mut self.streams);
        let mut names: Vec<String> = Vec::with_capacity(streams.len() + files.len());
        for (name, writer) in streams {
            let synced = writer
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all());
            synced.map_err(|e| self.failed(&name, e))?;
            names.push(name);
        }
        for file in files {
            write_synced(&self.path.join(&file.name), &file.bytes)
                .map_err(|e| self.failed(&file.name, e))?;
            names.push(file.name.clone());
        }
        // Everything is on disk: only renames from here, which need no room.
        let mut written = Vec::with_capacity(names.len());
        for name in &names {
            let target = self.folder.join(name);
            fs::rename(self.path.join(name), &target).map_err(|e| self.failed(name, e))?;
            written.push(target);
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        remove_stale(&self.folder, &names);
        Ok(written)
    }

    fn failed(&self, name: &str, source: std::io::Error) -> ReportDirError {
        ReportDirError::Write {
            path: self.folder.join(name),
            source,
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.streams.clear();
        let _ = fs::remove_dir_all(&self.path);
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
    fn streamed_files_join_the_folder_only_when_published() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::claim(tmp.path()).unwrap();
        dir.write(&[file("timeseries.csv", b"old"), file("summary.json", b"old")])
            .unwrap();
        let mut staging = dir.stage().unwrap();
        staging.create("timeseries.csv", b"head\n").unwrap();
        staging.append("timeseries.csv", b"row 1\n").unwrap();
        staging.create("idle.hlog", b"#head\n").unwrap();
        // Mid-run, the folder still holds the previous report, whole.
        assert_eq!(fs::read(tmp.path().join("timeseries.csv")).unwrap(), b"old");
        staging.append("timeseries.csv", b"row 2\n").unwrap();
        staging.discard("idle.hlog");
        staging.publish(&[file("summary.json", b"new")]).unwrap();
        assert_eq!(
            fs::read(tmp.path().join("timeseries.csv")).unwrap(),
            b"head\nrow 1\nrow 2\n"
        );
        assert_eq!(fs::read(tmp.path().join("summary.json")).unwrap(), b"new");
        assert_eq!(names(tmp.path()), [LOCK, "summary.json", "timeseries.csv"]);
    }

    #[test]
    fn an_unpublished_stream_leaves_the_previous_report_and_no_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ReportDir::claim(tmp.path()).unwrap();
        dir.write(&[file("summary.json", b"old")]).unwrap();
        {
            let mut staging = dir.stage().unwrap();
            staging.create("timeseries.csv", b"half a run").unwrap();
            // Dropped: an error or a panic before publishing.
        }
        assert_eq!(names(tmp.path()), [LOCK, "summary.json"]);
        assert_eq!(fs::read(tmp.path().join("summary.json")).unwrap(), b"old");
    }

    #[test]
    fn a_dead_runs_staging_folder_is_removed_by_the_next_claim() {
        let tmp = tempfile::tempdir().unwrap();
        // Left by a run killed mid-stream (no process has pid 0).
        let dead = tmp.path().join(format!("{STAGING_PREFIX}0"));
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("timeseries.csv"), b"half").unwrap();
        let _dir = ReportDir::claim(tmp.path()).unwrap();
        assert!(!dead.exists());
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
