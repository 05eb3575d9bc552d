//! Demand beyond the quota: from each app's quota days (rooms created,
//! rooms refused for the quota), the rooms the traffic wanted, the quota
//! left, and how many apps a day needs at the scenario's headroom, per app
//! and per date across the apps. One function fills them for a run and
//! for a merge, so both say the same.

use super::summary::{Quota, QuotaDay, QuotaPlanDay};

/// Apps of `quota` rooms a day needed for `wanted` rooms when each may use
/// only `1 − headroom` of its quota; 0 when nothing was wanted.
pub fn apps_needed(wanted: u64, quota: u64, headroom: f64) -> u64 {
    if wanted == 0 {
        return 0;
    }
    let usable = quota as f64 * (1.0 - headroom.clamp(0.0, 0.999_999));
    if usable < 1.0 {
        return wanted;
    }
    // A tiny tolerance so that exactly 80,000 of 80,000 is one app, not two
    // after rounding.
    ((wanted as f64 / usable) - 1e-9).ceil().max(1.0) as u64
}

/// Fills each day's derived figures and the per-date plan. `whole_day`
/// says whether the window covered a date entirely.
pub fn fill(quota: &mut Quota, headroom: f64, whole_day: impl Fn(&str) -> bool) {
    quota.headroom = headroom;
    for day in &mut quota.days {
        day.rooms_wanted = day.rooms_created + day.rooms_refused;
        day.quota_left = day.quota.saturating_sub(day.rooms_created);
        day.apps_needed = apps_needed(day.rooms_wanted, day.quota, headroom);
    }
    let mut plan: Vec<QuotaPlanDay> = Vec::new();
    for day in &quota.days {
        let entry = match plan.iter_mut().find(|p| p.date == day.date) {
            Some(p) => p,
            None => {
                plan.push(QuotaPlanDay {
                    date: day.date.clone(),
                    apps: Vec::new(),
                    rooms_wanted: 0,
                    quota_per_app: u64::MAX,
                    apps_needed: 0,
                    whole_day: whole_day(&day.date),
                });
                plan.last_mut().expect("just pushed")
            }
        };
        entry.rooms_wanted += day.rooms_wanted;
        if day.rooms_wanted > 0 {
            entry.apps.push(day.app.clone());
            entry.quota_per_app = entry.quota_per_app.min(day.quota);
        }
    }
    plan.retain(|p| !p.apps.is_empty());
    plan.sort_by(|a, b| a.date.cmp(&b.date));
    for p in &mut plan {
        p.apps_needed = apps_needed(p.rooms_wanted, p.quota_per_app, headroom);
    }
    quota.apps_needed = quota
        .exhausted_days
        .map(|_| plan.iter().map(|p| p.apps_needed).max().unwrap_or(0));
    quota.plan = plan;
}

/// The day with the most rooms wanted (the first of equals).
pub fn peak_day(quota: &Quota) -> Option<&QuotaPlanDay> {
    quota
        .plan
        .iter()
        .fold(None, |best: Option<&QuotaPlanDay>, p| match best {
            Some(b) if b.rooms_wanted >= p.rooms_wanted => Some(b),
            _ => Some(p),
        })
}

/// A quota day with the derived figures zeroed, as a driver reports it.
pub fn day(
    app: String,
    date: String,
    (rooms_created, created_in_window, quota): (u64, u64, u64),
    exhausted_at: Option<String>,
    (rejected_joins, rooms_refused): (u64, u64),
) -> QuotaDay {
    QuotaDay {
        app,
        date,
        rooms_created,
        created_in_window,
        quota,
        exhausted_at,
        rejected_joins,
        rooms_refused,
        rooms_wanted: 0,
        quota_left: 0,
        apps_needed: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_needed_at_a_headroom() {
        // 80,000 usable rooms an app at 20% headroom.
        assert_eq!(apps_needed(0, 100_000, 0.2), 0);
        assert_eq!(apps_needed(1, 100_000, 0.2), 1);
        assert_eq!(apps_needed(80_000, 100_000, 0.2), 1);
        assert_eq!(apps_needed(80_001, 100_000, 0.2), 2);
        assert_eq!(apps_needed(1_500_000, 100_000, 0.2), 19);
        assert_eq!(apps_needed(1_500_000, 100_000, 0.0), 15);
    }

    #[test]
    fn days_and_the_plan_add_up_across_apps() {
        let mut quota = Quota {
            exhausted_days: Some(1),
            days: vec![
                day(
                    "a".into(),
                    "2026-01-01".into(),
                    (100, 100, 100),
                    Some("t".into()),
                    (40, 20),
                ),
                day("b".into(), "2026-01-01".into(), (50, 50, 100), None, (0, 0)),
                day("a".into(), "2026-01-02".into(), (10, 10, 100), None, (0, 0)),
            ],
            ..Quota::default()
        };
        fill(&mut quota, 0.2, |date| date == "2026-01-01");
        let a = &quota.days[0];
        assert_eq!((a.rooms_wanted, a.quota_left, a.apps_needed), (120, 0, 2));
        assert_eq!(quota.plan.len(), 2);
        let first = &quota.plan[0];
        assert_eq!(
            (first.rooms_wanted, first.apps_needed, first.whole_day),
            (170, 3, true)
        );
        assert_eq!(first.apps, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(quota.apps_needed, Some(3));
        assert_eq!(
            peak_day(&quota).map(|p| p.date.as_str()),
            Some("2026-01-01")
        );
    }
}
