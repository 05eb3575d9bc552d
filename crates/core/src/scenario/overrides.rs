//! `--set PATH=VALUE`: a scenario key set from the command line, applied to
//! the parsed TOML tree before the typed layers, so an override is checked
//! exactly like the file (types, unknown keys, ranges) and its errors name
//! the flag instead of a line of the file.
//!
//! How the errors find the flag: the text the later layers see is the file
//! followed by one line per override (`--set PATH=VALUE`), and each
//! override's value is parsed from its line, so its span lies past the
//! file's end. [`Overrides::relabel`] turns every error located on such a
//! line into an error of that flag.
//!
//! PATH is dotted keys, with `[N]` (from 0) or `[NAME]` (the element whose
//! `name` is NAME) to pick an element of a list of tables:
//! `workloads[0].arrivals`, `workloads[team-rooms].party`,
//! `apps.game.capacity`. VALUE is a TOML value (`12`, `0.5`, `true`,
//! `"5/min"`, `{ size = 3 }`, `[2, 6]`); anything that is not one is taken
//! as a string, so `--set duration=2h` works unquoted. Every key but the
//! last must already be in the scenario (a misspelt table is an error, not
//! a new table); the last may be new, and the scenario's own checks decide
//! whether it is a key the format knows.

use std::borrow::Cow;
use std::ops::Range;
use std::path::PathBuf;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{ScenarioError, line_col};
use super::suggest::nearest;
use crate::echo::echo;

/// One step of an override's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A table's key.
    Key(String),
    /// A list element by position, from 0.
    Index(usize),
    /// The list element (a table) whose `name` is this.
    Name(String),
}

/// One `--set PATH=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The path as written.
    pub path: String,
    pub steps: Vec<PathStep>,
    /// The value as written.
    pub value: String,
    /// The flag it came from, for messages: `--set`, or `--param` for a
    /// sweep's or search's point.
    pub flag_name: &'static str,
}

impl Override {
    /// `--set PATH=VALUE`, as messages name it (a long value cut short).
    pub fn flag(&self) -> String {
        format!("{} {}={}", self.flag_name, self.path, echo(&self.value))
    }
}

/// Parses `PATH=VALUE`. The message says what is wrong and how to write
/// it; the caller prefixes the flag.
pub fn parse_override(text: &str) -> Result<Override, String> {
    let Some((path, value)) = text.split_once('=') else {
        return Err(format!(
            "`{}` has no `=`; write PATH=VALUE, like duration=2h or apps.game.capacity=8",
            echo(text)
        ));
    };
    let path = path.trim();
    let steps = parse_path(path)?;
    let value = value.trim();
    if value.is_empty() {
        return Err(format!(
            "no value after `{path}=`; write PATH=VALUE, like {path}=10 (quote text: {path}='\"a b\"')"
        ));
    }
    if value.contains('\n') {
        return Err("the value spans lines; write it on one line (TOML inline tables and arrays fit on one)".into());
    }
    Ok(Override {
        path: path.to_string(),
        steps,
        value: value.to_string(),
        flag_name: "--set",
    })
}

/// Parses `a.b[0].c[name]`.
pub fn parse_path(path: &str) -> Result<Vec<PathStep>, String> {
    const HINT: &str = "write keys joined by dots, with [N] or [NAME] for a list element, like workloads[0].arrivals or apps.game.capacity";
    if path.is_empty() {
        return Err(format!("the path is empty; {HINT}"));
    }
    let mut steps = Vec::new();
    let mut rest = path;
    let mut expect_key = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let Some(close) = after.find(']') else {
                return Err(format!("`[` is not closed in `{}`; {HINT}", echo(path)));
            };
            let inner = after[..close].trim();
            if inner.is_empty() {
                return Err(format!("`[]` in `{}` is empty; {HINT}", echo(path)));
            }
            steps.push(match inner.parse::<usize>() {
                Ok(i) => PathStep::Index(i),
                Err(_) => PathStep::Name(inner.trim_matches('"').to_string()),
            });
            rest = &after[close + 1..];
            expect_key = false;
            continue;
        }
        if !expect_key {
            rest = rest.strip_prefix('.').ok_or_else(|| {
                format!("`{}`: expected `.` or `[` after `]`; {HINT}", echo(path))
            })?;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let key = &rest[..end];
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "`{}` has an empty or malformed key; {HINT}",
                echo(path)
            ));
        }
        steps.push(PathStep::Key(key.to_string()));
        rest = &rest[end..];
        expect_key = false;
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
            expect_key = true;
            if rest.is_empty() {
                return Err(format!("`{}` ends with `.`; {HINT}", echo(path)));
            }
        }
    }
    Ok(steps)
}

