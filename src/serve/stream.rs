//! The member stream (`GET /voip/apps/{appId}/rooms/{groupId}/events`):
//! Server-Sent Events, one `members` event with the room's `openIdList`
//! at once and one at each change, as `onVoIPChatMembersChanged` tells a
//! client.
//!
//! Per app, a [`RoomWatchers`] holds a `tokio::sync::broadcast` channel per
//! watched room, created by the first subscriber and dropped when the last
//! leaves, so an unwatched room costs nothing and a join or exit checks a
//! single atomic. Events are published under the app's lock, so they go
//! out in the order the changes were made, and each carries the whole
//! member list: a subscriber that falls more than [`CHANNEL_EVENTS`]
//! behind skips to the present (re-reading the room) instead of
//! replaying. Bounded: at most `--max-watched-rooms` rooms per app; every
//! stream is a connection, under `--max-connections`. A comment line every
//! [`KEEP_ALIVE`] finds clients that went away without closing.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{broadcast, mpsc, watch};

/// Events a slow subscriber may fall behind before it skips ahead.
pub const CHANNEL_EVENTS: usize = 16;

/// How often an idle stream sends a comment line.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The watched rooms of one app.
#[derive(Debug, Default)]
pub struct RoomWatchers {
    rooms: Mutex<HashMap<Box<str>, broadcast::Sender<Bytes>>>,
    watched: AtomicUsize,
}

/// The app already has its most watched rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyWatched {
    pub max: usize,
}

impl RoomWatchers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, broadcast::Sender<Bytes>>> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether any room of the app is watched (one atomic load: the join
    /// path's whole cost when nobody watches).
    pub fn any(&self) -> bool {
        self.watched.load(Ordering::Relaxed) > 0
    }

    /// Rooms watched now.
    pub fn rooms_watched(&self) -> usize {
        self.watched.load(Ordering::Relaxed)
    }

    /// Sends room `group_id`'s new member list to its subscribers, if any.
    /// Call under the app's lock, so events keep the changes' order.
    pub fn publish(&self, group_id: &str, openids: &[String]) {
        if !self.any() {
            return;
        }
        if let Some(sender) = self.lock().get(group_id) {
            let _ = sender.send(members_frame(openids));
        }
    }

    /// A receiver of room `group_id`'s changes. Call under the app's lock
    /// (then read the current members), so no change falls in between.
    pub fn subscribe(
        &self,
        group_id: &str,
        max_rooms: usize,
    ) -> Result<broadcast::Receiver<Bytes>, TooManyWatched> {
        let mut rooms = self.lock();
        if let Some(sender) = rooms.get(group_id) {
            return Ok(sender.subscribe());
        }
        if rooms.len() >= max_rooms {
            return Err(TooManyWatched { max: max_rooms });
        }
        let (sender, receiver) = broadcast::channel(CHANNEL_EVENTS);
        rooms.insert(group_id.into(), sender);
        self.watched.store(rooms.len(), Ordering::Relaxed);
        Ok(receiver)
    }

    /// Drops room `group_id`'s channel if nobody listens any more. Call
    /// after dropping the receiver.
    pub fn unsubscribe(&self, group_id: &str) {
        let mut rooms = self.lock();
        if rooms.get(group_id).is_some_and(|s| s.receiver_count() == 0) {
            rooms.remove(group_id);
            self.watched.store(rooms.len(), Ordering::Relaxed);
        }
    }
}

/// One `members` event.
pub fn members_frame(openids: &[String]) -> Bytes {
    #[derive(serde::Serialize)]
    struct Data<'a> {
        #[serde(rename = "openIdList")]
        open_id_list: &'a [String],
    }
    let data = serde_json::to_string(&Data {
        open_id_list: openids,
    })
    .unwrap_or_default();
    Bytes::from(format!("event: members\ndata: {data}\n\n"))
}

/// The body of a member stream: frames from the forwarding task.
pub struct SseBody {
    rx: mpsc::Receiver<Bytes>,
}

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|frame| frame.map(|b| Ok(Frame::data(b))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Starts the task that feeds a member stream: `first` at once, then each
/// event from `events`; on falling behind, `resync()` (the room now). Ends
/// when the client goes, the server shuts down (`stop`), or the channel
/// closes; then calls `done` (to drop the room's channel if it was the
/// last subscriber).
pub fn forward(
    first: Bytes,
    mut events: broadcast::Receiver<Bytes>,
    mut stop: watch::Receiver<bool>,
    resync: impl Fn() -> Bytes + Send + 'static,
    done: impl FnOnce() + Send + 'static,
) -> SseBody {
    let (tx, rx) = mpsc::channel(CHANNEL_EVENTS);
    tokio::spawn(async move {
        if tx.send(first).await.is_ok() {
            loop {
                let frame = tokio::select! {
                    event = events.recv() => match event {
                        Ok(frame) => frame,
                        Err(broadcast::error::RecvError::Lagged(_)) => resync(),
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    () = tokio::time::sleep(KEEP_ALIVE) => Bytes::from_static(b": keep-alive\n\n"),
                    _ = stop.changed() => break,
                    () = tx.closed() => break,
                };
                if tx.send(frame).await.is_err() {
                    break;
                }
            }
        }
        drop(events);
        done();
    });
    SseBody { rx }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_exist_only_while_watched_and_are_capped() {
        let w = RoomWatchers::default();
        assert!(!w.any());
        let a = w.subscribe("g1", 2).unwrap();
        let b = w.subscribe("g1", 2).unwrap();
        let c = w.subscribe("g2", 2).unwrap();
        assert_eq!(w.rooms_watched(), 2);
        assert_eq!(w.subscribe("g3", 2).unwrap_err(), TooManyWatched { max: 2 });
        drop(a);
        w.unsubscribe("g1");
        assert_eq!(w.rooms_watched(), 2, "g1 still has a subscriber");
        drop(b);
        w.unsubscribe("g1");
        drop(c);
        w.unsubscribe("g2");
        assert!(!w.any());
    }

    #[test]
    fn publish_reaches_subscribers_as_sse() {
        let w = RoomWatchers::default();
        let mut rx = w.subscribe("g", 10).unwrap();
        w.publish("g", &["oA".to_string(), "oB".to_string()]);
        w.publish("other", &[]);
        let frame = rx.try_recv().unwrap();
        assert_eq!(
            frame,
            Bytes::from("event: members\ndata: {\"openIdList\":[\"oA\",\"oB\"]}\n\n")
        );
        assert!(rx.try_recv().is_err());
    }
}
