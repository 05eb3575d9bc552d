//! The summary's `theory` block: the models' predictions (see
//! [`crate::theory`]) beside the simulated figures, and how far apart they
//! are in confidence-interval half-widths.
//!
//! A single run has no replications, so the half-width comes from batch
//! means: the window's rows are cut into up to [`BATCHES`] consecutive
//! batches, and the spread of each batch's (simulated − predicted) gives a
//! 95% Student-t interval for the whole window's difference. Taking the
//! difference first removes the day's shape (a profile makes the batches'
//! own figures differ on purpose). `ci_method` names the method, so the
//! half-width of replications can take its place.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::timeseries::IntervalRow;
use crate::rules::RejectReason;
use crate::scenario::Scenario;
use crate::theory::predict::{Prediction, RowPrediction, predict};

/// Batches the window is cut into for the half-widths.
pub const BATCHES: usize = 20;
/// A difference of more than this many half-widths is flagged.
pub const FLAG_AT: f64 = 3.0;
/// How the half-widths are estimated (the value of `ci_method`).
pub const BATCH_MEANS: &str = "batch_means";

/// Predictions beside the simulated figures.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Theory {
    /// Whether a model fits every workload (else `notes` say why not and
    /// `figures` is empty).
    pub applies: bool,
    /// The model of each workload, or why none fits; and figures left out.
    pub notes: Vec<String>,
    /// How the half-widths were estimated: `batch_means` (one run's
    /// window cut into `batches` consecutive batches, 95%, Student t).
    pub ci_method: String,
    /// Batches of the window the half-widths come from.
    pub batches: u64,
    /// Each figure: predicted, simulated, and their difference.
    pub figures: Vec<TheoryFigure>,
}

/// One figure predicted and simulated.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TheoryFigure {
    /// What it is: a summary path (`joins.attempted`) or a derived figure
    /// (`rooms.wanted`, `rooms.active_mean`, `members.active_mean`,
    /// `joins.rejected.room_full_fraction`).
    pub figure: String,
    /// The models' value.
    pub predicted: f64,
    /// The run's value (exact; the predictions and half-widths are rounded
    /// to 6 significant digits).
    pub simulated: f64,
    /// The 95% half-width of (simulated − predicted); null when the window
    /// has too few rows to estimate it.
    pub half_width: Option<f64>,
    /// (simulated − predicted) ÷ half_width; null without a half-width.
    pub difference_in_half_widths: Option<f64>,
    /// `agrees` (within 3 half-widths), `differs` (further: the
    /// assumptions or the simulation are off), or `unjudged` (no
    /// half-width).
    pub verdict: String,
}

/// Student's t at 0.975 for 1..=19 degrees of freedom.
const T975: [f64; 19] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093,
];

/// The theory block of a simulated run, or `None` when the window has no
/// rows. `rows` are the window's; `duration_s` ends the last;
/// `quota_ran_out` says whether any quota day was exhausted.
pub fn check(
    scenario: &Scenario,
    rows: &[IntervalRow],
    preroll_s: f64,
    quota_ran_out: bool,
    rooms_wanted: u64,
) -> Option<Theory> {
    if rows.is_empty() {
        return None;
    }
    let interval = scenario.report_interval.as_secs_f64();
    let end = scenario.duration.as_secs_f64();
    let spans: Vec<(f64, f64)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let to = rows
                .get(i + 1)
                .map_or((r.elapsed_s + interval).min(end), |n| n.elapsed_s);
            (r.elapsed_s, to.max(r.elapsed_s))
        })
        .collect();
    let batches = BATCHES.min(rows.len());
    let mut theory = Theory {
        applies: false,
        notes: Vec::new(),
        ci_method: BATCH_MEANS.into(),
        batches: batches as u64,
        figures: Vec::new(),
    };
    let prediction = match predict(scenario, &spans, preroll_s) {
        Ok(p) => p,
        Err(reasons) => {
            theory.notes = reasons
                .into_iter()
                .map(|r| format!("no model: {r}"))
                .collect();
            return Some(theory);
        }
    };
    theory.applies = true;
    theory.notes = prediction.models.clone();
    figures(&mut theory, rows, &prediction, quota_ran_out, rooms_wanted);
    Some(theory)
}

