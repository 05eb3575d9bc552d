//! Microbenchmarks of the join signer, each beside the reference it must stay
//! close to: a bare `hmac` + `sha2` HMAC-SHA256 of the same 64-byte message
//! (the worked example's joined string), pre-keyed for the hot-key case and
//! freshly keyed for the fresh-key case. The signer's overhead is everything
//! it does beyond that bare HMAC: the JavaScript-order sort of four short
//! strings, the timestamp's digits, and assembling the parts into a block.
//! (Its HMAC framing is its own, `src/signature/hmac_sha256.rs`, over the
//! same `sha2` compression function; that is where it wins those costs back.)
//!
//! Target (the signing issue): signer ≤ 1.15 × bare HMAC, for both cases.
//!
//! Run with `cargo bench --bench signature`; compare ratios from one run,
//! since absolute figures move with the machine's load.

use divan::black_box;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use voipsim::bench::sign::WORKED_EXAMPLE as EXAMPLE;
use voipsim::signature::{SessionKey, Signer};

type HmacSha256 = Hmac<Sha256>;

fn main() {
    // The comparison is fair only if both sides authenticate the same bytes
    // under the same key.
    let bare = {
        let mut mac = HmacSha256::new_from_slice(KEY.as_bytes()).expect("any key length");
        mac.update(JOINED.as_bytes());
        <[u8; 32]>::from(mac.finalize().into_bytes())
    };
    assert_eq!(Signer::new(&session_key()).sign(&EXAMPLE).0, bare);
    divan::main();
}

const KEY: &str = "gDyVgzwa0mFz9uUP7M6GQQ==";
const JOINED: &str = "1559129713_67297598215591297148AP6DT9ybtniUJfbwx20afc706a711eefc";

fn session_key() -> SessionKey {
    SessionKey::new(KEY).expect("the example key is not empty")
}

/// One hot key: the key state is computed once, outside the timed loop.
/// Fixed sample sizes: divan's automatic sizing sometimes settles on 100
/// iterations per sample after a slow first run, which makes medians jumpy.
#[divan::bench_group(sample_count = 500, sample_size = 1000)]
mod hot_key {
    use super::*;

    #[divan::bench]
    fn signer(bencher: divan::Bencher) {
        let signer = Signer::new(&session_key());
        bencher.bench_local(|| black_box(&signer).sign(black_box(&EXAMPLE)));
    }

    #[divan::bench]
    fn bare_hmac(bencher: divan::Bencher) {
        let keyed = HmacSha256::new_from_slice(KEY.as_bytes()).expect("any key length");
        bencher.bench_local(|| {
            let mut mac = black_box(&keyed).clone();
            mac.update(black_box(JOINED).as_bytes());
            <[u8; 32]>::from(mac.finalize().into_bytes())
        });
    }
}

/// A fresh key per signature, as a backend serving many users sees: the key
/// state is computed inside the timed loop.
#[divan::bench_group(sample_count = 500, sample_size = 1000)]
mod fresh_key {
    use super::*;

    #[divan::bench]
    fn signer(bencher: divan::Bencher) {
        let key = session_key();
        bencher.bench_local(|| Signer::new(black_box(&key)).sign(black_box(&EXAMPLE)));
    }

    #[divan::bench]
    fn bare_hmac(bencher: divan::Bencher) {
        bencher.bench_local(|| {
            let mut mac =
                HmacSha256::new_from_slice(black_box(KEY).as_bytes()).expect("any key length");
            mac.update(black_box(JOINED).as_bytes());
            <[u8; 32]>::from(mac.finalize().into_bytes())
        });
    }
}
