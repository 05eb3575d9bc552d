//! Secrets voipsim reads: a user's session key (for `sign` and `verify`)
//! and the app secrets the coming `serve` will hold (one per appId). Both
//! come from a file or an environment variable, never from the command line
//! (it shows in `ps` and shell history), and neither is ever printed.
//!
//! This module owns where secrets come from, the limits they must meet and
//! every message about them, so the same rules hold for every subcommand
//! and for both sources:
//!
//! * **One size limit per secret, whatever its source.** A session key file
//!   and [`SESSION_KEY_ENV`] are both capped at [`MAX_SESSION_KEY_BYTES`]
//!   (a real key is 24 characters; anything much longer is the wrong file
//!   or a wrong variable); the app secrets file and [`APP_SECRETS_ENV`] at
//!   [`MAX_APP_SECRETS_BYTES`].
//! * **Typed errors** ([`SecretError`]) whose messages say what is wrong,
//!   where (the flag, file or variable, and the line for app secrets) and
//!   how to fix it. They never contain a secret: no value read from a
//!   secret source is ever put in a message, only its length or position.
//! * **A path that may itself be a key is not echoed.** A common slip is
//!   `--session-key-file gDyVgzwa0mFz9uUP7M6GQQ==`, the key where its file's
//!   path belongs; "cannot read gDyV…==" would print the key. The rule
//!   ([`ShownPath`]): a path is withheld from messages when nothing exists
//!   at it *and* it is shaped like base64 text of a key (see
//!   [`looks_like_base64_key`]: 16 or more characters of base64's alphabet,
//!   padded or not). A path that exists is a real file's name and is shown;
//!   a missing path with a dot, a dash, an underscore, a space or another
//!   character outside base64's alphabet is shown too, so the usual
//!   `key.txt` or `/run/secrets/session-key` typo is still named.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::signature::SessionKey;

/// The environment variable a session key may come from.
pub const SESSION_KEY_ENV: &str = "VOIPSIM_SESSION_KEY";

/// The environment variable app secrets may come from (same format as an
/// app secrets file).
pub const APP_SECRETS_ENV: &str = "VOIPSIM_APP_SECRETS";

/// The flag naming a session key file.
pub const SESSION_KEY_FLAG: &str = "--session-key-file";

/// The most bytes a session key may have, from a file (its one trailing
/// newline included) or from [`SESSION_KEY_ENV`]. A real key is 24
/// characters; the margin allows for odd but honest input, while a
/// multi-kilobyte value is surely not a key.
pub const MAX_SESSION_KEY_BYTES: usize = 4096;

/// The most bytes of app secrets, from a file or [`APP_SECRETS_ENV`]: room
/// for thousands of `appId=secret` lines, yet a wrong path (a log, a
/// binary) is refused before it is read whole.
pub const MAX_APP_SECRETS_BYTES: usize = 1 << 20;

/// The shortest text [`looks_like_base64_key`] takes for a key: base64 of
/// 12 bytes. WeChat's session_key is base64 of 16 bytes (24 characters).
pub const MIN_KEY_LIKE_CHARS: usize = 16;

/// Which secret a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    SessionKey,
    AppSecrets,
}

impl SecretKind {
    fn noun(self) -> &'static str {
        match self {
            SecretKind::SessionKey => "session key",
            SecretKind::AppSecrets => "app secrets",
        }
    }

    fn env(self) -> &'static str {
        match self {
            SecretKind::SessionKey => SESSION_KEY_ENV,
            SecretKind::AppSecrets => APP_SECRETS_ENV,
        }
    }

    fn limit(self) -> usize {
        match self {
            SecretKind::SessionKey => MAX_SESSION_KEY_BYTES,
            SecretKind::AppSecrets => MAX_APP_SECRETS_BYTES,
        }
    }

    /// What the source must hold, for "how to fix" parts of messages.
    fn expected(self) -> &'static str {
        match self {
            SecretKind::SessionKey => {
                "only the user's session_key (its base64 text as code2Session returned it, 24 characters)"
            }
            SecretKind::AppSecrets => {
                "`appId=secret` lines (blank lines and lines starting with # are ignored)"
            }
        }
    }
}

