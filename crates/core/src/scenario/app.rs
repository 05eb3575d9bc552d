//! Raw → model for `[apps.NAME]`: each Mini Program's room rules, WeChat's
//! unless overridden, and the implicit `default` app of a scenario without
//! an `[apps]` table.
//!
//! Also the one mapping from a validated app to the room service's
//! [`AppSettings`] ([`App::service_settings`]) and the registration of a
//! scenario's apps into a [`RoomService`] ([`register_apps`]): the
//! simulator and the coming `serve --config` both call them, so an app means
//! the same rules to both. Validation here refuses every setting the
//! service would refuse or cap, at the key that holds it, so a scenario
//! that passes `voipsim validate` always registers.

use std::collections::BTreeMap;
use std::time::Duration;

use time::UtcOffset;

use super::convert::{Ctx, IMPLICIT_APP};
use super::model::{App, JoinSigner, MAX_DAILY_QUOTA, WECHAT_CAPACITY, WECHAT_DAILY_QUOTA};
use super::raw::{Located, RawApp};
use crate::rules::{
    AppError, AppIdx, AppSettings, MAX_CAPACITY, NonceReplay, RoomObserver, RoomService,
};
use crate::units;

/// The quota day's UTC offset when an app gives none (China).
pub const DEFAULT_QUOTA_DAY_OFFSET_HOURS: i8 = 8;

/// The apps, sorted by name (an implicit `default` app without `[apps]`),
/// and whether they are free of errors. Settings with errors keep WeChat's
/// defaults so workloads can still be checked against the app.
pub(crate) fn convert_apps(
    raw: Option<BTreeMap<Located<String>, Located<RawApp>>>,
    ctx: &mut Ctx<'_>,
) -> (Vec<App>, bool) {
    let Some(raw) = raw else {
        return (vec![wechat_app(IMPLICIT_APP)], true);
    };
    if raw.is_empty() {
        ctx.error_at_top(
            "`apps` is empty; add an [apps.NAME] table or remove `apps` to use WeChat's rules",
        );
        return (vec![wechat_app(IMPLICIT_APP)], false);
    }
    let before = ctx.errors.len();
    let mut apps: Vec<App> = Vec::new();
    // app_id → index in `apps`: a scan per app made tens of thousands of
    // apps quadratic (seconds to validate).
    let mut by_id: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (name, app) in raw {
        let converted = convert_app(&name, app.value, ctx);
        if let Some(&other) = by_id.get(&converted.app_id) {
            ctx.error(
                &name.span,
                format!(
                    "apps '{}' and '{}' have the same app_id {}; give each app its own app_id (apps sharing one share a quota)",
                    converted.name, apps[other].name, converted.app_id
                ),
            );
        } else {
            by_id.insert(converted.app_id.clone(), apps.len());
        }
        apps.push(converted);
    }
    let ok = ctx.errors.len() == before;
    (apps, ok)
}

/// An app with WeChat's rules.
pub fn wechat_app(name: &str) -> App {
    App {
        name: name.to_string(),
        app_id: derived_app_id(name),
        capacity: WECHAT_CAPACITY,
        daily_quota: WECHAT_DAILY_QUOTA,
        quota_day_offset: default_quota_day_offset(),
        timestamp_tolerance: None,
        verify_signatures: true,
        nonce_replay: false,
        signer: JoinSigner::Backend,
    }
}

