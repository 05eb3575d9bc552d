//! `voipsim load`: the wall-clock driver. Plays a scenario's workload
//! against a running service over HTTP as an open model (each request sent
//! at its scheduled time), records latency from the intended and the
//! actual send time, and fills the same report `simulate` writes.
