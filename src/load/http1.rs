//! A lean HTTP/1.1 client exchange for requests whose bytes never change
//! (`--mode http`'s GET): the request is serialised once, written as is,
//! and the answer is read into one reused buffer and parsed with
//! `httparse` (the parser hyper itself uses).
//!
//! Why not hyper here: profiling the quick look at its highest rates (perf,
//! `docs/load.md`) showed the client's user-space CPU spent mostly in
//! hyper's client machinery around the parse, not in the parse: building a
//! `Request` and its `HeaderMap`, the dispatcher's request and answer
//! channels and their wakers, the body channel, and an allocation or copy
//! at each of those steps. On a shared machine that CPU is taken from the
//! target, so it capped what a run could sustain below what wrk (a C
//! client with pre-built request bytes) reaches against the same server.
//! Every other request (signing, room flows, replays) still goes through
//! hyper ([`super::connection`]).
//!
//! What an answer must be is what hyper would accept, and failures are
//! classified the same way ([`Failure`]): a head or chunk that does not
//! parse, or a body past [`MAX_BODY`], is `Malformed`; a connection that
//! breaks or closes before the answer is whole is `Connect`. Bodies are
//! framed as RFC 9112 §6.3 says: none for 1xx/204/304, chunked when the
//! last transfer coding is `chunked`, else `Content-Length` (conflicting
//! values are malformed), else until the peer closes. Interim 1xx answers
//! are skipped. A `Connection: close` answer, an HTTP/1.0 answer without
//! keep-alive, a close-delimited body, or bytes left over after the answer
//! (an answer nobody asked for) end the connection after this exchange.

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::connection::{Answer, Failure, MAX_BODY};

/// The most headers an answer may carry.
const MAX_HEADERS: usize = 64;
/// The longest answer head (status line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// How much the buffer grows by per read.
const READ_CHUNK: usize = 8 * 1024;

/// A request's bytes, made once.
#[derive(Debug, Clone)]
pub struct FixedRequest {
    wire: Bytes,
}

