//! The signing benchmark's report as text (for people) or JSON (for
//! scripts and CI). Each is a function returning the bytes to print, so
//! tests can check them without running a benchmark.

use std::fmt::Write as _;

use super::sign::{KeyMode, SignBenchReport};

/// One JSON object and a newline.
pub fn render_json(report: &SignBenchReport) -> String {
    // Serializing plain numbers, strings and vectors cannot fail.
    let mut out = serde_json::to_string_pretty(report).unwrap_or_default();
    out.push('\n');
    out
}

/// A few aligned lines.
pub fn render_text(report: &SignBenchReport) -> String {
    let mut out = String::new();
    let keys = match report.key_mode {
        KeyMode::HotKey => "1 hot key (one pre-keyed signer)".to_string(),
        KeyMode::FreshKeyPerSignature => format!(
            "{} keys rotating (a fresh signer keyed per signature)",
            thousands(report.keys as f64)
        ),
    };
    let _ = writeln!(
        out,
        "bench sign: WeChat's worked example ({}-byte message), {} thread{}, {keys}",
        report.message_bytes,
        report.threads,
        if report.threads == 1 { "" } else { "s" },
    );
    let _ = writeln!(
        out,
        "SHA-NI:     {}",
        if report.sha_ni {
            "yes (sha2 uses the CPU's SHA extensions)"
        } else {
            "no (portable SHA-256)"
        }
    );
    if !report.optimized {
        let _ = writeln!(
            out,
            "warning:    this is a debug build; for meaningful figures run `cargo run --release -- bench sign`"
        );
    }
    let _ = writeln!(
        out,
        "measured:   {:.2} s after a {:.2} s warm-up, {} signatures",
        report.duration_s,
        report.warmup_s,
        thousands(report.ops as f64)
    );
    let per_thread: Vec<String> = report
        .per_thread_ops_per_s
        .iter()
        .map(|&r| thousands(r))
        .collect();
    let _ = writeln!(
        out,
        "throughput: {} ops/s total, {} ops/s per thread ({})",
        thousands(report.ops_per_s),
        thousands(report.ops_per_s_per_thread),
        per_thread.join(", ")
    );
    if let (Some(shares), Some(per_cpu_s)) = (&report.cpu_share_per_thread, report.ops_per_cpu_s) {
        let shares: Vec<String> = shares
            .iter()
            .map(|s| format!("{:.0}%", s * 100.0))
            .collect();
        let _ = writeln!(
            out,
            "CPU:        each thread was on a core {} of the time; {} ops per CPU-second",
            shares.join(", "),
            thousands(per_cpu_s)
        );
        if report
            .cpu_share_per_thread
            .iter()
            .flatten()
            .any(|&s| s < 0.9)
        {
            let _ = writeln!(
                out,
                "warning:    other work took the cores for part of the run: ops/s understates the signer \
                 (ops per CPU-second does not)"
            );
        }
    }
    let l = &report.latency_ns;
    let _ = writeln!(
        out,
        "latency:    p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        thousands(l.p50 as f64),
        thousands(l.p90 as f64),
        thousands(l.p99 as f64),
        thousands(l.p999 as f64),
        thousands(l.max as f64)
    );
    let _ = writeln!(out, "            ({})", report.latency_method);
    out
}

/// A number rounded to an integer, with thousands separated by commas.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::Latency;

    fn report() -> SignBenchReport {
        SignBenchReport {
            schema_version: super::super::sign::SCHEMA_VERSION,
            voipsim_version: "0.0.0",
            machine: crate::machine::this_machine(),
            benchmark: "sign",
            threads: 2,
            keys: 100_000,
            key_mode: KeyMode::FreshKeyPerSignature,
            message_bytes: 64,
            sha_ni: true,
            optimized: true,
            warmup_s: 0.2,
            duration_s: 2.0,
            ops: 16_000_000,
            ops_per_s: 8_000_000.0,
            ops_per_s_per_thread: 4_000_000.0,
            per_thread_ops_per_s: vec![4_000_100.0, 3_999_900.0],
            cpu_share_per_thread: Some(vec![0.99, 0.6]),
            ops_per_cpu_s: Some(5_000_000.0),
            batch_ops: 64,
            latency_method: "per-signature mean of each batch of 64 signatures".into(),
            latency_ns: Latency {
                count: 1000,
                p50: 240,
                p90: 250,
                p99: 300,
                p999: 1200,
                max: 25_000,
                mean: 250.0,
            },
        }
    }

    #[test]
    fn json_has_the_contract_fields() {
        let json: serde_json::Value = serde_json::from_str(&render_json(&report())).unwrap();
        for field in [
            "schema_version",
            "voipsim_version",
            "machine",
            "ops_per_s",
            "threads",
            "keys",
            "sha_ni",
            "ops_per_s_per_thread",
        ] {
            assert!(json.get(field).is_some(), "{field}");
        }
        for field in ["p50", "p90", "p99", "p999", "max"] {
            assert!(json["latency_ns"][field].is_u64(), "{field}");
        }
        assert_eq!(json["key_mode"], "fresh_key_per_signature");
    }

    #[test]
    fn text_reads_well() {
        let text = render_text(&report());
        assert!(text.contains("2 threads, 100,000 keys rotating"), "{text}");
        assert!(
            text.contains(
                "8,000,000 ops/s total, 4,000,000 ops/s per thread (4,000,100, 3,999,900)"
            ),
            "{text}"
        );
        assert!(text.contains("p99.9 1,200 ns, max 25,000 ns"), "{text}");
        assert!(
            text.contains("on a core 99%, 60% of the time; 5,000,000 ops per CPU-second"),
            "{text}"
        );
        assert!(text.contains("other work took the cores"), "{text}");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
    }
}
