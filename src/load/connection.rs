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
//!
//! The connection's I/O (hyper's dispatcher) is driven inside the
//! exchange's own task, polled beside the request, not spawned as a task
//! of its own: a spawned dispatcher costs two task wake-ups per request
//! (worker to dispatcher with the request, dispatcher to worker with the
//! answer), and at the highest rates those wake-ups were a large share of
//! the sender's CPU, which on a shared machine is taken from the target.
//! Between exchanges nothing polls it, which an idle HTTP/1.1 connection
//! does not need: a close by the peer is seen by the next exchange.
//!
//! A request whose bytes never change (`--mode http`'s GET,
//! [`FixedRequest`]) goes through the lean [`super::http1`] path instead,
//! with the same timeout, body limit and failure classes (its module docs
//! say why).

use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::http1::{FixedRequest, Http1};
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

/// hyper's side of one HTTP/1.1 connection: the future that does its I/O.
type Driver = Pin<Box<http1::Connection<TokioIo<TcpStream>, Full<Bytes>>>>;

/// One pooled connection.
pub struct Connection {
    target: std::sync::Arc<Target>,
    /// The `Host` header, made once.
    host: hyper::header::HeaderValue,
    timeout: Duration,
    /// The request side and the I/O side of the open connection, if any.
    open: Option<(SendRequest<Full<Bytes>>, Driver)>,
    /// The open connection of fixed requests, if any.
    lean: Option<Http1>,
}

impl Connection {
    pub fn new(target: std::sync::Arc<Target>, timeout: Duration) -> Self {
        let host = hyper::header::HeaderValue::from_str(&target.authority)
            .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("localhost"));
        Connection {
            target,
            host,
            timeout,
            open: None,
            lean: None,
        }
    }

    /// Writes `request`'s fixed bytes and reads its whole answer, within
    /// the timeout, on the lean path ([`super::http1`]).
    pub async fn exchange_fixed(
        &mut self,
        request: &FixedRequest,
    ) -> (Result<Answer, Failure>, Timing) {
        let sent = Instant::now();
        let result = match tokio::time::timeout(self.timeout, self.try_fixed(request)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Timeout),
        };
        let done = Instant::now();
        (result, Timing { sent, done })
    }

    async fn try_fixed(&mut self, request: &FixedRequest) -> Result<Answer, Failure> {
        let mut conn = match self.lean.take() {
            Some(conn) => conn,
            None => Http1::new(self.connect_stream().await?),
        };
        let (answer, keep) = conn.exchange(request.bytes()).await?;
        // Kept only after a whole answer that leaves it reusable: a failed
        // or timed-out exchange drops it, as the hyper path does.
        if keep {
            self.lean = Some(conn);
        }
        Ok(answer)
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
            self.open = None;
        }
        let done = Instant::now();
        (result, Timing { sent, done })
    }

    async fn try_exchange(&mut self, call: &Call) -> Result<Answer, Failure> {
        if self.open.is_none() {
            self.open = Some(self.connect().await?);
        }
        let (sender, driver) = self.open.as_mut().ok_or(Failure::Connect)?;
        let request = request(&self.host, call)?;
        let exchange = async {
            sender.ready().await.map_err(|_| Failure::Connect)?;
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
        };
        let answer = {
            tokio::pin!(exchange);
            // The exchange first: it is what the caller waits for. The
            // driver ends only when the connection does (closed by the
            // peer, or broken); the exchange then ends too, with the answer
            // it had or an error, as the dispatcher drops its side.
            tokio::select! {
                biased;
                answer = &mut exchange => return answer,
                _ = driver.as_mut() => {}
            }
            exchange.await
        };
        // Closed: the next exchange connects afresh.
        self.open = None;
        answer
    }

    /// A new connection to the target.
    async fn connect(&self) -> Result<(SendRequest<Full<Bytes>>, Driver), Failure> {
        let stream = self.connect_stream().await?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| Failure::Connect)?;
        Ok((sender, Box::pin(driver)))
    }

    async fn connect_stream(&self) -> Result<TcpStream, Failure> {
        let stream = TcpStream::connect(self.target.addr)
            .await
            .map_err(|_| Failure::Connect)?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

/// The hyper request for `call`.
fn request(
    host: &hyper::header::HeaderValue,
    call: &Call,
) -> Result<Request<Full<Bytes>>, Failure> {
    let mut builder = Request::builder()
        .method(call.method.clone())
        .uri(call.path.as_str())
        .header(hyper::header::HOST, host.clone());
    for (name, value) in &call.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(call.body.clone().unwrap_or_default()))
        .map_err(|_| Failure::Malformed)
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
