//! `voipsim sign`, `verify` and `bench sign` run as a user runs them: the
//! success paths, every input error (exit 2, one line naming the field and
//! the fix, no panic), verification failures (exit 1), and the session key
//! never appearing in any output.

use std::io::Write;

use assert_cmd::Command;
use tempfile::NamedTempFile;

const APP_ID: &str = "wx20afc706a711eefc";
const GROUP_ID: &str = "1559129713_672975982";
const NONCE: &str = "8AP6DT9ybtniUJfb";
const TIMESTAMP: &str = "1559129714";
const KEY: &str = "gDyVgzwa0mFz9uUP7M6GQQ==";
const SIGNATURE: &str = "b002b824688dd8593a6079e11d8c5e8734fbcb39a6d5906eb347bfbcad79c617";
const JOINED: &str = "1559129713_67297598215591297148AP6DT9ybtniUJfbwx20afc706a711eefc";
/// A key that appears nowhere in voipsim's help or docs, for leak checks.
const SECRET: &str = "S3cr3tK3y+ForLeakTests==";

fn key_file(contents: &str) -> NamedTempFile {
    let mut file = NamedTempFile::new().unwrap();
    file.write_all(contents.as_bytes()).unwrap();
    file
}

/// `voipsim` with no session key in its environment.
fn voipsim() -> Command {
    let mut cmd = Command::cargo_bin("voipsim").unwrap();
    cmd.env_remove("VOIPSIM_SESSION_KEY");
    cmd
}

/// `voipsim <subcommand>` with the worked example's fields but the timestamp.
fn example_without_timestamp(subcommand: &str) -> Command {
    let mut cmd = voipsim();
    cmd.args([subcommand, "--app-id", APP_ID, "--group-id", GROUP_ID])
        .args(["--nonce", NONCE]);
    cmd
}

/// `voipsim <subcommand>` with the worked example's four fields.
fn example(subcommand: &str) -> Command {
    let mut cmd = example_without_timestamp(subcommand);
    cmd.args(["--timestamp", TIMESTAMP]);
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Asserts exit code 2 and a single `voipsim: error:` line containing all of
/// `needles`.
fn assert_input_error(cmd: &mut Command, needles: &[&str]) {
    let r = run(cmd);
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.starts_with("voipsim: error: "), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    for needle in needles {
        assert!(r.stderr.contains(needle), "{needle:?} not in {}", r.stderr);
    }
}

/// Asserts a clap usage error: exit 2, the flag named, the reason given.
fn assert_usage_error(cmd: &mut Command, needles: &[&str]) {
    let r = run(cmd);
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for needle in needles {
        assert!(r.stderr.contains(needle), "{needle:?} not in {}", r.stderr);
    }
}

// ---- sign: success ----

#[test]
fn sign_worked_example_from_key_file_with_trailing_newline() {
    let file = key_file(&format!("{KEY}\n"));
    let r = run(example("sign").arg("--session-key-file").arg(file.path()));
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, &*format!("{SIGNATURE}\n"), "")
    );
}

#[test]
fn sign_key_file_with_crlf_or_no_newline() {
    for contents in [format!("{KEY}\r\n"), KEY.to_string()] {
        let file = key_file(&contents);
        let r = run(example("sign").arg("--session-key-file").arg(file.path()));
        assert_eq!(r.stdout, format!("{SIGNATURE}\n"), "{contents:?}");
    }
}

#[test]
fn sign_key_from_environment() {
    let r = run(example("sign").env("VOIPSIM_SESSION_KEY", KEY));
    assert_eq!((r.code, r.stdout), (0, format!("{SIGNATURE}\n")));
}

#[test]
fn key_file_wins_over_environment() {
    let file = key_file(KEY);
    let r = run(example("sign")
        .env("VOIPSIM_SESSION_KEY", SECRET)
        .arg("--session-key-file")
        .arg(file.path()));
    assert_eq!(r.stdout, format!("{SIGNATURE}\n"));
}

