//! Small purpose-built HTTP/1.1 servers on an ephemeral loopback port for
//! the `voipsim load` tests: each behaves one way (answers, stalls, closes,
//! talks garbage, fails, never answers, signs, plays the room service)
//! and stops by itself after its lifetime, so no test can leave one behind.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A request as the servers see it.
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

/// What a server does with a request: the status and body to answer, or
/// `None` to close the connection without answering.
pub type Handler = Arc<dyn Fn(&Request) -> Option<(u16, String)> + Send + Sync>;

/// How a server treats each connection.
#[derive(Clone)]
pub enum Behaviour {
    /// Answers every request with the handler's answer.
    Answer(Handler),
    /// Closes every connection as soon as it is accepted.
    Close,
    /// Answers every request with bytes that are not HTTP.
    Garbage,
    /// Reads requests and never answers.
    Silent,
}

/// Starts a server that lives for `lifetime`; returns its base URL.
pub fn start(behaviour: Behaviour, lifetime: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let until = Instant::now() + lifetime;
    thread::spawn(move || {
        while Instant::now() < until {
            match listener.accept() {
                Ok((stream, _)) => {
                    let behaviour = behaviour.clone();
                    thread::spawn(move || serve(stream, behaviour, until));
                }
                Err(_) => thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    format!("http://{addr}")
}

fn serve(stream: TcpStream, behaviour: Behaviour, until: Instant) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = stream.set_nodelay(true);
    if let Behaviour::Close = behaviour {
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while Instant::now() < until {
        let request = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) if is_timeout(&e) => continue,
            Err(_) => return,
        };
        match &behaviour {
            Behaviour::Answer(handler) => match handler(&request) {
                Some((status, body)) => {
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if writer.write_all(head.as_bytes()).is_err()
                        || writer.write_all(body.as_bytes()).is_err()
                    {
                        return;
                    }
                }
                None => return,
            },
            Behaviour::Garbage => {
                let _ = writer.write_all(b"HELLO THIS IS NOT HTTP\r\n\r\n");
                return;
            }
            Behaviour::Silent => {}
            Behaviour::Close => return,
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Reads one request; `None` at a clean end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request { method, path, body }))
}

/// A handler answering `200 {"ok":true}` to everything.
pub fn ok() -> Handler {
    Arc::new(|_| Some((200, "{\"ok\":true}".into())))
}

/// A handler answering after `delay`.
pub fn slow(delay: Duration) -> Handler {
    Arc::new(move |_| {
        thread::sleep(delay);
        Some((200, "{\"ok\":true}".into()))
    })
}

/// A handler that stalls: from `stall_at` after its first request it holds
/// every answer until `stall_at + stall` (a one-second GC pause, a lock
/// convoy), then answers at once again; one stall per `period`.
pub fn stalling(period: Duration, stall_at: Duration, stall: Duration) -> Handler {
    let origin: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    Arc::new(move |_| {
        let origin = *origin.lock().unwrap().get_or_insert_with(Instant::now);
        let into = origin.elapsed().as_nanos() % period.as_nanos();
        let (from, to) = (stall_at.as_nanos(), (stall_at + stall).as_nanos());
        if into >= from && into < to {
            thread::sleep(Duration::from_nanos((to - into) as u64));
        }
        Some((200, "{\"ok\":true}".into()))
    })
}

/// A handler answering `status` with a WeChat-style error body.
pub fn status(status: u16) -> Handler {
    Arc::new(move |_| Some((status, "{\"errcode\":-1,\"errmsg\":\"boom\"}".into())))
}
