//! `--state FILE`: the emulator's whole state in one JSON file, saved
//! atomically at an interval and on shutdown, restored on start.
//!
//! What it holds ([`StateFile`]): per app, the core's
//! [`ServiceSnapshot`] (rooms, members, users with their session keys,
//! quota days, nonce memory) and the eviction order of its users; the
//! access tokens; the service clock's instant when saved. It is the only
//! place session keys are ever written, so it is created with mode 0600.
//!
//! Atomic: the bytes go to a temporary file in the same directory, which
//! is flushed to disk (fsync), renamed over the old file, and the
//! directory is flushed too, so after a crash (even SIGKILL or power loss)
//! the file is either the previous save or this one, whole.
//!
//! Restoring refuses (exit 2, with what and how to fix) a file that is not
//! JSON of this shape, of another format version, whose apps are not the
//! ones served, whose rules differ from `--config`'s, or whose contents the
//! core refuses ([`crate::rules::RestoreError`]): starting from a state the
//! rules could not have produced, or under other rules than it was made
//! with, would make every later answer suspect.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::apps::{AppRooms, ServiceOrigin, new_app_service};
use super::config::AppConfig;
use super::emulator::Emulator;
use super::eviction::UserRing;
use super::tokens::SavedToken;
use crate::rules::{ServiceSnapshot, UnixMicros};

/// The state file format this version writes and reads.
pub const STATE_FORMAT: u32 = 1;

/// The largest state file read (a million users take about 150 MB).
pub const MAX_STATE_BYTES: u64 = 4 << 30;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// [`STATE_FORMAT`].
    pub format: u32,
    /// The service's clock when saved.
    pub saved_at: UnixMicros,
    /// Whether the test clock was on.
    pub test_clock: bool,
    pub apps: Vec<SavedApp>,
    pub tokens: Vec<SavedToken>,
}

/// One app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedApp {
    /// The core's snapshot of the app's service (one app).
    pub service: ServiceSnapshot,
    /// Its users' openids in eviction order, oldest first.
    pub user_order: Vec<String>,
}

/// Why a state file cannot be used. Never contains a key: messages name
/// the file, the app and the problem.
#[derive(Debug, thiserror::Error)]
#[error("state file {path}: {problem}")]
pub struct StateError {
    pub path: PathBuf,
    pub problem: String,
}

/// The state now: each app's lock is held while its snapshot is copied.
pub fn capture(emulator: &Emulator) -> StateFile {
    let apps = emulator
        .apps()
        .iter()
        .map(|app| {
            let rooms = app.rooms();
            SavedApp {
                service: rooms.service.snapshot(),
                user_order: rooms.ring.order().map(str::to_string).collect(),
            }
        })
        .collect();
    StateFile {
        format: STATE_FORMAT,
        saved_at: emulator.clock.now(),
        test_clock: emulator.clock.is_test(),
        apps,
        tokens: emulator.tokens.saved(|i| emulator.app_id(i).to_string()),
    }
}

/// Writes `bytes` to `path` atomically, readable by its owner only.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        // The rename itself is durable once the directory is flushed.
        File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// The state file at `path`, or `None` when there is none yet.
pub fn load(path: &Path) -> Result<Option<StateFile>, StateError> {
    let error = |problem: String| StateError {
        path: path.to_path_buf(),
        problem,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(error(format!(
                "cannot open it: {e}; check the path and its permissions"
            )));
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| error(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(error(format!(
            "it is larger than {} GiB: it is not a voipsim state file; pass another --state path",
            MAX_STATE_BYTES >> 30
        )));
    }
    let state: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
        error(format!(
            "it is not a voipsim serve state file ({e}); it may be damaged or another file: move it away to start empty, \
             or pass another --state path"
        ))
    })?;
    if state.format != STATE_FORMAT {
        return Err(error(format!(
            "it has format {}, this version reads format {STATE_FORMAT}; use the voipsim that wrote it, or move it away to start empty",
            state.format
        )));
    }
    Ok(Some(state))
}

/// Each configured app's rooms, from `state` if given (which must hold
/// exactly the configured apps, under the same rules) or empty.
pub fn restore_apps(
    path: &Path,
    state: Option<&StateFile>,
    configs: &[AppConfig],
) -> Result<Vec<AppRooms>, StateError> {
    let error = |problem: String| StateError {
        path: path.to_path_buf(),
        problem,
    };
    let Some(state) = state else {
        return configs
            .iter()
            .map(|c| {
                Ok(AppRooms {
                    service: new_app_service(ServiceOrigin::Fresh(&c.app))
                        .map_err(|e| error(e.to_string()))?,
                    ring: UserRing::default(),
                    changes: 0,
                })
            })
            .collect();
    };
    let saved_ids: Vec<&str> = state
        .apps
        .iter()
        .map(|a| a.service.apps.first().map_or("", |s| s.app_id.as_str()))
        .collect();
    let served: Vec<&str> = configs.iter().map(|c| c.app.app_id.as_str()).collect();
    let mismatch = || {
        error(format!(
            "it holds apps {saved_ids:?} but --config serves {served:?}; serve the same apps as when it was saved, \
             or move the file away to start empty"
        ))
    };
    if saved_ids.len() != served.len() {
        return Err(mismatch());
    }
    configs
        .iter()
        .map(|config| {
            let id = config.app.app_id.as_str();
            let saved = state
                .apps
                .iter()
                .find(|a| a.service.apps.len() == 1 && a.service.apps[0].app_id == id)
                .ok_or_else(mismatch)?;
            let settings = saved.service.apps[0].settings;
            if settings != config.settings() {
                return Err(error(format!(
                    "app '{}' (appId {id}) was saved under other rules ({settings:?}) than --config gives ({:?}); \
                     serve it with the rules it was saved under, or move the file away to start empty",
                    config.app.name,
                    config.settings()
                )));
            }
            let service = new_app_service(ServiceOrigin::Saved(&saved.service))
                .map_err(|e| error(format!("app {id}: {e}; the file is damaged: restore a backup or move it away")))?;
            Ok(AppRooms {
                ring: ring_for(&saved.service, &saved.user_order),
                service,
                changes: 0,
            })
        })
        .collect()
}

