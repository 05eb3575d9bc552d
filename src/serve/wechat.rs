//! The WeChat-shaped endpoints a backend calls: `code2Session`
//! (`/sns/jscode2session`), the access token (`/cgi-bin/token`) and the
//! cloud signing call (`/wxa/getvoipsign`). Paths, parameters and answers
//! are WeChat's, so a backend can point its WeChat base URL here.
//!
//! Secrets are compared in constant time and never echoed; the session
//! key is the only secret an answer carries (as WeChat's does).

use std::sync::atomic::Ordering::Relaxed;

use hyper::body::Incoming;
use hyper::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use super::apps::{LoginError, ServedApp};
use super::body::{self, Field, Kind, Seconds, Text};
use super::emulator::Emulator;
use super::error::{
    ApiError, ERR_EMULATOR, ERR_INVALID_CODE, ERR_INVALID_GRANT, ERR_INVALID_SECRET,
    ERR_INVALID_TOKEN, ERR_TOKEN_EXPIRED, echo,
};
use super::identity::{js_code_problem, new_session_key, openid_for};
use super::query::Query;
use super::response::{self, ResBody};
use super::tokens::{TOKEN_TTL_S, TokenProblem};
use crate::rules::KeyedError;
use crate::signature::JoinFields;

/// WeChat: invalid openid.
pub const ERR_INVALID_OPENID: i32 = 40003;

type Answer = Result<Response<ResBody>, ApiError>;

fn internal(what: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ERR_EMULATOR,
        what.to_string(),
    )
}

impl Emulator {
    /// The app named by `appid` whose `secret` matches.
    fn authenticated_app(&self, query: &Query<'_>) -> Result<(usize, &ServedApp), ApiError> {
        let app_id = query.require("appid", "wx20afc706a711eefc")?;
        let (index, app) = self.app(app_id)?;
        let secret = query.require("secret", "YOUR_APP_SECRET")?;
        if !bool::from(app.secret.expose_bytes().ct_eq(secret.as_bytes())) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ERR_INVALID_SECRET,
                format!(
                    "invalid appsecret for appid {}: pass the secret the emulator's app secrets file gives this app",
                    echo(app_id)
                ),
            ));
        }
        Ok((index, app))
    }

    /// `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`.
    pub(super) fn jscode2session(&self, query: Option<&str>) -> Answer {
        let query = Query::parse(query)?;
        let (_, app) = self.authenticated_app(&query)?;
        check_grant(&query, "authorization_code")?;
        let js_code = query.require("js_code", "081xYzAbc")?;
        if let Some(problem) = js_code_problem(js_code) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ERR_INVALID_CODE,
                problem,
            ));
        }
        let openid = openid_for(&app.app_id, js_code);
        let key = new_session_key().map_err(internal)?;
        let logged_in =
            app.rooms()
                .login(&app.app_id, &openid, &key, self.limits.max_users_per_app);
        match logged_in {
            Ok(done) => {
                app.counters.logins.fetch_add(1, Relaxed);
                app.counters
                    .evicted
                    .fetch_add(u64::from(done.evicted), Relaxed);
            }
            Err(LoginError::Full(full)) => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ERR_EMULATOR,
                    format!(
                        "the app has {} users, all in rooms, so none can be evicted for a new one: raise --max-users-per-app or have users exit",
                        full.max_users
                    ),
                ));
            }
            Err(LoginError::Keyed(e)) => return Err(ApiError::malformed(e.to_string())),
        }
        #[derive(Serialize)]
        struct Answer<'a> {
            openid: &'a str,
            session_key: &'a str,
        }
        let session_key = std::str::from_utf8(key.expose_bytes()).unwrap_or_default();
        Ok(response::ok_json(&Answer {
            openid: &openid,
            session_key,
        }))
    }

    /// `GET /cgi-bin/token?grant_type=client_credential&appid&secret`.
    pub(super) fn token(&self, query: Option<&str>) -> Answer {
        let query = Query::parse(query)?;
        let (index, _) = self.authenticated_app(&query)?;
        check_grant(&query, "client_credential")?;
        let token = self
            .tokens
            .issue(index, self.clock.now())
            .map_err(internal)?;
        self.tokens_issued.fetch_add(1, Relaxed);
        #[derive(Serialize)]
        struct Answer<'a> {
            access_token: &'a str,
            expires_in: u32,
        }
        Ok(response::ok_json(&Answer {
            access_token: &token,
            expires_in: TOKEN_TTL_S,
        }))
    }

    /// `POST /wxa/getvoipsign?access_token=…` with
    /// `{openid, group_id, timestamp, nonce}`.
    pub(super) async fn getvoipsign(
        &self,
        query: Option<&str>,
        headers: &HeaderMap,
        body: Incoming,
    ) -> Answer {
        let app_index = {
            let query = Query::parse(query)?;
            let token = query.require("access_token", "ACCESS_TOKEN")?;
            self.tokens
                .check(token, self.clock.now())
                .map_err(token_error)?
        };
        let bytes = self.read_body(headers, body).await?;
        let sign: SignBody<'_> = body::parse(&bytes, &SIGN_FIELDS)?;
        let openid = body::required(sign.openid, &SIGN_FIELDS[0])?;
        let group_id = body::required(sign.group_id, &SIGN_FIELDS[1])?;
        let timestamp = body::required(sign.timestamp, &SIGN_FIELDS[2])?;
        let nonce = body::required(sign.nonce, &SIGN_FIELDS[3])?;
        let app = &self.apps()[app_index];
        let timestamp = timestamp
            .value()
            .map_err(|e| ApiError::malformed(e.to_string()))?;
        let fields = JoinFields {
            app_id: &app.app_id,
            group_id: &group_id,
            nonce: &nonce,
            timestamp,
        };
        fields
            .check()
            .map_err(|e| ApiError::malformed(e.to_string()))?;
        let unknown = || {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ERR_INVALID_OPENID,
                format!(
                    "invalid openid {}: it has no session in appid {} (never logged in, or evicted); log it in with /sns/jscode2session",
                    echo(&openid),
                    echo(&app.app_id)
                ),
            )
        };
        // The verifier is taken under the lock; the HMAC runs outside it.
        let check = app
            .rooms()
            .service
            .keyed_signature_check(&app.app_id, &openid)
            .map_err(|e| match e {
                KeyedError::UnknownUser { .. } => unknown(),
                other => ApiError::malformed(other.to_string()),
            })?;
        let signature = check.sign(&fields).ok_or_else(unknown)?;
        #[derive(Serialize)]
        struct Answer<'a> {
            errcode: i32,
            errmsg: &'a str,
            signature: &'a str,
        }
        let hex = signature.to_hex();
        Ok(response::ok_json(&Answer {
            errcode: 0,
            errmsg: "ok",
            signature: std::str::from_utf8(&hex).unwrap_or_default(),
        }))
    }
}

