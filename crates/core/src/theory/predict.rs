//! Which model a scenario's workloads fit, and the figures it predicts on
//! the report's rows.
//!
//! A generated workload fits when its members join together (no stagger),
//! never reconnect, make no faulty joins, and choose groups either fresh
//! (every party its own room: an infinite-server system of rooms,
//! M_t/G/∞, exact) or from a pool (each group one room: Erlang's loss
//! system when parties are single members, else the one-room Markov
//! chain, exact for exponential stays). A time-varying rate (profile,
//! ramp, bursts) goes through the modified offered load. Traces and
//! `recent` groups have no model here.

use std::time::Duration;

use super::erlang;
use super::offered_load::offered_load;
use super::room_chain::{self, RoomState};
use super::survival::{party_mix, room_survival, stay_survival};
use crate::scenario::{Arrivals, Distribution, Groups, Scenario, Workload};
use crate::workload::rate::RateCurve;

/// The largest room the one-room chain is solved for (its cost grows with
/// the square of the seats, at every step of the day).
pub const MAX_CHAIN_CAPACITY: u32 = 200;
/// The most grid steps a prediction takes (a longer run gets a coarser
/// step).
const MAX_STEPS: f64 = 400_000.0;

/// What the models expect in one report row.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RowPrediction {
    /// Parties arriving in the row.
    pub parties: f64,
    /// Join attempts (every member of every party).
    pub attempts: f64,
    /// Rooms created (a party finding its room empty).
    pub rooms_created: f64,
    /// Joins refused because the room was full.
    pub room_full: f64,
    /// Rooms active at the row's end (a mean).
    pub rooms_active: f64,
    /// Members in rooms at the row's end (a mean).
    pub members_active: f64,
}

/// The predictions for a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Per workload, the model that applies, in words.
    pub models: Vec<String>,
    /// One per row asked for.
    pub rows: Vec<RowPrediction>,
    /// Whether every workload takes fresh groups (each party wants its own
    /// room: the rooms wanted are the parties).
    pub fresh_only: bool,
}

/// Whether the workload's rate changes over the run.
fn varies(w: &Workload) -> bool {
    !matches!(w.arrivals, Arrivals::Poisson { .. }) || !w.bursts.is_empty()
}

/// Why a workload has no model, in words; `None` when it has one.
pub fn unfit(w: &Workload, scenario: &Scenario) -> Option<String> {
    let why = if w.is_trace() {
        "replays a trace"
    } else if w.stagger.mean_secs() > 0.0 {
        "its members join staggered (the models seat a party's members together)"
    } else if w.reconnect.as_ref().is_some_and(|r| r.probability > 0.0) {
        "its members drop and rejoin"
    } else if w.faults.total() > 0.0 {
        "it makes faulty joins (refused before the room is reached)"
    } else if matches!(w.groups, Groups::Recent { .. }) {
        "it reuses recent groups (no closed form for rematches)"
    } else if w.stay.mean_secs() <= 0.0 {
        "its members stay no time at all"
    } else if let Groups::Pool { .. } = w.groups {
        let caps: Vec<u32> = w.apps.iter().map(|&a| scenario.app(a).capacity).collect();
        if caps.iter().any(|&c| c != caps[0]) {
            "its apps' rooms differ in capacity"
        } else if caps[0] > MAX_CHAIN_CAPACITY && (w.party.max() > 1 || varies(w)) {
            "its rooms have more than 200 seats (the one-room chain, or Erlang B at every step of a varying rate, is not solved that large)"
        } else {
            return None;
        }
    } else {
        return None;
    };
    Some(format!("workload '{}' {why}", w.name))
}