/// The overrides laid after a scenario's text: the text the later layers
/// read, and where each override's line is.
#[derive(Debug)]
pub struct Overrides<'a> {
    /// The scenario's text, then one line per override.
    pub text: String,
    /// The length of the scenario's own text.
    pub file_len: usize,
    list: &'a [Override],
    /// Each override's line in `text` (1-based), and its value's byte range.
    placed: Vec<(usize, Range<usize>)>,
}

impl<'a> Overrides<'a> {
    /// Lays `list` after `file_text`.
    pub fn lay(file_text: &str, list: &'a [Override]) -> Self {
        let mut text = String::with_capacity(file_text.len() + 64 * list.len());
        text.push_str(file_text);
        let mut placed = Vec::with_capacity(list.len());
        for o in list {
            text.push('\n');
            let line = line_col(&text, text.len()).0;
            text.push_str("--set ");
            text.push_str(&o.path);
            text.push('=');
            let start = text.len();
            text.push_str(&o.value);
            placed.push((line, start..text.len()));
        }
        Overrides {
            text,
            file_len: file_text.len(),
            list,
            placed,
        }
    }

    /// Applies every override to `root` (parsed from `self.text[..file_len]`),
    /// in order. Errors name the flag.
    pub fn apply<'t>(&'t self, root: &mut DeTable<'t>) -> Result<(), Vec<ScenarioError>> {
        let mut errors = Vec::new();
        for (o, (_, range)) in self.list.iter().zip(&self.placed) {
            let value = self.value(range.clone());
            if let Err(message) = set(root, &o.steps, value, range.clone()) {
                errors.push(flag_error(o, message));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The value at `range` of the text: a TOML value if it parses as one,
    /// else the text as a string.
    fn value(&self, range: Range<usize>) -> Spanned<DeValue<'_>> {
        let written = &self.text[range.clone()];
        match DeValue::parse(written) {
            Ok(mut v) => {
                shift(&mut v, range.start);
                v
            }
            Err(_) => Spanned::new(range, DeValue::String(Cow::Borrowed(written))),
        }
    }

    /// An error the later layers located on an override's line becomes an
    /// error of that flag; others are left alone.
    pub fn relabel(&self, mut error: ScenarioError, origin: &std::path::Path) -> ScenarioError {
        if error.file != origin {
            return error;
        }
        let Some(line) = error.line else {
            return error;
        };
        if let Some(i) = self.placed.iter().position(|(l, _)| *l == line) {
            error = flag_error(&self.list[i], error.message);
        }
        error
    }
}

/// An error of one override: shown as `--set PATH=VALUE: message`.
fn flag_error(o: &Override, message: String) -> ScenarioError {
    ScenarioError {
        file: PathBuf::from(o.flag()),
        line: None,
        column: None,
        message,
    }
}

/// Moves every span of `value` (parsed on its own) by `by` bytes.
fn shift(value: &mut Spanned<DeValue<'_>>, by: usize) {
    let span = value.span();
    let inner = std::mem::replace(value.get_mut(), DeValue::Boolean(false));
    let inner = match inner {
        DeValue::Array(mut items) => {
            for item in items.iter_mut() {
                shift(item, by);
            }
            DeValue::Array(items)
        }
        DeValue::Table(table) => {
            let mut moved = DeTable::new();
            for (k, mut v) in table {
                let ks = k.span();
                shift(&mut v, by);
                moved.insert(Spanned::new(ks.start + by..ks.end + by, k.into_inner()), v);
            }
            DeValue::Table(moved)
        }
        other => other,
    };
    *value = Spanned::new(span.start + by..span.end + by, inner);
}

/// The keys of a table, for "did you mean" and "its keys are".
fn keys<'t>(table: &'t DeTable<'_>) -> Vec<&'t str> {
    table.keys().map(|k| k.get_ref().as_ref()).collect()
}

/// Sets `steps` in `root` to `value`.
fn set<'t>(
    root: &mut DeTable<'t>,
    steps: &[PathStep],
    value: Spanned<DeValue<'t>>,
    span: Range<usize>,
) -> Result<(), String> {
    set_in_table(root, steps, &mut String::new(), value, span)
}

