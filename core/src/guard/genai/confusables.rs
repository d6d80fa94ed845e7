//! Homoglyph folding: Cyrillic, Greek and other letters that look like Latin ones.
//!
//! spec: guard-genai.md §2 step 5. A small, documented table rather than the full Unicode
//! confusables data (UTS #39): the skeleton of UTS #39 also folds Latin to Latin (`m` → `rn`),
//! which would break the detectors' patterns. This table holds only letters of other scripts
//! (and a few symbols) whose glyph is, in common fonts, indistinguishable from the Latin letter
//! they map to; it is applied after NFKC and lowercasing, so only lowercase forms are listed
//! (uppercase look-alikes are lowercased first: Cyrillic `А` → `а` → `a`).

/// The Latin letter `c` looks like, if it is a listed look-alike.
pub fn fold(c: char) -> Option<char> {
    let latin = match c {
        // Cyrillic
        'а' => 'a',
        'в' => 'b',
        'с' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' => 'e',
        'һ' => 'h',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' => 't',
        'ц' => 'u',
        'ѵ' => 'v',
        'ԝ' => 'w',
        'х' => 'x',
        'у' => 'y',
        'ү' => 'y',
        // Greek
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'γ' => 'y',
        'ϲ' => 'c',
        'ϳ' => 'j',
        // Latin letters from other blocks and symbols used as letters
        'ı' => 'i',
        'ɑ' => 'a',
        'ɡ' => 'g',
        'ɩ' => 'i',
        'ʏ' => 'y',
        'ℓ' => 'l',
        '∂' => 'd',
        // Armenian
        'օ' => 'o',
        'ս' => 'u',
        'ց' => 'g',
        'հ' => 'h',
        'ո' => 'n',
        _ => return None,
    };
    Some(latin)
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_cyrillic_and_greek_and_leaves_latin() {
        let folded: String = "іgnоrе αll".chars().map(|c| fold(c).unwrap_or(c)).collect();
        assert_eq!(folded, "ignore all");
        assert_eq!(fold('a'), None);
        assert_eq!(fold('ж'), None);
    }
}
