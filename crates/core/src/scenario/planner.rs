//! Traffic in a planner's terms: daily active users × sessions per user
//! (`arrivals = { dau = …, sessions_per_user = … }`) and busy windows of the
//! day (`peaks = [{ from = "20:00", to = "23:00", factor = 4 }]`), turned
//! into the arrival rate and daily profile the workload generator plays.
//!
//! The derivation: each session is one member's seat in one party, so a day
//! has `dau × sessions_per_user` seats and `seats ÷ mean party size`
//! parties. The rate is only known once the party sizes are, so arrivals
//! are converted at a unit rate first and scaled here (`apply_demand`).

use std::ops::Range;

use super::convert::Ctx;
use super::model::{Arrivals, DAY_SECS, DailyProfile, Demand};
use super::raw::{Located, RawArrivals, RawPeak};

/// Parties a day from daily active users, sessions per user and the mean
/// party size.
pub fn parties_per_day(dau: f64, sessions_per_user: f64, mean_party: f64) -> f64 {
    dau * sessions_per_user / mean_party.max(1.0)
}

/// `(dau, sessions_per_user)` of a `dau` arrivals table, checked; `None`
/// (with errors recorded) when either is missing or not a positive number.
pub(crate) fn convert_dau(
    a: &Located<RawArrivals>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<(f64, f64)> {
    let t = &a.value;
    let dau = t.dau.as_ref()?;
    let Some(sessions) = &t.sessions_per_user else {
        ctx.error(&a.span, format!("`arrivals.dau`{s} needs `sessions_per_user`, how many sessions (matches, calls) each user has a day, like {{ dau = 2000000, sessions_per_user = 3 }}"));
        return None;
    };
    let positive = |v: &Located<f64>, key: &str, example: &str, ctx: &mut Ctx<'_>| {
        if v.value.is_finite() && v.value > 0.0 && v.value <= 1e12 {
            Some(v.value)
        } else {
            ctx.error(
                &v.span,
                format!(
                    "`arrivals.{key}`{s} is {}, but must be a number > 0 and at most 1e12, like {example}",
                    v.value
                ),
            );
            None
        }
    };
    let dau = positive(dau, "dau", "2000000", ctx);
    let sessions = positive(sessions, "sessions_per_user", "3", ctx);
    Some((dau?, sessions?))
}

/// Scales arrivals converted at a unit mean rate to the rate `dau ×
/// sessions_per_user ÷ mean party` per day, and says what was derived.
pub(crate) fn apply_demand(
    arrivals: &mut Arrivals,
    (dau, sessions_per_user): (f64, f64),
    mean_party: f64,
) -> Demand {
    let demand = Demand {
        dau,
        sessions_per_user,
        mean_party,
        parties_per_day: parties_per_day(dau, sessions_per_user, mean_party),
    };
    let rate = demand.mean_rate();
    match arrivals {
        Arrivals::Poisson { rate: r } => *r = rate,
        Arrivals::Profile { mean_rate, .. } => *mean_rate = rate,
        Arrivals::Ramp { .. } | Arrivals::Trace(_) => {}
    }
    demand
}

/// One busy window: hours `[from, to)` (to may be ≤ from: it wraps past
/// midnight; 24 is midnight at the end of the day) at `factor`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeakWindow {
    pub from: u32,
    pub to: u32,
    pub factor: f64,
}

impl PeakWindow {
    /// The hours of the day (0..24) the window covers.
    pub fn hours(&self) -> Vec<u32> {
        let to = if self.to <= self.from {
            self.to + 24
        } else {
            self.to
        };
        (self.from..to).map(|h| h % 24).collect()
    }
}

/// Parses a whole hour "HH:00" (or "24:00") into 0..=24.
pub fn parse_hour(text: &str) -> Result<u32, String> {
    let t = text.trim();
    if t == "24:00" {
        return Ok(24);
    }
    let at = crate::units::parse_time_of_day(t)?;
    if !at.as_secs().is_multiple_of(3600) {
        return Err(format!(
            "`{t}` is not a whole hour; peak windows are whole hours (they become hourly weights): write \"{:02}:00\"",
            at.as_secs() / 3600
        ));
    }
    Ok((at.as_secs() / 3600) as u32)
}

/// The 24 hourly weights of busy windows over a rest of weight 1, not yet
/// normalised. `Err((i, j))`: windows `i` and `j` share an hour.
pub fn peaks_to_hourly(windows: &[PeakWindow]) -> Result<[f64; 24], (usize, usize)> {
    let mut weights = [1.0; 24];
    let mut owner: [Option<usize>; 24] = [None; 24];
    for (i, w) in windows.iter().enumerate() {
        for h in w.hours() {
            if let Some(j) = owner[h as usize] {
                return Err((j, i));
            }
            owner[h as usize] = Some(i);
            weights[h as usize] = w.factor;
        }
    }
    Ok(weights)
}

