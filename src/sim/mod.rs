//! The virtual-time simulator (under construction).

pub mod queue;