fn set_in_table<'t>(
    table: &mut DeTable<'t>,
    steps: &[PathStep],
    walked: &mut String,
    value: Spanned<DeValue<'t>>,
    span: Range<usize>,
) -> Result<(), String> {
    match steps {
        [PathStep::Key(key)] => {
            table.insert(Spanned::new(span, Cow::Owned(key.clone())), value);
            Ok(())
        }
        [PathStep::Key(key), rest @ ..] => {
            let known: Vec<String> = keys(table).iter().map(|k| k.to_string()).collect();
            let Some(next) = table.get_mut(key.as_str()) else {
                return Err(missing_key(walked, key, &known));
            };
            push_step(walked, &steps[0]);
            set_in_value(next, rest, walked, value, span)
        }
        _ => Err(format!(
            "`{}` is a table, not a list; name one of its keys with `.KEY`",
            shown(walked)
        )),
    }
}

fn set_in_value<'t>(
    here: &mut Spanned<DeValue<'t>>,
    steps: &[PathStep],
    walked: &mut String,
    value: Spanned<DeValue<'t>>,
    span: Range<usize>,
) -> Result<(), String> {
    if let DeValue::Table(table) = here.get_mut() {
        return set_in_table(table, steps, walked, value, span);
    }
    let Some((step, rest)) = steps.split_first() else {
        return Err("the path is empty".into());
    };
    let slot = element(here.get_mut(), step, walked)?;
    push_step(walked, step);
    if rest.is_empty() {
        *slot = value;
        Ok(())
    } else {
        set_in_value(slot, rest, walked, value, span)
    }
}

/// The element of the list `here` that `step` picks.
fn element<'x, 't>(
    here: &'x mut DeValue<'t>,
    step: &PathStep,
    walked: &str,
) -> Result<&'x mut Spanned<DeValue<'t>>, String> {
    let DeValue::Array(items) = here else {
        return Err(format!(
            "`{}` is a single value, not a table or list; set it whole: --set {}=VALUE",
            shown(walked),
            shown(walked)
        ));
    };
    let len = items.len();
    match step {
        PathStep::Index(i) => items.get_mut(*i).ok_or_else(|| {
            format!(
                "`{}` has {len} element(s), so [{i}] is past its end; count from 0",
                shown(walked)
            )
        }),
        PathStep::Name(name) => {
            let names: Vec<String> = items
                .iter()
                .filter_map(|v| v.get_ref().get("name"))
                .filter_map(|n| n.get_ref().as_str().map(str::to_string))
                .collect();
            let found = items.iter_mut().find(|v| {
                v.get_ref()
                    .get("name")
                    .and_then(|n| n.get_ref().as_str())
                    .is_some_and(|n| n == name)
            });
            found.ok_or_else(|| {
                format!(
                    "no element of `{}` is named `{}`{}; pick one by position, like [0]",
                    shown(walked),
                    echo(name),
                    if names.is_empty() {
                        String::from(" (none has a name)")
                    } else {
                        format!(" (names: {})", names.join(", "))
                    }
                )
            })
        }
        PathStep::Key(key) => Err(format!(
            "`{}` is a list; pick an element with [N] or [NAME] before `.{key}`",
            shown(walked)
        )),
    }
}

fn missing_key(walked: &str, key: &str, known: &[String]) -> String {
    let at = if walked.is_empty() {
        format!("`{key}` is not in the scenario")
    } else {
        format!("`{walked}` has no `{key}`")
    };
    let hint = match nearest(key, known.iter().map(String::as_str)) {
        Some(near) => format!("; did you mean `{near}`?"),
        None if known.is_empty() => String::new(),
        None => format!("; its keys are: {}", known.join(", ")),
    };
    format!(
        "{at}{hint} (every key but the last must already be in the scenario: to add a table, set it whole, like {}={{ … }})",
        if walked.is_empty() {
            key.to_string()
        } else {
            format!("{walked}.{key}")
        }
    )
}