fn figures(
    theory: &mut Theory,
    rows: &[IntervalRow],
    prediction: &Prediction,
    quota_ran_out: bool,
    rooms_wanted: u64,
) {
    let pred = &prediction.rows;
    let batches = theory.batches as usize;
    let count = |sim: &dyn Fn(&IntervalRow) -> f64, model: &dyn Fn(&RowPrediction) -> f64| {
        let residuals: Vec<f64> = rows
            .iter()
            .zip(pred)
            .map(|(r, p)| sim(r) - model(p))
            .collect();
        let simulated: f64 = rows.iter().map(sim).sum();
        let predicted: f64 = pred.iter().map(model).sum();
        let hw = half_width(&batch_sums(&residuals, batches)).map(|h| h * (batches as f64).sqrt());
        (predicted, simulated, hw)
    };
    let mean = |sim: &dyn Fn(&IntervalRow) -> f64, model: &dyn Fn(&RowPrediction) -> f64| {
        let residuals: Vec<f64> = rows
            .iter()
            .zip(pred)
            .map(|(r, p)| sim(r) - model(p))
            .collect();
        let n = rows.len() as f64;
        let simulated = rows.iter().map(sim).sum::<f64>() / n;
        let predicted = pred.iter().map(model).sum::<f64>() / n;
        let means: Vec<f64> = batch_ranges(residuals.len(), batches)
            .map(|r| residuals[r.clone()].iter().sum::<f64>() / r.len() as f64)
            .collect();
        let hw = half_width(&means).map(|h| h / (batches as f64).sqrt());
        (predicted, simulated, hw)
    };

    let attempts = |r: &IntervalRow| r.counts.joins_attempted as f64;
    let (p, s, hw) = count(&attempts, &|p| p.attempts);
    theory.figures.push(figure("joins.attempted", p, s, hw));

    let quota = |r: &IntervalRow| r.counts.rejected(RejectReason::DailyQuota) as f64;
    let sim_attempts: f64 = rows.iter().map(attempts).sum();
    if prediction.fresh_only {
        // Each party wants its own room; a refused party's members are all
        // refused, so per row the refused rooms are refusals ÷ party size.
        let per_party = pred.iter().map(|p| p.attempts).sum::<f64>()
            / pred.iter().map(|p| p.parties).sum::<f64>().max(1e-12);
        let (p, _, hw) = count(
            &|r| r.counts.rooms_created as f64 + quota(r) / per_party,
            &|p| p.parties,
        );
        theory
            .figures
            .push(figure("rooms.wanted", p, rooms_wanted as f64, hw));
    }
    if quota_ran_out {
        theory.notes.push(
            "rooms created, rooms and members active and room-full refusals are left out: the quota ran out, and refused parties hold no rooms, which the models do not know"
                .into(),
        );
        return;
    }
    if !prediction.fresh_only {
        let (p, s, hw) = count(&|r| r.counts.rooms_created as f64, &|p| p.rooms_created);
        theory.figures.push(figure("rooms.created", p, s, hw));
        let (p, s, hw) = count(
            &|r| r.counts.rejected(RejectReason::RoomFull) as f64,
            &|p| p.room_full,
        );
        let predicted_attempts: f64 = pred.iter().map(|p| p.attempts).sum();
        theory.figures.push(figure(
            "joins.rejected.room_full_fraction",
            p / predicted_attempts.max(1e-12),
            s / sim_attempts.max(1.0),
            hw.map(|h| h / sim_attempts.max(1.0)),
        ));
    }
    let (p, s, hw) = mean(&|r| r.rooms_active as f64, &|p| p.rooms_active);
    theory.figures.push(figure("rooms.active_mean", p, s, hw));
    let (p, s, hw) = mean(&|r| r.members_active as f64, &|p| p.members_active);
    theory.figures.push(figure("members.active_mean", p, s, hw));
}

