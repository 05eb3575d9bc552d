//! Turns the TOML parser's and serde's messages into scenario errors that
//! say where (file:line:col, and which workload or app), what, and how to
//! fix it.
//!
//! serde reports one problem and a byte span. To name the key and the
//! workload it belongs to, the span is looked up in the parsed document
//! tree ([`toml::de::DeTable`]), which keeps every key's span.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::ScenarioError;
use super::suggest::nearest;

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// The path of the innermost key or value at byte `offset`.
pub fn path_at(root: &DeTable<'_>, offset: usize) -> Vec<Seg> {
    let mut path = Vec::new();
    if !search_table(root, offset, &mut path) {
        path.clear();
    }
    path
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end.max(span.start + 1)
}

fn search_table(table: &DeTable<'_>, offset: usize, path: &mut Vec<Seg>) -> bool {
    for (key, value) in table.iter() {
        path.push(Seg::Key(key.get_ref().to_string()));
        if contains(&key.span(), offset) || search_value(value, offset, path) {
            return true;
        }
        path.pop();
    }
    false
}

fn search_value(value: &Spanned<DeValue<'_>>, offset: usize, path: &mut Vec<Seg>) -> bool {
    match value.get_ref() {
        DeValue::Table(table) => {
            search_table(table, offset, path) || contains(&value.span(), offset)
        }
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                if search_value(item, offset, path) {
                    return true;
                }
                path.pop();
            }
            contains(&value.span(), offset)
        }
        _ => contains(&value.span(), offset),
    }
}

/// Where a path points, for messages: the dotted key inside its section,
/// and the section (" in workload 'matches'", " in [apps.game]", or "").
pub fn describe(root: &DeTable<'_>, path: &[Seg]) -> (String, String) {
    let (section, rest) = match path {
        [Seg::Key(w), Seg::Index(i), rest @ ..] if w == "workloads" => {
            (format!(" in workload '{}'", workload_name(root, *i)), rest)
        }
        [Seg::Key(a), Seg::Key(name), rest @ ..] if a == "apps" => {
            (format!(" in [apps.{name}]"), rest)
        }
        _ => (String::new(), path),
    };
    let mut key = String::new();
    for seg in rest {
        match seg {
            Seg::Key(k) => {
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(k);
            }
            Seg::Index(i) => key.push_str(&format!("[{i}]")),
        }
    }
    (key, section)
}

/// The name of workload `index` as messages call it: its `name`, or the
/// default `workload-N`.
pub fn workload_name(root: &DeTable<'_>, index: usize) -> String {
    root.get("workloads")
        .and_then(|w| w.get_ref().as_array())
        .and_then(|items| items.get(index))
        .and_then(|w| w.get_ref().as_table())
        .and_then(|t| t.get("name"))
        .and_then(|n| n.get_ref().as_str().map(str::to_string))
        .unwrap_or_else(|| format!("workload-{}", index + 1))
}

/// Keys that belong at the top of the file. In TOML, a key written after a
/// `[table]` header belongs to that table, a common slip for `thresholds`.
const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "start",
    "duration",
    "report_interval",
    "warm_start",
    "warmup",
    "thresholds",
];

/// A TOML syntax error.
pub fn syntax_error(file: &Path, text: &str, error: &toml::de::Error) -> ScenarioError {
    let message = format!(
        "invalid TOML: {}; check quotes, brackets and `key = value` syntax on this line",
        error.message().trim_end_matches('.')
    );
    located(file, text, error.span(), message)
}

