//! Raw → model for `[apps.NAME]`: each Mini Program's room rules, WeChat's
//! unless overridden, and the implicit `default` app of a scenario without
//! an `[apps]` table.

use std::collections::BTreeMap;
use std::time::Duration;

use time::UtcOffset;

use super::convert::{Ctx, IMPLICIT_APP};
use super::model::{App, WECHAT_CAPACITY, WECHAT_DAILY_QUOTA};
use super::raw::{Located, RawApp};
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
        && let Some(capacity) = ctx.at_least::<u32>(c, 1, "capacity", s)
    {
        app.capacity = capacity;
    }
    if let Some(q) = &raw.daily_quota
        && let Some(quota) = ctx.at_least::<u64>(q, 1, "daily_quota", s)
    {
        app.daily_quota = quota;
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
    app.nonce_replay = raw.nonce_replay.is_some_and(|v| v.value);
    app
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_app_ids_are_stable() {
        assert_eq!(derived_app_id("default"), derived_app_id("default"));
        assert_ne!(derived_app_id("a"), derived_app_id("b"));
        let id = derived_app_id("game");
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("wx"));
    }
}
