//! Signature checks made away from the room service: a [`SignatureCheck`]
//! carries a user's pre-keyed verifier out of the service (to another
//! thread, or ahead of time), and the [`Verdict`] it gives is handed back
//! with the request to [`super::RoomService::join_checked`].
//!
//! Why: checking a signature is an HMAC, a pure function of the user's key
//! and the request, and by far the most expensive step of a join. WeChat's
//! front ends can check signatures anywhere; only the room state must be
//! changed in order. The simulator uses this to check joins on a second
//! core while the event loop runs on the first.
//!
//! A verdict is bound to the user and to the key generation it was checked
//! under (every login starts a new one, [`super::RoomService::login`]).
//! When the user has logged in again since, or the verdict is another
//! user's, `join_checked` ignores it and checks the signature itself, so a
//! stale verdict can never admit a request. Only this module makes
//! verdicts, always by computing the HMAC under the service's copy of the
//! key. In debug builds a verdict also remembers a fingerprint of the
//! fields and signature it covered, and `join_checked` asserts the request
//! matches (a caller passing one request's verdict with another's fields is
//! a bug in the caller).

use super::handles::UserIdx;
use crate::signature::{JoinFields, Signature, Signer};

/// A user's verifier at one key generation: 72 bytes, plain data, `Send`.
#[derive(Clone, Debug)]
pub struct SignatureCheck {
    pub(crate) user: UserIdx,
    pub(crate) key_generation: u32,
    /// `None`: the user never logged in, so no signature is valid.
    pub(crate) signer: Option<Signer>,
}

/// Whether a request's signature was valid under the user's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub(crate) user: UserIdx,
    pub(crate) key_generation: u32,
    pub(crate) valid: bool,
    #[cfg(debug_assertions)]
    pub(crate) fingerprint: u64,
}

impl Verdict {
    /// Whether the signature was valid.
    pub fn is_valid(&self) -> bool {
        self.valid
    }
}

impl SignatureCheck {
    /// Checks `signature` against `fields` (whose `app_id` must be the
    /// user's app's).
    pub fn check(&self, fields: &JoinFields<'_>, signature: &Signature) -> Verdict {
        let valid = self
            .signer
            .as_ref()
            .is_some_and(|signer| signer.verify(fields, signature));
        self.verdict(valid, fields, signature)
    }

    /// The signature of `fields` under the user's current key, as WeChat's
    /// cloud signing call (`getvoipsign`) makes it; `None` when the user
    /// never logged in. The key stays inside the verifier: only the
    /// signature comes out, so a server can sign outside its lock.
    pub fn sign(&self, fields: &JoinFields<'_>) -> Option<Signature> {
        self.signer.as_ref().map(|signer| signer.sign(fields))
    }

    /// Signs `signed` with `backend` (the client's signer; `None` when it
    /// has none, which sends an all-zero signature), lets `tamper` alter
    /// the signature as a faulty client would, and checks the result
    /// against `sent`, the fields the client sends. The two HMACs (the
    /// backend's and the service's) are independent, so they are computed
    /// in lockstep ([`Signer::sign_pair`]): about a third cheaper than one after
    /// the other. Returns the signature as sent, and the verdict.
    pub fn check_signed_by(
        &self,
        sent: &JoinFields<'_>,
        backend: Option<&Signer>,
        signed: &JoinFields<'_>,
        tamper: impl FnOnce(&mut Signature),
    ) -> (Signature, Verdict) {
        let (mut signature, expected) = match (backend, &self.signer) {
            (Some(backend), Some(ours)) => {
                let [signature, expected] = Signer::sign_pair((backend, signed), (ours, sent));
                (signature, Some(expected))
            }
            (Some(backend), None) => (backend.sign(signed), None),
            (None, ours) => (Signature([0; 32]), ours.as_ref().map(|s| s.sign(sent))),
        };
        tamper(&mut signature);
        let valid = expected.is_some_and(|expected| expected.ct_matches(&signature));
        (signature, self.verdict(valid, sent, &signature))
    }

    fn verdict(&self, valid: bool, fields: &JoinFields<'_>, signature: &Signature) -> Verdict {
        #[cfg(not(debug_assertions))]
        let _ = (fields, signature);
        Verdict {
            user: self.user,
            key_generation: self.key_generation,
            valid,
            #[cfg(debug_assertions)]
            fingerprint: fingerprint(fields, signature),
        }
    }
}

/// A hash of what a verdict covers, to catch a verdict passed with the
/// wrong request (debug builds only).
#[cfg(debug_assertions)]
pub(crate) fn fingerprint(fields: &JoinFields<'_>, signature: &Signature) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (
        fields.app_id,
        fields.group_id,
        fields.nonce,
        fields.timestamp,
    )
        .hash(&mut h);
    signature.0.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use crate::rules::{AppSettings, RoomService};
    use crate::signature::{JoinFields, SessionKey, Signer};

    #[test]
    fn sign_uses_the_current_key_and_needs_one() {
        let mut service = RoomService::new();
        service
            .add_app("wx20afc706a711eefc", AppSettings::default())
            .unwrap();
        service.keyed_register("wx20afc706a711eefc", "oA").unwrap();
        let fields = JoinFields {
            app_id: "wx20afc706a711eefc",
            group_id: "1559129713_672975982",
            nonce: "8AP6DT9ybtniUJfb",
            timestamp: 1_559_129_714,
        };
        let check = service
            .keyed_signature_check("wx20afc706a711eefc", "oA")
            .unwrap();
        assert_eq!(check.sign(&fields), None);
        let key = SessionKey::new("gDyVgzwa0mFz9uUP7M6GQQ==").unwrap();
        service
            .keyed_login("wx20afc706a711eefc", "oA", &key)
            .unwrap();
        let check = service
            .keyed_signature_check("wx20afc706a711eefc", "oA")
            .unwrap();
        let signature = check.sign(&fields).unwrap();
        assert_eq!(signature, Signer::new(&key).sign(&fields));
        assert_eq!(
            signature.to_string(),
            "b002b824688dd8593a6079e11d8c5e8734fbcb39a6d5906eb347bfbcad79c617"
        );
    }
}
