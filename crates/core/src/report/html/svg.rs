//! One chart as plain SVG text: axes with ticks and units, lines, shaded
//! bands, horizontal reference lines (a quota) and vertical marks (the
//! moment it ran out), and a legend. Written by hand rather than with a
//! plotting crate: the few shapes needed are a page of code, the output
//! is small and byte-for-byte the same for the same figures (coordinates
//! are printed to one decimal), and nothing is fetched or scripted.
//!
//! A series point may carry a band (`lo`, `hi`): drawn as a shaded area
//! around the line. The report uses it for the bucket's min/max envelope;
//! replications can use it for a confidence interval.

use std::fmt::Write;

/// Chart width and height in SVG units (the page scales it to fit).
pub const WIDTH: f64 = 1160.0;
pub const HEIGHT: f64 = 290.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 62.0;
const BOTTOM: f64 = 38.0;

/// Colours that stay apart for colour-blind readers (Okabe and Ito).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];

/// What the horizontal axis is.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    /// Seconds since the scenario's start, labelled with the local time of
    /// day; `start_tod_s` is the start's second of the local day.
    Clock {
        start_tod_s: f64,
        from_s: f64,
        to_s: f64,
    },
    /// A percentile curve: `x` is `log10(1 / (1 - q))` (1 = 90%, 2 = 99%),
    /// from 0 to `nines`.
    Percentile { nines: f64 },
}

/// One point; `y` not finite leaves a gap (nothing measured there).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// The band around `y`: low and high.
    pub band: Option<(f64, f64)>,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Point {
        Point { x, y, band: None }
    }

    pub fn banded(x: f64, y: f64, lo: f64, hi: f64) -> Point {
        Point {
            x,
            y,
            band: Some((lo, hi)),
        }
    }
}

/// A line, with its optional band.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub dashed: bool,
    pub points: Vec<Point>,
}

/// A horizontal reference line at `y` (a daily quota).
#[derive(Debug, Clone, PartialEq)]
pub struct HLine {
    pub y: f64,
    pub label: String,
    pub color: &'static str,
}

/// A vertical mark at `x` (the moment a quota ran out).
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub x: f64,
    pub label: String,
    pub color: &'static str,
}

/// A whole chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    /// The vertical axis' quantity and unit ("rooms", "per minute").
    pub y_label: String,
    pub x: XAxis,
    pub series: Vec<Series>,
    pub hlines: Vec<HLine>,
    pub marks: Vec<Mark>,
    /// Said in the plot area when there is no point to draw.
    pub empty_note: String,
    /// Whether `y` is nanoseconds on a logarithmic axis (a latency curve,
    /// whose tail is orders of magnitude above its median) rather than a
    /// linear axis from 0.
    pub log_ns: bool,
}

/// The mapping from figures to SVG units.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    x0: f64,
    x1: f64,
    y_max: f64,
    /// For a logarithmic axis: the powers of ten at its bottom and top.
    log: Option<(i32, i32)>,
}

impl Frame {
    pub fn px_x(&self, x: f64) -> f64 {
        let span = (self.x1 - self.x0).max(f64::MIN_POSITIVE);
        LEFT + (x - self.x0) / span * (WIDTH - LEFT - RIGHT)
    }

    pub fn px_y(&self, y: f64) -> f64 {
        let share = match self.log {
            Some((lo, hi)) => {
                let v = y.max(10f64.powi(lo)).log10();
                (v - f64::from(lo)) / f64::from((hi - lo).max(1))
            }
            None => y / self.y_max,
        };
        HEIGHT - BOTTOM - share * (HEIGHT - TOP - BOTTOM)
    }
}

impl Chart {
    /// The frame the chart is drawn in: the x axis' domain, and a y range
    /// from 0 to a round number above every figure (bands and reference
    /// lines included).
    pub fn frame(&self) -> Frame {
        let (x0, x1) = match self.x {
            XAxis::Clock { from_s, to_s, .. } => (from_s, to_s.max(from_s + 1.0)),
            XAxis::Percentile { nines } => (0.0, nines.max(1.0)),
        };
        let mut top: f64 = 0.0;
        let mut bottom = f64::INFINITY;
        for p in self.series.iter().flat_map(|s| &s.points) {
            if p.y.is_finite() {
                top = top.max(p.y);
                if p.y > 0.0 {
                    bottom = bottom.min(p.y);
                }
            }
            if let Some((_, hi)) = p.band
                && hi.is_finite()
            {
                top = top.max(hi);
            }
        }
        for h in &self.hlines {
            top = top.max(h.y);
        }
        let log = self.log_ns.then(|| {
            let lo = if bottom.is_finite() {
                bottom.log10().floor() as i32
            } else {
                0
            };
            let hi = (top.max(1.0).log10().ceil() as i32).max(lo + 1);
            (lo, hi)
        });
        let step = nice_step(top);
        let y_max = ((top * 1.04) / step).ceil().max(1.0) * step;
        Frame { x0, x1, y_max, log }
    }

