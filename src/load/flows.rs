//! What a job does over a connection: one GET (`--mode http`), one signing
//! request checked against the expected signature (`--mode sign`), or a
//! member's flow against the room service (`docs/api.md`): log in, get a
//! signature (signed here with the user's key, or by the service's
//! `getvoipsign`), join; and later exit.
//!
//! Every exchange is measured (see [`super::measure`]): the first of a job
//! from the job's intended time, each later one from the answer before it
//! (its intended time is "as soon as the previous step answered"). The
//! client's faults are committed as the simulator commits them
//! ([`ClientJoin`]), and a refusal is classified by the WeChat code in the
//! answer, as the simulator's rules would have refused it.
//!
//! Nothing here prints or stores a session key or app secret: keys travel
//! inside [`SessionKey`], whose `Debug` is redacted, and the login URL that
//! carries the app secret is never put in a message.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};

use super::connection::{Answer, Call, Connection, Failure, Timing};
use super::http1::FixedRequest;
use super::measure::{Outcome, Recorder};
use super::plan::{ExitWork, JoinWork, Reply, SignWork, Step, Work};
use super::target::Target;
use super::template::{SignTemplate, SignVars};
use crate::report::counters::Counters;
use crate::rules::RejectReason;
use crate::rules::{
    ERR_ALREADY_IN_ROOM, INNER_DAILY_QUOTA, INNER_INVALID_REQUEST, INNER_INVALID_SIGNATURE,
    INNER_REPLAYED_NONCE, INNER_ROOM_FULL, INNER_STALE_TIMESTAMP,
};
use crate::secrets::AppSecret;
use crate::signature::{JoinFields, SessionKey, Signature, Signer};
use crate::workload::{ClientJoin, Happened};

/// Who signs joins in room mode (the scenario app's `signer`, or
/// `--signing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignVia {
    /// The backend signs with the session key the login returned.
    Local,
    /// The service's `POST /wxa/getvoipsign` signs.
    Service,
}

/// Everything a worker needs, shared.
pub struct Context {
    pub target: Arc<Target>,
    pub recorder: Arc<Mutex<Recorder>>,
    pub template: Option<SignTemplate>,
    /// Per scenario app: who signs its joins.
    pub sign_via: Vec<SignVia>,
    /// Per scenario app: its AppSecret (room mode logs in with it).
    pub secrets: Vec<Option<AppSecret>>,
    /// Per scenario app: its access token for `getvoipsign`.
    pub tokens: Vec<Option<String>>,
    /// Where room flows report back to the plan.
    pub replies: Option<std::sync::mpsc::Sender<Reply>>,
    /// `--mode http`'s request, serialised once.
    pub get: FixedRequest,
}

/// Locks the recorder; a worker that panicked while holding it cannot
/// happen (recording does not panic), but a poisoned lock is still used.
fn lock(recorder: &Mutex<Recorder>) -> std::sync::MutexGuard<'_, Recorder> {
    recorder.lock().unwrap_or_else(|p| p.into_inner())
}

impl Context {
    /// Does `work`, intended for `intended`, over `conn`.
    pub async fn run(&self, conn: &mut Connection, intended: Instant, work: Work) {
        match work {
            Work::Get => {
                let (result, timing) = conn.exchange_fixed(&self.get).await;
                self.record(result, timing, intended, |_| Outcome::Ok);
            }
            Work::Sign(sign) => self.sign(conn, intended, sign).await,
            Work::Join(join) => self.join(conn, intended, join).await,
            Work::Exit(exit) => self.exit(conn, intended, exit).await,
        }
    }

    /// One measured exchange; `judge` classifies a 2xx answer. Returns the
    /// answer (any status) and when it ended.
    async fn exchange(
        &self,
        conn: &mut Connection,
        call: &Call,
        intended: Instant,
        judge: impl FnOnce(&Answer) -> Outcome,
    ) -> (Option<Answer>, Instant) {
        let (result, timing) = conn.exchange(call).await;
        let done = timing.done;
        (self.record(result, timing, intended, judge), done)
    }

    /// Records one exchange's outcome; `judge` classifies a 2xx answer.
    fn record(
        &self,
        result: Result<Answer, Failure>,
        timing: Timing,
        intended: Instant,
        judge: impl FnOnce(&Answer) -> Outcome,
    ) -> Option<Answer> {
        let outcome = match &result {
            Ok(answer) if (200..300).contains(&answer.status) => judge(answer),
            Ok(answer) => Outcome::Status(answer.status),
            Err(Failure::Connect) => Outcome::Connect,
            Err(Failure::Timeout) => Outcome::Timeout,
            Err(Failure::Malformed) => Outcome::Malformed,
        };
        {
            let mut r = lock(&self.recorder);
            r.sent(intended, timing.sent);
            r.done(intended, timing.sent, timing.done, outcome);
            if let Ok(answer) = &result
                && !(200..300).contains(&answer.status)
                && let Some(code) = json_body(answer).and_then(|v| v.get("errcode")?.as_i64())
            {
                r.code(code.to_string());
            }
        }
        result.ok()
    }

