//! The core's layering, checked: it names no driver and no network or
//! async crate, so `report` can never import the simulator (that would not
//! compile: the simulator is another crate that depends on this one) and
//! someone using the core as a library never compiles tokio or hyper.

const MANIFEST: &str = include_str!("../Cargo.toml");

#[test]
fn the_core_depends_on_no_driver_and_no_network_stack() {
    let dependencies: Vec<&str> = MANIFEST
        .lines()
        .skip_while(|l| l.trim() != "[dependencies]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split(['.', '=', ' ']).next())
        .filter(|name| !name.is_empty())
        .collect();
    assert!(dependencies.contains(&"sha2"), "parsed: {dependencies:?}");
    for forbidden in [
        "voipsim",
        "voipsim-sim",
        "tokio",
        "hyper",
        "axum",
        "reqwest",
    ] {
        assert!(
            !dependencies.contains(&forbidden),
            "voipsim-core must not depend on {forbidden}: it is the pure core"
        );
    }
}
