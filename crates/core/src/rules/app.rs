//! Apps (Mini Programs): each with its appId, settings, quota ledger,
//! nonce memory and counts of what is active in it. Apps are few and never
//! removed.

use super::index_hash::IndexHasher;
use super::quota::QuotaLedger;
use super::replay::NonceCache;
use super::settings::{AppSettings, SettingsError};

pub(crate) struct App {
    pub(crate) id: Box<str>,
    pub(crate) settings: AppSettings,
    pub(crate) quota: QuotaLedger,
    pub(crate) nonces: NonceCache,
    pub(crate) active_rooms: u32,
    pub(crate) active_members: u64,
}

impl App {
    pub(crate) fn new(id: &str, settings: AppSettings, hasher: IndexHasher) -> App {
        App {
            id: id.into(),
            settings,
            quota: QuotaLedger::default(),
            nonces: NonceCache::with_hasher(hasher),
            active_rooms: 0,
            active_members: 0,
        }
    }
}

/// Why an app cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error("appId is empty: pass the Mini Program's appId, e.g. wx20afc706a711eefc")]
    EmptyAppId,
    #[error("appId {app_id:?} is already registered: look it up with app_by_id")]
    DuplicateAppId { app_id: String },
    #[error("settings of appId {app_id:?}: {error}")]
    Settings {
        app_id: String,
        error: SettingsError,
    },
}