/// The eviction ring: the saved order, repaired to hold each user of the
/// snapshot exactly once (a hand-edited order is not worth refusing).
fn ring_for(snapshot: &ServiceSnapshot, order: &[String]) -> UserRing {
    let users: HashSet<&str> = snapshot
        .apps
        .iter()
        .flat_map(|a| a.users.iter().map(|u| u.openid.as_str()))
        .collect();
    let mut seen = HashSet::with_capacity(users.len());
    let mut ring: Vec<String> = order
        .iter()
        .filter(|o| users.contains(o.as_str()) && seen.insert(o.as_str()))
        .cloned()
        .collect();
    let mut missing: Vec<&str> = users
        .iter()
        .copied()
        .filter(|u| !seen.contains(u))
        .collect();
    missing.sort_unstable();
    ring.extend(missing.into_iter().map(str::to_string));
    UserRing::from_order(ring)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;
    use crate::secrets::{APP_SECRETS_ENV, AppSecrets, SecretSource};
    use crate::signature::SessionKey;

    fn configs(apps: &[scenario::App]) -> Vec<AppConfig> {
        let text: String = apps.iter().map(|a| format!("{}=s\n", a.app_id)).collect();
        let secrets = AppSecrets::parse(&text, SecretSource::Env(APP_SECRETS_ENV)).unwrap();
        super::super::config::apps_with_secrets(apps, &secrets).unwrap()
    }

    fn saved_state(apps: &[AppRooms]) -> StateFile {
        StateFile {
            format: STATE_FORMAT,
            saved_at: UnixMicros(0),
            test_clock: false,
            apps: apps
                .iter()
                .map(|a| SavedApp {
                    service: a.service.snapshot(),
                    user_order: a.ring.order().map(str::to_string).collect(),
                })
                .collect(),
            tokens: Vec::new(),
        }
    }

    #[test]
    fn atomic_write_replaces_the_file_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        let err = write_atomic(&dir.path().join("missing/state.json"), b"x");
        assert!(err.is_err());
    }

    #[test]
    fn a_state_round_trips_with_keys_and_order() {
        let apps = scenario::default_scenario().apps;
        let configs = configs(&apps);
        let mut rooms = restore_apps(Path::new("s"), None, &configs).unwrap();
        let id = configs[0].app.app_id.clone();
        let key = SessionKey::new("gDyVgzwa0mFz9uUP7M6GQQ==").unwrap();
        for u in ["oB", "oA", "oC"] {
            rooms[0].login(&id, u, &key, 10).unwrap();
        }
        let state = saved_state(&rooms);
        let json = serde_json::to_vec(&state).unwrap();
        let back: StateFile = serde_json::from_slice(&json).unwrap();
        let restored = restore_apps(Path::new("s"), Some(&back), &configs).unwrap();
        assert_eq!(restored[0].service.snapshot(), rooms[0].service.snapshot());
        assert_eq!(
            restored[0].ring.order().collect::<Vec<_>>(),
            ["oB", "oA", "oC"]
        );
    }

    #[test]
    fn mismatched_or_damaged_files_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(load(&path).unwrap().is_none());
        fs::write(&path, b"{not json").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.contains("not a voipsim serve state file") && err.contains("move it away"),
            "{err}"
        );
        let game = configs(&[scenario::wechat_app("game")]);
        let rooms = restore_apps(&path, None, &game).unwrap();
        let state = saved_state(&rooms);
        let other = configs(&[scenario::wechat_app("other")]);
        let err = restore_apps(&path, Some(&state), &other)
            .unwrap_err()
            .to_string();
        assert!(err.contains("serve the same apps"), "{err}");
        let mut stricter = scenario::wechat_app("game");
        stricter.capacity = 4;
        let err = restore_apps(&path, Some(&state), &configs(&[stricter]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("other rules"), "{err}");
        let mut future = state.clone();
        future.format = 99;
        fs::write(&path, serde_json::to_vec(&future).unwrap()).unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("format 99"));
    }

    #[test]
    fn a_damaged_order_is_repaired() {
        let apps = [scenario::wechat_app("game")];
        let configs = configs(&apps);
        let mut rooms = restore_apps(Path::new("s"), None, &configs).unwrap();
        let key = SessionKey::new("k").unwrap();
        for u in ["oA", "oB"] {
            rooms[0].login(&configs[0].app.app_id, u, &key, 10).unwrap();
        }
        let snapshot = rooms[0].service.snapshot();
        let ring = ring_for(&snapshot, &["oB".into(), "oZ".into(), "oB".into()]);
        assert_eq!(ring.order().collect::<Vec<_>>(), ["oB", "oA"]);
    }
}
