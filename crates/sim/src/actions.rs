//! What a run may be asked besides its report: which shard of the workload
//! to play ([`ShardSpec`]) and who hears every join, rejoin, drop and
//! leave as it happens ([`ActionSink`], the events file's source).
//!
//! The sink is a trait object behind an `Option`, asked only when set: a
//! run without `--events` pays one predictable branch per event, nothing
//! else (measured with `benches/engine-speed.sh`, see `docs/events.md`).
//! The simulator does no I/O: the sink is the driver's (the CLI formats
//! rows with [`voipsim_core::events::EventsWriter`] into a buffered file).

pub use voipsim_core::events::{ActionKind, ActionOutcome, ActionRecord};
pub use voipsim_core::workload::ShardSpec;

/// Hears every action of a run, in time order.
pub trait ActionSink {
    fn action(&mut self, action: &ActionRecord<'_>);
}

/// Collects rows in memory, for tests.
impl ActionSink for Vec<voipsim_core::events::ScheduledAction> {
    fn action(&mut self, a: &ActionRecord<'_>) {
        self.push(voipsim_core::events::ScheduledAction {
            unix_us: a.unix_us,
            elapsed_us: a.elapsed_us,
            workload: a.workload.to_string(),
            app: a.app.to_string(),
            user: a.user.to_string(),
            group_id: a.group_id.to_string(),
            kind: a.kind,
            fault: a.fault,
            outcome: a.outcome,
        });
    }
}

/// Which part of the workload a run plays, and who hears its actions.
#[derive(Default)]
pub struct RunScope<'a> {
    /// The parties played ([`ShardSpec::WHOLE`] by default).
    pub shard: ShardSpec,
    pub actions: Option<&'a mut dyn ActionSink>,
}
