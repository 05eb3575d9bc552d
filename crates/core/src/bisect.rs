//! The search behind `voipsim search`: the largest point of a grid at
//! which a test holds, by bisection, assuming it holds below some point
//! and fails from there on (more load, more refusals).
//!
//! It tries the first point, then the last, then halves the bracket
//! between the largest point known to hold and the smallest known to
//! fail, so a grid of n points costs at most 2 + ⌈log2(n)⌉ tests.

/// What a bisection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bisection {
    /// The largest point at which the test held (None: not even the first).
    pub largest: Option<usize>,
    /// The smallest point at which it failed (None: not even the last).
    pub first_failing: Option<usize>,
    /// Every point tried, in order, with whether the test held.
    pub tried: Vec<(usize, bool)>,
}

/// Bisects the grid `0..len` with `holds` (which may fail, e.g. a run that
/// could not start, ending the search).
pub fn largest_passing<E>(
    len: usize,
    mut holds: impl FnMut(usize) -> Result<bool, E>,
) -> Result<Bisection, E> {
    let mut tried = Vec::new();
    let mut test = |k: usize, tried: &mut Vec<(usize, bool)>| -> Result<bool, E> {
        let ok = holds(k)?;
        tried.push((k, ok));
        Ok(ok)
    };
    let done = |largest, first_failing, tried| {
        Ok(Bisection {
            largest,
            first_failing,
            tried,
        })
    };
    if len == 0 {
        return done(None, None, tried);
    }
    if !test(0, &mut tried)? {
        return done(None, Some(0), tried);
    }
    let last = len - 1;
    if last == 0 || test(last, &mut tried)? {
        return done(Some(last), None, tried);
    }
    let (mut lo, mut hi) = (0, last);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if test(mid, &mut tried)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    done(Some(lo), Some(hi), tried)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(len: usize, limit: usize) -> Bisection {
        largest_passing::<()>(len, |k| Ok(k <= limit)).unwrap()
    }

    #[test]
    fn finds_the_limit_by_hand() {
        // Grid 0..=100, holds up to 37: 0 ✓, 100 ✗, 50 ✗, 25 ✓, 37 ✓, 43 ✗,
        // 40 ✗, 38 ✗.
        let b = search(101, 37);
        assert_eq!((b.largest, b.first_failing), (Some(37), Some(38)));
        let order: Vec<usize> = b.tried.iter().map(|t| t.0).collect();
        assert_eq!(order, [0, 100, 50, 25, 37, 43, 40, 38]);
        assert!(b.tried.len() <= 2 + 7);
        // Every limit of a small grid.
        for limit in 0..20 {
            let b = search(20, limit);
            assert_eq!(b.largest, Some(limit.min(19)));
            assert_eq!(b.first_failing, (limit < 19).then_some(limit + 1));
        }
    }

    #[test]
    fn edges() {
        let none = largest_passing::<()>(10, |_| Ok(false)).unwrap();
        assert_eq!((none.largest, none.first_failing), (None, Some(0)));
        assert_eq!(none.tried.len(), 1);
        let all = largest_passing::<()>(10, |_| Ok(true)).unwrap();
        assert_eq!(
            (all.largest, all.first_failing, all.tried.len()),
            (Some(9), None, 2)
        );
        assert_eq!(
            largest_passing::<()>(0, |_| Ok(true)).unwrap().largest,
            None
        );
        assert_eq!(
            largest_passing::<()>(1, |_| Ok(true)).unwrap().tried.len(),
            1
        );
        let err = largest_passing(10, |k| if k == 9 { Err("boom") } else { Ok(true) });
        assert_eq!(err, Err("boom"));
    }
}
