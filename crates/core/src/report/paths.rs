//! The shape of `summary.json`, read from its JSON Schema: which paths a
//! threshold may name, and what each one is (a number, a group of fields,
//! a list, a latency, text).
//!
//! The shape is derived from [`summary::json_schema`], never written by
//! hand, so a field added to the summary is a valid threshold metric the
//! moment it exists, and a renamed one is refused (with a suggestion) the
//! moment it is renamed: the list cannot drift from the file.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::Value;

use super::summary;

/// The name of the summary type whose objects take a percentile `p(N)`,
/// computed from the window's histogram.
const LATENCY_DEF: &str = "Latency";

/// How deep the schema is followed: the summary has no recursive type, so
/// this only guards against a cycle ever appearing.
const MAX_DEPTH: usize = 32;

/// One node of the summary's shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// An integer or a number (possibly null).
    Number,
    /// An object of named fields; `latency` when it is a [`summary::Latency`]
    /// (a percentile `p(N)` may follow it).
    Object {
        fields: BTreeMap<String, Shape>,
        latency: bool,
    },
    /// A list; `named` when its elements have a `name` field, so that an
    /// element may be picked by name (`apps.game`) as well as by index.
    List { items: Box<Shape>, named: bool },
    /// Anything a threshold cannot compare: text, true/false. The string
    /// says which, for error messages.
    Other(&'static str),
}

/// The shape of `summary.json`, built once from its schema.
pub fn summary_shape() -> &'static Shape {
    static SHAPE: LazyLock<Shape> = LazyLock::new(|| {
        let schema = summary::json_schema();
        let mut shape = Shape::from_schema(&schema, &schema, 0);
        // Thresholds are evaluated together, so one cannot read another's
        // outcome: `thresholds[0].observed` is not a metric.
        // The machine says where the run ran; its core count is no figure
        // of the run to gate.
        if let Shape::Object { fields, .. } = &mut shape {
            fields.remove("thresholds");
            fields.remove("machine");
        }
        shape
    });
    &SHAPE
}

impl Shape {
    /// The shape a schema node describes; `root` holds the `$defs`.
    fn from_schema(root: &Value, node: &Value, depth: usize) -> Shape {
        if depth > MAX_DEPTH {
            return Shape::Other("nested too deep");
        }
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or("");
            let target = root.get("$defs").and_then(|d| d.get(name));
            return match target {
                Some(target) => match Shape::from_schema(root, target, depth + 1) {
                    Shape::Object { fields, .. } if name == LATENCY_DEF => Shape::Object {
                        fields,
                        latency: true,
                    },
                    shape => shape,
                },
                None => Shape::Other("unknown"),
            };
        }
        // An `Option<T>` is `anyOf: [T, null]`: the value may be null, and
        // null fails a threshold at evaluation, so the shape is T's.
        for key in ["anyOf", "oneOf"] {
            if let Some(variants) = node.get(key).and_then(Value::as_array) {
                let not_null = variants
                    .iter()
                    .find(|v| v.get("type").and_then(Value::as_str) != Some("null"));
                return match not_null {
                    Some(v) if variants.iter().all(|v| v.get("const").is_none()) => {
                        Shape::from_schema(root, v, depth + 1)
                    }
                    // An enum of constants (`mode`) is text.
                    _ => Shape::Other("text"),
                };
            }
        }
        let types: Vec<&str> = match node.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let kind = types.iter().copied().find(|t| *t != "null").unwrap_or("");
        match kind {
            "integer" | "number" => Shape::Number,
            "object" => {
                let fields = node
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|props| {
                        props
                            .iter()
                            .map(|(k, v)| (k.clone(), Shape::from_schema(root, v, depth + 1)))
                            .collect()
                    })
                    .unwrap_or_default();
                Shape::Object {
                    fields,
                    latency: false,
                }
            }
            "array" => {
                let items = node.get("items").map_or(Shape::Other("unknown"), |i| {
                    Shape::from_schema(root, i, depth + 1)
                });
                let named = matches!(&items, Shape::Object { fields, .. }
                    if fields.get("name") == Some(&Shape::Other("text")));
                Shape::List {
                    items: Box::new(items),
                    named,
                }
            }
            "boolean" => Shape::Other("true or false"),
            "string" => Shape::Other("text"),
            _ => Shape::Other("unknown"),
        }
    }

    /// Every numeric path under this shape, lists written with `[0]` and
    /// latencies with their stored percentiles (any `p(N)` also works):
    /// for "did you mean" and the docs.
    pub fn numeric_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect("", &mut out);
        out
    }

    fn collect(&self, prefix: &str, out: &mut Vec<String>) {
        match self {
            Shape::Number => out.push(prefix.to_string()),
            Shape::Object { fields, .. } => {
                for (name, shape) in fields {
                    let path = if prefix.is_empty() {
                        name.clone()
                    } else {
                        format!("{prefix}.{name}")
                    };
                    shape.collect(&path, out);
                }
            }
            Shape::List { items, .. } => items.collect(&format!("{prefix}[0]"), out),
            Shape::Other(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_follows_the_summary() {
        let paths = summary_shape().numeric_paths();
        for path in [
            "joins.rejected.room_full",
            "rooms.destroyed",
            "apps[0].joins.attempted",
            "quota.days[0].rooms_created",
            "signing.latency_ns.p99",
            "requests.latency_ns.p50",
            "engine.wall_s",
        ] {
            assert!(paths.iter().any(|p| p == path), "{path} in {paths:?}");
        }
        // Text and true/false are not numbers.
        for path in ["scenario.name", "partial", "quota.days[0].exhausted_at"] {
            assert!(!paths.iter().any(|p| p == path), "{path}");
        }
    }

    #[test]
    fn apps_are_named_days_are_not_and_latencies_are_marked() {
        let Shape::Object { fields, .. } = summary_shape() else {
            panic!("the summary is an object");
        };
        assert!(matches!(&fields["apps"], Shape::List { named: true, .. }));
        let Shape::Object { fields: quota, .. } = &fields["quota"] else {
            panic!("quota is an object");
        };
        assert!(matches!(&quota["days"], Shape::List { named: false, .. }));
        let Shape::Object {
            fields: signing, ..
        } = &fields["signing"]
        else {
            panic!("signing is an object");
        };
        assert!(matches!(
            &signing["latency_ns"],
            Shape::Object { latency: true, .. }
        ));
        assert_eq!(fields["mode"], Shape::Other("text"));
    }
}
