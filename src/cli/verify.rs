//! `voipsim verify`: check a join signature. Exit 0 and "valid", or exit 1
//! and "invalid: …" saying why (a mismatch, or a malformed signature); bad
//! fields or a missing key are usage errors (exit 2), as for `sign`.

use std::process::ExitCode;

use crate::signature::Signature;

use super::sign::JoinArgs;
use super::{CliResult, EXIT_FAILED, EXIT_OK};

const VERIFY_AFTER_HELP: &str = "\
Example (the worked example from WeChat's documentation):
  echo 'gDyVgzwa0mFz9uUP7M6GQQ==' > key.txt
  voipsim verify --app-id wx20afc706a711eefc --group-id 1559129713_672975982 \\
    --nonce 8AP6DT9ybtniUJfb --timestamp 1559129714 --session-key-file key.txt \\
    --signature b002b824688dd8593a6079e11d8c5e8734fbcb39a6d5906eb347bfbcad79c617
  # prints \"valid\" and exits 0; otherwise prints \"invalid: <why>\" and exits 1

Exit codes: 0 valid; 1 invalid (mismatch or malformed signature); 2 bad input
or usage (a field WeChat would reject, no session key). The key comes from
--session-key-file or VOIPSIM_SESSION_KEY, as for `voipsim sign`.";

#[derive(Debug, clap::Args)]
#[command(after_help = VERIFY_AFTER_HELP)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub join: JoinArgs,

    /// The signature to check: 64 hexadecimal digits (either case).
    #[arg(long, value_name = "HEX")]
    pub signature: String,
}

/// Why a signature is not valid, as printed after "invalid: ".
const MISMATCH: &str = "signature mismatch: it is not the HMAC-SHA256 of these fields under this session key \
(run with --explain to see the joined string; common causes: a base64-decoded or outdated session_key, \
a timeStamp in milliseconds, a field that differs from what the client passed)";

pub fn run(args: VerifyArgs) -> CliResult {
    let (fields, signer) = args.join.prepare()?;
    let verdict = match args.signature.parse::<Signature>() {
        Err(err) => Err(format!("malformed signature: {err}")),
        Ok(signature) if signer.verify(&fields, &signature) => Ok(()),
        Ok(_) => Err(MISMATCH.to_string()),
    };
    match verdict {
        Ok(()) => {
            super::output::print_stdout("valid\n")?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Err(why) => {
            super::output::print_stdout(&format!("invalid: {why}\n"))?;
            Ok(ExitCode::from(EXIT_FAILED))
        }
    }
}
