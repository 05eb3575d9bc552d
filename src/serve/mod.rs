//! `voipsim serve`: a local HTTP emulator of WeChat's room service (the
//! WeChat-shaped login, token and signing endpoints, and the room API a
//! `wx.joinVoIPChat` client meets), a thin driver over the core's keyed,
//! checked [`crate::rules::RoomService`] API. The contract is
//! `docs/api.md`; the routes are listed in `docs/openapi.yaml`.
