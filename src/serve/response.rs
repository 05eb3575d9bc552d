//! Building responses: JSON bodies, errors, the member stream, and the
//! headers every response carries.
//!
//! One body type for every response ([`ResBody`]): a whole JSON or text
//! body, or a member stream, so the server's service has one signature.

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use super::error::ApiError;
use super::stream::SseBody;

/// The body of any response.
pub type ResBody = Either<Full<Bytes>, SseBody>;

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A JSON answer.
pub fn json(status: StatusCode, body: Bytes) -> Response<ResBody> {
    let mut response = Response::new(Either::Left(Full::new(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, JSON);
    response
}

/// A serializable value as a 200 JSON answer.
pub fn ok_json<T: serde::Serialize>(value: &T) -> Response<ResBody> {
    json(
        StatusCode::OK,
        Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
    )
}

/// A malformed request's answer.
pub fn error(err: &ApiError) -> Response<ResBody> {
    let mut response = json(err.status, err.body());
    if let Some(allow) = err.allow {
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// A text answer (`/metrics`).
pub fn text(content_type: &'static str, body: String) -> Response<ResBody> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(body))));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A member stream.
pub fn event_stream(body: SseBody) -> Response<ResBody> {
    let mut response = Response::new(Either::Right(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