fn figure(name: &str, predicted: f64, simulated: f64, half_width: Option<f64>) -> TheoryFigure {
    let diff = simulated - predicted;
    let z = half_width.filter(|h| *h > 0.0).map(|h| diff / h);
    let verdict = match z {
        Some(z) if z.abs() > FLAG_AT => "differs",
        Some(_) => "agrees",
        None => "unjudged",
    };
    TheoryFigure {
        figure: name.into(),
        predicted: round(predicted),
        simulated,
        half_width: half_width.map(round),
        difference_in_half_widths: z.map(|z| (z * 100.0).round() / 100.0),
        verdict: verdict.into(),
    }
}

/// Six significant digits: enough to read, and stable across platforms'
/// last-bit differences in `exp` and `ln`.
fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return if x.is_finite() { 0.0 } else { x };
    }
    let digits = 6 - 1 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

fn batch_ranges(n: usize, batches: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..batches).map(move |b| (b * n / batches)..((b + 1) * n / batches))
}

fn batch_sums(values: &[f64], batches: usize) -> Vec<f64> {
    batch_ranges(values.len(), batches)
        .map(|r| values[r].iter().sum())
        .collect()
}

/// `t · sd` of the batch values (the caller scales by √B), or `None` with
/// fewer than 4 batches.
fn half_width(batch_values: &[f64]) -> Option<f64> {
    let b = batch_values.len();
    if b < 4 {
        return None;
    }
    let mean = batch_values.iter().sum::<f64>() / b as f64;
    let var = batch_values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (b - 1) as f64;
    Some(T975[(b - 2).min(T975.len() - 1)] * var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_widths_of_batch_means() {
        // Batches 1, 2, 3, 4, 5: sd = 1.5811, t(4) = 2.776.
        let hw = half_width(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!((hw - 2.776 * 1.581_138_8).abs() < 1e-4);
        assert_eq!(half_width(&[1.0, 2.0, 3.0]), None);
        let sums = batch_sums(&[1.0; 10], 3);
        assert_eq!(sums, vec![3.0, 3.0, 4.0]);
    }

    fn row(attempts: u64, rooms: u64) -> IntervalRow {
        let counts = crate::report::counters::Counters {
            joins_attempted: attempts,
            rooms_created: rooms,
            ..Default::default()
        };
        IntervalRow {
            time: String::new(),
            elapsed_s: 0.0,
            rooms_active: rooms,
            members_active: rooms,
            counts,
            signatures_peak_per_s: 0,
            quota_left: Vec::new(),
        }
    }

    #[test]
    fn a_prediction_off_by_a_fifth_is_flagged_and_a_close_one_is_not() {
        // Simulated rows wander around 100 (±3); one model says 100, the
        // other 80.
        let rows: Vec<IntervalRow> = (0..40).map(|i| row(98 + (i * 3 % 5) as u64, 50)).collect();
        let prediction = |attempts: f64| Prediction {
            models: vec!["m".into()],
            rows: vec![
                RowPrediction {
                    parties: attempts,
                    attempts,
                    rooms_created: 50.0,
                    room_full: 0.0,
                    rooms_active: 50.0,
                    members_active: 50.0,
                };
                40
            ],
            fresh_only: false,
        };
        for (model, verdict) in [(100.0, "agrees"), (80.0, "differs")] {
            let mut t = Theory {
                applies: true,
                notes: Vec::new(),
                ci_method: BATCH_MEANS.into(),
                batches: 20,
                figures: Vec::new(),
            };
            figures(&mut t, &rows, &prediction(model), false, 0);
            assert_eq!(t.figures[0].figure, "joins.attempted");
            assert_eq!(t.figures[0].verdict, verdict, "{:?}", t.figures[0]);
        }
    }

    #[test]
    fn verdicts_by_half_widths() {
        assert_eq!(figure("x", 100.0, 107.0, Some(2.0)).verdict, "differs");
        let f = figure("x", 100.0, 103.0, Some(2.0));
        assert_eq!(
            (f.verdict.as_str(), f.difference_in_half_widths),
            ("agrees", Some(1.5))
        );
        assert_eq!(figure("x", 1.0, 0.0, None).verdict, "unjudged");
        assert_eq!(round(123_456.789), 123_457.0);
        assert_eq!(round(0.000_123_456_78), 0.000_123_457);
    }
}