#[test]
fn two_trailing_newlines_keep_one_in_the_key() {
    let file = key_file(&format!("{KEY}\n\n"));
    let r = run(example("sign").arg("--session-key-file").arg(file.path()));
    assert_eq!(r.code, 0);
    assert_ne!(r.stdout, format!("{SIGNATURE}\n"));
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("not base64"),
        "{}",
        r.stderr
    );
}

#[test]
fn explain_prints_parts_and_joined_string_to_stderr() {
    let r = run(example("sign")
        .env("VOIPSIM_SESSION_KEY", KEY)
        .arg("--explain"));
    assert_eq!((r.code, r.stdout), (0, format!("{SIGNATURE}\n")));
    assert!(r.stderr.contains(&format!("{JOINED:?}")), "{}", r.stderr);
    let order = ["1. groupId", "2. timeStamp", "3. nonceStr", "4. appId"];
    for line in order {
        assert!(r.stderr.contains(line), "{line} not in {}", r.stderr);
    }
    assert!(
        r.stderr.contains("from VOIPSIM_SESSION_KEY, 24 bytes"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(KEY));
}

#[test]
fn js_sort_order_for_astral_characters() {
    // U+1F600 sorts before U+E000 in JavaScript (UTF-16), after it in bytes.
    let r = run(voipsim()
        .args(["sign", "--app-id", "\u{E000}", "--group-id", "\u{1F600}"])
        .args(["--nonce", "n", "--timestamp", "1", "--explain"])
        .env("VOIPSIM_SESSION_KEY", KEY));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in ["1. timeStamp", "2. nonceStr", "3. groupId", "4. appId"] {
        assert!(r.stderr.contains(line), "{line} not in {}", r.stderr);
    }
}

// ---- verify ----

#[test]
fn verify_valid_signature_either_case() {
    for sig in [SIGNATURE.to_string(), SIGNATURE.to_uppercase()] {
        let r = run(example("verify")
            .env("VOIPSIM_SESSION_KEY", KEY)
            .args(["--signature", &sig]));
        assert_eq!((r.code, r.stdout.as_str()), (0, "valid\n"), "{}", r.stderr);
    }
}

#[test]
fn verify_mismatch_exits_1_and_says_why() {
    let wrong = SIGNATURE.replace("b002", "b003");
    let r = run(example("verify")
        .env("VOIPSIM_SESSION_KEY", KEY)
        .args(["--signature", &wrong]));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("invalid: signature mismatch"),
        "{}",
        r.stdout
    );
    // The common bug: a base64-decoded key gives another signature.
    let r = run(example("verify")
        .env("VOIPSIM_SESSION_KEY", SECRET)
        .args(["--signature", SIGNATURE]));
    assert_eq!(r.code, 1);
}

#[test]
fn verify_malformed_signature_exits_1_and_says_why() {
    for (sig, why) in [
        ("abc", "3 characters long"),
        ("", "0 characters long"),
        (
            &SIGNATURE.replace('b', "g") as &str,
            "non-hexadecimal character 'g' at position 1",
        ),
    ] {
        let r = run(example("verify")
            .env("VOIPSIM_SESSION_KEY", KEY)
            .args(["--signature", sig]));
        assert_eq!(r.code, 1, "{sig}");
        assert!(
            r.stdout.starts_with("invalid: malformed signature: "),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains(why), "{why} not in {}", r.stdout);
    }
}

#[test]
fn verify_input_errors_exit_2() {
    assert_input_error(
        example("verify").args(["--signature", SIGNATURE]),
        &["no session key"],
    );
}

// ---- input errors: exit 2, one line, the field and the fix ----

#[test]
fn missing_key_says_how_to_provide_it() {
    assert_input_error(
        &mut example("sign"),
        &[
            "no session key",
            "VOIPSIM_SESSION_KEY",
            "--session-key-file",
        ],
    );
}

