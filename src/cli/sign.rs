//! `voipsim sign`: print the join signature `wx.joinVoIPChat` expects.
//!
//! Also home of [`JoinArgs`], the flags `sign` and `verify` share (the four
//! signed fields, where the session key comes from, `--explain`), and of
//! what both do with them: read the key, build the checked
//! [`JoinFields`], explain the canonical string. The key is never a plain
//! argument (it would show in `ps` and shell history) and never printed.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::signature::{InputError, JoinFields, SessionKey, Signer, cmp_js, parse_timestamp};

use super::{CliResult, EXIT_OK, UsageError};

/// The environment variable a session key may come from.
pub const SESSION_KEY_ENV: &str = "VOIPSIM_SESSION_KEY";

/// A key file larger than this is surely not a session key (24 characters).
const MAX_KEY_FILE_BYTES: u64 = 4096;

const SIGN_AFTER_HELP: &str = "\
Example (the worked example from WeChat's documentation):
  echo 'gDyVgzwa0mFz9uUP7M6GQQ==' > key.txt
  voipsim sign --app-id wx20afc706a711eefc --group-id 1559129713_672975982 \\
    --nonce 8AP6DT9ybtniUJfb --timestamp 1559129714 --session-key-file key.txt
  # prints b002b824688dd8593a6079e11d8c5e8734fbcb39a6d5906eb347bfbcad79c617

The session key comes from --session-key-file (one trailing newline is ignored)
or the VOIPSIM_SESSION_KEY environment variable; if both are given, the file
wins. It is the session_key's base64 text as code2Session returned it, used as
is (not decoded), and it is never printed. Add --explain to see the sorted
parts and the joined string on stderr.";

/// The flags `sign` and `verify` share.
#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// The Mini Program's appId, e.g. wx20afc706a711eefc.
    #[arg(long, value_name = "APP_ID")]
    pub app_id: String,

    /// The room's groupId, as the Mini Program passes it to wx.joinVoIPChat.
    #[arg(long, value_name = "GROUP_ID")]
    pub group_id: String,

    /// nonceStr: the random string the client passes, fewer than 128 characters.
    #[arg(long, value_name = "NONCE")]
    pub nonce: String,

    /// timeStamp: UNIX time in seconds (not milliseconds) when the nonce was made.
    #[arg(long, value_name = "SECONDS")]
    pub timestamp: String,

    /// File holding the user's session_key (base64 text as code2Session
    /// returned it; one trailing newline is ignored). Without it the key
    /// comes from VOIPSIM_SESSION_KEY. The file wins if both are set.
    #[arg(long, value_name = "PATH")]
    pub session_key_file: Option<PathBuf>,

    /// Also print the sorted parts and the joined string to stderr (never the key).
    #[arg(long)]
    pub explain: bool,

    /// A trap for `--session-key KEY`: refused with advice, without echoing it.
    #[arg(
        long = "session-key",
        hide = true,
        num_args = 0..=1,
        default_missing_value = "",
        value_name = "KEY",
        value_parser = discard
    )]
    pub session_key_argument: Option<Discarded>,

    /// A trap for stray positional arguments (often a pasted key): refused
    /// without echoing them, where clap's own error would print them.
    #[arg(hide = true, value_parser = discard)]
    pub stray: Vec<Discarded>,
}

/// A command-line value that was dropped unread, so it cannot reach a
/// message or a `Debug` print.
#[derive(Debug, Clone, Copy)]
pub struct Discarded;

fn discard(_: &str) -> Result<Discarded, String> {
    Ok(Discarded)
}

/// Where a session key came from, for messages (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Env,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File(path) => write!(f, "--session-key-file {}", path.display()),
            KeySource::Env => f.write_str(SESSION_KEY_ENV),
        }
    }
}

impl JoinArgs {
    /// Refuses the trap arguments; see the fields' docs.
    fn refuse_key_arguments(&self) -> Result<(), UsageError> {
        if self.session_key_argument.is_some() {
            return Err(UsageError::new(format!(
                "--session-key is not accepted: a key on the command line shows in `ps` and shell history; \
                 put it in a file and pass --session-key-file PATH, or set {SESSION_KEY_ENV}"
            )));
        }
        if !self.stray.is_empty() {
            return Err(UsageError::new(format!(
                "unexpected positional argument (not shown, in case it is a key): every value goes after its flag, \
                 e.g. --nonce N; the session key goes in --session-key-file PATH or {SESSION_KEY_ENV}"
            )));
        }
        Ok(())
    }