/// Predicts the rows `rows` (`[from, to)` seconds after the scenario's
/// start) of a run that pre-rolled `preroll_s` seconds before its start
/// (a warm start), or says why it cannot.
pub fn predict(
    scenario: &Scenario,
    rows: &[(f64, f64)],
    preroll_s: f64,
) -> Result<Prediction, Vec<String>> {
    let reasons: Vec<String> = scenario
        .workloads
        .iter()
        .filter_map(|w| unfit(w, scenario))
        .collect();
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let end = rows.last().map_or(0.0, |r| r.1);
    let shortest_stay = scenario
        .workloads
        .iter()
        .map(|w| w.stay.mean_secs())
        .fold(f64::MAX, f64::min);
    let mut dt = 60f64
        .min(scenario.report_interval.as_secs_f64())
        .min(shortest_stay / 10.0)
        .max(end / MAX_STEPS)
        .max(1e-3);
    // Whole steps to a row, so row ends fall on the grid.
    let interval = scenario.report_interval.as_secs_f64();
    dt = interval / (interval / dt).ceil();
    let steps = (end / dt).ceil() as usize + 1;
    let start_tod = scenario.time_of_day_secs(Duration::ZERO);
    let history_from = -preroll_s;

    let mut out = vec![RowPrediction::default(); rows.len()];
    let mut models = Vec::new();
    for w in &scenario.workloads {
        let curve = RateCurve::build(
            &w.arrivals,
            &w.bursts,
            start_tod,
            (history_from * 1e6) as i64,
            (end * 1e6) as i64 + 1,
        );
        let rate = |t: f64| curve.rate_at((t * 1e6) as i64);
        let mix = party_mix(&w.party);
        let mean_k = w.party.mean();
        let stay = &w.stay;
        let members_load = offered_load(
            rate,
            |u| stay_survival(stay, u),
            (0.0, dt, steps),
            history_from,
        );
        let mol = if varies(w) {
            ", the modified offered load of its varying rate"
        } else {
            ""
        };
        // Per grid point: rooms active, members active, and per party
        // arriving then: rooms created, members refused as room full.
        let at: Box<dyn Fn(usize) -> (f64, f64, f64, f64)> = match w.groups {
            Groups::Pool { size } => {
                let n = size as f64;
                let capacity = scenario.app(w.app).capacity;
                let single = mix.iter().all(|&(k, _)| k == 1);
                models.push(format!(
                    "workload '{}': {} for each of {size} groups' rooms ({capacity} seats){mol}",
                    w.name,
                    if single {
                        "Erlang's loss system (Erlang B, P(room empty))".to_string()
                    } else if matches!(stay, Distribution::Exponential { .. }) {
                        "the one-room Markov chain of parties (exact for exponential stays)".to_string()
                    } else {
                        "the one-room Markov chain of parties (an approximation: its stays are not exponential)".to_string()
                    }
                ));
                let room = move |a: f64| -> RoomState {
                    if single {
                        let p0 = erlang::p_empty(capacity, a);
                        let b = erlang::erlang_b(capacity, a);
                        RoomState {
                            occupancy: vec![p0],
                            mean_members: a * (1.0 - b),
                            refused_per_party: b,
                        }
                    } else {
                        room_chain::stationary(capacity, a, &mix)
                    }
                };
                // A constant rate's load is the same at every step once the
                // start is forgotten: solve each distinct load once.
                // Only the three figures are kept per step, not the
                // occupancy distribution.
                let mut states: Vec<(f64, f64, f64)> = Vec::with_capacity(members_load.len());
                let mut last: Option<(f64, (f64, f64, f64))> = None;
                for m in &members_load {
                    let figures = match last {
                        Some((prev, figures)) if prev == *m => figures,
                        _ => {
                            let s = room(m / n);
                            (s.p_empty(), s.mean_members, s.refused_per_party)
                        }
                    };
                    last = Some((*m, figures));
                    states.push(figures);
                }
                Box::new(move |i| {
                    let (p_empty, members, refused) = states[i.min(states.len() - 1)];
                    (n * (1.0 - p_empty), n * members, p_empty, refused)
                })
            }
            _ => {
                models.push(format!(
                    "workload '{}': every party its own room, an infinite-server system of rooms (M/G/∞, exact){mol}",
                    w.name
                ));
                let rooms_load = offered_load(
                    rate,
                    |u| room_survival(stay, &mix, u),
                    (0.0, dt, steps),
                    history_from,
                );
                let members = members_load.clone();
                Box::new(move |i| {
                    let i = i.min(rooms_load.len() - 1);
                    (rooms_load[i], members[i] * mean_k, 1.0, 0.0)
                })
            }
        };
        for (row, &(from, to)) in out.iter_mut().zip(rows) {
            let (i0, i1) = ((from / dt).round() as usize, (to / dt).round() as usize);
            for i in i0..i1 {
                let t = (i as f64 + 0.5) * dt;
                let parties = rate(t) * dt;
                // The state just before the arrival: the grid point.
                let (_, _, p_empty, refused) = at(i);
                row.parties += parties;
                row.attempts += parties * mean_k;
                row.rooms_created += parties * p_empty;
                row.room_full += parties * refused;
            }
            let (rooms, members, _, _) = at(i1);
            row.rooms_active += rooms;
            row.members_active += members;
        }
    }
    Ok(Prediction {
        models,
        rows: out,
        fresh_only: scenario
            .workloads
            .iter()
            .all(|w| matches!(w.groups, Groups::Fresh)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(text: &str) -> Scenario {
        crate::scenario::parse(text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn a_stationary_pool_of_single_joins_is_erlang() {
        // 100 groups, 1 join/s in all, 5 min stays: 3 erlangs a room.
        let s = scenario(
            "name = \"t\"\nduration = \"2h\"\nreport_interval = \"1h\"\n[[workloads]]\ngroups = { pool = 100 }\narrivals = { poisson = \"1/s\" }\nstay = { exponential = \"5m\" }\n",
        );
        let p = predict(&s, &[(0.0, 3600.0), (3600.0, 7200.0)], 7200.0).unwrap();
        let row = p.rows[0];
        assert!((row.attempts - 3600.0).abs() < 1e-6);
        let b = erlang::erlang_b(10, 3.0);
        // The lag sum's step (30 s against 5 min stays) costs ~0.1%.
        assert!(
            (row.room_full / row.attempts / b - 1.0).abs() < 1e-2,
            "{row:?}"
        );
        let p0 = erlang::p_empty(10, 3.0);
        assert!(
            (row.rooms_created / row.attempts / p0 - 1.0).abs() < 1e-2,
            "{row:?}"
        );
        assert!(
            (row.members_active - 300.0 * (1.0 - b)).abs() < 0.5,
            "{row:?}"
        );
        assert!(p.models[0].contains("Erlang"));
    }

    #[test]
    fn fresh_groups_are_rooms_in_an_infinite_server_system() {
        // Parties of 2, 6 a minute, exponential stays of 10 min: a room
        // lasts E[max of 2] = 15 min, so 0.1/s × 900 s = 90 rooms.
        let s = scenario(
            "name = \"t\"\nduration = \"3h\"\nreport_interval = \"1h\"\n[[workloads]]\narrivals = { poisson = \"6/min\" }\nparty = { size = 2 }\nstay = { exponential = \"10m\" }\n",
        );
        let p = predict(&s, &[(7200.0, 10800.0)], 20_000.0).unwrap();
        let row = p.rows[0];
        assert!((row.rooms_created - 360.0).abs() < 1e-6);
        assert!((row.rooms_active - 90.0).abs() < 0.5, "{row:?}");
        assert!((row.members_active - 120.0).abs() < 0.5, "{row:?}");
        assert!(p.fresh_only);
    }

    #[test]
    fn workloads_outside_the_models_say_why() {
        let s = scenario(
            "name = \"t\"\nduration = \"1h\"\n[[workloads]]\nname = \"w\"\narrivals = { poisson = \"1/s\" }\nparty = { size = 2 }\nstagger = \"3s\"\nstay = \"5m\"\n",
        );
        let reasons = predict(&s, &[(0.0, 60.0)], 0.0).unwrap_err();
        assert!(
            reasons[0].contains("workload 'w'") && reasons[0].contains("staggered"),
            "{reasons:?}"
        );
    }
}
