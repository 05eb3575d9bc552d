//! Guards the module's promise: nothing in `rules` reads a clock, spawns a
//! thread or task, or touches a file or socket. The sources are embedded at
//! compile time and searched for the APIs that would.

/// Every source file of the module except this one.
const SOURCES: [(&str, &str); 26] = [
    ("app.rs", include_str!("app.rs")),
    ("chunked.rs", include_str!("chunked.rs")),
    ("group_index.rs", include_str!("group_index.rs")),
    ("handles.rs", include_str!("handles.rs")),
    ("hints.rs", include_str!("hints.rs")),
    ("index_hash.rs", include_str!("index_hash.rs")),
    ("index_hash_tests.rs", include_str!("index_hash_tests.rs")),
    ("inline.rs", include_str!("inline.rs")),
    ("keyed.rs", include_str!("keyed.rs")),
    ("keyed_tests.rs", include_str!("keyed_tests.rs")),
    ("mod.rs", include_str!("mod.rs")),
    ("model_tests.rs", include_str!("model_tests.rs")),
    ("observer.rs", include_str!("observer.rs")),
    ("queries.rs", include_str!("queries.rs")),
    ("quota.rs", include_str!("quota.rs")),
    ("reject.rs", include_str!("reject.rs")),
    ("replay.rs", include_str!("replay.rs")),
    ("request.rs", include_str!("request.rs")),
    ("room.rs", include_str!("room.rs")),
    ("service.rs", include_str!("service.rs")),
    ("service_tests.rs", include_str!("service_tests.rs")),
    ("settings.rs", include_str!("settings.rs")),
    ("snapshot.rs", include_str!("snapshot.rs")),
    ("time.rs", include_str!("time.rs")),
    ("user.rs", include_str!("user.rs")),
    ("verdict.rs", include_str!("verdict.rs")),
];

/// APIs that read a clock, start concurrency, do I/O or draw OS randomness
/// (a hash key comes from the caller). Built with `concat!` so this file
/// does not match itself.
const FORBIDDEN: [&str; 14] = [
    concat!("std::", "time"),
    concat!("Instant", "::"),
    concat!("System", "Time"),
    concat!("std::", "thread"),
    concat!("thread", "::spawn"),
    concat!("tokio", "::"),
    concat!("std::", "fs"),
    concat!("File", "::"),
    concat!("std::", "net"),
    concat!("std::", "io"),
    concat!("std::", "process"),
    concat!("std::", "env"),
    concat!("Random", "State"),
    concat!("get", "random"),
];

#[test]
fn rules_read_no_clock_and_do_no_io() {
    for (file, source) in SOURCES {
        for needle in FORBIDDEN {
            assert!(!source.contains(needle), "src/rules/{file} uses {needle}");
        }
    }
}

#[test]
fn every_source_file_is_checked() {
    // A new file must be added to SOURCES: one per `mod` line of mod.rs,
    // plus mod.rs itself, minus this file (`pub mod` lines included).
    let mods = include_str!("mod.rs")
        .lines()
        .filter(|l| l.starts_with("mod ") || l.starts_with("pub mod "))
        .count();
    assert_eq!(SOURCES.len(), mods, "update SOURCES");
}