fn default_quota_day_offset() -> UtcOffset {
    UtcOffset::from_hms(DEFAULT_QUOTA_DAY_OFFSET_HOURS, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// `"wx"` and 16 hex digits of the FNV-1a hash of the name: stable across
/// versions and platforms, so reports and signatures do not change.
pub fn derived_app_id(name: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("wx{hash:016x}")
}

/// One app; settings with errors keep WeChat's defaults.
fn convert_app(name: &Located<String>, raw: RawApp, ctx: &mut Ctx<'_>) -> App {
    let section = format!(" in [apps.{}]", name.value);
    let s = section.as_str();
    if name.value.is_empty() || name.value.chars().any(|c| c.is_control()) {
        ctx.error(
            &name.span,
            "an app name must be non-empty text; write [apps.game]",
        );
    }
    let mut app = wechat_app(&name.value);
    if let Some(id) = &raw.app_id {
        let v = &id.value;
        if v.is_empty() || v.len() > 128 || !v.chars().all(|c| c.is_ascii_graphic()) {
            ctx.error(&id.span, format!("`app_id`{s} must be 1 to 128 printable ASCII characters without spaces, like \"wx20afc706a711eefc\""));
        }
        app.app_id = v.clone();
    }
    if let Some(c) = &raw.capacity
        && let Some(capacity) = ctx.at_least::<i64>(c, 1, "capacity", s)
    {
        // The service's limit, checked here so `validate` refuses what
        // `simulate` could not set up.
        if capacity > i64::from(MAX_CAPACITY) {
            ctx.error(
                &c.span,
                format!(
                    "`capacity`{s} is {capacity}, but must be at most {MAX_CAPACITY} (every leave scans its room's \
                     members); write at most {MAX_CAPACITY}, or remove it for WeChat's {WECHAT_CAPACITY}"
                ),
            );
        } else {
            app.capacity = capacity as u32;
        }
    }
    if let Some(q) = &raw.daily_quota
        && let Some(quota) = ctx.at_least::<u64>(q, 1, "daily_quota", s)
    {
        if quota > MAX_DAILY_QUOTA {
            ctx.error(
                &q.span,
                format!(
                    "`daily_quota`{s} is {quota}, but must be at most {MAX_DAILY_QUOTA} (the room service counts \
                     a day's rooms in 32 bits); write at most {MAX_DAILY_QUOTA}, or remove it for WeChat's \
                     {WECHAT_DAILY_QUOTA}"
                ),
            );
        } else {
            app.daily_quota = quota;
        }
    }
    if let Some(o) = &raw.quota_day_offset
        && let Some(offset) = ctx.parse(o, "quota_day_offset", s, units::parse_utc_offset)
    {
        app.quota_day_offset = offset;
    }
    if let Some(t) = &raw.timestamp_tolerance {
        app.timestamp_tolerance = ctx
            .positive_duration(t, "timestamp_tolerance", s)
            .or(Some(Duration::MAX));
    }
    app.verify_signatures = raw.verify_signatures.is_none_or(|v| v.value);
    app.nonce_replay = raw.nonce_replay.as_ref().is_some_and(|v| v.value);
    if let Some(signer) = &raw.signer {
        match signer.value.as_str() {
            "backend" => app.signer = JoinSigner::Backend,
            "getvoipsign" => app.signer = JoinSigner::GetVoipSign,
            other => ctx.error(
                &signer.span,
                format!(
                    "`signer`{s} is \"{other}\"; write \"backend\" (the backend signs with the user's \
                     session key) or \"getvoipsign\" (WeChat's signing call, as cloud development does)"
                ),
            ),
        }
    }
    // The replay rule remembers nonces for the tolerance window, so the
    // service refuses it without one.
    if let Some(replay) = &raw.nonce_replay
        && replay.value
        && raw.timestamp_tolerance.is_none()
    {
        ctx.error(
            &replay.span,
            format!(
                "`nonce_replay`{s} needs `timestamp_tolerance`: a nonce is remembered for that window; \
                 add timestamp_tolerance = \"5m\", or set nonce_replay = false"
            ),
        );
    }
    app
}

impl App {
    /// The room service's settings for this app: the one place a
    /// scenario's `[apps.NAME]` becomes [`AppSettings`]. For a validated
    /// app every value fits; the saturating conversions only keep an app
    /// built in code (outside validation) from wrapping around.
    pub fn service_settings(&self) -> AppSettings {
        AppSettings {
            capacity: self.capacity,
            daily_quota: u32::try_from(self.daily_quota).unwrap_or(u32::MAX),
            quota_day_offset_s: self.quota_day_offset.whole_seconds(),
            timestamp_tolerance_s: self
                .timestamp_tolerance
                .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX)),
            nonce_replay: if self.nonce_replay {
                NonceReplay::PerApp
            } else {
                NonceReplay::Off
            },
            verify_signatures: self.verify_signatures,
        }
    }
}

