//! Every unknown key in a scenario, found before serde reads the file.
//!
//! serde's `deny_unknown_fields` stops at the first unknown key, and with
//! it every other check: a file with `stay_time`, a negative rate and a
//! party of 12 used to report only `stay_time`. So the parsed document tree
//! is walked beside the scenario's JSON Schema (generated from the same
//! `raw` types, so a key added there is known here at once): each table
//! whose schema allows no other keys gets its unknown keys reported, with
//! their spans and the keys the table does know. [`strip`] then removes
//! them, and the typed checks run on the rest.

use std::ops::Range;

use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnose::Seg;

/// One key the format does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// Where it is: the path from the top of the file, the key included.
    pub path: Vec<Seg>,
    /// The key's byte range.
    pub span: Range<usize>,
    /// The keys its table does know, in the schema's order.
    pub known: Vec<String>,
}

/// The unknown keys of `root` under `schema` (the scenario's JSON Schema),
/// in file order.
pub fn find(root: &DeTable<'_>, schema: &Value) -> Vec<UnknownKey> {
    let mut found = Vec::new();
    let mut path = Vec::new();
    walk_table(root, schema, schema, &mut path, &mut found);
    found.sort_by_key(|u| u.span.start);
    found
}

/// Removes the value at `path` (a key of a table, reached through tables
/// and array elements). Returns whether something was removed.
pub fn remove(root: &mut DeTable<'_>, path: &[Seg]) -> bool {
    let Some((Seg::Key(last), parents)) = path.split_last() else {
        return false;
    };
    let table = root;
    let mut value: Option<&mut Spanned<DeValue<'_>>> = None;
    for seg in parents {
        let next = match (seg, value.take()) {
            (Seg::Key(k), None) => table.get_mut(k.as_str()),
            (Seg::Key(k), Some(v)) => match v.get_mut() {
                DeValue::Table(t) => t.get_mut(k.as_str()),
                _ => None,
            },
            (Seg::Index(i), Some(v)) => match v.get_mut() {
                DeValue::Array(items) => items.get_mut(*i),
                _ => None,
            },
            (Seg::Index(_), None) => None,
        };
        match next {
            Some(v) => value = Some(v),
            None => return false,
        }
    }
    match value {
        None => table.remove(last.as_str()).is_some(),
        Some(v) => match v.get_mut() {
            DeValue::Table(t) => t.remove(last.as_str()).is_some(),
            _ => false,
        },
    }
}

/// `root` without the keys in `unknown`.
pub fn strip<'i>(root: &Spanned<DeTable<'i>>, unknown: &[UnknownKey]) -> Spanned<DeTable<'i>> {
    let mut stripped = root.clone();
    for key in unknown {
        remove(stripped.get_mut(), &key.path);
    }
    stripped
}

fn walk_table(
    table: &DeTable<'_>,
    schema: &Value,
    root: &Value,
    path: &mut Vec<Seg>,
    found: &mut Vec<UnknownKey>,
) {
    let Some(object) = variant(schema, root, |s| {
        s.get("properties").is_some() || s.get("additionalProperties").is_some()
    }) else {
        // Not a table to the schema: serde reports the wrong type.
        return;
    };
    let properties = object.get("properties").and_then(Value::as_object);
    let others = object.get("additionalProperties");
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        path.push(Seg::Key(name.to_string()));
        match (properties.and_then(|p| p.get(name)), others) {
            (Some(sub), _) => walk_value(value, sub, root, path, found),
            (None, Some(Value::Bool(false))) => found.push(UnknownKey {
                path: path.clone(),
                span: key.span(),
                known: properties
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default(),
            }),
            (None, Some(sub)) if sub.is_object() => walk_value(value, sub, root, path, found),
            (None, _) => {}
        }
        path.pop();
    }
}

