//! "Did you mean …?": the nearest known word to a misspelt one.

/// The longest word (in bytes) a suggestion is looked for.
const MAX_WORD: usize = 200;

/// The candidate closest to `word`, if it is close enough to be a likely
/// misspelling (Jaro-Winkler similarity ≥ 0.8, or a small edit distance).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // The string metrics cost length × length (and allocate that much): a
    // 100,000-character value took seconds. Neither a very long word nor a
    // candidate of very different length is a likely misspelling.
    if word.len() > MAX_WORD {
        return None;
    }
    let mut best: Option<(&str, f64)> = None;
    let similar = |c: &str| c.len() <= 2 * word.len() + 4 && word.len() <= 2 * c.len() + 4;
    for candidate in candidates.into_iter().filter(|c| similar(c)) {
        let score = strsim::jaro_winkler(word, candidate);
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((candidate, score));
        }
    }
    let (candidate, score) = best?;
    let close_edit = strsim::damerau_levenshtein(word, candidate) <= (candidate.len() / 3).max(1);
    (score >= 0.8 || close_edit).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn finds_misspellings_only() {
        let keys = ["stay", "stagger", "party", "faults"];
        assert_eq!(nearest("stay_time", keys), Some("stay"));
        assert_eq!(nearest("fault", keys), Some("faults"));
        assert_eq!(nearest("staggr", keys), Some("stagger"));
        assert_eq!(nearest("zzzzzz", keys), None);
        assert_eq!(nearest("x", []), None);
        assert_eq!(nearest(&"stay".repeat(100_000), keys), None);
    }
}