/// The room service refused one of a scenario's apps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "app '{app}' cannot be registered: {error}; fix [apps.{app}] in the scenario (`voipsim validate` checks it)"
)]
pub struct RegisterAppError {
    /// The app's name (the key of `[apps.NAME]`).
    pub app: String,
    /// Why the service refused it.
    pub error: AppError,
}

/// Registers `apps` into `service` with [`App::service_settings`], in
/// order; their handles come back in the same order. Stops at the first
/// app refused (apps already registered stay).
pub fn register_apps<O: RoomObserver>(
    apps: &[App],
    service: &mut RoomService<O>,
) -> Result<Vec<AppIdx>, RegisterAppError> {
    apps.iter()
        .map(|app| {
            service
                .add_app(&app.app_id, app.service_settings())
                .map_err(|error| RegisterAppError {
                    app: app.name.clone(),
                    error,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::SettingsError;

    #[test]
    fn wechat_app_maps_to_wechat_settings() {
        assert_eq!(wechat_app("x").service_settings(), AppSettings::default());
    }

    #[test]
    fn signer_is_backend_by_default_getvoipsign_on_request_and_checked() {
        let parse = |app: &str| {
            crate::scenario::parse(
                &format!(
                    "name = \"t\"\nduration = \"1h\"\n[apps.game]\n{app}\n[[workloads]]\napp = \"game\"\narrivals = {{ poisson = \"1/min\" }}\nstay = \"1m\"\n"
                ),
                std::path::Path::new("t.toml"),
            )
        };
        assert_eq!(parse("").unwrap().apps[0].signer, JoinSigner::Backend);
        assert_eq!(
            parse("signer = \"getvoipsign\"").unwrap().apps[0].signer,
            JoinSigner::GetVoipSign
        );
        let err = parse("signer = \"cloud\"").unwrap_err().to_string();
        assert!(err.contains("t.toml:4:10"), "{err}");
        assert!(err.contains("write \"backend\""), "{err}");
    }

    #[test]
    fn service_settings_carry_every_field() {
        let app = App {
            capacity: 4,
            daily_quota: MAX_DAILY_QUOTA,
            quota_day_offset: UtcOffset::from_hms(-5, 0, 0).unwrap(),
            timestamp_tolerance: Some(Duration::from_secs(300)),
            verify_signatures: false,
            nonce_replay: true,
            ..wechat_app("x")
        };
        let settings = app.service_settings();
        assert_eq!(
            settings,
            AppSettings {
                capacity: 4,
                daily_quota: u32::MAX,
                quota_day_offset_s: -5 * 3600,
                timestamp_tolerance_s: Some(300),
                nonce_replay: NonceReplay::PerApp,
                verify_signatures: false,
            }
        );
        // Out-of-range values from code saturate instead of wrapping.
        let huge = App {
            daily_quota: u64::MAX,
            timestamp_tolerance: Some(Duration::MAX),
            ..app
        };
        let settings = huge.service_settings();
        assert_eq!(settings.daily_quota, u32::MAX);
        assert_eq!(settings.timestamp_tolerance_s, Some(u32::MAX));
    }

    #[test]
    fn register_apps_returns_handles_in_order_or_names_the_app() {
        let apps = [wechat_app("a"), wechat_app("b")];
        let mut service = RoomService::new();
        let handles = register_apps(&apps, &mut service).unwrap();
        assert_eq!(handles.len(), 2);
        assert_eq!(service.app_id(handles[1]), apps[1].app_id);
        assert_eq!(*service.settings(handles[0]), AppSettings::default());

        let bad = App {
            nonce_replay: true,
            ..wechat_app("c")
        };
        let err = register_apps(&[bad], &mut service).unwrap_err();
        assert_eq!(err.app, "c");
        assert!(matches!(
            err.error,
            AppError::Settings {
                error: SettingsError::ReplayNeedsTolerance,
                ..
            }
        ));
        let msg = err.to_string();
        assert!(
            msg.starts_with("app 'c' cannot be registered: ") && msg.contains("[apps.c]"),
            "{msg}"
        );
    }

    #[test]
    fn derived_app_ids_are_stable() {
        assert_eq!(derived_app_id("default"), derived_app_id("default"));
        assert_ne!(derived_app_id("a"), derived_app_id("b"));
        let id = derived_app_id("game");
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("wx"));
    }
}
