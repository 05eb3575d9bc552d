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
//! The `pair` group compares `Signer::sign_pair` (two joins, their SHA-256
//! compressions interleaved so the core overlaps them) with two `sign` calls
//! one after the other, both under two different hot keys. Measured on an
//! AMD EPYC with SHA-NI: 215 ns against 266 to 273 ns, a ratio of about 0.8.
//! Only the compressions overlap (ideally about 24 ns each instead of 37.5);
//! each message's sort, copies and padding (about 25 ns) do not, and the
//! first compression of each still waits for its freshly written block.
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
    // And the pair must compute exactly what the two singles do.
    let (a, b) = (Signer::new(&session_key()), Signer::new(&other_key()));
    assert_eq!(
        Signer::sign_pair((&a, &EXAMPLE), (&b, &EXAMPLE)),
        [a.sign(&EXAMPLE), b.sign(&EXAMPLE)]
    );
    divan::main();
}

const KEY: &str = "gDyVgzwa0mFz9uUP7M6GQQ==";
const JOINED: &str = "1559129713_67297598215591297148AP6DT9ybtniUJfbwx20afc706a711eefc";

fn session_key() -> SessionKey {
    SessionKey::new(KEY).expect("the example key is not empty")
}

/// A second key of the same shape, for the pair: the backend's and the room
/// service's keys are different objects, often different users' keys.
const OTHER_KEY: &str = "q7Zt2mW0cRkVb9XyN4sLhA==";

fn other_key() -> SessionKey {
    SessionKey::new(OTHER_KEY).expect("not empty")
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

/// Two joins under two hot keys: the lockstep pair against two sequential
/// signatures of the same fields.
#[divan::bench_group(sample_count = 500, sample_size = 1000)]
mod pair {
    use super::*;

    #[divan::bench]
    fn sign_pair(bencher: divan::Bencher) {
        let (a, b) = (Signer::new(&session_key()), Signer::new(&other_key()));
        bencher.bench_local(|| {
            Signer::sign_pair(
                (black_box(&a), black_box(&EXAMPLE)),
                (black_box(&b), black_box(&EXAMPLE)),
            )
        });
    }

    #[divan::bench]
    fn two_signs(bencher: divan::Bencher) {
        let (a, b) = (Signer::new(&session_key()), Signer::new(&other_key()));
        bencher.bench_local(|| {
            [
                black_box(&a).sign(black_box(&EXAMPLE)),
                black_box(&b).sign(black_box(&EXAMPLE)),
            ]
        });
    }
}