/// A serde error from deserializing the document into the raw types.
pub fn serde_error(
    file: &Path,
    text: &str,
    root: &DeTable<'_>,
    error: &toml::de::Error,
) -> ScenarioError {
    let message = error.message().trim();
    let path = error
        .span()
        .map(|s| path_at(root, s.start))
        .unwrap_or_default();
    let (key, section) = describe(root, &path);
    let rewritten = if let Some(rest) = message.strip_prefix("unknown field ") {
        unknown_key(rest, &key, &section)
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (found, expected) = split_expected(rest);
        let near = nearest(&found, expected.iter().map(String::as_str));
        format!(
            "`{key}`{section}: unknown value \"{found}\"; {}expected {}",
            near.map_or(String::new(), |n| format!("did you mean \"{n}\"? ")),
            quoted_list(&expected)
        )
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        format!(
            "`{key}`{section}: found {found}, expected {}; {}",
            plain_type(expected),
            type_hint(&key)
        )
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another value"));
        format!(
            "`{key}`{section}: {found} is out of range, expected {}; {}",
            plain_type(expected),
            type_hint(&key)
        )
    } else if message.starts_with("invalid length") {
        format!("`{key}`{section}: {message}; {}", type_hint(&key))
    } else if key.is_empty() {
        message.to_string()
    } else {
        format!("`{key}`{section}: {message}")
    };
    located(file, text, error.span(), rewritten)
}

fn located(file: &Path, text: &str, span: Option<Range<usize>>, message: String) -> ScenarioError {
    match span {
        Some(span) => ScenarioError::spanned(file, text, span, message),
        None => ScenarioError::file(file, message),
    }
}

/// `` `stay_time`, expected one of `a`, `b` `` → the rewritten message.
fn unknown_key(rest: &str, key: &str, section: &str) -> String {
    let (found, expected) = split_expected(rest);
    unknown_key_message(&found, &expected, key, section)
}

/// The message for unknown key `found` at `key` (its dotted path in its
/// section), where the table knows `expected`.
pub(crate) fn unknown_key_message(
    found: &str,
    expected: &[String],
    key: &str,
    section: &str,
) -> String {
    let place = if section.is_empty() && !key.contains('.') {
        " at the top level".to_string()
    } else {
        let parent = key
            .rsplit_once('.')
            .map(|(p, _)| format!(" in `{p}`"))
            .unwrap_or_default();
        format!("{parent}{section}")
    };
    let mut message = format!("unknown key `{found}`{place}");
    if !section.is_empty()
        && TOP_LEVEL_KEYS.contains(&found)
        && !expected.iter().any(|e| e == found)
    {
        message.push_str(&format!(
            "; `{found}` belongs at the top of the file: move it above the first [table] header \
             (in TOML, keys after a header belong to that table)"
        ));
    } else if let Some(near) = nearest(found, expected.iter().map(String::as_str)) {
        message.push_str(&format!("; did you mean `{near}`?"));
    } else if !expected.is_empty() {
        message.push_str(&format!("; known keys here: {}", expected.join(", ")));
    }
    message
}

