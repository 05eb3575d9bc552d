//! One client connection to the target: a hyper 1.x HTTP/1.1 connection
//! made on first use and made again after any failure, and one exchange
//! on it at a time (HTTP/1.1 has no multiplexing, so a connection is the
//! unit of concurrency: `--connections` of them make the pool).
//!
//! Every exchange is bounded by the request timeout, connect included, and
//! its answer's body by [`MAX_BODY`], so a target that never answers, or
//! answers forever, costs one timeout and never a hang. A connection that
//! failed or timed out is dropped (an HTTP/1.1 connection with an answer
//! still pending cannot carry the next request) and the next exchange
//! connects afresh.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::target::Target;

/// The largest answer body read: a signing or room answer is well under a
/// kilobyte; anything past this is counted as a malformed body.
pub const MAX_BODY: usize = 1 << 20;

/// What went wrong with one exchange, below HTTP semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be made, or broke before the answer.
    Connect,
    /// No whole answer within the timeout.
    Timeout,
    /// The bytes that came back were not an HTTP answer, or its body was
    /// too large.
    Malformed,
}

/// An answer: its status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// One exchange's times: when its request was written (actual send) and
/// when its answer was whole.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub sent: Instant,
    pub done: Instant,
}

/// A request to make: method, path (with query), optional JSON body.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
}

impl Call {
    pub fn get(path: String) -> Call {
        Call {
            method: Method::GET,
            path,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post_json(path: String, body: Vec<u8>) -> Call {
        Call {
            method: Method::POST,
            path,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(Bytes::from(body)),
        }
    }
}

/// One pooled connection.
pub struct Connection {
    target: std::sync::Arc<Target>,
    /// The `Host` header, made once.
    host: hyper::header::HeaderValue,
    timeout: Duration,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    pub fn new(target: std::sync::Arc<Target>, timeout: Duration) -> Self {
        let host = hyper::header::HeaderValue::from_str(&target.authority)
            .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("localhost"));
        Connection {
            target,
            host,
            timeout,
            sender: None,
        }
    }

    /// Makes `call` and reads its whole answer, within the timeout.
    pub async fn exchange(&mut self, call: &Call) -> (Result<Answer, Failure>, Timing) {
        let sent = Instant::now();
        let result = match tokio::time::timeout(self.timeout, self.try_exchange(call)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Timeout),
        };
        if result.is_err() {
            // Whatever state it is in, it cannot carry the next request.
            self.sender = None;
        }
        let done = Instant::now();
        (result, Timing { sent, done })
    }

    async fn try_exchange(&mut self, call: &Call) -> Result<Answer, Failure> {
        let host = self.host.clone();
        let sender = self.ready_sender().await?;
        let mut builder = Request::builder()
            .method(call.method.clone())
            .uri(call.path.as_str())
            .header(hyper::header::HOST, host);
        for (name, value) in &call.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder
            .body(Full::new(call.body.clone().unwrap_or_default()))
            .map_err(|_| Failure::Malformed)?;
        let response = sender.send_request(request).await.map_err(classify)?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| match e.downcast_ref::<hyper::Error>() {
                Some(e) => classify_ref(e),
                None => Failure::Malformed,
            })?
            .to_bytes();
        Ok(Answer { status, body })
    }

    /// The connection's sender, ready for a request; connects if needed.
    async fn ready_sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, Failure> {
        if let Some(sender) = &mut self.sender
            && sender.ready().await.is_err()
        {
            self.sender = None;
        }
        if self.sender.is_none() {
            let stream = TcpStream::connect(self.target.addr)
                .await
                .map_err(|_| Failure::Connect)?;
            let _ = stream.set_nodelay(true);
            let (sender, connection) = http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|_| Failure::Connect)?;
            // The connection's I/O runs as its own task; it ends when the
            // sender is dropped or the peer closes.
            tokio::spawn(async move {
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        // Just made or just checked ready.
        self.sender.as_mut().ok_or(Failure::Connect)
    }
}

fn classify(e: hyper::Error) -> Failure {
    classify_ref(&e)
}

/// A parse error is the target answering something that is not HTTP;
/// everything else is the connection failing.
fn classify_ref(e: &hyper::Error) -> Failure {
    if e.is_parse() || e.is_parse_status() {
        Failure::Malformed
    } else {
        Failure::Connect
    }
}
