//! The server loop: bind, accept connections under a cap, serve each with
//! hyper's HTTP/1.1 (keep-alive, bounded reads), save the state at an
//! interval, and shut down in order on SIGINT or SIGTERM.
//!
//! Why hyper directly and not a framework: the router is a table
//! (`routes.rs`), and everything else a framework would add (extractors,
//! middleware stacks) is code between the socket and the rules that the
//! join path would pay for.
//!
//! Bounds against clients that misbehave:
//! * at most `--max-connections` open at once (a semaphore): one more is
//!   closed as soon as it is accepted, so a flood of idle connections
//!   costs a file descriptor for a moment, not a task;
//! * a request's head must arrive within `--read-timeout`, which also
//!   closes a keep-alive connection idle that long (hyper's header read
//!   timer runs while a connection waits for a request); its body within
//!   the same time (`body.rs`); bodies over `--max-body-bytes` are refused.
//!
//! Shutdown: stop accepting; tell every connection to finish the request
//! it is on and close (member streams end); wait for them at most
//! `--shutdown-grace`; save the state; return. An accept error (too many
//! open files) pauses accepting briefly instead of spinning.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::apps::ServedApp;
use super::clock::{ServiceClock, real_now};
use super::config::{ServeConfig, StateConfig};
use super::emulator::Emulator;
use super::persist::{self, StateError};

/// Why the server could not start or could not save on the way out.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    State(#[from] StateError),
    #[error(
        "cannot listen on {addr}: {error}; pick another --listen address (port 0 takes any free port)"
    )]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Clock(#[from] super::clock::ClockError),
    #[error(
        "cannot save the state to {path}: {error}; check the disk and the directory's permissions"
    )]
    Save {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Runs the emulator until SIGINT or SIGTERM. `on_listening` is called
/// once the socket is bound (with its address, port 0 resolved).
pub fn run(
    config: ServeConfig,
    on_listening: impl FnOnce(SocketAddr, &[ServedApp]),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(run_async(config, on_listening, shutdown_signal()))
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
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

/// The emulator's state at start: the configured apps, restored from the
/// state file if there is one, and the clock (a test clock without
/// `--clock-start` resumes at the instant the file was saved).
fn start_state(config: &ServeConfig, stop: watch::Receiver<bool>) -> Result<Emulator, ServeError> {
    let state = match &config.state {
        Some(s) => persist::load(&s.path)?,
        None => None,
    };
    let path = config
        .state
        .as_ref()
        .map_or_else(PathBuf::new, |s| s.path.clone());
    let rooms = persist::restore_apps(&path, state.as_ref(), &config.apps)?;
    let clock = if config.clock.is_test() {
        let resumed = state.as_ref().filter(|s| s.test_clock).map(|s| s.saved_at);
        let start = config.clock.start.or(resumed).unwrap_or_else(real_now);
        ServiceClock::test(start, config.clock.speed.unwrap_or(1.0))?
    } else {
        ServiceClock::real()
    };
    let apps = config
        .apps
        .iter()
        .zip(rooms)
        .map(|(c, rooms)| {
            ServedApp::new(
                c.app.name.clone(),
                &c.app.app_id,
                c.settings(),
                c.secret.clone(),
                rooms,
            )
        })
        .collect();
    let emulator = Emulator::new(apps, clock, config.limits.clone(), stop);
    if let Some(state) = &state {
        emulator
            .tokens
            .restore(&state.tokens, |id| emulator.app_index(id));
    }
    Ok(emulator)
}

/// [`run`] on a runtime, stopping when `shutdown` completes.
pub async fn run_async(
    config: ServeConfig,
    on_listening: impl FnOnce(SocketAddr, &[ServedApp]),
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let emulator = Arc::new(start_state(&config, stop_rx.clone())?);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|error| ServeError::Bind {
            addr: config.listen,
            error,
        })?;
    let local = listener.local_addr().map_err(|error| ServeError::Bind {
        addr: config.listen,
        error,
    })?;
    on_listening(local, emulator.apps());

    let saver = config
        .state
        .clone()
        .map(|state| tokio::spawn(save_periodically(emulator.clone(), state, stop_rx.clone())));
    let connections = Arc::new(Semaphore::new(config.limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let Ok(permit) = connections.clone().try_acquire_owned() else {
                        emulator.metrics.connections_refused.fetch_add(1, Relaxed);
                        drop(stream);
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let emulator = emulator.clone();
                    let stop = stop_rx.clone();
                    tokio::spawn(async move {
                        emulator.metrics.connections_open.fetch_add(1, Relaxed);
                        serve_connection(stream, emulator.clone(), stop).await;
                        emulator.metrics.connections_open.fetch_sub(1, Relaxed);
                        drop(permit);
                    });
                }
                // Out of file descriptors or a connection reset before
                // accept: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(config.limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(config.limits.shutdown_grace, connections.acquire_many(all)).await;
    if let Some(saver) = saver {
        let _ = saver.await;
    }
    if let Some(state) = &config.state {
        save(&emulator, state).await?;
    }
    Ok(())
}

/// One connection, until it closes or the server stops.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    emulator: Arc<Emulator>,
    mut stop: watch::Receiver<bool>,
) {
    let limits = &emulator.limits;
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout)
        .keep_alive(true)
        .max_buf_size(64 * 1024);
    let service = service_fn(move |request| {
        let emulator = emulator.clone();
        async move { Ok::<_, Infallible>(emulator.handle(request).await) }
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopped(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Completes when the server stops (the guard `wait_for` gives is not
/// held across the caller's awaits).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Saves every `state.save_every` while something changed, until stopped.
async fn save_periodically(
    emulator: Arc<Emulator>,
    state: StateConfig,
    mut stop: watch::Receiver<bool>,
) {
    let mut saved = generation(&emulator);
    loop {
        tokio::select! {
            () = tokio::time::sleep(state.save_every) => {}
            () = stopped(&mut stop) => return,
        }
        let now = generation(&emulator);
        if now == saved {
            continue;
        }
        match save(&emulator, &state).await {
            Ok(()) => saved = now,
            // Said once per failure, and tried again next time.
            Err(e) => eprintln!("voipsim serve: {e}"),
        }
    }
}

/// A number that changes whenever the state does.
fn generation(emulator: &Emulator) -> u64 {
    emulator
        .apps()
        .iter()
        .map(|a| a.rooms().changes)
        .fold(emulator.tokens_issued.load(Relaxed), u64::wrapping_add)
}

/// Captures, encodes and writes the state off the async threads.
async fn save(emulator: &Arc<Emulator>, state: &StateConfig) -> Result<(), ServeError> {
    let emulator = emulator.clone();
    let path = state.path.clone();
    let result = tokio::task::spawn_blocking(move || {
        let file = persist::capture(&emulator);
        let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        persist::write_atomic(&path, &bytes)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
    result.map_err(|error| ServeError::Save {
        path: state.path.clone(),
        error,
    })
}