/// Splits `` `x`, expected one of `a`, `b` `` into `x` and `[a, b]`.
fn split_expected(rest: &str) -> (String, Vec<String>) {
    let (found, expected) = rest.split_once(", expected").unwrap_or((rest, ""));
    let found = found.trim().trim_matches('`').to_string();
    let expected = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    (found, expected)
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    match quoted.len() {
        0 => "another value".to_string(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// serde's Rust type names in words a QA engineer reads.
fn plain_type(expected: &str) -> String {
    match expected {
        "i64" | "i32" | "u32" => "a whole number".to_string(),
        "u64" => "a whole number ≥ 0".to_string(),
        "f64" | "f32" => "a number".to_string(),
        "a boolean" => "true or false".to_string(),
        other => other.to_string(),
    }
}

/// How to write the value of a key, by the key's last component.
fn type_hint(key: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    let last = last.split('[').next().unwrap_or(last);
    match last {
        "duration"
        | "report_interval"
        | "warmup"
        | "timestamp_tolerance"
        | "for"
        | "over"
        | "fixed"
        | "exponential"
        | "median"
        | "p95" => "write a duration in quotes, like \"30s\", \"15m\" or \"24h\"".into(),
        "stay" | "stagger" | "delay" => {
            "durations are text with a unit, in quotes, like \"300s\" or \"5m\"".into()
        }
        "poisson" | "profile" => "write a rate in quotes, like \"5/min\" or \"40/s\"".into(),
        "ramp" => "write two rates, like ramp = [\"0/s\", \"100/s\"]".into(),
        "at" => {
            "write a time of day like \"20:00\" or an offset from the start like \"+2h\"".into()
        }
        "start" => {
            "write an RFC 3339 instant with an offset, like \"2026-11-27T00:00:00+08:00\"".into()
        }
        "quota_day_offset" => "write a UTC offset in quotes, like \"+08:00\"".into(),
        "name" | "description" | "app" | "app_id" | "trace" | "empirical" => {
            "write text in quotes".into()
        }
        "seed" => "write a whole number without quotes, like 42".into(),
        "capacity" | "daily_quota" | "pool" | "recent" | "size" => {
            "write a whole number ≥ 1 without quotes, like 10".into()
        }
        "uniform" => {
            "write two values, like uniform = [2, 6] or uniform = [\"1m\", \"10m\"]".into()
        }
        "probability"
        | "reuse"
        | "factor"
        | "wrong_signature"
        | "millisecond_timestamp"
        | "stale_timestamp"
        | "stale_session_key" => "write a number without quotes, like 0.05".into(),
        "hourly" => "write 24 numbers, like hourly = [1, 1, 0.5, …]".into(),
        "points" => {
            "write [\"HH:MM\", weight] pairs, like points = [[\"08:00\", 1.0], [\"20:00\", 3.0]]"
                .into()
        }
        "weights" => {
            "write size = weight pairs, like weights = { \"2\" = 0.5, \"4\" = 0.5 }".into()
        }
        "thresholds" => {
            "write a list of strings, like thresholds = [\"quota.exhausted_days == 0\"]".into()
        }
        "signer" => "write \"backend\" or \"getvoipsign\" in quotes".into(),
        "warm_start" | "verify_signatures" | "nonce_replay" | "fresh" => {
            "write true or false".into()
        }
        "groups" => "write a table, like groups = { pool = 1000 }".into(),
        "arrivals" => "write a table, like arrivals = { poisson = \"1/min\" }".into(),
        "party" => "write a table, like party = { size = 2 }".into(),
        "reconnect" => {
            "write a table, like reconnect = { probability = 0.05, delay = \"10s\" }".into()
        }
        "faults" => "write a table, like faults = { wrong_signature = 0.001 }".into(),
        "bursts" => {
            "write a list of tables, like bursts = [{ at = \"20:00\", for = \"10m\", factor = 5 }]"
                .into()
        }
        "workloads" => "write one [[workloads]] table per workload".into(),
        "apps" => "write one [apps.NAME] table per app".into(),
        _ => "see docs/scenarios.md for the key's format".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(text: &str, needle: &str) -> Vec<Seg> {
        let root = DeTable::parse(text).unwrap();
        path_at(root.get_ref(), text.find(needle).unwrap())
    }

    #[test]
    fn finds_keys_in_array_of_tables() {
        let text = "name = 'x'\n[[workloads]]\nname = 'a'\n[[workloads]]\nname = 'b'\nstay = { exponential = '5m' }\n";
        assert_eq!(
            path_of(text, "exponential"),
            vec![
                Seg::Key("workloads".into()),
                Seg::Index(1),
                Seg::Key("stay".into()),
                Seg::Key("exponential".into())
            ]
        );
        let root = DeTable::parse(text).unwrap();
        let (key, section) = describe(root.get_ref(), &path_of(text, "exponential"));
        assert_eq!(key, "stay.exponential");
        assert_eq!(section, " in workload 'b'");
    }

    #[test]
    fn finds_keys_in_app_tables() {
        let text = "name = 'x'\n[apps.game]\ncapacity = 10\n";
        let root = DeTable::parse(text).unwrap();
        let (key, section) = describe(root.get_ref(), &path_of(text, "capacity"));
        assert_eq!(
            (key.as_str(), section.as_str()),
            ("capacity", " in [apps.game]")
        );
    }

    #[test]
    fn unknown_key_suggests() {
        let m = unknown_key(
            "`stay_time`, expected one of `name`, `stay`, `stagger`",
            "stay_time",
            " in workload 'm'",
        );
        assert_eq!(
            m,
            "unknown key `stay_time` in workload 'm'; did you mean `stay`?"
        );
        let m = unknown_key(
            "`thresholds`, expected one of `name`, `stay`",
            "thresholds",
            " in workload 'm'",
        );
        assert!(m.contains("belongs at the top of the file"), "{m}");
    }
}
