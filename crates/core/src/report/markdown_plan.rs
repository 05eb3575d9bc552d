//! The Markdown summary's planning lines: what was derived from daily
//! active users, the rooms wanted against the quota and the apps that
//! takes, and the models' predictions beside the simulated figures.

use std::fmt::Write;

use super::markdown::thousands;
use super::planning::peak_day;
use super::summary::Summary;
use super::theory::Theory;

/// Writes the demand, plan and theory lines (nothing for a summary that
/// has none of them).
pub fn write(out: &mut String, s: &Summary) {
    for d in &s.demand {
        let _ = writeln!(out, "- **Demand**: workload `{}`: {}.", d.workload, d.text);
    }
    plan(out, s);
    if let Some(theory) = &s.theory {
        write_theory(out, theory);
    }
}

fn plan(out: &mut String, s: &Summary) {
    let q = &s.quota;
    let headroom = format!("{:.0}%", q.headroom * 100.0);
    for p in &q.plan {
        let refused: u64 = q
            .days
            .iter()
            .filter(|d| d.date == p.date)
            .map(|d| d.rooms_refused)
            .sum();
        let created: u64 = q
            .days
            .iter()
            .filter(|d| d.date == p.date)
            .map(|d| d.rooms_created)
            .sum();
        let usable = (p.quota_per_app as f64 * (1.0 - q.headroom)).floor() as u64;
        let _ = writeln!(
            out,
            "- **Plan** {}{}: {} rooms wanted ({} created + {} refused for the quota) on {} app{}; at {headroom} headroom ({} rooms an app) that takes **{} app{}**.",
            p.date,
            if p.whole_day {
                ""
            } else {
                " (part of the day only)"
            },
            thousands(p.rooms_wanted),
            thousands(created),
            thousands(refused),
            p.apps.len(),
            if p.apps.len() == 1 { "" } else { "s" },
            thousands(usable),
            thousands(p.apps_needed),
            if p.apps_needed == 1 { "" } else { "s" },
        );
    }
    // How much of the stated traffic one app holds, when it was stated in
    // daily active users and one workload makes all of it.
    if let ([demand], Some(peak)) = (s.demand.as_slice(), peak_day(q))
        && peak.rooms_wanted > 0
    {
        let usable = peak.quota_per_app as f64 * (1.0 - q.headroom);
        let share = usable / peak.rooms_wanted as f64;
        let _ = writeln!(
            out,
            "- **One app** at {headroom} headroom holds {} of the peak day's rooms: about {} DAU of this traffic.",
            format_args!("{:.1}%", (share * 100.0).min(100.0)),
            thousands((demand.dau * share).floor() as u64),
        );
    }
}

fn write_theory(out: &mut String, t: &Theory) {
    if !t.applies {
        let _ = writeln!(out, "- **Theory**: {}.", t.notes.join("; "));
        return;
    }
    let _ = writeln!(out, "- **Theory** ({}):", t.notes.join("; "));
    for f in &t.figures {
        let spread = match (f.half_width, f.difference_in_half_widths) {
            (Some(hw), Some(z)) => {
                format!(" ± {hw} (95%, {} batches); {z:+} half-widths", t.batches)
            }
            _ => " (no half-width)".into(),
        };
        let verdict = match f.verdict.as_str() {
            "differs" => "**LARGE DIFFERENCE: the model's assumptions or the simulation are off**",
            "agrees" => "agrees",
            _ => "not judged",
        };
        let _ = writeln!(
            out,
            "  - `{}`: predicted {}, simulated {}{spread}: {verdict}.",
            f.figure,
            f.predicted,
            readable(f.simulated)
        );
    }
}

/// A simulated figure as read: whole numbers as they are, means to six
/// significant digits (summary.json keeps them exact).
fn readable(x: f64) -> String {
    if x.fract() == 0.0 || !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let decimals = (5 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.decimals$}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn means_read_to_six_digits() {
        assert_eq!(readable(24_004.413_194_444_445), "24004.4");
        assert_eq!(readable(0.078_741_2), "0.0787412");
        assert_eq!(readable(6_001_468.0), "6001468");
    }
}