    /// The `<svg>` element.
    pub fn to_svg(&self) -> String {
        let f = self.frame();
        let mut out = String::with_capacity(16 * 1024);
        let _ = write!(
            out,
            r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">"#,
            escape(&self.title)
        );
        let _ = write!(
            out,
            r#"<text class="title" x="{LEFT}" y="22">{}</text>"#,
            escape(&self.title)
        );
        self.y_axis(&mut out, &f);
        self.x_axis(&mut out, &f);
        let plotted = self
            .series
            .iter()
            .any(|s| s.points.iter().any(|p| p.y.is_finite()));
        if !plotted {
            let _ = write!(
                out,
                r#"<text class="note" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                (LEFT + WIDTH - RIGHT) / 2.0,
                (TOP + HEIGHT - BOTTOM) / 2.0,
                escape(&self.empty_note)
            );
        }
        for s in &self.series {
            band(&mut out, &f, s);
        }
        for h in &self.hlines {
            let y = f.px_y(h.y);
            let _ = write!(
                out,
                r#"<line class="hline" data-value="{}" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{}" stroke-width="1.5" stroke-dasharray="6 4"/>"#,
                h.y,
                WIDTH - RIGHT,
                h.color
            );
            let _ = write!(
                out,
                r#"<text class="ref" x="{:.1}" y="{:.1}" text-anchor="end" fill="{}">{}</text>"#,
                WIDTH - RIGHT - 4.0,
                y - 5.0,
                h.color,
                escape(&h.label)
            );
        }
        for s in &self.series {
            line(&mut out, &f, s);
        }
        for (i, m) in self.marks.iter().enumerate() {
            let x = f.px_x(m.x);
            let _ = write!(
                out,
                r#"<line class="mark" x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{:.1}" stroke="{}" stroke-width="2"/>"#,
                HEIGHT - BOTTOM,
                m.color
            );
            // Labels step down so two marks close together stay legible;
            // past the middle they sit left of the line.
            let anchor = if x > WIDTH / 2.0 { "end" } else { "start" };
            let dx = if x > WIDTH / 2.0 { -5.0 } else { 5.0 };
            let _ = write!(
                out,
                r#"<text class="ref" x="{:.1}" y="{:.1}" text-anchor="{anchor}" fill="{}">{}</text>"#,
                x + dx,
                TOP + 14.0 + 14.0 * (i % 4) as f64,
                m.color,
                escape(&m.label)
            );
        }
        self.legend(&mut out);
        out.push_str("</svg>");
        out
    }

    fn y_axis(&self, out: &mut String, f: &Frame) {
        let ticks: Vec<(f64, String)> = match f.log {
            Some((lo, hi)) => (lo..=hi)
                .map(|e| (10f64.powi(e), duration_label(10f64.powi(e))))
                .collect(),
            None => {
                let step = nice_step(f.y_max);
                let n = (f.y_max / step * 1.0001).floor() as usize;
                (0..=n)
                    .map(|i| (i as f64 * step, compact(i as f64 * step)))
                    .collect()
            }
        };
        for (v, label) in ticks {
            let y = f.px_y(v);
            let _ = write!(
                out,
                r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
            );
        }
        let _ = write!(
            out,
            r#"<text class="axis" transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            (TOP + HEIGHT - BOTTOM) / 2.0,
            escape(&self.y_label)
        );
    }

    fn x_axis(&self, out: &mut String, f: &Frame) {
        let base = HEIGHT - BOTTOM;
        let _ = write!(
            out,
            r#"<line class="axisline" x1="{LEFT}" x2="{:.1}" y1="{base}" y2="{base}"/>"#,
            WIDTH - RIGHT
        );
        let ticks: Vec<(f64, String)> = match self.x {
            XAxis::Clock {
                start_tod_s,
                from_s,
                to_s,
            } => clock_ticks(start_tod_s, from_s, to_s),
            XAxis::Percentile { nines } => percentile_ticks(nines),
        };
        for (x, label) in ticks {
            let px = f.px_x(x);
            // A label at the right edge ends there rather than past it.
            let anchor = if px > WIDTH - RIGHT - 30.0 {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                out,
                r#"<line class="tickline" x1="{px:.1}" x2="{px:.1}" y1="{base}" y2="{:.1}"/><text class="tick" x="{px:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
                base + 5.0,
                base + 18.0,
                escape(&label)
            );
        }
        let name = match self.x {
            XAxis::Clock { .. } => "local time",
            XAxis::Percentile { .. } => "percentile",
        };
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{name}</text>"#,
            WIDTH - RIGHT,
            HEIGHT - 4.0
        );
    }

    fn legend(&self, out: &mut String) {
        let mut x = LEFT;
        for s in &self.series {
            let dash = if s.dashed {
                r#" stroke-dasharray="6 3""#
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" x2="{:.1}" y1="42" y2="42" stroke="{}" stroke-width="3"{dash}/><text class="legend" x="{:.1}" y="46">{}</text>"#,
                x + 22.0,
                s.color,
                x + 28.0,
                escape(&s.name)
            );
            // About 7 units a character at the legend's size.
            x += 44.0 + 7.0 * s.name.chars().count() as f64;
        }
    }
}

