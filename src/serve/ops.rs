//! Operations endpoints: `GET /healthz` (the server answers) and
//! `GET /metrics` (Prometheus text, see `metrics.rs`).

use hyper::Response;

use super::emulator::Emulator;
use super::metrics::{self, AppSample};
use super::response::{self, ResBody};

impl Emulator {
    /// `GET /healthz`.
    pub(super) fn healthz(&self) -> Response<ResBody> {
        response::json(
            hyper::StatusCode::OK,
            bytes::Bytes::from_static(b"{\"status\":\"ok\"}"),
        )
    }

    /// `GET /metrics`: each app's lock is taken briefly for its gauges.
    pub(super) fn metrics_text(&self) -> Response<ResBody> {
        let now = self.clock.now();
        let samples: Vec<AppSample<'_>> = self
            .apps()
            .iter()
            .map(|app| AppSample {
                app_id: &app.app_id,
                counters: &app.counters,
                activity: app.activity(now),
            })
            .collect();
        response::text(
            "text/plain; version=0.0.4; charset=utf-8",
            metrics::render(&self.metrics, &samples),
        )
    }
}