fn walk_value(
    value: &Spanned<DeValue<'_>>,
    schema: &Value,
    root: &Value,
    path: &mut Vec<Seg>,
    found: &mut Vec<UnknownKey>,
) {
    match value.get_ref() {
        DeValue::Table(table) => walk_table(table, schema, root, path, found),
        DeValue::Array(items) => {
            let Some(items_schema) =
                variant(schema, root, |s| s.get("items").is_some()).and_then(|s| s.get("items"))
            else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk_value(item, items_schema, root, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The first schema reachable from `schema` through `$ref`, `anyOf`,
/// `oneOf` and `allOf` that `fits` (an untagged value such as a
/// distribution is either text or a table).
fn variant<'s>(schema: &'s Value, root: &'s Value, fits: fn(&Value) -> bool) -> Option<&'s Value> {
    variant_within(schema, root, fits, 0)
}

/// How deep references are followed: the scenario schema nests a few
/// levels; a cycle must not recurse forever.
const MAX_DEPTH: usize = 16;

fn variant_within<'s>(
    schema: &'s Value,
    root: &'s Value,
    fits: fn(&Value) -> bool,
    depth: usize,
) -> Option<&'s Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    if fits(schema) {
        return Some(schema);
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = target.strip_prefix('#')?;
        return variant_within(root.pointer(pointer)?, root, fits, depth + 1);
    }
    ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(|s| variant_within(s, root, fits, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(text: &str) -> Vec<(String, Range<usize>)> {
        let root = DeTable::parse(text).unwrap();
        find(root.get_ref(), &crate::scenario::raw::schema())
            .into_iter()
            .map(|u| {
                let (key, section) = crate::scenario::diagnose::describe(root.get_ref(), &u.path);
                (format!("{key}{section}"), u.span)
            })
            .collect()
    }

    #[test]
    fn finds_every_unknown_key_at_every_depth() {
        let text = "nme = 'x'\nduration = '1h'\n[apps.game]\ncapcity = 10\n\
                    [[workloads]]\nname = 'a'\nstay_time = '5m'\narrivals = { posson = '1/min' }\n\
                    stay = { lognormal = { median = '1m', p59 = '2m' } }\n\
                    bursts = [{ at = '20:00', for = '1h', factr = 2 }]\n";
        let found: Vec<String> = unknown(text).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            found,
            [
                "nme",
                "capcity in [apps.game]",
                "stay_time in workload 'a'",
                "arrivals.posson in workload 'a'",
                "stay.lognormal.p59 in workload 'a'",
                "bursts[0].factr in workload 'a'",
            ]
        );
    }

    #[test]
    fn a_known_file_has_none() {
        let text = crate::scenario::DEFAULT_SCENARIO;
        assert_eq!(unknown(text), vec![]);
    }

    #[test]
    fn spans_point_at_the_key() {
        let text = "name = 'x'\nstay_time = 1\n";
        assert_eq!(unknown(text), vec![("stay_time".to_string(), 11..20)]);
    }

    #[test]
    fn known_keys_are_those_of_the_table() {
        let text = "[[workloads]]\narrivals = { posson = '1/min' }\n";
        let root = DeTable::parse(text).unwrap();
        let found = find(root.get_ref(), &crate::scenario::raw::schema());
        assert_eq!(found.len(), 1);
        assert!(found[0].known.contains(&"poisson".to_string()));
        assert!(!found[0].known.contains(&"stay".to_string()));
    }

    #[test]
    fn remove_takes_keys_out_at_any_depth() {
        let text = "a = 1\n[[w]]\nb = { c = 1, d = 2 }\n";
        let mut root = DeTable::parse(text).unwrap();
        let path = [
            Seg::Key("w".into()),
            Seg::Index(0),
            Seg::Key("b".into()),
            Seg::Key("c".into()),
        ];
        assert!(remove(root.get_mut(), &path));
        assert!(!remove(root.get_mut(), &path));
        assert!(remove(root.get_mut(), &[Seg::Key("a".into())]));
        let w = root.get_ref().get("w").unwrap().get_ref();
        let b = w.get(0).unwrap().get_ref().get("b").unwrap().get_ref();
        assert!(b.get("c").is_none() && b.get("d").is_some());
        assert!(root.get_ref().get("a").is_none());
    }
}
