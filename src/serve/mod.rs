//! `voipsim serve`: a local HTTP emulator of WeChat's room service (the
//! WeChat-shaped login, token and signing endpoints, and the room API a
//! `wx.joinVoIPChat` client meets), a thin driver over the core's keyed,
//! checked [`crate::rules::RoomService`] API. The contract is
//! `docs/api.md`; the routes are listed in `docs/openapi.yaml`, which a
//! test keeps equal to [`routes::ROUTES`].
//!
//! Files, one concern each:
//! * [`config`]: what to serve and the limits; [`clock`]: the service's
//!   clock (real or the QA test clock);
//! * [`server`]: the accept loop, connection bounds, saving, shutdown;
//!   [`emulator`]: the shared state and the dispatch of a request;
//! * [`routes`]: the route table and router; [`query`], [`body`]: reading
//!   URLs and bodies safely; [`error`], [`response`]: answers;
//! * [`wechat`], [`room_api`], [`ops`]: the handlers;
//! * [`apps`]: one room service per app behind its own lock;
//!   [`eviction`]: the users cap; [`identity`]: openids, keys, tokens'
//!   values; [`tokens`]: access tokens;
//! * [`stream`]: the member stream (SSE); [`metrics`]: `/metrics`;
//!   [`persist`]: `--state`.
//!
//! No rule of WeChat's is written here: capacity, quota, timestamp window,
//! nonce replay and signature all come from the core.

pub mod apps;
pub mod body;
pub mod clock;
pub mod config;
pub mod emulator;
pub mod error;
pub mod eviction;
pub mod identity;
pub mod metrics;
mod ops;
pub mod persist;
pub mod query;
pub mod response;
mod room_api;
pub mod routes;
pub mod server;
pub mod stream;
pub mod tokens;
mod wechat;

pub use config::{AppConfig, ClockConfig, Limits, ServeConfig, StateConfig};
pub use server::{ServeError, run, run_async};
