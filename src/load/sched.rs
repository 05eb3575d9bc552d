//! The sender's threads ask the Linux scheduler for a short time slice, so
//! that on a busy machine they get the CPU within microseconds of waking,
//! not after a CPU-bound neighbour's slice runs out.
//!
//! Why: send lateness is the time between a request's intended instant and
//! its write. The pacer and the runtime threads sleep almost all the time
//! and wake for a few microseconds of work, but on a machine whose cores
//! are all taken (other builds, `yes > /dev/null`), a woken thread waited
//! for the running one's slice (about 3 ms by default): at 10,000 req/s
//! the lateness p99 was 10–15 ms with two busy loops beside the run.
//! Linux's EEVDF scheduler (6.6 and later; a slice request since 6.12)
//! gives a thread that asks for a short slice an earlier virtual deadline,
//! so it preempts the neighbour when it wakes. It stays a normal
//! (`SCHED_OTHER`) thread: no privilege needed, no share of the CPU taken
//! beyond what it uses, and a thread that ran its slice out is preempted
//! sooner itself, which a thread that mostly sleeps never does.
//!
//! Why not a real-time policy (`SCHED_FIFO`): it needs privilege, and a
//! real-time thread that spins or runs away starves the target when both
//! share the machine. Why not spinning before each send: at 10,000 req/s a
//! 50 µs spin is half a core taken from the target.
//!
//! Best effort: on an older kernel, or another OS, nothing changes and the
//! run goes on (the lateness histogram shows what it costs).

/// The slice asked for, in nanoseconds: the kernel's minimum (0.1 ms).
#[cfg(target_os = "linux")]
const SLICE_NS: u64 = 100_000;

/// Linux's `struct sched_attr` (`include/uapi/linux/sched/types.h`),
/// the first version of it (48 bytes), which every kernel accepts.
#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Default)]
struct SchedAttr {
    size: u32,
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
}

/// Asks a short slice for the calling thread, keeping its policy and nice
/// value. Returns whether the kernel took it.
#[cfg(target_os = "linux")]
pub fn short_slice() -> bool {
    let mut attr = SchedAttr::default();
    let size = std::mem::size_of::<SchedAttr>() as u32;
    // SAFETY: sched_getattr and sched_setattr read or write at most `size`
    // bytes of `attr`, a live, properly aligned `struct sched_attr`.
    unsafe {
        if libc::syscall(
            libc::SYS_sched_getattr,
            0,
            &mut attr as *mut SchedAttr,
            size,
            0,
        ) != 0
        {
            return false;
        }
        // Only a normal thread's slice is changed (a real-time one keeps
        // what its owner gave it).
        if attr.policy != libc::SCHED_OTHER as u32 {
            return false;
        }
        attr.size = size;
        attr.flags = 0;
        attr.runtime = SLICE_NS;
        libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) == 0
    }
}

/// Not Linux: nothing to ask.
#[cfg(not(target_os = "linux"))]
pub fn short_slice() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asking_for_a_short_slice_keeps_the_thread_normal_and_working() {
        // Whether the kernel supports slices depends on the machine; the
        // call must not fail the thread either way, and a thread asking
        // again is answered the same.
        let handle = std::thread::spawn(|| (short_slice(), short_slice()));
        let (first, second) = handle.join().expect("thread ran");
        assert_eq!(first, second);
    }
}
