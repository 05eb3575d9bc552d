//! Queueing theory beside the simulation: where a workload's assumptions
//! fit a model with an answer on paper, the model's figures, so the report
//! can put the prediction beside the simulated figure.
//!
//! * [`erlang`] — Erlang B and the probability a room is empty: a pool of
//!   groups, each member joining alone (a loss system per room).
//! * [`room_chain`] — the exact Markov chain of one room when parties
//!   arrive together (batch Poisson arrivals, exponential stays).
//! * [`survival`] — how long members and rooms last (the stay
//!   distributions' tails).
//! * [`offered_load`] — the modified offered load of a time-varying rate
//!   (daily profiles, ramps, bursts): the load a room "sees" at each time.
//! * [`predict`] — which model a scenario's workloads fit, if any, and the
//!   predicted figures on the report's time grid.
//!
//! Pure arithmetic: no clocks, no I/O; `docs/simulation.md` ("Theory beside
//! the simulation") says when each model applies.

pub mod erlang;
pub mod offered_load;
pub mod predict;
pub mod room_chain;
pub mod survival;
