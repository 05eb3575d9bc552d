//! Raw → model for distributions of durations (`stay`, `stagger`,
//! `reconnect.delay`): a duration string, or a table with exactly one of
//! `fixed`, `exponential`, `lognormal`, `uniform`, `empirical`.

use super::convert::Ctx;
use super::empirical::parse_empirical;
use super::model::Distribution;
use super::raw::{Located, RawDistribution, RawDistributionTable};
use crate::units;

/// The keys of a distribution table, for "exactly one of" messages.
const KINDS: &str = "`fixed`, `exponential`, `lognormal`, `uniform` or `empirical`";

/// Converts a distribution written at `key` (e.g. "stay") in `section`.
pub(crate) fn convert_distribution(
    raw: &Located<RawDistribution>,
    key: &str,
    section: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Distribution> {
    match &raw.value {
        RawDistribution::Fixed(text) => {
            let located = Located {
                value: text.clone(),
                span: raw.span.clone(),
            };
            ctx.duration(&located, key, section)
                .map(Distribution::Fixed)
        }
        RawDistribution::Table(table) => convert_table(table, &raw.span, key, section, ctx),
    }
}

fn convert_table(
    t: &RawDistributionTable,
    span: &std::ops::Range<usize>,
    key: &str,
    s: &str,
    ctx: &mut Ctx<'_>,
) -> Option<Distribution> {
    let given = [
        t.fixed.is_some(),
        t.exponential.is_some(),
        t.lognormal.is_some(),
        t.uniform.is_some(),
        t.empirical.is_some(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 => {
            ctx.error(span, format!("`{key}`{s} is an empty table; give one of {KINDS}, like {{ exponential = \"5m\" }}"));
            return None;
        }
        1 => {}
        _ => {
            ctx.error(
                span,
                format!("`{key}`{s} gives more than one distribution; keep exactly one of {KINDS}"),
            );
            return None;
        }
    }
    if let Some(v) = &t.fixed {
        return ctx
            .duration(v, &format!("{key}.fixed"), s)
            .map(Distribution::Fixed);
    }
    if let Some(v) = &t.exponential {
        let mean = ctx.duration(v, &format!("{key}.exponential"), s)?;
        if mean.is_zero() {
            ctx.error(&v.span, format!("`{key}.exponential`{s}: the mean must be longer than 0; write \"0s\" instead of a table for no wait"));
            return None;
        }
        return Some(Distribution::Exponential { mean });
    }
    if let Some(v) = &t.lognormal {
        let (Some(median), Some(p95)) = (&v.value.median, &v.value.p95) else {
            ctx.error(&v.span, format!("`{key}.lognormal`{s} needs both `median` and `p95`, like {{ median = \"5m\", p95 = \"30m\" }}"));
            return None;
        };
        let m = ctx.duration(median, &format!("{key}.lognormal.median"), s);
        let p = ctx.duration(p95, &format!("{key}.lognormal.p95"), s);
        let (m, p) = (m?, p?);
        if m.is_zero() {
            ctx.error(
                &median.span,
                format!("`{key}.lognormal.median`{s} must be longer than 0"),
            );
            return None;
        }
        if p <= m {
            ctx.error(
                &p95.span,
                format!(
                    "`{key}.lognormal.p95`{s} ({}) must exceed the median ({}): 95% of values lie below p95; raise p95 or lower the median",
                    units::format_duration(p),
                    units::format_duration(m)
                ),
            );
            return None;
        }
        return Some(Distribution::LogNormal { median: m, p95: p });
    }
    if let Some(v) = &t.uniform {
        let [lo, hi] = v.value.as_slice() else {
            ctx.error(&v.span, format!("`{key}.uniform`{s} needs exactly two durations [MIN, MAX], like [\"1m\", \"10m\"]"));
            return None;
        };
        let (min, max) = (
            ctx.duration(lo, &format!("{key}.uniform"), s),
            ctx.duration(hi, &format!("{key}.uniform"), s),
        );
        let (min, max) = (min?, max?);
        if min > max {
            ctx.error(
                &v.span,
                format!(
                    "`{key}.uniform`{s}: the minimum {} exceeds the maximum {}; write [MIN, MAX]",
                    lo.value, hi.value
                ),
            );
            return None;
        }
        return Some(Distribution::Uniform { min, max });
    }
    let file = t.empirical.as_ref()?;
    let (path, text) = ctx.read_data_file(file, &format!("{key}.empirical"), "the CSV", s)?;
    match parse_empirical(&text, &path) {
        Ok(values) => Some(Distribution::Empirical(values)),
        Err(errors) => {
            ctx.errors.extend(errors);
            None
        }
    }
}