/// The shaded band of a series, one polygon per run of banded points.
fn band(out: &mut String, f: &Frame, s: &Series) {
    let mut run: Vec<(f64, f64, f64)> = Vec::new();
    let flush = |out: &mut String, run: &mut Vec<(f64, f64, f64)>| {
        if run.len() > 1 {
            let _ = write!(out, r#"<polygon class="band" fill="{}" points=""#, s.color);
            for (x, _, hi) in run.iter() {
                let _ = write!(out, "{:.1},{:.1} ", f.px_x(*x), f.px_y(*hi));
            }
            for (x, lo, _) in run.iter().rev() {
                let _ = write!(out, "{:.1},{:.1} ", f.px_x(*x), f.px_y(*lo));
            }
            out.pop();
            out.push_str(r#""/>"#);
        }
        run.clear();
    };
    for p in &s.points {
        match p.band {
            Some((lo, hi)) if lo.is_finite() && hi.is_finite() => run.push((p.x, lo, hi)),
            _ => flush(out, &mut run),
        }
    }
    flush(out, &mut run);
}

/// The line of a series, broken where `y` is not finite.
fn line(out: &mut String, f: &Frame, s: &Series) {
    let dash = if s.dashed {
        r#" stroke-dasharray="6 3""#
    } else {
        ""
    };
    let mut run: Vec<&Point> = Vec::new();
    let flush = |out: &mut String, run: &mut Vec<&Point>| {
        if !run.is_empty() {
            let _ = write!(
                out,
                r#"<polyline class="series" data-series="{}" fill="none" stroke="{}" stroke-width="1.8" stroke-linejoin="round"{dash} points=""#,
                escape(&s.name),
                s.color
            );
            for p in run.iter() {
                let _ = write!(out, "{:.1},{:.1} ", f.px_x(p.x), f.px_y(p.y));
            }
            out.pop();
            out.push_str(r#""/>"#);
        }
        run.clear();
    };
    for p in &s.points {
        if p.y.is_finite() {
            run.push(p);
        } else {
            flush(out, &mut run);
        }
    }
    flush(out, &mut run);
}

/// A round step (1, 2 or 5 times a power of ten) giving about five ticks
/// up to `top`.
pub fn nice_step(top: f64) -> f64 {
    if top <= 0.0 || !top.is_finite() {
        return 1.0;
    }
    let raw = top / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let m = raw / power;
    let nice = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// A tick label: `950`, `1.5k`, `100k`, `2.5M`, `0.25`.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (n, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = if n == n.round() {
        format!("{n:.0}")
    } else if (n * 10.0).round() == n * 10.0 || n.abs() >= 10.0 {
        format!("{n:.1}")
    } else {
        format!("{n:.2}")
    };
    format!("{text}{suffix}")
}

/// A power of ten of nanoseconds as a duration: `100 ns`, `1 µs`, `10 ms`.
pub fn duration_label(ns: f64) -> String {
    let (value, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    format!("{} {unit}", compact(value))
}

/// Ticks at round local times of day: about ten across the span.
fn clock_ticks(start_tod_s: f64, from_s: f64, to_s: f64) -> Vec<(f64, String)> {
    const STEPS: [f64; 17] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
        10800.0, 21600.0, 43200.0,
    ];
    let span = (to_s - from_s).max(1.0);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 10.0)
        .unwrap_or(86400.0 * (span / 86400.0 / 10.0).ceil());
    let first_tod = start_tod_s + from_s;
    let mut tod = (first_tod / step).ceil() * step;
    let mut out = Vec::new();
    while tod - start_tod_s <= to_s + 1e-6 {
        out.push((tod - start_tod_s, clock_label(tod, step < 60.0)));
        tod += step;
    }
    out
}

/// `HH:MM` (or `HH:MM:SS`) of a second of the local day, with `+Nd` on
/// later days.
pub fn clock_label(tod: f64, seconds: bool) -> String {
    let total = tod.round() as i64;
    let day = total.div_euclid(86400);
    let s = total.rem_euclid(86400);
    let mut text = if seconds {
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 3600, s / 60 % 60)
    };
    if day > 0 {
        let _ = write!(text, " +{day}d");
    }
    text
}

