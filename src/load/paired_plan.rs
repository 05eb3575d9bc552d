//! Two plans played as one: a scenario mixing generated workloads
//! ([`super::workload_plan::WorkloadPlan`]) with traces (a
//! [`super::replay_plan::ReplayPlan`] of [`super::trace_rows`]). Jobs come
//! from whichever plan is due first (the first on a tie); each reply goes
//! back to the plan whose job it answers, told apart by the top bit of
//! the step's number ([`SECOND`]): the first plan's members are slab slots
//! and the second's step numbers stay below it.

use std::sync::{Arc, Mutex};

use super::measure::Recorder;
use super::plan::{Job, Plan, Reply, Step, Work};

/// The bit that marks a step of the second plan.
pub const SECOND: u32 = 1 << 31;

/// Two plans as one. See the [module docs](self).
pub struct PairedPlan {
    first: Box<dyn Plan>,
    second: Box<dyn Plan>,
}

impl PairedPlan {
    /// `first`'s step numbers must stay below [`SECOND`], as must
    /// `second`'s.
    pub fn new(first: Box<dyn Plan>, second: Box<dyn Plan>) -> PairedPlan {
        PairedPlan { first, second }
    }
}

/// The step a job will be answered for, if any.
fn step_of(work: &mut Work) -> Option<&mut Step> {
    match work {
        Work::Join(j) => Some(&mut j.step),
        Work::Exit(e) => Some(&mut e.step),
        Work::Sign(s) => s.member.as_mut(),
        Work::Get => None,
    }
}

impl Plan for PairedPlan {
    fn next_due(&mut self) -> Option<u64> {
        match (self.first.next_due(), self.second.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn pop(&mut self) -> Option<Job> {
        let first = self.first.next_due();
        let second = self.second.next_due();
        let from_second = match (first, second) {
            (Some(a), Some(b)) => b < a,
            (None, Some(_)) => true,
            _ => false,
        };
        if !from_second {
            return self.first.pop();
        }
        let mut job = self.second.pop()?;
        if let Some(step) = step_of(&mut job.work) {
            debug_assert!(step.member < SECOND);
            step.member |= SECOND;
        }
        Some(job)
    }

    fn reply(&mut self, mut reply: Reply) {
        if reply.step.member & SECOND != 0 {
            reply.step.member &= !SECOND;
            self.second.reply(reply);
        } else {
            self.first.reply(reply);
        }
    }

    fn waiting(&self) -> bool {
        self.first.waiting() || self.second.waiting()
    }

    fn attach(&mut self, recorder: &Arc<Mutex<Recorder>>) {
        self.first.attach(recorder);
        self.second.attach(recorder);
    }

    fn finish(&mut self) {
        self.first.finish();
        self.second.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::plan::ExitWork;
    use crate::workload::Happened;

    /// Exits of members at fixed times; remembers the replies it got.
    struct Fixed {
        jobs: Vec<(u64, u32)>,
        replies: Arc<Mutex<Vec<u32>>>,
    }

    impl Plan for Fixed {
        fn next_due(&mut self) -> Option<u64> {
            self.jobs.first().map(|j| j.0)
        }

        fn pop(&mut self) -> Option<Job> {
            let (due_us, member) = (!self.jobs.is_empty()).then(|| self.jobs.remove(0))?;
            Some(Job {
                due_us,
                work: Work::Exit(ExitWork {
                    step: Step {
                        member,
                        at_us: due_us,
                    },
                    app: 0,
                    app_id: "wx".into(),
                    openid: "o".into(),
                    drop: false,
                }),
            })
        }

        fn reply(&mut self, reply: Reply) {
            self.replies.lock().unwrap().push(reply.step.member);
        }
    }

    #[test]
    fn jobs_come_in_time_order_and_replies_go_back_to_their_plan() {
        let (a, b) = (Arc::default(), Arc::default());
        let mut plan = PairedPlan::new(
            Box::new(Fixed {
                jobs: vec![(0, 1), (20, 2), (30, 3)],
                replies: Arc::clone(&a),
            }),
            Box::new(Fixed {
                jobs: vec![(10, 1), (20, 7)],
                replies: Arc::clone(&b),
            }),
        );
        let mut order = Vec::new();
        while let Some(job) = plan.pop() {
            let Work::Exit(e) = job.work else {
                unreachable!()
            };
            order.push((job.due_us, e.step.member));
            plan.reply(Reply {
                step: e.step,
                happened: Happened::Left,
                login: None,
            });
        }
        // A tie goes to the first plan; the second's steps are marked.
        assert_eq!(
            order,
            [(0, 1), (10, 1 | SECOND), (20, 2), (20, 7 | SECOND), (30, 3)]
        );
        assert_eq!(*a.lock().unwrap(), [1, 2, 3]);
        assert_eq!(*b.lock().unwrap(), [1, 7]);
    }
}
