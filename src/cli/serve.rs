//! `voipsim serve`: the flags, turned into a [`ServeConfig`] (apps from
//! `--config`'s `[apps.*]` tables, secrets from a file or the
//! environment, never the command line), then the server until SIGINT or
//! SIGTERM. Everything else is in [`crate::serve`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::scenario;
use crate::secrets::{APP_SECRETS_ENV, AppSecrets};
use crate::serve::clock::{self, ServiceClock};
use crate::serve::config::{DEFAULT_LISTEN, apps_with_secrets, default_apps};
use crate::serve::{ClockConfig, Limits, ServeConfig, StateConfig};

use super::output::{print_stderr, print_stdout};
use super::{CliResult, EXIT_OK, UsageError, guard_scenario_path};

const SERVE_AFTER_HELP: &str = "\
Example (one app with WeChat's rules, appId wxebada5168620c5fe):
  echo 'wxebada5168620c5fe=my-test-secret' > app-secrets.txt
  voipsim serve --app-secrets-file app-secrets.txt --state serve-state.json
  curl 'http://127.0.0.1:8080/sns/jscode2session?appid=wxebada5168620c5fe&secret=my-test-secret&js_code=u1&grant_type=authorization_code'

With --config, the apps are a scenario's [apps.*] tables (appId, capacity,
daily_quota, quota_day_offset, timestamp_tolerance, nonce_replay,
verify_signatures). Every app needs a secret: `appId=secret` lines in
--app-secrets-file or the VOIPSIM_APP_SECRETS environment variable.
The endpoints, limits and eviction policy are in docs/api.md.";

#[derive(Debug, clap::Args)]
#[command(after_help = SERVE_AFTER_HELP)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; port 0 takes any free port).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Scenario whose [apps.*] tables name the apps to serve and their rules.
    /// Without it: one app with WeChat's rules.
    #[arg(long, value_name = "SCENARIO.toml")]
    pub config: Option<PathBuf>,

    /// File of `appId=secret` lines. Without it the lines come from
    /// VOIPSIM_APP_SECRETS.
    #[arg(long, value_name = "PATH")]
    pub app_secrets_file: Option<PathBuf>,

    /// Keep rooms, users (with their session keys), quota counts, nonces and
    /// tokens in this file: restored at start, saved atomically (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// How often the state is saved while it changes (it is also saved at shutdown).
    #[arg(long, value_name = "DURATION", value_parser = duration, default_value = "5s")]
    pub save_every: Duration,

    /// Test clock: the service's time starts at this RFC 3339 instant
    /// (every response then carries X-Voipsim-Test-Clock).
    #[arg(long, value_name = "RFC3339")]
    pub clock_start: Option<String>,

    /// Test clock: service seconds per real second (e.g. 3600: an hour a second).
    #[arg(long, value_name = "N")]
    pub clock_speed: Option<f64>,

    /// Users kept per app; past it, idle users are evicted, oldest first.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_users_per_app)]
    pub max_users_per_app: usize,

    /// Connections open at once; more are closed at once.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,

    /// Largest request body accepted (HTTP 413 above).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,

    /// Time a client has to send a request's head, and its body; also how long
    /// an idle keep-alive connection stays open.
    #[arg(long, value_name = "DURATION", value_parser = duration, default_value = "10s")]
    pub read_timeout: Duration,

    /// Rooms per app that may have a member stream open at once.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_watched_rooms_per_app)]
    pub max_watched_rooms: usize,

    /// How long shutdown waits for requests in flight before saving and exiting.
    #[arg(long, value_name = "DURATION", value_parser = duration, default_value = "5s")]
    pub shutdown_grace: Duration,

    /// With --config: keys of the scenario set from the command line.
    #[command(flatten)]
    pub set: super::scenario_args::SetArgs,
}

fn duration(text: &str) -> Result<Duration, String> {
    let d =
        humantime::parse_duration(text).map_err(|e| format!("{e}; write e.g. 500ms, 5s or 1m"))?;
    if d.is_zero() {
        return Err("must be more than zero; write e.g. 500ms, 5s or 1m".into());
    }
    Ok(d)
}

