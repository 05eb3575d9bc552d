//! What `voipsim serve` is told to do ([`ServeConfig`]): where to listen,
//! which apps to serve under which rules and secrets, its clock, where to
//! keep its state, and its limits ([`Limits`], each with its default).
//!
//! The apps come from a scenario's `[apps.*]` tables (the same file QA
//! uses for `simulate`), read by the core's scenario parser; with no
//! `--config`, one app with WeChat's rules, the app a scenario without
//! `[apps]` has (named `default`, appId [`default_app_id`]). Every served
//! app needs a secret from the app secrets file or environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::rules::AppSettings;
use crate::scenario::{self, IMPLICIT_APP};
use crate::secrets::{APP_SECRETS_ENV, AppSecret, AppSecrets};

/// Where the emulator listens by default: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The limits, each bounding memory or time a client can make the server
/// spend. Defaults in [`Limits::default`], documented in `docs/api.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Users registered per app before idle ones are evicted.
    pub max_users_per_app: usize,
    /// Connections open at once; more are closed as soon as accepted.
    pub max_connections: usize,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Time to send a request's head, and its body; also how long an idle
    /// keep-alive connection stays open.
    pub read_timeout: Duration,
    /// Rooms per app with a member stream open.
    pub max_watched_rooms_per_app: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_users_per_app: 100_000,
            max_connections: 1024,
            max_body_bytes: 16 * 1024,
            read_timeout: Duration::from_secs(10),
            max_watched_rooms_per_app: 10_000,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// One served app.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The scenario's app (its name, appId and rules).
    pub app: scenario::App,
    pub secret: AppSecret,
}

impl AppConfig {
    pub fn settings(&self) -> AppSettings {
        self.app.service_settings()
    }
}

/// The test clock's settings; both `None` is real time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClockConfig {
    pub start: Option<crate::rules::UnixMicros>,
    pub speed: Option<f64>,
}

impl ClockConfig {
    pub fn is_test(&self) -> bool {
        self.start.is_some() || self.speed.is_some()
    }
}

/// Where state is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateConfig {
    pub path: PathBuf,
    pub save_every: Duration,
}

/// The default `--save-every`.
pub const DEFAULT_SAVE_EVERY: Duration = Duration::from_secs(5);

/// Everything `serve` needs to start.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub apps: Vec<AppConfig>,
    pub clock: ClockConfig,
    pub state: Option<StateConfig>,
    pub limits: Limits,
}

/// The appId served when no `--config` is given.
pub fn default_app_id() -> String {
    scenario::derived_app_id(IMPLICIT_APP)
}

/// The apps a scenario declares, each with its secret. Refuses an app
/// without one, naming the appId and where secrets come from.
pub fn apps_with_secrets(
    apps: &[scenario::App],
    secrets: &AppSecrets,
) -> Result<Vec<AppConfig>, String> {
    apps.iter()
        .map(|app| {
            secrets
                .get(&app.app_id)
                .map(|secret| AppConfig {
                    app: app.clone(),
                    secret: secret.clone(),
                })
                .ok_or_else(|| {
                    format!(
                        "app '{}' (appId {}) has no secret: add a line `{}=YOUR_SECRET` to the app secrets file \
                         (--app-secrets-file) or to {APP_SECRETS_ENV}",
                        app.name, app.app_id, app.app_id
                    )
                })
        })
        .collect()
}

/// The apps of a serve without `--config`: WeChat's rules.
pub fn default_apps() -> Vec<scenario::App> {
    vec![scenario::wechat_app(IMPLICIT_APP)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretSource;

    #[test]
    fn the_default_app_is_a_scenarios_implicit_one() {
        let apps = default_apps();
        assert_eq!(apps[0].app_id, default_app_id());
        assert_eq!(apps[0].service_settings(), AppSettings::default());
        // The documented value (docs/api.md, README).
        assert_eq!(default_app_id(), "wxebada5168620c5fe");
    }

    #[test]
    fn every_app_needs_a_secret_and_the_message_never_shows_one() {
        let apps = default_apps();
        let secrets =
            AppSecrets::parse("wxother=TOPSECRET\n", SecretSource::Env(APP_SECRETS_ENV)).unwrap();
        let err = apps_with_secrets(&apps, &secrets).unwrap_err();
        assert!(
            err.contains(&default_app_id()) && err.contains("--app-secrets-file"),
            "{err}"
        );
        assert!(!err.contains("TOPSECRET"), "{err}");
        let secrets = AppSecrets::parse(
            &format!("{}=s3cret\n", default_app_id()),
            SecretSource::Env(APP_SECRETS_ENV),
        )
        .unwrap();
        assert_eq!(apps_with_secrets(&apps, &secrets).unwrap().len(), 1);
    }
}
