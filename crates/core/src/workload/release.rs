//! Client releases as each user meets them: when the user picks a release
//! up (logs in again, which replaces its session key), and whether its
//! backend still signs the user's next join with the old key. Both are
//! drawn from a hash of (seed, release index, user identity), so the
//! answer is a pure function that the simulator and the load tester
//! compute alike, whatever order their joins come in.
//!
//! A user picks release `k` up at `at + U·spread`, U uniform in [0, 1)
//! and its own. Nothing observes a key between two joins, so the drivers
//! apply a pickup lazily, at the user's next join after it ([`KeyRotation::join`]):
//! that join logs in first (`wx.login`, then the backend's `code2Session`)
//! and, with the release's `stale_signing`, is signed with the old key.
//! Eager rotation (at the pickup moment) would give the same joins, the
//! same logins and the same refusals.
//!
//! The user identity is the driver's: the load tester's login code
//! (`js_code`, which names the user at the service), the simulator's
//! pooled user handle. Both pools hand out users the same way, but not at
//! the same moments, so the two drivers draw the same distribution of
//! pickups, not the same user for the same member.

use rand::SeedableRng;

use super::dist::unit;
use super::rng::{Purpose, Stream, stream_seed};
use crate::scenario::Scenario;

/// One release, in microseconds since the scenario start.
#[derive(Debug, Clone)]
struct ReleaseDraw {
    at_us: u64,
    spread_us: u64,
    stale_signing: f64,
    /// Per workload (scenario index): whether the release reaches it.
    reaches: Box<[bool]>,
}

/// A scenario's releases, on one driver's clock. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct KeyRotation {
    list: Box<[ReleaseDraw]>,
    /// The scenario's seed, hashed for this purpose.
    seed: u64,
    /// The driver's time at the scenario start (the simulator's pre-roll).
    origin_us: u64,
}

/// One user's pickup of one release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pickup {
    /// When it logs in again, on the driver's clock.
    pub at_us: u64,
    /// Whether its next join is still signed with the old key.
    pub stale: bool,
}

/// What the releases do to one join.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseJoin {
    /// The user logs in again before this join (a release it has not yet
    /// acted on was picked up since its last login).
    pub relogin: bool,
    /// The backend signs this join with the key the login replaced.
    pub stale: bool,
}

impl KeyRotation {
    /// The releases of `scenario` for a driver whose clock reads
    /// `origin_us` at the start; `None` when it has none (then drivers pay
    /// nothing for them).
    pub fn new(scenario: &Scenario, origin_us: u64) -> Option<Self> {
        if scenario.releases.is_empty() {
            return None;
        }
        let us = |d: std::time::Duration| d.as_micros().min(u128::from(u64::MAX / 4)) as u64;
        let list = scenario
            .releases
            .iter()
            .map(|r| ReleaseDraw {
                at_us: us(r.at),
                spread_us: us(r.spread),
                stale_signing: r.stale_signing,
                reaches: (0..scenario.workloads.len())
                    .map(|w| r.workloads.contains(&w))
                    .collect(),
            })
            .collect();
        Some(KeyRotation {
            list,
            seed: stream_seed(scenario.seed, "", Purpose::Releases),
            origin_us,
        })
    }