/// `peaks = [...]` → a daily profile normalised to mean 1.
pub(crate) fn convert_peaks(
    peaks: &Located<Vec<Located<RawPeak>>>,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<DailyProfile> {
    if peaks.value.is_empty() {
        ctx.error(&peaks.span, format!("`arrivals.peaks`{s} is empty; write [{{ from = \"20:00\", to = \"23:00\", factor = 4 }}] or remove it"));
        return None;
    }
    let mut windows = Vec::new();
    let mut spans: Vec<Range<usize>> = Vec::new();
    for p in &peaks.value {
        let (Some(from), Some(to), Some(factor)) = (&p.value.from, &p.value.to, &p.value.factor)
        else {
            ctx.error(&p.span, format!("a peak window{s} needs `from`, `to` and `factor`, like {{ from = \"20:00\", to = \"23:00\", factor = 4 }}"));
            return None;
        };
        let from_h = ctx.parse(from, "arrivals.peaks.from", s, parse_hour);
        let to_h = ctx.parse(to, "arrivals.peaks.to", s, parse_hour);
        if !factor.value.is_finite() || factor.value <= 0.0 || factor.value > 1e6 {
            ctx.error(&factor.span, format!("`arrivals.peaks.factor`{s} is {}, but must be a number > 0 and at most 1000000: the window's rate as a multiple of the rest of the day's (4 = four times as busy)", factor.value));
            return None;
        }
        let (from_h, to_h) = (from_h?, to_h?);
        if from_h % 24 == to_h % 24 {
            ctx.error(&to.span, format!("`arrivals.peaks`{s}: the window from \"{}\" to \"{}\" is empty or the whole day; give `to` a different hour (a whole-day factor is the same as none)", from.value.trim(), to.value.trim()));
            return None;
        }
        windows.push(PeakWindow {
            from: from_h % 24,
            to: to_h,
            factor: factor.value,
        });
        spans.push(p.span.clone());
    }
    match peaks_to_hourly(&windows) {
        Ok(weights) => {
            let mean = weights.iter().sum::<f64>() / 24.0;
            Some(DailyProfile::Hourly(weights.map(|w| w / mean)))
        }
        Err((first, second)) => {
            ctx.error(&spans[second], format!("`arrivals.peaks`{s}: this window overlaps window {} (they share an hour); make the windows disjoint, or merge them into one with one factor", first + 1));
            None
        }
    }
}

/// The text that says what a workload's demand derived, e.g. "2,000,000
/// DAU × 3 sessions ÷ 4.0 members a party = 1,500,000 parties a day
/// (17.36/s on average)".
pub fn describe(demand: &Demand) -> String {
    format!(
        "{} DAU × {} sessions ÷ {:.2} members a party = {} parties a day ({:.2}/s on average)",
        group_thousands(demand.dau),
        trim_number(demand.sessions_per_user),
        demand.mean_party,
        group_thousands(demand.parties_per_day),
        demand.parties_per_day / DAY_SECS
    )
}

fn trim_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A count rounded to a whole number with thousands separators.
pub(crate) fn group_thousands(x: f64) -> String {
    let n = x.round().max(0.0) as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dau_sessions_and_party_mix_give_the_party_rate() {
        // 2M users × 3 matches ÷ 4 players = 1.5M parties a day.
        assert_eq!(parties_per_day(2e6, 3.0, 4.0), 1.5e6);
        let mut arrivals = Arrivals::Poisson { rate: 1.0 };
        let d = apply_demand(&mut arrivals, (2e6, 3.0), 4.0);
        assert_eq!(d.parties_per_day, 1.5e6);
        let Arrivals::Poisson { rate } = arrivals else {
            panic!("still Poisson")
        };
        assert!((rate - 1.5e6 / 86_400.0).abs() < 1e-9);
        // A mix of 2s and 4s, half and half: mean 3.
        assert_eq!(parties_per_day(3000.0, 2.0, 3.0), 2000.0);
        assert_eq!(
            describe(&d),
            "2,000,000 DAU × 3 sessions ÷ 4.00 members a party = 1,500,000 parties a day (17.36/s on average)"
        );
    }

    #[test]
    fn peak_windows_become_hourly_weights() {
        let w = peaks_to_hourly(&[PeakWindow {
            from: 20,
            to: 23,
            factor: 4.0,
        }])
        .unwrap();
        for (h, weight) in w.iter().enumerate() {
            let expected = if (20..23).contains(&h) { 4.0 } else { 1.0 };
            assert_eq!(*weight, expected, "hour {h}");
        }
        // Wrapping past midnight, and 24:00 as the end of the day.
        let wrap = PeakWindow {
            from: 22,
            to: 2,
            factor: 3.0,
        };
        assert_eq!(wrap.hours(), vec![22, 23, 0, 1]);
        let to_midnight = PeakWindow {
            from: 21,
            to: 24,
            factor: 2.0,
        };
        assert_eq!(to_midnight.hours(), vec![21, 22, 23]);
        let w = peaks_to_hourly(&[wrap]).unwrap();
        assert_eq!((w[22], w[23], w[0], w[1], w[2]), (3.0, 3.0, 3.0, 3.0, 1.0));
    }

    #[test]
    fn overlapping_windows_are_refused() {
        let a = PeakWindow {
            from: 18,
            to: 22,
            factor: 2.0,
        };
        let b = PeakWindow {
            from: 21,
            to: 23,
            factor: 4.0,
        };
        assert_eq!(peaks_to_hourly(&[a, b]), Err((0, 1)));
    }

    #[test]
    fn hours_must_be_whole() {
        assert_eq!(parse_hour("20:00"), Ok(20));
        assert_eq!(parse_hour("24:00"), Ok(24));
        assert!(parse_hour("20:30").unwrap_err().contains("whole hour"));
        assert!(parse_hour("25:00").is_err());
    }
}