/// A path as messages show it: the path itself, or a placeholder when it
/// may be a key given where a path belongs (the rule is in the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPath {
    path: PathBuf,
    withheld: bool,
}

impl ShownPath {
    /// Decides once, when the error is made, whether `path` may be shown.
    pub fn new(path: &Path) -> Self {
        // `symlink_metadata` so a dangling link counts as existing: its
        // name was chosen as a path.
        let exists = path.symlink_metadata().is_ok();
        let withheld = !exists && path.to_str().is_some_and(looks_like_base64_key);
        ShownPath {
            path: path.to_path_buf(),
            withheld,
        }
    }

    /// The path, for code (never for messages when [`Self::is_withheld`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether messages leave the path out.
    pub fn is_withheld(&self) -> bool {
        self.withheld
    }
}

impl fmt::Display for ShownPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.withheld {
            f.write_str(
                "<value not shown: nothing exists there and it looks like base64 text, so it may be a key>",
            )
        } else {
            write!(f, "{}", self.path.display())
        }
    }
}

/// Whether `text` is shaped like a key's base64 text rather than a path:
/// at least [`MIN_KEY_LIKE_CHARS`] characters, all from base64's alphabet
/// (`A–Z a–z 0–9 + /`) but for at most two trailing `=`. Padding is not
/// required, so a key with its `==` cut off is caught too.
///
/// `/` is allowed because base64 uses it (about one key in four holds one),
/// so an extensionless path such as `/run/secrets/sessionkey` also matches
/// when nothing exists there: withholding a real path costs a less precise
/// message (which still says to check the path), while echoing a key would
/// leak it. Paths with a `.`, `-`, `_`, space or other character outside
/// the alphabet (`key.txt`, `/run/secrets/session-key`) never match.
pub fn looks_like_base64_key(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    text.len() >= MIN_KEY_LIKE_CHARS
        && text.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
}

/// Where a secret came from, for messages (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file; `flag` is the option that named it, if any.
    File {
        flag: Option<&'static str>,
        path: ShownPath,
    },
    /// An environment variable.
    Env(&'static str),
}

impl SecretSource {
    fn file(flag: Option<&'static str>, path: &Path) -> Self {
        SecretSource::File {
            flag,
            path: ShownPath::new(path),
        }
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::File {
                flag: Some(flag),
                path,
            } => write!(f, "{flag} {path}"),
            SecretSource::File { flag: None, path } => write!(f, "file {path}"),
            SecretSource::Env(name) => f.write_str(name),
        }
    }
}