impl FixedRequest {
    /// `GET path` to `host`, with no body.
    pub fn get(host: &str, path: &str) -> Self {
        let wire = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\n\r\n");
        FixedRequest {
            wire: Bytes::from(wire.into_bytes()),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.wire
    }
}

/// One open connection and its read buffer.
pub struct Http1 {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` read and not yet consumed.
    filled: usize,
}

/// How the answer's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

impl Http1 {
    pub fn new(stream: TcpStream) -> Self {
        Http1 {
            stream,
            buf: vec![0; READ_CHUNK],
            filled: 0,
        }
    }

    /// Writes `request` and reads its answer. `Ok((answer, keep))`: `keep`
    /// is false when the connection cannot carry another exchange.
    pub async fn exchange(&mut self, request: &[u8]) -> Result<(Answer, bool), Failure> {
        self.stream
            .write_all(request)
            .await
            .map_err(|_| Failure::Connect)?;
        // The answer to a HEAD has a head only.
        let has_body = !request.starts_with(b"HEAD ");
        loop {
            let (status, framing, mut keep, head_len) = self.read_head(has_body).await?;
            self.consume(head_len);
            // Interim answers (100 Continue, 103 Early Hints) precede the
            // real one; 101 would switch protocols, which nothing here asks.
            if (100..200).contains(&status) && status != 101 {
                continue;
            }
            let body = match framing {
                Framing::Empty => Bytes::new(),
                Framing::Length(n) => self.read_length(n).await?,
                Framing::Chunked => self.read_chunked().await?,
                Framing::UntilClose => {
                    keep = false;
                    self.read_until_close().await?
                }
            };
            if self.filled > 0 {
                keep = false;
            }
            return Ok((Answer { status, body }, keep));
        }
    }

    /// Reads until a whole head is buffered; its status, body framing,
    /// whether the connection stays open, and the head's length.
    async fn read_head(&mut self, has_body: bool) -> Result<(u16, Framing, bool, usize), Failure> {
        loop {
            if self.filled > 0
                && let Some(head) = parse_head(&self.buf[..self.filled], has_body)?
            {
                return Ok(head);
            }
            if self.filled >= MAX_HEAD {
                return Err(Failure::Malformed);
            }
            self.fill().await?;
        }
    }

    async fn read_length(&mut self, n: usize) -> Result<Bytes, Failure> {
        if n > MAX_BODY {
            return Err(Failure::Malformed);
        }
        while self.filled < n {
            self.fill().await?;
        }
        let body = Bytes::copy_from_slice(&self.buf[..n]);
        self.consume(n);
        Ok(body)
    }

    async fn read_chunked(&mut self) -> Result<Bytes, Failure> {
        let mut body = Vec::new();
        loop {
            let (start, size) = loop {
                match httparse::parse_chunk_size(&self.buf[..self.filled]) {
                    Ok(httparse::Status::Complete(found)) => break found,
                    Ok(httparse::Status::Partial) if self.filled < MAX_HEAD => {
                        self.fill().await?;
                    }
                    _ => return Err(Failure::Malformed),
                }
            };
            self.consume(start);
            let size = usize::try_from(size).map_err(|_| Failure::Malformed)?;
            if size == 0 {
                return self.read_trailers().await.map(|()| Bytes::from(body));
            }
            if body.len() + size > MAX_BODY {
                return Err(Failure::Malformed);
            }
            // The chunk's data and its CRLF.
            while self.filled < size + 2 {
                self.fill().await?;
            }
            if &self.buf[size..size + 2] != b"\r\n" {
                return Err(Failure::Malformed);
            }
            body.extend_from_slice(&self.buf[..size]);
            self.consume(size + 2);
        }
    }

    /// The trailer section after the last chunk, ending in an empty line.
    async fn read_trailers(&mut self) -> Result<(), Failure> {
        loop {
            match self.buf[..self.filled]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                Some(0) => {
                    self.consume(2);
                    return Ok(());
                }
                Some(end) => self.consume(end + 2),
                None if self.filled < MAX_HEAD => self.fill().await?,
                None => return Err(Failure::Malformed),
            }
        }
    }

    async fn read_until_close(&mut self) -> Result<Bytes, Failure> {
        loop {
            if self.filled > MAX_BODY {
                return Err(Failure::Malformed);
            }
            self.ensure_room();
            match self.stream.read(&mut self.buf[self.filled..]).await {
                Ok(0) => break,
                Ok(n) => self.filled += n,
                Err(_) => return Err(Failure::Connect),
            }
        }
        let body = Bytes::copy_from_slice(&self.buf[..self.filled]);
        self.consume(self.filled);
        Ok(body)
    }

    /// Reads more bytes; the peer closing first is a broken exchange.
    async fn fill(&mut self) -> Result<(), Failure> {
        self.ensure_room();
        match self.stream.read(&mut self.buf[self.filled..]).await {
            Ok(0) | Err(_) => Err(Failure::Connect),
            Ok(n) => {
                self.filled += n;
                Ok(())
            }
        }
    }

    fn ensure_room(&mut self) {
        if self.buf.len() - self.filled < READ_CHUNK / 2 {
            self.buf.resize(self.buf.len() + READ_CHUNK, 0);
        }
    }

    /// Drops the first `n` buffered bytes.
    fn consume(&mut self, n: usize) {
        if n < self.filled {
            self.buf.copy_within(n..self.filled, 0);
        }
        self.filled -= n;
    }
}

/// Parses an answer head from `bytes`: `None` if it is not whole yet.
/// `has_body`: the answer may have a body (the request was not `HEAD`).
fn parse_head(
    bytes: &[u8],
    has_body: bool,
) -> Result<Option<(u16, Framing, bool, usize)>, Failure> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(Failure::Malformed),
    };
    let status = response.code.ok_or(Failure::Malformed)?;
    let http10 = response.version == Some(0);
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut has_encoding = false;
    let mut close = false;
    let mut keep_alive = false;
    for h in response.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(h.value)
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or(Failure::Malformed)?;
            if length.is_some_and(|m| m != n) {
                return Err(Failure::Malformed);
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            has_encoding = true;
            // Only the last coding decides whether the body is chunked.
            chunked = h
                .value
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let framing = if !has_body || (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else if has_encoding {
        Framing::UntilClose
    } else if let Some(n) = length {
        if n == 0 {
            Framing::Empty
        } else {
            Framing::Length(n)
        }
    } else {
        Framing::UntilClose
    };
    let keep = !close && (!http10 || keep_alive);
    Ok(Some((status, framing, keep, head_len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Serves `answer` (split in pieces written apart, to exercise partial
    /// reads) to one request, then closes if `close`.
    async fn exchange_with(
        pieces: Vec<&'static [u8]>,
        close: bool,
    ) -> Result<(Answer, bool), Failure> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 256];
            let _ = s.read(&mut request).await.unwrap();
            for piece in pieces {
                s.write_all(piece).await.unwrap();
                s.flush().await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            if !close {
                // Held open until the client is done.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
        });
        let mut conn = Http1::new(TcpStream::connect(addr).await.unwrap());
        let request = FixedRequest::get("x", "/");
        let result = conn.exchange(request.bytes()).await;
        server.abort();
        result
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_request_is_its_fixed_bytes() {
        assert_eq!(
            FixedRequest::get("127.0.0.1:8080", "/a?b=1").bytes(),
            b"GET /a?b=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n\r\n"
        );
    }

    #[test]
    fn content_length_bodies_arrive_whole_across_reads() {
        runtime().block_on(async {
            let (answer, keep) = exchange_with(
                vec![
                    b"HTTP/1.1 200 OK\r\ncontent-le",
                    b"ngth: 5\r\n\r\nhe",
                    b"llo",
                ],
                false,
            )
            .await
            .unwrap();
            assert_eq!(
                (answer.status, &answer.body[..], keep),
                (200, &b"hello"[..], true)
            );
        });
    }

    #[test]
    fn chunked_bodies_are_joined_and_trailers_skipped() {
        runtime().block_on(async {
            let (answer, keep) = exchange_with(
                vec![
                    b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab",
                    b"c\r\n2;ext=1\r\nde\r\n0\r\nx-trailer: 1\r\n\r\n",
                ],
                false,
            )
            .await
            .unwrap();
            assert_eq!(
                (answer.status, &answer.body[..], keep),
                (404, &b"abcde"[..], true)
            );
        });
    }

    #[test]
    fn connection_close_and_close_delimited_bodies_end_the_connection() {
        runtime().block_on(async {
            let (answer, keep) = exchange_with(
                vec![b"HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 2\r\n\r\nok"],
                true,
            )
            .await
            .unwrap();
            assert_eq!((&answer.body[..], keep), (&b"ok"[..], false));
            let (answer, keep) =
                exchange_with(vec![b"HTTP/1.0 200 OK\r\n\r\nuntil ", b"close"], true)
                    .await
                    .unwrap();
            assert_eq!((&answer.body[..], keep), (&b"until close"[..], false));
        });
    }

    #[test]
    fn interim_answers_are_skipped_and_204_has_no_body() {
        runtime().block_on(async {
            let (answer, keep) = exchange_with(
                vec![b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"],
                false,
            )
            .await
            .unwrap();
            assert_eq!((answer.status, answer.body.len(), keep), (204, 0, true));
        });
    }

    #[test]
    fn failures_are_classified_as_hyper_s_are() {
        runtime().block_on(async {
            let malformed =
                |r: Result<(Answer, bool), Failure>| r.err() == Some(Failure::Malformed);
            let broken = |r: Result<(Answer, bool), Failure>| r.err() == Some(Failure::Connect);
            assert!(malformed(
                exchange_with(vec![b"SMTP ready\r\n\r\n"], true).await
            ));
            assert!(malformed(
                exchange_with(
                    vec![b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc"],
                    true
                )
                .await
            ));
            assert!(malformed(
                exchange_with(
                    vec![b"HTTP/1.1 200 OK\r\ncontent-length: 99999999\r\n\r\n"],
                    true
                )
                .await
            ));
            assert!(malformed(
                exchange_with(
                    vec![b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"],
                    true
                )
                .await
            ));
            // Closed before the head or the body is whole.
            assert!(broken(exchange_with(vec![b"HTTP/1.1 200 O"], true).await));
            assert!(broken(
                exchange_with(
                    vec![b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nab"],
                    true
                )
                .await
            ));
        });
    }

    #[test]
    fn bytes_after_the_answer_end_the_connection() {
        runtime().block_on(async {
            let (answer, keep) = exchange_with(
                vec![b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n"],
                false,
            )
            .await
            .unwrap();
            assert_eq!((&answer.body[..], keep), (&b"x"[..], false));
        });
    }
}