/// The configuration the flags describe.
pub fn config(args: &ServeArgs) -> Result<ServeConfig, UsageError> {
    let overrides = args.set.overrides()?;
    let apps = match &args.config {
        None if !overrides.is_empty() => {
            return Err(UsageError::new(
                "--set changes keys of the --config scenario; give --config SCENARIO.toml",
            ));
        }
        None => default_apps(),
        Some(path) => {
            guard_scenario_path(path)?;
            scenario::load_with(path, &overrides)
                .map_err(|errors| UsageError::new(format!("--config: {errors}")))?
                .apps
        }
    };
    let secrets = AppSecrets::load(
        args.app_secrets_file.as_deref(),
        std::env::var_os(APP_SECRETS_ENV),
    )?;
    let apps = apps_with_secrets(&apps, &secrets).map_err(UsageError::new)?;
    let start = args
        .clock_start
        .as_deref()
        .map(clock::parse_start)
        .transpose()
        .map_err(|e| UsageError::new(e.to_string()))?;
    if let Some(speed) = args.clock_speed {
        ServiceClock::test(crate::rules::UnixMicros(0), speed)
            .map_err(|e| UsageError::new(e.to_string()))?;
    }
    let positive = |value: usize, flag: &str| {
        if value == 0 {
            Err(UsageError::new(format!(
                "{flag} 0 would refuse everything: give at least 1"
            )))
        } else {
            Ok(value)
        }
    };
    if args.max_body_bytes < 256 {
        return Err(UsageError::new(format!(
            "--max-body-bytes {} is too small for a join (about 300 bytes): give at least 256",
            args.max_body_bytes
        )));
    }
    Ok(ServeConfig {
        listen: args.listen,
        apps,
        clock: ClockConfig {
            start,
            speed: args.clock_speed,
        },
        state: args.state.clone().map(|path| StateConfig {
            path,
            save_every: args.save_every,
        }),
        limits: Limits {
            max_users_per_app: positive(args.max_users_per_app, "--max-users-per-app")?,
            max_connections: positive(args.max_connections, "--max-connections")?,
            max_body_bytes: args.max_body_bytes,
            read_timeout: args.read_timeout,
            max_watched_rooms_per_app: positive(args.max_watched_rooms, "--max-watched-rooms")?,
            shutdown_grace: args.shutdown_grace,
        },
    })
}

pub fn run(args: ServeArgs) -> CliResult {
    let config = config(&args)?;
    let state_path = config.state.as_ref().map(|s| s.path.clone());
    let mut printed = Ok(());
    let result = crate::serve::run(config.clone(), |addr, apps| {
        let mut notes = String::new();
        for app in apps {
            let s = &app.settings;
            notes.push_str(&format!(
                "voipsim serve: app '{}': appId {}, capacity {}, daily quota {}, signatures {}\n",
                app.name,
                app.app_id,
                s.capacity,
                s.daily_quota,
                if s.verify_signatures {
                    "checked"
                } else {
                    "not checked"
                },
            ));
        }
        if config.clock.is_test() {
            notes.push_str("voipsim serve: test clock on (responses carry X-Voipsim-Test-Clock)\n");
        }
        printed = print_stderr(&notes)
            .and_then(|()| print_stdout(&format!("voipsim serve: listening on http://{addr}\n")));
    });
    printed?;
    result.map_err(|e| UsageError::new(e.to_string()))?;
    let saved =
        state_path.map_or_else(String::new, |p| format!("; state saved to {}", p.display()));
    let _ = print_stderr(&format!("voipsim serve: stopped{saved}\n"));
    Ok(ExitCode::from(EXIT_OK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::config::{DEFAULT_SAVE_EVERY, default_app_id};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Wrapper::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .map(|w| w.serve)
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(args.save_every, DEFAULT_SAVE_EVERY);
        assert_eq!(args.read_timeout, Limits::default().read_timeout);
        assert_eq!(args.shutdown_grace, Limits::default().shutdown_grace);
        assert!(SERVE_AFTER_HELP.contains(&default_app_id()));
    }

    #[test]
    fn bad_flags_are_refused() {
        assert!(parse(&["--save-every", "0s"]).is_err());
        assert!(parse(&["--read-timeout", "soon"]).is_err());
        assert!(parse(&["--listen", "localhost"]).is_err());
    }

    #[test]
    fn set_changes_the_config_scenario_and_names_itself() {
        let err = config(&parse(&["--set", "apps.game.capacity=3"]).unwrap()).unwrap_err();
        assert!(err.0.contains("give --config"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("apps.toml");
        std::fs::write(
            &file,
            "name = \"a\"\nduration = \"1h\"\n[apps.game]\ncapacity = 10\nverify_signatures = false\n\
             [[workloads]]\napp = \"game\"\narrivals = { poisson = \"1/s\" }\nstay = \"1m\"\n",
        )
        .unwrap();
        let path = file.to_str().unwrap();
        let err = config(&parse(&["--config", path, "--set", "apps.game.capacity=zero"]).unwrap())
            .unwrap_err();
        assert!(
            err.0
                .starts_with("--config: --set apps.game.capacity=zero: "),
            "{err}"
        );
    }
}