/// Why a secret could not be loaded. Every message says what is wrong,
/// where, and how to fix it, and none contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No file named and the environment variable unset.
    #[error(
        "no session key: set {SESSION_KEY_ENV} or pass {SESSION_KEY_FLAG} PATH (a file holding the user's \
         session_key, the base64 text code2Session returned); it is never taken as a plain argument"
    )]
    NoSessionKey,

    /// No app secrets file named and [`APP_SECRETS_ENV`] unset.
    #[error(
        "no app secrets: name a file of `appId=secret` lines, or set {APP_SECRETS_ENV} to such lines; \
         app secrets are never taken as plain arguments"
    )]
    NoAppSecrets,

    /// `--session-key KEY` was given.
    #[error(
        "--session-key is not accepted: a key on the command line shows in `ps` and shell history; \
         put it in a file and pass {SESSION_KEY_FLAG} PATH, or set {SESSION_KEY_ENV}"
    )]
    KeyOnCommandLine,

    /// A stray positional argument, which is often a pasted key.
    #[error(
        "unexpected positional argument (not shown, in case it is a key): every value goes after its flag, \
         e.g. --nonce N; the session key goes in {SESSION_KEY_FLAG} PATH or {SESSION_KEY_ENV}"
    )]
    StrayArgument,

    /// Nothing exists at a path shaped like a key: likely the key itself
    /// given where its file's path belongs.
    #[error(
        "{origin}: if it is the key itself, write the key into a file and pass that file's path instead \
         (or set {}); otherwise check the path",
        kind.env()
    )]
    PathLooksLikeKey {
        kind: SecretKind,
        origin: SecretSource,
    },

    /// The file could not be opened or read.
    #[error("cannot read the {} file {path}: {error}: check the path and its permissions", kind.noun())]
    Unreadable {
        kind: SecretKind,
        path: ShownPath,
        error: io::Error,
    },

    /// The file or variable is over the kind's size limit.
    #[error(
        "{origin} is larger than {limit} bytes: it must hold {}; check that the {} is right",
        kind.expected(),
        if matches!(origin, SecretSource::Env(_)) { "variable" } else { "path" }
    )]
    TooLarge {
        kind: SecretKind,
        origin: SecretSource,
        limit: usize,
    },

    /// The file or variable is not UTF-8 text.
    #[error(
        "{origin} is not UTF-8 text: it must hold {} (session keys as base64 text, not decoded bytes)",
        kind.expected()
    )]
    NotUtf8 {
        kind: SecretKind,
        origin: SecretSource,
    },

    /// The file or variable holds nothing (a file: nothing but a newline).
    #[error("{}", empty_message(*kind, origin))]
    Empty {
        kind: SecretKind,
        origin: SecretSource,
    },

    /// An app secrets line without `=`. The line is not shown: it may be a
    /// bare secret.
    #[error(
        "{origin}, line {line}: expected `appId=secret` (the line is not shown, in case it holds a secret); \
         write the Mini Program's appId, `=`, then its AppSecret"
    )]
    AppSecretsLineWithoutEquals { origin: SecretSource, line: usize },

    /// An app secrets line whose appId is empty or not printable ASCII.
    #[error(
        "{origin}, line {line}: the appId before `=` must be 1 to 128 printable ASCII characters without \
         spaces, like wx20afc706a711eefc"
    )]
    BadAppId { origin: SecretSource, line: usize },

    /// An app secrets line with nothing after `=`.
    #[error(
        "{origin}, line {line}: the secret of appId {app_id} is empty; write its AppSecret after `=`"
    )]
    EmptyAppSecret {
        origin: SecretSource,
        line: usize,
        app_id: String,
    },

    /// Two lines for one appId.
    #[error(
        "{origin}, line {line}: appId {app_id} already has a secret on line {first}; keep one line per appId"
    )]
    DuplicateAppId {
        origin: SecretSource,
        line: usize,
        first: usize,
        app_id: String,
    },
}

fn empty_message(kind: SecretKind, origin: &SecretSource) -> String {
    match (kind, origin) {
        (SecretKind::SessionKey, SecretSource::File { .. }) => format!(
            "{origin}: the file is empty: write the user's session_key into it (its base64 text, as \
             code2Session returned it)"
        ),
        (SecretKind::SessionKey, SecretSource::Env(name)) => format!(
            "{name} is set but empty: set it to the user's session_key (its base64 text), or pass \
             {SESSION_KEY_FLAG} PATH"
        ),
        (SecretKind::AppSecrets, _) => format!(
            "{origin} has no `appId=secret` line: add one line per app, like wx20afc706a711eefc=SECRET"
        ),
    }
}