    async fn sign(&self, conn: &mut Connection, intended: Instant, work: SignWork) {
        let Some(template) = &self.template else {
            return;
        };
        let nonce = std::str::from_utf8(&work.nonce).unwrap_or("0");
        let timestamp = unix_seconds();
        let vars = SignVars {
            app_id: &work.app_id,
            group_id: &work.group_id,
            nonce,
            timestamp,
            openid: &work.openid,
        };
        let call = template.call(&self.target.base_path, &vars);
        let expected = work.key.as_deref().map(|key| {
            Signer::new(key).sign(&JoinFields {
                app_id: &work.app_id,
                group_id: &work.group_id,
                nonce,
                timestamp,
            })
        });
        let pointer = template.signature.as_str();
        let (_, done) = self
            .exchange(conn, &call, intended, |answer| {
                let Some(text) = json_body(answer).and_then(|v| {
                    v.pointer(pointer)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                }) else {
                    return Outcome::Malformed;
                };
                let Ok(got) = text.parse::<Signature>() else {
                    return Outcome::Malformed;
                };
                match expected {
                    Some(expected) if !expected.ct_matches(&got) => Outcome::WrongSignature,
                    _ => Outcome::Ok,
                }
            })
            .await;
        {
            let mut r = lock(&self.recorder);
            r.count(done, work.app, |c| c.signatures += 1);
            r.count_workload(work.workload, |c| c.signatures += 1);
            r.signature(done);
        }
        // In a scenario, a signature ends the join attempt: the member
        // stays as if joined (the room is not this backend's business).
        if let (Some(step), Some(replies)) = (work.member, &self.replies) {
            let _ = replies.send(Reply {
                step,
                happened: Happened::Joined,
                login: None,
            });
        }
    }

    /// A member's join: log in if it must, sign, join.
    async fn join(&self, conn: &mut Connection, intended: Instant, work: JoinWork) {
        let happened = self.join_flow(conn, intended, &work).await;
        let (happened, login) = match happened {
            Ok((h, login)) => (h, login),
            Err(login) => (Happened::Refused, login),
        };
        if let Some(replies) = &self.replies {
            let _ = replies.send(Reply {
                step: work.step,
                happened,
                login: login.or(work.login),
            });
        }
    }