#[test]
fn empty_key_sources() {
    assert_input_error(
        example("sign").env("VOIPSIM_SESSION_KEY", ""),
        &["VOIPSIM_SESSION_KEY is set but empty"],
    );
    let file = key_file("\n");
    assert_input_error(
        example("sign").arg("--session-key-file").arg(file.path()),
        &["--session-key-file", "the file is empty"],
    );
}

#[test]
fn unreadable_key_file_names_path_and_os_error() {
    assert_input_error(
        example("sign").args(["--session-key-file", "/nonexistent/voipsim-key"]),
        &[
            "/nonexistent/voipsim-key",
            "No such file or directory (os error 2)",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    assert_input_error(
        example("sign").arg("--session-key-file").arg(dir.path()),
        &[&dir.path().display().to_string(), "os error 21"],
    );
}

#[test]
fn key_file_that_is_not_a_key() {
    let mut binary = NamedTempFile::new().unwrap();
    binary.write_all(&[0xff, 0xfe, 0x00]).unwrap();
    assert_input_error(
        example("sign").arg("--session-key-file").arg(binary.path()),
        &["not UTF-8 text"],
    );
    let big = key_file(&"A".repeat(10_000));
    assert_input_error(
        example("sign").arg("--session-key-file").arg(big.path()),
        &["larger than 4096 bytes"],
    );
}

#[test]
fn timestamp_errors_name_the_flag_and_the_fix() {
    let cases: [(&str, &[&str]); 6] = [
        (
            "1559129714000",
            &["--timestamp", "milliseconds", "divide by 1000"],
        ),
        (
            "1.5",
            &["--timestamp", "not a non-negative decimal integer"],
        ),
        ("-5", &["--timestamp", "not a non-negative decimal integer"]),
        ("0123", &["--timestamp", "leading zeros", "123"]),
        ("99999999999", &["--timestamp", "does not fit in 32 bits"]),
        ("", &["--timestamp", "empty"]),
    ];
    for (value, needles) in cases {
        assert_input_error(
            example_without_timestamp("sign")
                .arg(format!("--timestamp={value}"))
                .env("VOIPSIM_SESSION_KEY", KEY),
            needles,
        );
    }
}

#[test]
fn empty_and_oversized_fields() {
    let nonce_128 = "n".repeat(128);
    let cases: [(&str, &str, &str, &[&str]); 4] = [
        ("", GROUP_ID, NONCE, &["--app-id", "appId is empty"]),
        (APP_ID, "", NONCE, &["--group-id", "groupId is empty"]),
        (APP_ID, GROUP_ID, "", &["--nonce", "nonceStr is empty"]),
        (
            APP_ID,
            GROUP_ID,
            &nonce_128,
            &["--nonce", "128 characters", "fewer than 128"],
        ),
    ];
    for (app_id, group_id, nonce, needles) in cases {
        assert_input_error(
            voipsim()
                .arg("sign")
                .arg(format!("--app-id={app_id}"))
                .arg(format!("--group-id={group_id}"))
                .arg(format!("--nonce={nonce}"))
                .args(["--timestamp", TIMESTAMP])
                .env("VOIPSIM_SESSION_KEY", KEY),
            needles,
        );
    }
}

#[test]
fn key_as_an_argument_is_refused() {
    assert_input_error(
        example("sign").arg(format!("--session-key={SECRET}")),
        &["--session-key is not accepted", "--session-key-file"],
    );
    assert_input_error(
        example("sign").args(["--session-key", SECRET]),
        &["--session-key is not accepted"],
    );
    assert_input_error(
        example("sign").arg(SECRET),
        &["unexpected positional argument"],
    );
}

#[test]
fn a_key_given_as_the_key_file_path_is_never_echoed() {
    // The slip: the key itself where its file's path belongs. Padded,
    // unpadded, and with a `/` (which makes it a path with a folder).
    for value in [SECRET, "S3cr3tK3y+ForLeakTests", "S3cr3t/K3y+ForLeakTest=="] {
        for sub in ["sign", "verify"] {
            let mut cmd = example(sub);
            cmd.args(["--session-key-file", value]);
            if sub == "verify" {
                cmd.args(["--signature", SIGNATURE]);
            }
            let r = run(&mut cmd);
            assert_eq!(r.code, 2, "{sub} {value}: {}", r.stderr);
            assert!(
                !r.stdout.contains(value) && !r.stderr.contains(value),
                "{sub} {value}\nstdout: {}\nstderr: {}",
                r.stdout,
                r.stderr
            );
            assert!(!r.stderr.contains("S3cr3t"), "{}", r.stderr);
            assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
            for needle in [
                "voipsim: error: --session-key-file <value not shown",
                "looks like base64",
                "key itself",
                "VOIPSIM_SESSION_KEY",
            ] {
                assert!(r.stderr.contains(needle), "{needle:?} not in {}", r.stderr);
            }
        }
    }
}

#[test]
fn environment_key_has_the_key_file_limit() {
    assert_input_error(
        example("sign").env("VOIPSIM_SESSION_KEY", "A".repeat(100_000)),
        &["VOIPSIM_SESSION_KEY is larger than 4096 bytes", "variable"],
    );
    // At the limit it is taken (and warned about nothing: it is base64).
    let r = run(example("sign").env("VOIPSIM_SESSION_KEY", "A".repeat(4096)));
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn missing_flag_is_a_usage_error() {
    assert_usage_error(&mut example_without_timestamp("sign"), &["--timestamp"]);
    assert_usage_error(
        example("verify").env("VOIPSIM_SESSION_KEY", KEY),
        &["--signature"],
    );
}

#[test]
fn bench_flag_errors() {
    let cases: [(&[&str], &[&str]); 6] = [
        (&["--threads", "0"], &["--threads", "from 1 to 1024"]),
        (&["--threads", "two"], &["--threads", "from 1 to 1024"]),
        (&["--keys", "0"], &["--keys", "from 1 to 1000000"]),
        (&["--duration", "0s"], &["--duration", "more than zero"]),
        (&["--duration", "5"], &["--duration", "e.g. 2s, 500ms"]),
        (&["--duration", "3h"], &["--duration", "at most 1h"]),
    ];
    for (args, needles) in cases {
        assert_usage_error(voipsim().args(["bench", "sign"]).args(args), needles);
    }
}

// ---- bench sign ----

#[test]
fn bench_sign_json() {
    let r = run(voipsim()
        .args(["bench", "sign", "--duration", "100ms", "--threads", "2"])
        .args(["--keys", "1000", "--json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["threads"], 2);
    assert_eq!(json["keys"], 1000);
    assert!(json["ops_per_s"].as_f64().unwrap() > 0.0);
    assert!(json["sha_ni"].is_boolean());
    for p in ["p50", "p90", "p99", "p999", "max"] {
        assert!(json["latency_ns"][p].as_u64().unwrap() > 0, "{p}");
    }
}

#[test]
fn bench_sign_text() {
    let r = run(voipsim().args(["bench", "sign", "--duration", "100ms"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for needle in [
        "1 thread, 1 hot key",
        "ops/s total",
        "p99.9",
        "SHA-NI",
        "batch of 64",
    ] {
        assert!(r.stdout.contains(needle), "{needle} not in {}", r.stdout);
    }
}

// ---- help and secrecy ----

#[test]
fn every_subcommand_help_has_an_example() {
    for (args, example) in [
        (&["sign", "--help"][..], "voipsim sign --app-id"),
        (&["verify", "--help"], "voipsim verify --app-id"),
        (
            &["bench", "sign", "--help"],
            "voipsim bench sign --threads 2",
        ),
        (&["compare", "--help"], "voipsim compare baseline/"),
    ] {
        let r = run(voipsim().args(args));
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains(example), "{args:?}: {}", r.stdout);
    }
}

#[test]
fn the_key_never_appears_in_any_output() {
    let file = key_file(&format!("{SECRET}\n"));
    let with_file = |mut cmd: Command| {
        cmd.arg("--session-key-file").arg(file.path());
        cmd
    };
    let with_env = |mut cmd: Command| {
        cmd.env("VOIPSIM_SESSION_KEY", SECRET);
        cmd
    };
    let mut runs: Vec<Command> = Vec::new();
    for sub in ["sign", "verify"] {
        let mut cmd = example(sub);
        cmd.arg("--explain");
        if sub == "verify" {
            cmd.args(["--signature", SIGNATURE]);
        }
        runs.push(with_file(cmd));
    }
    let mut cmd = example("sign");
    cmd.arg("--explain");
    runs.push(with_env(cmd));
    for sig in ["abc", "zz", SIGNATURE] {
        let mut cmd = example("verify");
        cmd.args(["--explain", "--signature", sig]);
        runs.push(with_env(cmd));
    }
    let mut cmd = example_without_timestamp("sign");
    cmd.args(["--timestamp", "1559129714000"]);
    runs.push(with_env(cmd));
    let mut cmd = example("sign");
    cmd.arg(format!("--session-key={SECRET}"));
    runs.push(cmd);
    let mut cmd = example("sign");
    cmd.arg(SECRET);
    runs.push(cmd);
    let mut cmd = example("sign");
    cmd.args(["--session-key-file", SECRET]);
    runs.push(cmd);
    let mut cmd = voipsim();
    cmd.args(["bench", "sign", "--duration", "50ms", "--json"]);
    runs.push(with_env(cmd));

    for mut cmd in runs {
        let r = run(&mut cmd);
        assert!(
            !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
            "{cmd:?}\nstdout: {}\nstderr: {}",
            r.stdout,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

/// Runs `voipsim ARGS` with the worked example's key, its stdout and stderr
/// pipes closed by the reader before it writes (as `| head -0` does).
fn run_with_closed_pipes(args: &[&str], close_stdout: bool, close_stderr: bool) -> (i32, String) {
    use std::process::{Command as Std, Stdio};
    let mut child = Std::new(env!("CARGO_BIN_EXE_voipsim"))
        .args(args)
        .env("VOIPSIM_SESSION_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if close_stdout {
        drop(child.stdout.take());
    }
    if close_stderr {
        drop(child.stderr.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().expect("exited, not killed by a signal"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_or_stderr_never_panics() {
    let fields = [
        "--app-id",
        APP_ID,
        "--group-id",
        GROUP_ID,
        "--nonce",
        NONCE,
        "--timestamp",
        TIMESTAMP,
    ];
    let with = |cmd: &str, extra: &[&str]| {
        let mut args = vec![cmd];
        args.extend_from_slice(&fields);
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let cases = [
        (with("sign", &[]), true, false, 0),
        (with("sign", &["--explain"]), true, true, 0),
        (with("verify", &["--signature", SIGNATURE]), true, false, 0),
        (
            with("verify", &["--signature", &"0".repeat(64)]),
            true,
            false,
            1,
        ),
    ];
    for (args, close_stdout, close_stderr, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stderr) = run_with_closed_pipes(&args, close_stdout, close_stderr);
        assert_eq!(code, expected, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let (code, stderr) = run_with_closed_pipes(
        &["bench", "sign", "--duration", "50ms", "--json"],
        true,
        false,
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_key_pasted_as_a_positional_argument_is_never_echoed() {
    // `sign` already refused it; `validate`, `simulate` and `bench sign`
    // used to print it in "cannot read the scenario gDyV…==" or clap's
    // "unexpected argument" (into CI logs).
    for args in [
        vec!["validate", SECRET],
        vec!["simulate", SECRET, "--quiet"],
        vec!["bench", "sign", SECRET],
    ] {
        let r = run(voipsim().args(&args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains(SECRET), "{args:?}: {}", r.stderr);
        assert!(!r.stdout.contains(SECRET), "{args:?}: {}", r.stdout);
        assert!(r.stderr.contains("not shown"), "{args:?}: {}", r.stderr);
    }
}