const SIGN_FIELDS: [Field; 4] = [
    ("openid", Kind::String, "oUser"),
    ("group_id", Kind::String, "1559129713_672975982"),
    ("timestamp", Kind::Seconds, "1559129714"),
    ("nonce", Kind::String, "8AP6DT9ybtniUJfb"),
];

#[derive(Deserialize)]
struct SignBody<'a> {
    #[serde(borrow)]
    openid: Option<Text<'a>>,
    #[serde(borrow)]
    group_id: Option<Text<'a>>,
    #[serde(borrow)]
    timestamp: Option<Seconds<'a>>,
    #[serde(borrow)]
    nonce: Option<Text<'a>>,
}

fn check_grant(query: &Query<'_>, expected: &str) -> Result<(), ApiError> {
    match query.get("grant_type") {
        Some(g) if g == expected => Ok(()),
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ERR_INVALID_GRANT,
            format!(
                "invalid grant_type {}: this endpoint takes grant_type={expected}",
                other.map_or_else(|| "(missing)".to_string(), echo)
            ),
        )),
    }
}

fn token_error(problem: TokenProblem) -> ApiError {
    match problem {
        TokenProblem::Unknown => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ERR_INVALID_TOKEN,
            "invalid access_token: get one from /cgi-bin/token (tokens do not survive a restart without --state)",
        ),
        TokenProblem::Expired => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ERR_TOKEN_EXPIRED,
            format!(
                "access_token expired ({TOKEN_TTL_S} s of the service's clock): get a new one from /cgi-bin/token"
            ),
        ),
    }
}