/// Reads the session key: the file if one is named (it wins over the
/// environment), else the environment value `env` (the caller passes
/// `std::env::var_os(SESSION_KEY_ENV)`, so tests need not touch the
/// process environment). One trailing newline in a file is ignored; the
/// variable is used exactly as set. Both are capped at
/// [`MAX_SESSION_KEY_BYTES`].
pub fn load_session_key(
    file: Option<&Path>,
    env: Option<OsString>,
) -> Result<(SessionKey, SecretSource), SecretError> {
    let kind = SecretKind::SessionKey;
    if let Some(path) = file {
        let source = SecretSource::file(Some(SESSION_KEY_FLAG), path);
        let text = read_secret_file(path, kind, &source)?;
        let key = SessionKey::from_file_contents(&text).map_err(|_| SecretError::Empty {
            kind,
            origin: source.clone(),
        })?;
        return Ok((key, source));
    }
    let env = env.ok_or(SecretError::NoSessionKey)?;
    let source = SecretSource::Env(SESSION_KEY_ENV);
    let text = env_text(env, kind, &source)?;
    let key = SessionKey::new(text).map_err(|_| SecretError::Empty {
        kind,
        origin: source.clone(),
    })?;
    Ok((key, source))
}

/// The 1-based position of the key's first character outside the base64
/// alphabet, if any: a key with one will not match WeChat's signature, so
/// `sign` warns (naming the position, never the character).
pub fn first_non_base64(key: &SessionKey) -> Option<usize> {
    key.expose_bytes()
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
        .map(|i| i + 1)
}