fn shown(walked: &str) -> &str {
    if walked.is_empty() {
        "the scenario"
    } else {
        walked
    }
}

fn push_step(walked: &mut String, step: &PathStep) {
    match step {
        PathStep::Key(k) if walked.is_empty() => walked.push_str(k),
        PathStep::Key(k) => {
            walked.push('.');
            walked.push_str(k);
        }
        PathStep::Index(i) => walked.push_str(&format!("[{i}]")),
        PathStep::Name(n) => walked.push_str(&format!("[{n}]")),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::{Scenario, ScenarioErrors, parse_with};

    const FILE: &str = r#"
name = "o"
duration = "1h"

[apps.game]
capacity = 10

[[workloads]]
name = "teams"
app = "game"
arrivals = { poisson = "10/min" }
party = { size = 2 }
stay = { exponential = "5m" }
"#;

    fn with(sets: &[&str]) -> Result<Scenario, ScenarioErrors> {
        let list: Vec<Override> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
        parse_with(FILE, Path::new("o.toml"), &list)
    }

    /// The one error of `sets`, displayed.
    fn error(sets: &[&str]) -> String {
        let errors = with(sets).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors}");
        errors.to_string()
    }

    #[test]
    fn paths_parse() {
        use PathStep::*;
        assert_eq!(
            parse_path("workloads[0].arrivals").unwrap(),
            vec![Key("workloads".into()), Index(0), Key("arrivals".into())]
        );
        assert_eq!(
            parse_path("workloads[teams].party.size").unwrap(),
            vec![
                Key("workloads".into()),
                Name("teams".into()),
                Key("party".into()),
                Key("size".into())
            ]
        );
        for bad in ["", "a..b", "a.", "a[0", "a[]", "a[0]b", "a b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
        assert!(parse_override("duration").unwrap_err().contains("no `=`"));
        assert!(
            parse_override("duration=")
                .unwrap_err()
                .contains("no value")
        );
    }

    #[test]
    fn overrides_set_keys_of_every_kind() {
        let s = with(&[
            "duration=2h",
            "seed=7",
            "apps.game.capacity=4",
            "workloads[teams].party={ size = 3 }",
            "workloads[0].arrivals.poisson=20/min",
        ])
        .unwrap();
        assert_eq!(s.duration.as_secs(), 7200);
        assert_eq!(s.seed, 7);
        assert_eq!(s.apps[0].capacity, 4);
        assert_eq!(s.workloads[0].party.max(), 3);
        // Without overrides the file is as written.
        let plain = with(&[]).unwrap();
        assert_eq!(
            (plain.duration.as_secs(), plain.apps[0].capacity),
            (3600, 10)
        );
    }

    #[test]
    fn errors_name_the_flag() {
        // Unknown last key: the format's own "did you mean".
        let e = error(&["workloads[0].stay_time=5m"]);
        assert!(e.starts_with("--set workloads[0].stay_time=5m: "), "{e}");
        assert!(e.contains("stay"), "{e}");
        // Wrong type.
        let e = error(&["apps.game.capacity=many"]);
        assert!(e.starts_with("--set apps.game.capacity=many: "), "{e}");
        // A value the later checks refuse.
        let e = error(&["duration=-5m"]);
        assert!(e.starts_with("--set duration=-5m: "), "{e}");
        // Unknown table on the way.
        let e = error(&["apps.gaem.capacity=3"]);
        assert!(
            e.contains("`apps` has no `gaem`; did you mean `game`?"),
            "{e}"
        );
        let e = error(&["workloads[3].party={ size = 1 }"]);
        assert!(
            e.contains("has 1 element(s), so [3] is past its end"),
            "{e}"
        );
        let e = error(&["workloads[matches].party={ size = 1 }"]);
        assert!(
            e.contains("no element of `workloads` is named `matches` (names: teams)"),
            "{e}"
        );
        let e = error(&["duration.x=1"]);
        assert!(e.contains("`duration` is a single value"), "{e}");
    }
}
