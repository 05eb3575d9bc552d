//! The nonce-replay rule's memory: which nonces an app has seen, each kept
//! only until the request that used it could no longer pass the timestamp
//! check.
//!
//! A request signed at `timeStamp = ts` passes the timestamp check only
//! while `now_s <= ts + tolerance`, so its nonce is remembered until then
//! ("expires at `ts + tolerance`"); after that a replay of the same request
//! is refused as stale anyway. Memory is therefore bounded by the join rate
//! times twice the tolerance, never by the run's length.
//!
//! Layout: a slab of entries whose nonce buffers are reused (no allocation
//! in the steady state), a `hashbrown::HashTable` of slab indexes keyed by
//! (scope, nonce), and a min-heap of (expiry, index) that is drained before
//! each lookup. Nonces are compared in full, so there are no false refusals.
//! The table hashes with the service's [`IndexHasher`]: keyed when nonces
//! come from the network.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use hashbrown::HashTable;

use super::index_hash::IndexHasher;

struct Entry {
    scope: u32,
    expires_s: i64,
    hash: u64,
    nonce: String,
}

/// Nonces seen by one app.
#[derive(Default)]
pub(crate) struct NonceCache {
    entries: Vec<Entry>,
    free: Vec<u32>,
    table: HashTable<u32>,
    expiry: BinaryHeap<Reverse<(i64, u32)>>,
    hasher: IndexHasher,
}

impl NonceCache {
    /// An empty memory whose table hashes with `hasher`.
    pub(crate) fn with_hasher(hasher: IndexHasher) -> NonceCache {
        NonceCache {
            hasher,
            ..NonceCache::default()
        }
    }

    /// Refuses (`false`) a nonce seen in `scope` and not yet expired at
    /// `now_s`; otherwise remembers it until `expires_s` and accepts.
    pub(crate) fn check_and_record(
        &mut self,
        scope: u32,
        nonce: &str,
        expires_s: i64,
        now_s: i64,
    ) -> bool {
        self.expire(now_s);
        let hash = self.hasher.hash(scope, nonce.as_bytes());
        let entries = &self.entries;
        if self
            .table
            .find(hash, |&i| {
                let e = &entries[i as usize];
                e.scope == scope && e.nonce == nonce
            })
            .is_some()
        {
            return false;
        }
        let index = match self.free.pop() {
            Some(i) => {
                let e = &mut self.entries[i as usize];
                e.scope = scope;
                e.expires_s = expires_s;
                e.hash = hash;
                e.nonce.push_str(nonce);
                i
            }
            None => {
                self.entries.push(Entry {
                    scope,
                    expires_s,
                    hash,
                    nonce: nonce.to_string(),
                });
                (self.entries.len() - 1) as u32
            }
        };
        let entries = &self.entries;
        self.table
            .insert_unique(hash, index, |&i| entries[i as usize].hash);
        self.expiry.push(Reverse((expires_s, index)));
        true
    }

    /// Forgets every nonce of `scope` (a removed user's). O(entries), for a
    /// rare call. The entries stay allocated until their expiry comes up in
    /// the heap, which frees them: freeing them here would let a new nonce
    /// reuse a slot that an old heap item would then free early.
    pub(crate) fn forget_scope(&mut self, scope: u32) {
        for (index, e) in self.entries.iter().enumerate() {
            if e.scope != scope {
                continue;
            }
            if let Ok(found) = self.table.find_entry(e.hash, |&i| i as usize == index) {
                found.remove();
            }
        }
    }

    /// Every nonce remembered, as (scope, nonce, expiry second), in no
    /// particular order (for snapshots).
    pub(crate) fn remembered(&self) -> impl Iterator<Item = (u32, &str, i64)> + '_ {
        self.table.iter().filter_map(|&i| {
            let e = self.entries.get(i as usize)?;
            Some((e.scope, e.nonce.as_str(), e.expires_s))
        })
    }

    /// Remembers `nonce` in `scope` until `expires_s` (restoring a
    /// snapshot); `false` if it is already remembered.
    pub(crate) fn insert(&mut self, scope: u32, nonce: &str, expires_s: i64) -> bool {
        // An expiry no request can be checked at keeps it until then.
        self.check_and_record(scope, nonce, expires_s, i64::MIN)
    }

    /// Forgets every nonce whose expiry is before `now_s`.
    fn expire(&mut self, now_s: i64) {
        while let Some(&Reverse((expires_s, index))) = self.expiry.peek() {
            if expires_s >= now_s {
                break;
            }
            self.expiry.pop();
            let e = &mut self.entries[index as usize];
            if let Ok(found) = self.table.find_entry(e.hash, |&i| i == index) {
                found.remove();
            }
            e.nonce.clear();
            // Keep ordinary buffers for reuse; give back oversized ones.
            if e.nonce.capacity() > 256 {
                e.nonce = String::new();
            }
            self.free.push(index);
        }
    }

    /// Nonces currently remembered (some perhaps past their expiry, until
    /// the next check drains them).
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_within_window_and_forgets_after() {
        let mut c = NonceCache::default();
        assert!(c.check_and_record(1, "n", 100, 90));
        assert!(!c.check_and_record(1, "n", 150, 100));
        assert!(c.check_and_record(2, "n", 150, 100), "other scope");
        assert!(c.check_and_record(1, "m", 150, 100), "other nonce");
        assert!(c.check_and_record(1, "n", 160, 101), "expired at 100");
        assert_eq!(c.len(), 3);
        assert!(c.check_and_record(9, "x", 1000, 999));
        assert_eq!(c.len(), 1, "all earlier entries expired");
        assert!(c.entries.len() <= 4, "slots are reused");
    }
}