/// Reads a secret file of at most the kind's limit, as UTF-8 text.
fn read_secret_file(
    path: &Path,
    kind: SecretKind,
    source: &SecretSource,
) -> Result<String, SecretError> {
    let limit = kind.limit();
    let unreadable = |error: io::Error| {
        let shown = ShownPath::new(path);
        if shown.is_withheld() {
            SecretError::PathLooksLikeKey {
                kind,
                origin: source.clone(),
            }
        } else {
            SecretError::Unreadable {
                kind,
                path: shown,
                error,
            }
        }
    };
    let mut bytes = Vec::new();
    // Read one byte past the limit, so an oversized file is refused without
    // reading it whole.
    File::open(path)
        .and_then(|file| file.take(limit as u64 + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() > limit {
        return Err(SecretError::TooLarge {
            kind,
            origin: source.clone(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| SecretError::NotUtf8 {
        kind,
        origin: source.clone(),
    })
}

/// An environment variable's value as text, under the same limit as a
/// file of the same kind.
fn env_text(
    value: OsString,
    kind: SecretKind,
    source: &SecretSource,
) -> Result<String, SecretError> {
    let limit = kind.limit();
    if value.len() > limit {
        return Err(SecretError::TooLarge {
            kind,
            origin: source.clone(),
            limit,
        });
    }
    value.into_string().map_err(|_| SecretError::NotUtf8 {
        kind,
        origin: source.clone(),
    })
}

/// One app's AppSecret. `Debug` and `Display` are redacted, like
/// [`SessionKey`]'s, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct AppSecret(Box<str>);

impl AppSecret {
    /// The secret's bytes. Deliberately the only way to the secret.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}

impl fmt::Display for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// App secrets by appId, for `serve`: read from a file or
/// [`APP_SECRETS_ENV`], one `appId=secret` per line.
///
/// Format: blank lines and lines whose first non-blank character is `#`
/// are ignored; otherwise a line is an appId (1 to 128 printable ASCII
/// characters, surrounding blanks trimmed), `=`, and the secret (surrounding
/// blanks trimmed; it may itself contain `=`, as base64 does). An appId
/// may appear once. At most [`MAX_APP_SECRETS_BYTES`] in all.
///
/// ```text
/// # Mini Programs this emulator serves
/// wx20afc706a711eefc=0123456789abcdef0123456789abcdef
/// wx0000000000000001=fedcba9876543210fedcba9876543210
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AppSecrets {
    by_app: BTreeMap<String, AppSecret>,
}

impl fmt::Debug for AppSecrets {
    /// The appIds only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppSecrets")
            .field("app_ids", &self.by_app.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AppSecrets {
    /// Reads an app secrets file.
    pub fn from_file(path: &Path) -> Result<Self, SecretError> {
        let kind = SecretKind::AppSecrets;
        let source = SecretSource::file(None, path);
        let text = read_secret_file(path, kind, &source)?;
        Self::parse(&text, source)
    }

    /// The file if one is named (it wins), else the value of
    /// [`APP_SECRETS_ENV`] as `env` (the caller passes
    /// `std::env::var_os(APP_SECRETS_ENV)`).
    pub fn load(file: Option<&Path>, env: Option<OsString>) -> Result<Self, SecretError> {
        if let Some(path) = file {
            return Self::from_file(path);
        }
        let env = env.ok_or(SecretError::NoAppSecrets)?;
        let source = SecretSource::Env(APP_SECRETS_ENV);
        let text = env_text(env, SecretKind::AppSecrets, &source)?;
        Self::parse(&text, source)
    }

    /// Parses `appId=secret` lines from `origin` (named in messages).
    pub fn parse(text: &str, origin: SecretSource) -> Result<Self, SecretError> {
        let mut by_app = BTreeMap::new();
        let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some((app_id, secret)) = trimmed.split_once('=') else {
                return Err(SecretError::AppSecretsLineWithoutEquals { origin, line });
            };
            let (app_id, secret) = (app_id.trim(), secret.trim());
            if app_id.is_empty()
                || app_id.len() > 128
                || !app_id.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(SecretError::BadAppId { origin, line });
            }
            if secret.is_empty() {
                return Err(SecretError::EmptyAppSecret {
                    origin,
                    line,
                    app_id: app_id.to_string(),
                });
            }
            if let Some(&first) = first_line.get(app_id) {
                return Err(SecretError::DuplicateAppId {
                    origin,
                    line,
                    first,
                    app_id: app_id.to_string(),
                });
            }
            first_line.insert(app_id.to_string(), line);
            by_app.insert(app_id.to_string(), AppSecret(secret.into()));
        }
        if by_app.is_empty() {
            return Err(SecretError::Empty {
                kind: SecretKind::AppSecrets,
                origin,
            });
        }
        Ok(AppSecrets { by_app })
    }

    /// The secret of `app_id`, if it has one.
    pub fn get(&self, app_id: &str) -> Option<&AppSecret> {
        self.by_app.get(app_id)
    }

    /// The appIds with a secret, in order.
    pub fn app_ids(&self) -> impl Iterator<Item = &str> {
        self.by_app.keys().map(String::as_str)
    }

    /// How many apps have a secret.
    pub fn len(&self) -> usize {
        self.by_app.len()
    }

    /// Whether no app has a secret (never true of a loaded set).
    pub fn is_empty(&self) -> bool {
        self.by_app.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "gDyVgzwa0mFz9uUP7M6GQQ==";

    fn temp_file(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, contents).unwrap();
        file
    }

    fn session_error(file: Option<&Path>, env: Option<&str>) -> String {
        load_session_key(file, env.map(OsString::from))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn file_wins_over_environment() {
        let file = temp_file(b"from-file\n");
        let (key, source) = load_session_key(Some(file.path()), Some("from-env".into())).unwrap();
        assert_eq!(key.expose_bytes(), b"from-file");
        assert_eq!(
            source.to_string(),
            format!("--session-key-file {}", file.path().display())
        );
        let (key, source) = load_session_key(None, Some("from-env".into())).unwrap();
        assert_eq!(key.expose_bytes(), b"from-env");
        assert_eq!(source, SecretSource::Env(SESSION_KEY_ENV));
    }

    #[test]
    fn missing_key_says_how_to_provide_it() {
        let msg = session_error(None, None);
        assert!(
            msg.contains(SESSION_KEY_ENV) && msg.contains(SESSION_KEY_FLAG),
            "{msg}"
        );
        let msg = session_error(None, Some(""));
        assert!(
            msg.contains("set but empty") && msg.contains(SESSION_KEY_FLAG),
            "{msg}"
        );
    }

    #[test]
    fn key_file_errors_name_the_path() {
        let msg = session_error(Some(Path::new("/nonexistent/key.txt")), None);
        assert!(
            msg.contains("/nonexistent/key.txt") && msg.contains("No such file"),
            "{msg}"
        );
        let big = temp_file(&[b'a'; 5000]);
        let msg = session_error(Some(big.path()), None);
        assert!(msg.contains("larger than 4096 bytes"), "{msg}");
        let binary = temp_file(&[0xff, 0xfe]);
        let msg = session_error(Some(binary.path()), None);
        assert!(msg.contains("not UTF-8"), "{msg}");
        let empty = temp_file(b"\n");
        let msg = session_error(Some(empty.path()), None);
        assert!(msg.contains("the file is empty"), "{msg}");
    }

    #[test]
    fn a_key_given_as_the_path_is_never_echoed() {
        let slash_key = "ab/cdEFghIJklMNopQRstUV==";
        for value in [
            KEY,
            slash_key,
            "gDyVgzwa0mFz9uUP7M6GQQ",
            "/abs/gDyVgzwa0mFz9uUP7M6GQQ==",
        ] {
            let msg = session_error(Some(Path::new(value)), None);
            assert!(!msg.contains(value), "{msg}");
            assert!(
                msg.contains("looks like base64") && msg.contains("key itself"),
                "{msg}"
            );
            assert!(msg.contains(SESSION_KEY_FLAG), "{msg}");
            let msg = AppSecrets::from_file(Path::new(value))
                .unwrap_err()
                .to_string();
            assert!(!msg.contains(value), "{msg}");
        }
    }

    #[test]
    fn the_environment_has_the_file_limit() {
        let at_limit = "a".repeat(MAX_SESSION_KEY_BYTES);
        let (key, _) = load_session_key(None, Some(at_limit.clone().into())).unwrap();
        assert_eq!(key.expose_bytes().len(), MAX_SESSION_KEY_BYTES);
        let msg = session_error(None, Some(&"a".repeat(100_000)));
        assert!(
            msg.starts_with(SESSION_KEY_ENV) && msg.contains("larger than 4096 bytes"),
            "{msg}"
        );
        assert!(msg.contains("variable"), "{msg}");
        // The file has the same limit: taken at it, refused one byte over.
        let file = temp_file(at_limit.as_bytes());
        assert!(load_session_key(Some(file.path()), None).is_ok());
        let over = temp_file(format!("{at_limit}a").as_bytes());
        let msg = session_error(Some(over.path()), None);
        assert!(msg.contains("larger than 4096 bytes"), "{msg}");
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_environment_is_refused_without_panic() {
        use std::os::unix::ffi::OsStringExt;
        let msg = load_session_key(None, Some(OsString::from_vec(vec![0xff, b'a'])))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("not UTF-8"), "{msg}");
    }

    #[test]
    fn key_shapes() {
        for key in [
            KEY,
            "gDyVgzwa0mFz9uUP7M6GQQ",
            "ab/cdEFghIJklMNopQRstUV==",
            "AAAAAAAAAAAAAAAA",
            "/run/secrets/sessionkey",
        ] {
            assert!(looks_like_base64_key(key), "{key}");
        }
        for path in [
            "key.txt",
            "/run/secrets/session-key",
            "./key",
            "~/k",
            "short==",
            "abcdefghijklmnop===",
            "secrets/app_secrets",
        ] {
            assert!(!looks_like_base64_key(path), "{path}");
        }
    }

    #[test]
    fn an_existing_path_is_shown_even_if_key_shaped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("AAAAAAAAAAAAAAAAAAAAAA==");
        std::fs::write(&path, b"").unwrap();
        let shown = ShownPath::new(&path);
        assert!(!shown.is_withheld());
        let msg = session_error(Some(&path), None);
        assert!(msg.contains("AAAAAAAAAAAAAAAAAAAAAA=="), "{msg}");
    }

    #[test]
    fn non_base64_key_characters_are_found() {
        assert_eq!(first_non_base64(&SessionKey::new(KEY).unwrap()), None);
        assert_eq!(first_non_base64(&SessionKey::new("ab c").unwrap()), Some(3));
    }

    #[test]
    fn app_secrets_parse() {
        let text = "# comment\n\n wx1 = s3cr=t \r\nwx2=abc\n";
        let secrets = AppSecrets::parse(text, SecretSource::Env(APP_SECRETS_ENV)).unwrap();
        assert_eq!(secrets.len(), 2);
        assert_eq!(secrets.get("wx1").unwrap().expose_bytes(), b"s3cr=t");
        assert_eq!(secrets.get("wx2").unwrap().expose_bytes(), b"abc");
        assert!(secrets.get("wx3").is_none());
        assert_eq!(secrets.app_ids().collect::<Vec<_>>(), ["wx1", "wx2"]);
        let debug = format!("{secrets:?} {:?}", secrets.get("wx1").unwrap());
        assert!(!debug.contains("s3cr") && !debug.contains("abc"), "{debug}");
    }

    #[test]
    fn app_secrets_errors_name_the_line_never_the_secret() {
        let env = || SecretSource::Env(APP_SECRETS_ENV);
        let cases: [(&str, &[&str]); 6] = [
            ("wx1=a\nTOPSECRETVALUE\n", &["line 2", "appId=secret"]),
            ("=TOPSECRETVALUE\n", &["line 1", "appId before `=`"]),
            ("wx 1=TOPSECRETVALUE\n", &["line 1", "without spaces"]),
            ("wx1=\n", &["line 1", "secret of appId wx1 is empty"]),
            (
                "wx1=TOPSECRETVALUE\nwx1=TOPSECRETVALUE2\n",
                &["line 2", "line 1", "wx1"],
            ),
            ("# only a comment\n", &["has no", "appId=secret"]),
        ];
        for (text, needles) in cases {
            let msg = AppSecrets::parse(text, env()).unwrap_err().to_string();
            assert!(msg.starts_with(APP_SECRETS_ENV), "{msg}");
            assert!(!msg.contains("TOPSECRET"), "{msg}");
            for needle in needles {
                assert!(msg.contains(needle), "{needle:?} not in {msg}");
            }
        }
    }

    #[test]
    fn app_secrets_from_file_and_environment() {
        let file = temp_file(b"wx1=fromfile\n");
        let from_file = AppSecrets::load(Some(file.path()), Some("wx1=fromenv".into())).unwrap();
        assert_eq!(from_file.get("wx1").unwrap().expose_bytes(), b"fromfile");
        let from_env = AppSecrets::load(None, Some("wx1=fromenv".into())).unwrap();
        assert_eq!(from_env.get("wx1").unwrap().expose_bytes(), b"fromenv");
        let msg = AppSecrets::load(None, None).unwrap_err().to_string();
        assert!(msg.contains(APP_SECRETS_ENV), "{msg}");
        let big = temp_file(&vec![b'#'; MAX_APP_SECRETS_BYTES + 1]);
        let msg = AppSecrets::from_file(big.path()).unwrap_err().to_string();
        assert!(msg.contains("larger than 1048576 bytes"), "{msg}");
        let msg = AppSecrets::load(None, Some("#".repeat(MAX_APP_SECRETS_BYTES + 1).into()))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with(APP_SECRETS_ENV) && msg.contains("larger than"),
            "{msg}"
        );
        let missing = AppSecrets::from_file(Path::new("/nonexistent/app-secrets.txt"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("/nonexistent/app-secrets.txt")
                && missing.contains("app secrets file"),
            "{missing}"
        );
    }
}
