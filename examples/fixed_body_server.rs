//! The baseline of the network benchmarks: the least an HTTP server can do
//! on this machine. A hyper 1.x http1 server that reads each request (head
//! and body) and answers every one with the same small JSON body, on a
//! multi-threaded tokio runtime with as many workers as `voipsim serve`
//! uses (tokio's default, one per CPU; `--threads` to change).
//!
//! `benches/serve-throughput.sh` drives it and `voipsim serve` with the
//! same load, so "serve reaches 70% of a minimal hyper server" (issue 9) is
//! a ratio measured in one run on one machine; `benches/load-vs-wrk.sh`
//! uses it as the target every load generator is measured against.
//!
//! ```text
//! cargo run --release --example fixed_body_server -- [--listen 127.0.0.1:0] [--threads N]
//! ```
//! prints `listening on http://ADDR` (the port resolved) on stdout, then
//! serves until SIGINT or SIGTERM.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What every request gets: the size and shape of serve's join answer.
const BODY: &[u8] = br#"{"errCode":0,"errMsg":"joinVoIPChat:ok","openIdList":["o"]}"#;

const USAGE: &str = "usage: fixed_body_server [--listen 127.0.0.1:0] [--threads N]";

#[derive(Debug)]
struct Options {
    listen: SocketAddr,
    threads: Option<usize>,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        threads: None,
    };
    let mut args = args.skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))
        };
        match flag.as_str() {
            "--listen" => {
                let text = value()?;
                options.listen = text
                    .parse()
                    .map_err(|e| format!("--listen {text:?}: {e}; write e.g. 127.0.0.1:0"))?;
            }
            "--threads" => {
                let text = value()?;
                let n: usize = text
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--threads {text:?}: pass a positive integer"))?;
                options.threads = Some(n);
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    Ok(options)
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body as serve must, so both servers do the same I/O; a
    // broken body still gets the fixed answer.
    let _ = request.into_body().collect().await;
    let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

async fn serve(listener: TcpListener) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: pause, then try again,
            // as a server under a benchmark's connection storm must.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn main() -> ExitCode {
    let options = match parse(std::env::args()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("fixed_body_server: {message}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = options.threads {
        builder.worker_threads(n);
    }
    let runtime = match builder.build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fixed_body_server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match TcpListener::bind(options.listen).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!(
                    "fixed_body_server: cannot listen on {}: {e}; pick a free port or 127.0.0.1:0",
                    options.listen
                );
                return ExitCode::from(2);
            }
        };
        let address = listener.local_addr().unwrap_or(options.listen);
        let mut out = std::io::stdout();
        let _ = writeln!(out, "listening on http://{address}");
        let _ = out.flush();
        tokio::select! {
            () = serve(listener) => {}
            () = shutdown() => {}
        }
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        std::iter::once("fixed_body_server".to_string()).chain(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_parse_and_bad_ones_say_what() {
        let o = parse(args(&["--listen", "127.0.0.1:9", "--threads", "3"])).unwrap();
        assert_eq!(o.listen.to_string(), "127.0.0.1:9");
        assert_eq!(o.threads, Some(3));
        assert!(
            parse(args(&["--threads", "0"]))
                .unwrap_err()
                .contains("positive")
        );
        assert!(
            parse(args(&["--listen"]))
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(
            parse(args(&["--bogus"]))
                .unwrap_err()
                .contains("unknown argument")
        );
    }
}