fn percentile_ticks(nines: f64) -> Vec<(f64, String)> {
    let mut out = vec![(0.0, "0%".to_string()), (2f64.log10(), "50%".to_string())];
    let mut k = 1.0;
    while k <= nines + 1e-9 {
        let q = 100.0 - 100.0 / 10f64.powf(k);
        let digits = (k as usize).saturating_sub(2);
        out.push((k, format!("{q:.digits$}%")));
        k += 1.0;
    }
    out
}

/// Text made safe for SVG and HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            title: "Rooms & <members>".into(),
            y_label: "rooms".into(),
            x: XAxis::Clock {
                start_tod_s: 0.0,
                from_s: 0.0,
                to_s: 86400.0,
            },
            series: vec![Series {
                name: "rooms".into(),
                color: PALETTE[0],
                dashed: false,
                points: vec![
                    Point::banded(0.0, 10.0, 8.0, 12.0),
                    Point::banded(3600.0, 20.0, 15.0, 22.0),
                    Point::new(7200.0, f64::NAN),
                    Point::new(10800.0, 30.0),
                ],
            }],
            hlines: vec![HLine {
                y: 100.0,
                label: "daily quota 100".into(),
                color: PALETTE[1],
            }],
            marks: vec![Mark {
                x: 3600.0,
                label: "quota ran out 01:00".into(),
                color: PALETTE[1],
            }],
            empty_note: "nothing".into(),
            log_ns: false,
        }
    }

    #[test]
    fn a_chart_is_well_formed_svg_with_its_shapes() {
        let svg = chart().to_svg();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let count = |name: &str, class: &str| {
            doc.descendants()
                .filter(|n| n.has_tag_name(name) && n.attribute("class") == Some(class))
                .count()
        };
        // The NaN breaks the line in two.
        assert_eq!(count("polyline", "series"), 2);
        assert_eq!(count("polygon", "band"), 1);
        assert_eq!(count("line", "hline"), 1);
        assert_eq!(count("line", "mark"), 1);
        assert!(svg.contains("Rooms &amp; &lt;members&gt;"));
    }

    #[test]
    fn the_reference_line_sits_at_its_value_on_the_axis() {
        let c = chart();
        let svg = c.to_svg();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let hline = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("hline"))
            .unwrap();
        assert_eq!(hline.attribute("data-value"), Some("100"));
        let y: f64 = hline.attribute("y1").unwrap().parse().unwrap();
        // The y tick labelled 100 is at the same height (its text is 4
        // below the gridline).
        let tick = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("tick") && n.text() == Some("100"))
            .unwrap();
        let ty: f64 = tick.attribute("y").unwrap().parse().unwrap();
        assert!((ty - 4.0 - y).abs() < 0.11, "{ty} vs {y}");
        assert!((c.frame().px_y(100.0) - y).abs() < 0.051);
    }

    #[test]
    fn a_latency_axis_is_logarithmic_in_powers_of_ten() {
        let mut c = chart();
        c.hlines.clear();
        c.log_ns = true;
        c.series[0].points = vec![Point::new(0.0, 300.0), Point::new(3.0, 16e6)];
        let f = c.frame();
        // 300 ns to 16 ms: from 100 ns to 100 ms, each decade as tall.
        assert_eq!(f.log, Some((2, 8)));
        let step = f.px_y(1e3) - f.px_y(1e4);
        assert!((f.px_y(1e2) - f.px_y(1e3) - step).abs() < 1e-9);
        let svg = c.to_svg();
        assert!(svg.contains(">1 µs</text>") && svg.contains(">100 ms</text>"));
    }

    #[test]
    fn clock_ticks_fall_on_round_local_times() {
        let ticks = clock_ticks(0.0, 0.0, 86400.0);
        let labels: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(
            labels,
            [
                "00:00",
                "03:00",
                "06:00",
                "09:00",
                "12:00",
                "15:00",
                "18:00",
                "21:00",
                "00:00 +1d"
            ]
        );
        // A ten-minute load test starting at 09:58:30.
        let ticks = clock_ticks(9.0 * 3600.0 + 58.0 * 60.0 + 30.0, 0.0, 600.0);
        assert_eq!(ticks[0].1, "09:59");
        assert_eq!(ticks[0].0, 30.0);
    }

    #[test]
    fn numbers_are_labelled_compactly_and_steps_are_round() {
        assert_eq!(compact(100_000.0), "100k");
        assert_eq!(compact(2_500_000.0), "2.5M");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(nice_step(100_000.0), 20_000.0);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(duration_label(1e5), "100 µs");
        assert_eq!(duration_label(1e7), "10 ms");
        let labels: Vec<String> = percentile_ticks(3.0).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["0%", "50%", "90%", "99%", "99.9%"]);
    }
}