    /// Release `k` as the user `identity` meets it.
    pub fn pickup(&self, k: usize, identity: u64) -> Pickup {
        let r = &self.list[k];
        let mixed = splitmix64(self.seed ^ splitmix64(identity))
            ^ (k as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut stream = Stream::seed_from_u64(mixed);
        let offset = ((unit(&mut stream) * r.spread_us as f64) as u64).min(r.spread_us);
        let stale = unit(&mut stream) < r.stale_signing;
        Pickup {
            at_us: self.origin_us + r.at_us + offset,
            stale,
        }
    }

    /// What the releases do to a join at `t_us` of user `identity` for
    /// workload `workload`, whose key dates from its login at `keyed_us`
    /// (`None`: it has not logged in yet, and logs in for this join, so it
    /// has the newest key already). A release reaching the workload and
    /// picked up in `(keyed_us, t_us]` makes the join log in again; when
    /// several were, the latest pickup says whether it is signed stale.
    pub fn join(
        &self,
        workload: usize,
        identity: u64,
        keyed_us: Option<u64>,
        t_us: u64,
    ) -> ReleaseJoin {
        let Some(keyed_us) = keyed_us else {
            return ReleaseJoin::default();
        };
        let latest = (0..self.list.len())
            .filter(|&k| {
                let r = &self.list[k];
                let first = self.origin_us + r.at_us;
                r.reaches.get(workload).copied().unwrap_or(false)
                    && first <= t_us
                    && first + r.spread_us > keyed_us
            })
            .map(|k| self.pickup(k, identity))
            .filter(|p| keyed_us < p.at_us && p.at_us <= t_us)
            .max_by_key(|p| p.at_us);
        match latest {
            Some(p) => ReleaseJoin {
                relogin: true,
                stale: p.stale,
            },
            None => ReleaseJoin::default(),
        }
    }

    /// The user's login time after a join at `t_us`: now if it logged in
    /// for it (its first join, a release's re-login, or a re-login fault),
    /// else unchanged.
    pub fn keyed_after(keyed_us: Option<u64>, t_us: u64, logged_in: bool) -> u64 {
        match keyed_us {
            Some(k) if !logged_in => k,
            _ => t_us,
        }
    }

    /// A load-test user's identity: its login code, hashed.
    pub fn identity_of_code(js_code: &str) -> u64 {
        stream_seed(0, js_code, Purpose::Releases)
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotation(releases: &str) -> KeyRotation {
        let text = format!(
            "name = \"r\"\nduration = \"2h\"\n[[workloads]]\nname = \"a\"\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\n\
             [[workloads]]\nname = \"b\"\narrivals = {{ poisson = \"1/min\" }}\nstay = \"5m\"\n{releases}"
        );
        let scenario = crate::scenario::parse(&text, std::path::Path::new("r.toml")).unwrap();
        KeyRotation::new(&scenario, 1_000).unwrap()
    }

    const MIN: u64 = 60_000_000;

    #[test]
    fn pickups_are_uniform_over_the_spread() {
        // 100,000 users in 20 buckets of the 10-minute spread: a
        // chi-square with 19 degrees of freedom, above 43.8 one time in
        // a thousand.
        let r = rotation("[[releases]]\nat = \"+30m\"\nspread = \"10m\"\n");
        let (n, buckets) = (100_000u64, 20usize);
        let mut counts = vec![0u64; buckets];
        for user in 0..n {
            let p = r.pickup(0, user);
            let offset = p.at_us - 1_000 - 30 * MIN;
            assert!(offset < 10 * MIN, "{offset}");
            counts[(offset * buckets as u64 / (10 * MIN)) as usize] += 1;
        }
        let expected = n as f64 / buckets as f64;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 43.8, "chi2 {chi2}: {counts:?}");
    }

    #[test]
    fn pickups_are_per_user_and_deterministic() {
        let r = rotation("[[releases]]\nat = \"+30m\"\nspread = \"10m\"\nstale_signing = 0.3\n");
        let again =
            rotation("[[releases]]\nat = \"+30m\"\nspread = \"10m\"\nstale_signing = 0.3\n");
        let moments: std::collections::HashSet<u64> =
            (0..1000).map(|u| r.pickup(0, u).at_us).collect();
        assert!(moments.len() > 990, "users pick it up apart");
        for u in 0..1000 {
            assert_eq!(r.pickup(0, u), again.pickup(0, u));
        }
        // The stale share is the release's.
        let stale = (0..100_000).filter(|&u| r.pickup(0, u).stale).count();
        assert!((29_000..31_000).contains(&stale), "{stale}");
        // Codes hash apart.
        assert_ne!(
            KeyRotation::identity_of_code("voipsim-load-0-1"),
            KeyRotation::identity_of_code("voipsim-load-0-2")
        );
    }

    #[test]
    fn a_join_logs_in_again_once_per_pickup_since_its_login() {
        let r = rotation(
            "[[releases]]\nat = \"+30m\"\nspread = \"10m\"\nstale_signing = 1.0\nworkloads = [\"a\"]\n",
        );
        let user = 7;
        let p = r.pickup(0, user).at_us;
        // Not yet logged in: its first login has the new key.
        assert_eq!(r.join(0, user, None, p + 1), ReleaseJoin::default());
        // Logged in before the pickup, joining after it: a stale re-login.
        let hit = r.join(0, user, Some(p - 1), p);
        assert_eq!(
            hit,
            ReleaseJoin {
                relogin: true,
                stale: true
            }
        );
        // Joining before its pickup, or logged in after it: nothing.
        assert_eq!(r.join(0, user, Some(0), p - 1), ReleaseJoin::default());
        assert_eq!(r.join(0, user, Some(p), p + MIN), ReleaseJoin::default());
        // A workload the release does not reach: nothing.
        assert_eq!(r.join(1, user, Some(0), p + MIN), ReleaseJoin::default());
        assert_eq!(KeyRotation::keyed_after(Some(5), p, true), p);
        assert_eq!(KeyRotation::keyed_after(Some(5), p, false), 5);
        assert_eq!(KeyRotation::keyed_after(None, p, false), p);
    }

    #[test]
    fn two_releases_crossed_at_once_make_one_login() {
        let r = rotation(
            "[[releases]]\nat = \"+10m\"\nstale_signing = 0.0\n[[releases]]\nat = \"+20m\"\nstale_signing = 1.0\n",
        );
        // Both passed since the login: one re-login, stale as the later says.
        assert_eq!(
            r.join(0, 3, Some(0), 1_000 + 30 * MIN),
            ReleaseJoin {
                relogin: true,
                stale: true
            }
        );
        // Only the first passed.
        assert_eq!(
            r.join(0, 3, Some(0), 1_000 + 15 * MIN),
            ReleaseJoin {
                relogin: true,
                stale: false
            }
        );
    }
}