    /// The join flow; `Err` when a request failed (the member gives up,
    /// as a client whose join errored would).
    #[allow(clippy::type_complexity)]
    async fn join_flow(
        &self,
        conn: &mut Connection,
        intended: Instant,
        work: &JoinWork,
    ) -> Result<(Happened, Option<(Arc<str>, Arc<SessionKey>)>), Option<(Arc<str>, Arc<SessionKey>)>>
    {
        let now_s = unix_seconds();
        let client = ClientJoin::new(work.fault, now_s, work.tolerance_s);
        let mut next_intended = intended;
        let mut fresh = None;
        // The key the backend signs with: the one it holds. A re-login
        // first replaces the service's key, and the backend signs this
        // once with the old one (the stale-session-key fault). A client
        // release's re-login gives the backend the new key, unless the
        // release says its cache is stale.
        let relogin = client.relogin_first || work.release.relogin;
        let stale_signing = client.relogin_first || work.release.stale;
        let mut held = work.login.clone();
        if held.is_none() {
            // A user's first login (its `wx.login` before it ever joins,
            // as the simulator's users log in when created).
            let (login, done) = self.login(conn, next_intended, work).await;
            next_intended = done;
            held = Some(login.ok_or(None)?);
        }
        if relogin {
            let (login, done) = self.login(conn, next_intended, work).await;
            next_intended = done;
            fresh = Some(login.ok_or_else(|| held.clone())?);
        }
        let (openid, signing_key) = match (&held, &fresh) {
            (Some(held), Some(fresh)) if stale_signing => {
                (Arc::clone(&fresh.0), Arc::clone(&held.1))
            }
            (_, Some(fresh)) => (Arc::clone(&fresh.0), Arc::clone(&fresh.1)),
            (Some(held), None) => (Arc::clone(&held.0), Arc::clone(&held.1)),
            (None, None) => return Err(None),
        };
        let known = fresh.clone().or(held.clone());
        let nonce = std::str::from_utf8(&work.nonce).unwrap_or("0");
        let fields = JoinFields {
            app_id: &work.app_id,
            group_id: &work.group_id,
            nonce,
            timestamp: client.signed_timestamp,
        };
        let sign_via = self
            .sign_via
            .get(work.app)
            .copied()
            .unwrap_or(SignVia::Local);
        // Only a backend signing with its own copy of the key can hold a
        // stale one; the service's `getvoipsign` signs with the current.
        let release_stale = work.release.stale && fresh.is_some() && sign_via == SignVia::Local;
        let signature = match sign_via {
            SignVia::Local => Signer::new(&signing_key).sign(&fields),
            SignVia::Service => {
                let token = self
                    .tokens
                    .get(work.app)
                    .cloned()
                    .flatten()
                    .unwrap_or_default();
                let call = Call::post_json(
                    self.target
                        .path(&format!("/wxa/getvoipsign?access_token={token}")),
                    json!({"openid": &*openid, "group_id": &work.group_id,
                           "timestamp": client.signed_timestamp, "nonce": nonce})
                    .to_string()
                    .into_bytes(),
                );
                let mut signed = None;
                let (_, done) = self
                    .exchange(conn, &call, next_intended, |answer| {
                        signed = json_body(answer)
                            .and_then(|v| v.get("signature")?.as_str()?.parse::<Signature>().ok());
                        if signed.is_some() {
                            Outcome::Ok
                        } else {
                            Outcome::Malformed
                        }
                    })
                    .await;
                next_intended = done;
                match signed {
                    Some(s) => s,
                    None => return Err(known),
                }
            }
        };
        let mut hex = signature.to_hex();
        if client.corrupt_signature {
            // One character changed: still 64 hex digits, wrong.
            hex[0] = if hex[0] == b'0' { b'1' } else { b'0' };
        }
        let hex = String::from_utf8_lossy(&hex).into_owned();
        let call = Call::post_json(
            self.target.path("/voip/join"),
            json!({"appId": &*work.app_id, "openid": &*openid, "groupId": &work.group_id,
                   "nonceStr": nonce, "timeStamp": client.sent_timestamp,
                   "signature": hex, "roomType": "voice"})
            .to_string()
            .into_bytes(),
        );
        let mut verdict = None;
        let (_, done) = self
            .exchange(conn, &call, next_intended, |answer| {
                verdict = json_body(answer).and_then(|v| JoinVerdict::read(&v));
                if verdict.is_some() {
                    Outcome::Ok
                } else {
                    Outcome::Malformed
                }
            })
            .await;
        let Some(verdict) = verdict else {
            return Err(known);
        };
        let mut r = lock(&self.recorder);
        let attempted = |c: &mut Counters| {
            c.joins_attempted += 1;
            c.signatures += 1;
            if let Some(fault) = work.fault {
                c.fault(fault);
            }
            if work.release.relogin {
                c.release_relogins += 1;
                c.release_stale_joins += u64::from(release_stale);
            }
        };
        r.count(done, work.app, attempted);
        r.count_workload(work.workload, attempted);
        r.signature(done);
        let happened = match verdict {
            JoinVerdict::Accepted { created } => {
                let accepted = |c: &mut Counters| {
                    c.joins_accepted += 1;
                    if created {
                        c.rooms_created += 1;
                    }
                };
                r.count(done, work.app, accepted);
                r.count_workload(work.workload, accepted);
                r.members(1);
                Happened::Joined
            }
            JoinVerdict::Refused { reason, code } => {
                r.code(code);
                if let Some(reason) = reason {
                    let stale_refused = release_stale && reason == RejectReason::InvalidSignature;
                    let refused = |c: &mut Counters| {
                        c.reject(reason);
                        c.release_stale_refused += u64::from(stale_refused);
                    };
                    r.count(done, work.app, refused);
                    r.count_workload(work.workload, refused);
                }
                Happened::Refused
            }
        };
        Ok((happened, known))
    }

    /// `GET /sns/jscode2session`: the user's openid and a new session key.
    async fn login(
        &self,
        conn: &mut Connection,
        intended: Instant,
        work: &JoinWork,
    ) -> (Option<(Arc<str>, Arc<SessionKey>)>, Instant) {
        let secret = self
            .secrets
            .get(work.app)
            .and_then(|s| s.as_ref())
            .map(|s| String::from_utf8_lossy(s.expose_bytes()).into_owned())
            .unwrap_or_default();
        let call = Call::get(self.target.path(&format!(
            "/sns/jscode2session?appid={}&secret={}&js_code={}&grant_type=authorization_code",
            query_escape(&work.app_id),
            query_escape(&secret),
            query_escape(&work.js_code)
        )));
        let mut login = None;
        let (_, done) = self
            .exchange(conn, &call, intended, |answer| {
                login = json_body(answer).and_then(|v| {
                    let openid: Arc<str> = v.get("openid")?.as_str()?.into();
                    let key = SessionKey::new(v.get("session_key")?.as_str()?).ok()?;
                    Some((openid, Arc::new(key)))
                });
                if login.is_some() {
                    Outcome::Ok
                } else {
                    Outcome::Malformed
                }
            })
            .await;
        (login, done)
    }

