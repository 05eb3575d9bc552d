//! [`Emulator`]: the served apps, the tokens, the clock, the limits and the
//! metrics, and [`Emulator::handle`], which routes one request to its
//! handler (`wechat.rs`, `room_api.rs`, `ops.rs`) and adds what every
//! response carries.
//!
//! It is shared by every connection (`Arc`); what changes lives behind
//! per-app locks and atomics, so requests to different apps never wait
//! for each other.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::sync::watch;

use super::apps::ServedApp;
use super::clock::{ServiceClock, TEST_CLOCK_HEADER};
use super::config::Limits;
use super::error::ApiError;
use super::metrics::ServerMetrics;
use super::response::{self, ResBody};
use super::routes::{Endpoint, match_route};
use super::tokens::TokenStore;

/// The emulator's shared state.
pub struct Emulator {
    apps: Vec<ServedApp>,
    /// appId → index in `apps`; SipHash with a random key (appIds arrive
    /// from the network).
    by_app_id: HashMap<Box<str>, usize>,
    pub tokens: TokenStore,
    /// Tokens issued since start, so the saver knows when to save them.
    pub tokens_issued: AtomicU64,
    pub clock: ServiceClock,
    pub metrics: ServerMetrics,
    pub limits: Limits,
    /// Turns true when the server shuts down (member streams end).
    pub stop: watch::Receiver<bool>,
}

impl Emulator {
    /// A request's whole body, within the server's size limit and read
    /// timeout (every POST handler's first step).
    pub(super) async fn read_body(
        &self,
        headers: &hyper::HeaderMap,
        body: Incoming,
    ) -> Result<bytes::Bytes, ApiError> {
        super::body::read(
            headers,
            body,
            self.limits.max_body_bytes,
            self.limits.read_timeout,
        )
        .await
    }

    pub fn new(
        apps: Vec<ServedApp>,
        clock: ServiceClock,
        limits: Limits,
        stop: watch::Receiver<bool>,
    ) -> Self {
        let by_app_id = apps
            .iter()
            .enumerate()
            .map(|(i, a)| (a.app_id.clone(), i))
            .collect();
        Emulator {
            apps,
            by_app_id,
            tokens: TokenStore::default(),
            tokens_issued: AtomicU64::new(0),
            clock,
            metrics: ServerMetrics::default(),
            limits,
            stop,
        }
    }

    /// The served apps, in `--config` order.
    pub fn apps(&self) -> &[ServedApp] {
        &self.apps
    }

    /// App number `index`'s appId ("" if none).
    pub fn app_id(&self, index: usize) -> &str {
        self.apps.get(index).map_or("", |a| &a.app_id)
    }

    /// The index of app `app_id`.
    pub fn app_index(&self, app_id: &str) -> Option<usize> {
        self.by_app_id.get(app_id).copied()
    }

    /// App `app_id`, or 404 / 40013.
    pub fn app(&self, app_id: &str) -> Result<(usize, &ServedApp), ApiError> {
        self.app_index(app_id)
            .and_then(|i| self.apps.get(i).map(|a| (i, a)))
            .ok_or_else(|| ApiError::unknown_app(app_id))
    }

    /// Answers one request. Never fails: every problem is an answer.
    pub async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<ResBody> {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let path = parts.uri.path();
        let query = parts.uri.query();
        let (endpoint, answer) = match match_route(&parts.method, path) {
            Err(err) => (None, Err(err)),
            Ok(m) => {
                let [first, second] = &m.params;
                let answer = match m.endpoint {
                    Endpoint::JsCode2Session => self.jscode2session(query),
                    Endpoint::Token => self.token(query),
                    Endpoint::GetVoipSign => self.getvoipsign(query, &parts.headers, body).await,
                    Endpoint::Join => self.join(&parts.headers, body).await,
                    Endpoint::Exit => self.exit(&parts.headers, body).await,
                    Endpoint::Room => self.room(first, second),
                    Endpoint::RoomEvents => self.room_events(first, second),
                    Endpoint::Quota => self.quota(first),
                    Endpoint::Healthz => Ok(self.healthz()),
                    Endpoint::Metrics => Ok(self.metrics_text()),
                };
                (Some(m.endpoint), answer)
            }
        };
        let mut response = answer.unwrap_or_else(|err| response::error(&err));
        if let Some(value) = self.clock.header() {
            response.headers_mut().insert(TEST_CLOCK_HEADER, value);
        }
        if let Some(endpoint) = endpoint {
            self.metrics.request(endpoint, started.elapsed());
        }
        response
    }
}
