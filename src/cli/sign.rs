//! `voipsim sign`: print the join signature `wx.joinVoIPChat` expects.
//!
//! Also home of [`JoinArgs`], the flags `sign` and `verify` share (the four
//! signed fields, where the session key comes from, `--explain`), and of
//! what both do with them: read the key (through [`crate::secrets`], which
//! owns where keys come from and every message about them), build the
//! checked [`JoinFields`], explain the canonical string. The key is never a
//! plain argument (it would show in `ps` and shell history) and never
//! printed.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::secrets::{self, SecretError, SecretSource, first_non_base64};
use crate::signature::{InputError, JoinFields, SessionKey, Signer, cmp_js, parse_timestamp};

use super::{CliResult, EXIT_OK, UsageError};

pub use crate::secrets::SESSION_KEY_ENV;

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

pub fn discard(_: &str) -> Result<Discarded, String> {
    Ok(Discarded)
}

impl JoinArgs {
    /// Refuses the trap arguments; see the fields' docs.
    fn refuse_key_arguments(&self) -> Result<(), SecretError> {
        if self.session_key_argument.is_some() {
            return Err(SecretError::KeyOnCommandLine);
        }
        if !self.stray.is_empty() {
            return Err(SecretError::StrayArgument);
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
    pub fn session_key(&self) -> Result<(SessionKey, SecretSource), SecretError> {
        secrets::load_session_key(
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
            super::output::print_stderr(&format!(
                "voipsim: warning: the session key from {source} has a character that is not base64 text at \
                 position {position} (whitespace or a stray symbol?); WeChat's session_key is plain base64, \
                 so a signature with this key will not match WeChat's\n"
            ))?;
        }
        if self.explain {
            super::output::print_stderr(&explain(&fields, &key, &source))?;
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

/// The `--explain` text: the four values in JavaScript sort order with
/// their names, the joined string, and the key's source and length (never
/// the key).
pub fn explain(fields: &JoinFields, key: &SessionKey, source: &SecretSource) -> String {
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
    super::output::print_stdout(&format!("{}\n", signer.sign(&fields)))?;
    Ok(ExitCode::from(EXIT_OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "gDyVgzwa0mFz9uUP7M6GQQ==";

    #[test]
    fn explain_shows_the_order_and_never_the_key() {
        let fields = JoinFields {
            app_id: "wx20afc706a711eefc",
            group_id: "1559129713_672975982",
            nonce: "8AP6DT9ybtniUJfb",
            timestamp: 1559129714,
        };
        let key = SessionKey::new(KEY).unwrap();
        let text = explain(&fields, &key, &SecretSource::Env(SESSION_KEY_ENV));
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
}