    /// The four fields, checked: a one-line error naming the flag otherwise.
    pub fn fields(&self) -> Result<JoinFields<'_>, UsageError> {
        let timestamp = parse_timestamp(&self.timestamp).map_err(field_error)?;
        let fields = JoinFields {
            app_id: &self.app_id,
            group_id: &self.group_id,
            nonce: &self.nonce,
            timestamp,
        };
        fields.check().map_err(field_error)?;
        Ok(fields)
    }

    /// The session key and where it came from.
    pub fn session_key(&self) -> Result<(SessionKey, KeySource), UsageError> {
        load_session_key(
            self.session_key_file.as_deref(),
            std::env::var_os(SESSION_KEY_ENV),
        )
    }

    /// Fields, key and signer, with `--explain` printed when asked: what
    /// `sign` and `verify` both start with.
    pub fn prepare(&self) -> Result<(JoinFields<'_>, Signer), UsageError> {
        self.refuse_key_arguments()?;
        let fields = self.fields()?;
        let (key, source) = self.session_key()?;
        if let Some(position) = first_non_base64(&key) {
            eprintln!(
                "voipsim: warning: the session key from {source} has a character that is not base64 text at \
                 position {position} (whitespace or a stray symbol?); WeChat's session_key is plain base64, \
                 so a signature with this key will not match WeChat's"
            );
        }
        if self.explain {
            eprint!("{}", explain(&fields, &key, &source));
        }
        Ok((fields, Signer::new(&key)))
    }
}

/// Names the flag of an input error and keeps the library's reason and fix.
fn field_error(err: InputError) -> UsageError {
    let flag = match err {
        InputError::EmptyNonce | InputError::NonceTooLong { .. } => "--nonce",
        InputError::EmptyTimestamp
        | InputError::TimestampInMillis { .. }
        | InputError::TimestampNotDecimal { .. }
        | InputError::TimestampLeadingZero { .. }
        | InputError::TimestampTooLarge { .. } => "--timestamp",
        InputError::EmptyAppId => "--app-id",
        InputError::EmptyGroupId => "--group-id",
        InputError::EmptySessionKey => "session key",
    };
    UsageError::new(format!("{flag}: {err}"))
}

/// Reads the session key: the file if one is named (it wins over the
/// environment), else the environment value `env`. Messages name the source
/// and the fix, never the key.
pub fn load_session_key(
    file: Option<&Path>,
    env: Option<OsString>,
) -> Result<(SessionKey, KeySource), UsageError> {
    if let Some(path) = file {
        let source = KeySource::File(path.to_path_buf());
        let text = read_key_file(path)?;
        let key = SessionKey::from_file_contents(&text).map_err(|_| {
            UsageError::new(format!(
                "{source}: the file is empty: write the user's session_key into it (its base64 text, as code2Session returned it)"
            ))
        })?;
        return Ok((key, source));
    }
    let Some(value) = env else {
        return Err(UsageError::new(format!(
            "no session key: set {SESSION_KEY_ENV} or pass --session-key-file PATH (a file holding the user's \
             session_key, the base64 text code2Session returned); it is never taken as a plain argument"
        )));
    };
    let text = value.into_string().map_err(|_| {
        UsageError::new(format!(
            "{SESSION_KEY_ENV} is not valid UTF-8: set it to the session_key's base64 text, as code2Session returned it"
        ))
    })?;
    let key = SessionKey::new(text).map_err(|_| {
        UsageError::new(format!(
            "{SESSION_KEY_ENV} is set but empty: set it to the user's session_key (its base64 text), \
             or pass --session-key-file PATH"
        ))
    })?;
    Ok((key, KeySource::Env))
}

