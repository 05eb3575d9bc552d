//! Access tokens (`/cgi-bin/token`): issued per app, valid for
//! [`TOKEN_TTL_S`] seconds of the service's clock, checked by
//! `/wxa/getvoipsign`.
//!
//! Bounded: each app keeps its [`MAX_TOKENS_PER_APP`] newest tokens;
//! issuing one more forgets the oldest (WeChat likewise retires old tokens
//! when new ones are fetched). An expired token is kept until then, so it
//! is answered 42001 "expired" rather than 40001 "invalid". The map is
//! keyed by network input, so it uses std's SipHash with a random key.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::identity::{RandomError, new_access_token};
use crate::rules::UnixMicros;

/// How long a token lives, in service seconds (WeChat's `expires_in`).
pub const TOKEN_TTL_S: u32 = 7200;

/// Tokens kept per app.
pub const MAX_TOKENS_PER_APP: usize = 64;

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Unknown,
    Expired,
}

/// A token as the state file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedToken {
    pub app_id: String,
    pub token: String,
    pub expires_at: UnixMicros,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    app: usize,
    expires_at: UnixMicros,
}

/// Every app's live tokens.
#[derive(Debug, Default)]
pub struct TokenStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_token: HashMap<Box<str>, Entry>,
    /// Per app, its tokens oldest first.
    order: HashMap<usize, VecDeque<Box<str>>>,
}

impl Inner {
    fn insert(&mut self, token: Box<str>, entry: Entry) {
        let order = self.order.entry(entry.app).or_default();
        if order.len() >= MAX_TOKENS_PER_APP
            && let Some(oldest) = order.pop_front()
        {
            self.by_token.remove(&oldest);
        }
        order.push_back(token.clone());
        self.by_token.insert(token, entry);
    }
}

impl TokenStore {
    /// A new token for app number `app`, valid from `now`.
    pub fn issue(&self, app: usize, now: UnixMicros) -> Result<String, RandomError> {
        let token = new_access_token()?;
        let expires_at = UnixMicros(now.0.saturating_add(i64::from(TOKEN_TTL_S) * 1_000_000));
        self.lock()
            .insert(token.as_str().into(), Entry { app, expires_at });
        Ok(token)
    }

    /// The app a token was issued to, if it is live at `now`.
    pub fn check(&self, token: &str, now: UnixMicros) -> Result<usize, TokenProblem> {
        let entry = *self
            .lock()
            .by_token
            .get(token)
            .ok_or(TokenProblem::Unknown)?;
        if now >= entry.expires_at {
            return Err(TokenProblem::Expired);
        }
        Ok(entry.app)
    }

    /// The tokens for the state file; `app_id` names app number `i`.
    pub fn saved(&self, app_id: impl Fn(usize) -> String) -> Vec<SavedToken> {
        let inner = self.lock();
        let mut apps: Vec<_> = inner.order.iter().collect();
        apps.sort_by_key(|(app, _)| **app);
        apps.into_iter()
            .flat_map(|(_, tokens)| tokens.iter())
            .filter_map(|t| {
                inner.by_token.get(t).map(|e| SavedToken {
                    app_id: app_id(e.app),
                    token: t.to_string(),
                    expires_at: e.expires_at,
                })
            })
            .collect()
    }

    /// Adds saved tokens (oldest first per app), `app` resolving appIds.
    pub fn restore(&self, saved: &[SavedToken], app: impl Fn(&str) -> Option<usize>) {
        let mut inner = self.lock();
        for t in saved {
            if let Some(app) = app(&t.app_id) {
                inner.insert(
                    t.token.as_str().into(),
                    Entry {
                        app,
                        expires_at: t.expires_at,
                    },
                );
            }
        }
    }

    /// Live and expired tokens kept, in all apps.
    pub fn len(&self) -> usize {
        self.lock().by_token.len()
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lock, even if a thread panicked holding it: the map is never
    /// left half-changed (each insert is a few plain operations).
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixMicros = UnixMicros::from_secs(1_700_000_000);

    #[test]
    fn tokens_expire_and_unknown_ones_are_told_apart() {
        let store = TokenStore::default();
        let token = store.issue(3, T0).unwrap();
        assert_eq!(store.check(&token, T0), Ok(3));
        let just_before = UnixMicros(T0.0 + i64::from(TOKEN_TTL_S) * 1_000_000 - 1);
        assert_eq!(store.check(&token, just_before), Ok(3));
        let at_expiry = UnixMicros(just_before.0 + 1);
        assert_eq!(store.check(&token, at_expiry), Err(TokenProblem::Expired));
        assert_eq!(store.check("nope", T0), Err(TokenProblem::Unknown));
    }

    #[test]
    fn each_app_keeps_its_newest_tokens() {
        let store = TokenStore::default();
        let first = store.issue(0, T0).unwrap();
        let other_app = store.issue(1, T0).unwrap();
        for _ in 0..MAX_TOKENS_PER_APP {
            store.issue(0, T0).unwrap();
        }
        assert_eq!(store.len(), MAX_TOKENS_PER_APP + 1);
        assert_eq!(store.check(&first, T0), Err(TokenProblem::Unknown));
        assert_eq!(store.check(&other_app, T0), Ok(1));
    }

    #[test]
    fn tokens_survive_save_and_restore() {
        let store = TokenStore::default();
        let a = store.issue(0, T0).unwrap();
        let b = store.issue(1, T0).unwrap();
        let saved = store.saved(|i| format!("wx{i}"));
        assert_eq!(saved.len(), 2);
        let restored = TokenStore::default();
        restored.restore(&saved, |id| id.strip_prefix("wx")?.parse().ok());
        assert_eq!(restored.check(&a, T0), Ok(0));
        assert_eq!(restored.check(&b, T0), Ok(1));
        assert!(!restored.is_empty());
    }
}