    async fn exit(&self, conn: &mut Connection, intended: Instant, work: ExitWork) {
        let call = Call::post_json(
            self.target.path("/voip/exit"),
            json!({"appId": &*work.app_id, "openid": &*work.openid})
                .to_string()
                .into_bytes(),
        );
        let (_, done) = self
            .exchange(conn, &call, intended, |answer| {
                match json_body(answer).and_then(|v| v.get("errCode")?.as_i64()) {
                    Some(_) => Outcome::Ok,
                    None => Outcome::Malformed,
                }
            })
            .await;
        {
            let mut r = lock(&self.recorder);
            r.count(done, work.app, |c| c.leaves += 1);
            r.members(-1);
        }
        if let Some(replies) = &self.replies {
            let _ = replies.send(Reply {
                step: Step { ..work.step },
                happened: if work.drop {
                    Happened::Dropped
                } else {
                    Happened::Left
                },
                login: None,
            });
        }
    }
}

/// How the room service answered a join.
#[derive(Debug, Clone, PartialEq, Eq)]
enum JoinVerdict {
    /// `created`: the caller is the only member (it made the room).
    Accepted { created: bool },
    /// `code`: `errCode` or `errCode/inner`.
    Refused {
        reason: Option<RejectReason>,
        code: String,
    },
}

impl JoinVerdict {
    /// Reads `{"errCode", "errMsg", "openIdList"}`; `None` when it is not
    /// that shape.
    fn read(v: &Value) -> Option<JoinVerdict> {
        let err_code = v.get("errCode")?.as_i64()?;
        if err_code == 0 {
            let members = v.get("openIdList")?.as_array()?.len();
            return Some(JoinVerdict::Accepted {
                created: members == 1,
            });
        }
        let msg = v.get("errMsg").and_then(Value::as_str).unwrap_or("");
        // `joinVoIPChat:fail -12020 invalid signature`: the inner code.
        let inner = msg
            .split_once("fail ")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|w| w.parse::<i32>().ok());
        let reason = if err_code == i64::from(ERR_ALREADY_IN_ROOM) {
            Some(RejectReason::AlreadyInRoom)
        } else {
            match inner {
                Some(INNER_INVALID_SIGNATURE) => Some(RejectReason::InvalidSignature),
                Some(INNER_DAILY_QUOTA) => Some(RejectReason::DailyQuota),
                Some(INNER_INVALID_REQUEST) => Some(RejectReason::InvalidRequest),
                Some(INNER_STALE_TIMESTAMP) => Some(RejectReason::StaleTimestamp),
                Some(INNER_REPLAYED_NONCE) => Some(RejectReason::ReplayedNonce),
                Some(INNER_ROOM_FULL) => Some(RejectReason::RoomFull),
                _ => None,
            }
        };
        let code = match inner {
            Some(inner) => format!("{err_code}/{inner}"),
            None => err_code.to_string(),
        };
        Some(JoinVerdict::Refused { reason, code })
    }
}

fn json_body(answer: &Answer) -> Option<Value> {
    serde_json::from_slice(&answer.body).ok()
}

/// UNIX seconds now, as a join's timeStamp.
fn unix_seconds() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs().min(u64::from(u32::MAX)) as u32)
}

/// Percent-encodes a query value.
fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_read_by_their_wechat_codes() {
        let refused = |code: i64, msg: &str| {
            JoinVerdict::read(&json!({"errCode": code, "errMsg": msg, "openIdList": []}))
        };
        assert_eq!(
            refused(-1000, "joinVoIPChat:fail -12020 invalid signature"),
            Some(JoinVerdict::Refused {
                reason: Some(RejectReason::InvalidSignature),
                code: "-1000/-12020".into()
            })
        );
        assert_eq!(
            refused(-1, "joinVoIPChat:fail already in a room"),
            Some(JoinVerdict::Refused {
                reason: Some(RejectReason::AlreadyInRoom),
                code: "-1".into()
            })
        );
        assert_eq!(
            refused(-1000, "joinVoIPChat:fail -90004 room full (voipsim)"),
            Some(JoinVerdict::Refused {
                reason: Some(RejectReason::RoomFull),
                code: "-1000/-90004".into()
            })
        );
        let ok = json!({"errCode": 0, "errMsg": "joinVoIPChat:ok", "openIdList": ["a"]});
        assert_eq!(
            JoinVerdict::read(&ok),
            Some(JoinVerdict::Accepted { created: true })
        );
        assert_eq!(JoinVerdict::read(&json!({"ok": true})), None);
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("a b/c=="), "a%20b%2Fc%3D%3D");
    }
}
