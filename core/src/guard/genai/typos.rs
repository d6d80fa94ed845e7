//! Typo tolerance for the pattern rules (spec: guard-genai.md §4): the key words of the
//! instruction-override family also match with one letter dropped, doubled or swapped with its
//! neighbour ("everthing", "ignnore", "instrcutions"). The variants are spelled out as regex
//! alternatives when the rules compile, so matching stays linear and spans stay exact.

/// Key words made typo tolerant wherever a pattern names them as a whole word.
const WORDS: &[&str] = &[
    "ignore",
    "disregard",
    "forget",
    "everything",
    "previous",
    "instructions",
    "guidelines",
    "restrictions",
    "override",
    "bypass",
    "overlook",
];

/// Every spelling of `word` one slip away: a letter dropped, doubled, or swapped with the next.
fn variants(word: &str) -> Vec<String> {
    let letters: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for i in 0..letters.len() {
        let mut dropped = letters.clone();
        dropped.remove(i);
        out.push(dropped.into_iter().collect());
        let mut doubled = letters.clone();
        if let Some(&c) = letters.get(i) {
            doubled.insert(i, c);
        }
        out.push(doubled.into_iter().collect());
        if i + 1 < letters.len() {
            let mut swapped = letters.clone();
            swapped.swap(i, i + 1);
            out.push(swapped.into_iter().collect());
        }
    }
    out.sort();
    out.dedup();
    out.retain(|v| v != word);
    out
}

/// `pattern` with each whole-word key word replaced by a group of it and its variants.
pub(crate) fn tolerant(pattern: &str) -> String {
    let mut out = pattern.to_owned();
    for word in WORDS {
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        let mut previous: Option<char> = None;
        while let Some(at) = rest.find(word) {
            let (before, tail) = rest.split_at(at);
            let after = tail.get(word.len()..).unwrap_or_default();
            let left = before.chars().last().or(previous);
            let right = after.chars().next();
            // A quantifier after the word (`instructions?`) binds to its last letter: wrapping
            // the word in a group would make the whole word optional, so it is left alone.
            let whole = !left.is_some_and(|c| c.is_ascii_alphabetic())
                && !right.is_some_and(|c| c.is_ascii_alphabetic() || "?*+{".contains(c));
            result.push_str(before);
            if whole {
                result.push_str("(?:");
                result.push_str(word);
                for v in variants(word) {
                    result.push('|');
                    result.push_str(&v);
                }
                result.push(')');
            } else {
                result.push_str(word);
            }
            previous = word.chars().last();
            rest = after;
        }
        result.push_str(rest);
        out = result;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_one_slip_away() {
        let v = variants("ignore");
        for typo in ["ignor", "gnore", "ignnore", "ingore", "ignroe"] {
            assert!(v.contains(&typo.to_owned()), "{typo}");
        }
        assert!(!v.contains(&"ignore".to_owned()));
    }

    #[test]
    fn only_whole_words_are_replaced() {
        let p = tolerant(r"\b(?:ignore|ignored)\s+everything\b");
        let re = regex::Regex::new(&p).unwrap();
        assert!(re.is_match("ignroe everthing"));
        assert!(p.contains("|ignored)"), "{p}");
        assert_eq!(tolerant("signore"), "signore");
        assert_eq!(tolerant("instructions?"), "instructions?");
    }
}