fn read_key_file(path: &Path) -> Result<String, UsageError> {
    let shown = path.display();
    let unreadable = |err: std::io::Error| {
        UsageError::new(format!(
            "cannot read the session key file {shown}: {err}: check the path and its permissions"
        ))
    };
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|file| file.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(UsageError::new(format!(
            "the session key file {shown} is larger than {MAX_KEY_FILE_BYTES} bytes: it must hold only the \
             session_key (24 characters of base64 text); check that the path is right"
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        UsageError::new(format!(
            "the session key file {shown} is not UTF-8 text: it must hold the session_key's base64 text, \
             as code2Session returned it (not decoded bytes)"
        ))
    })
}

/// The 1-based position of the key's first character outside the base64
/// alphabet, if any.
fn first_non_base64(key: &SessionKey) -> Option<usize> {
    key.expose_bytes()
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
        .map(|i| i + 1)
}

/// The `--explain` text: the four values in JavaScript sort order with
/// their names, the joined string, and the key's source and length (never
/// the key).
pub fn explain(fields: &JoinFields, key: &SessionKey, source: &KeySource) -> String {
    let timestamp = fields.timestamp.to_string();
    let mut named = [
        ("appId", fields.app_id),
        ("groupId", fields.group_id),
        ("nonceStr", fields.nonce),
        ("timeStamp", timestamp.as_str()),
    ];
    named.sort_by(|a, b| cmp_js(a.1, b.1));

    let mut out = String::from(
        "sorted parts (JavaScript's Array.prototype.sort() order, by UTF-16 code units):\n",
    );
    for (i, (name, value)) in named.iter().enumerate() {
        let _ = writeln!(out, "  {}. {name:<9} {value:?}", i + 1);
    }
    let joined = fields.canonical_message();
    let _ = writeln!(out, "joined ({} bytes): {joined:?}", joined.len());
    let when = time::OffsetDateTime::from_unix_timestamp(i64::from(fields.timestamp))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "timeStamp {} is {when} (UNIX seconds, UTC)",
        fields.timestamp
    );
    let _ = writeln!(
        out,
        "key: from {source}, {} bytes, used as text (not base64-decoded); not shown",
        key.expose_bytes().len()
    );
    out.push_str("signature = lowercase hex of HMAC-SHA256(key, joined)\n");
    out
}

#[derive(Debug, clap::Args)]
#[command(after_help = SIGN_AFTER_HELP)]
pub struct SignArgs {
    #[command(flatten)]
    pub join: JoinArgs,
}

pub fn run(args: SignArgs) -> CliResult {
    let (fields, signer) = args.join.prepare()?;
    println!("{}", signer.sign(&fields));
    Ok(ExitCode::from(EXIT_OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "gDyVgzwa0mFz9uUP7M6GQQ==";

    fn temp_key_file(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, contents).unwrap();
        file
    }

    #[test]
    fn file_wins_over_environment() {
        let file = temp_key_file(b"from-file\n");
        let (key, source) = load_session_key(Some(file.path()), Some("from-env".into())).unwrap();
        assert_eq!(key.expose_bytes(), b"from-file");
        assert_eq!(source, KeySource::File(file.path().to_path_buf()));
        let (key, source) = load_session_key(None, Some("from-env".into())).unwrap();
        assert_eq!(key.expose_bytes(), b"from-env");
        assert_eq!(source, KeySource::Env);
    }

    #[test]
    fn missing_key_says_how_to_provide_it() {
        let msg = load_session_key(None, None).unwrap_err().to_string();
        assert!(
            msg.contains(SESSION_KEY_ENV) && msg.contains("--session-key-file"),
            "{msg}"
        );
        let msg = load_session_key(None, Some("".into()))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("empty"), "{msg}");
    }

    #[test]
    fn key_file_errors_name_the_path() {
        let msg = load_session_key(Some(Path::new("/nonexistent/key.txt")), None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("/nonexistent/key.txt") && msg.contains("No such file"),
            "{msg}"
        );
        let big = temp_key_file(&[b'a'; 5000]);
        let msg = load_session_key(Some(big.path()), None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("larger than"), "{msg}");
        let binary = temp_key_file(&[0xff, 0xfe]);
        let msg = load_session_key(Some(binary.path()), None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("not UTF-8"), "{msg}");
        let empty = temp_key_file(b"\n");
        let msg = load_session_key(Some(empty.path()), None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("empty"), "{msg}");
    }

    #[test]
    fn explain_shows_the_order_and_never_the_key() {
        let fields = JoinFields {
            app_id: "wx20afc706a711eefc",
            group_id: "1559129713_672975982",
            nonce: "8AP6DT9ybtniUJfb",
            timestamp: 1559129714,
        };
        let key = SessionKey::new(KEY).unwrap();
        let text = explain(&fields, &key, &KeySource::Env);
        assert!(!text.contains(KEY), "{text}");
        let order: Vec<&str> = ["groupId", "timeStamp", "nonceStr", "appId"].to_vec();
        let positions: Vec<usize> = order.iter().map(|n| text.find(n).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(
            text.contains("\"1559129713_67297598215591297148AP6DT9ybtniUJfbwx20afc706a711eefc\"")
        );
        assert!(text.contains("2019-05-29T11:35:14Z"), "{text}");
        assert!(text.contains("24 bytes"), "{text}");
    }

    #[test]
    fn non_base64_key_characters_are_found() {
        assert_eq!(first_non_base64(&SessionKey::new(KEY).unwrap()), None);
        assert_eq!(first_non_base64(&SessionKey::new("ab c").unwrap()), Some(3));
    }
}
