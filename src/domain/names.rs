//! Tolerant comparison of people's names, for person alerts and the traveller search.
//!
//! Two names are the same person's (with the same date of birth) when their surnames are equal
//! once case, spaces, hyphens, apostrophes, full stops and diacritics are removed, and they
//! share at least one given name, in any order (`MOFOKENG / TEBOHO` is `MO-FOKENG / TEBOHO
//! PAUL`). When either side gives no given names, the surname and the date of birth decide.
//!
//! Diacritics are removed by a table of the Latin letters that names carry (Latin-1 and Latin
//! Extended-A: `Š` of Monontša, `Ñ`, `Ø`, `Æ`, …) and by dropping combining marks (names typed
//! in decomposed form); letters of other scripts are kept as they are, upper-cased.

use std::collections::BTreeSet;

/// The base letter(s) of a precomposed upper-case Latin letter with a diacritic.
fn base_of(c: char) -> Option<&'static str> {
    Some(match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'Æ' => "AE",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'Ď' | 'Đ' | 'Ð' => "D",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'Ĥ' | 'Ħ' => "H",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'Ĳ' => "IJ",
        'Ĵ' => "J",
        'Ķ' => "K",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' | 'Ŋ' => "N",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'Œ' => "OE",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'Þ' => "TH",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'Ŵ' => "W",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        _ => return None,
    })
}

/// Characters that separate or decorate the parts of a name and carry no identity.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}'
                | '\u{2011}'
                | '\u{2012}'
                | '\u{2013}'
                | '\u{2014}'
                | '\''
                | '\u{2018}'
                | '\u{2019}'
                | '\u{02BC}'
                | '`'
                | '´'
                | '.'
        )
}

/// A combining diacritical mark (a name typed in decomposed form).
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// A name part folded for comparison: upper case, without diacritics, spaces, hyphens,
/// apostrophes or full stops. `"Mo-fokeng"` and `"MOFOKENG"` fold alike; so do `"Ntšekhe"` and
/// `"NTSEKHE"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_uppercase) {
        if is_separator(c) || is_combining(c) {
            continue;
        }
        match base_of(c) {
            Some(base) => out.push_str(base),
            None => out.push(c),
        }
    }
    out
}

/// The key a surname is looked up by ([`fold`]).
pub fn surname_key(surname: &str) -> String {
    fold(surname)
}

/// The given names of a person, folded, as a set: each name apart (split at spaces and
/// hyphens), and all of them run together (so `JEAN-PIERRE` meets `JEANPIERRE`).
pub fn given_name_set(given_names: &str) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = given_names
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '\u{2010}' | '\u{2011}'))
        .map(fold)
        .filter(|g| !g.is_empty())
        .collect();
    let whole = fold(given_names);
    if !whole.is_empty() {
        set.insert(whole);
    }
    set
}

/// A person's name, folded once for many comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedName {
    /// [`surname_key`].
    pub surname: String,
    /// [`given_name_set`].
    pub given: BTreeSet<String>,
}

impl FoldedName {
    /// Folds a surname and given names.
    pub fn new(surname: &str, given_names: &str) -> Self {
        Self {
            surname: surname_key(surname),
            given: given_name_set(given_names),
        }
    }

    /// Whether two names are the same person's (the dates of birth are compared apart): the
    /// same folded surname, and a given name in common unless either side has none.
    pub fn matches(&self, other: &FoldedName) -> bool {
        !self.surname.is_empty()
            && self.surname == other.surname
            && (self.given.is_empty()
                || other.given.is_empty()
                || !self.given.is_disjoint(&other.given))
    }
}

/// [`FoldedName::matches`] on raw names.
pub fn names_match(surname_a: &str, given_a: &str, surname_b: &str, given_b: &str) -> bool {
    FoldedName::new(surname_a, given_a).matches(&FoldedName::new(surname_b, given_b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_matches() {
        assert!(names_match(
            "MOFOKENG",
            "TEBOHO",
            "MO-FOKENG",
            "TEBOHO PAUL"
        ));
    }

    #[test]
    fn diacritics_are_removed() {
        assert_eq!(fold("Ntšekhe"), "NTSEKHE");
        assert_eq!(fold("Müller"), "MULLER");
        assert_eq!(fold("Ñúñez"), "NUNEZ");
        assert_eq!(fold("Øster"), "OSTER");
        // Decomposed: N + combining tilde.
        assert_eq!(fold("N\u{0303}u\u{0301}n\u{0303}ez"), "NUNEZ");
        assert!(names_match("Núñez", "José", "NUNEZ", "JOSE"));
    }

    #[test]
    fn hyphens_spaces_apostrophes_and_full_stops_are_removed() {
        assert_eq!(fold("  van der  Merwe "), "VANDERMERWE");
        assert_eq!(fold("O'Brien"), "OBRIEN");
        assert_eq!(fold("O’Brien"), "OBRIEN");
        assert_eq!(fold("Mo-Fokeng"), "MOFOKENG");
        assert_eq!(fold("St. John"), "STJOHN");
        assert!(names_match(
            "Van der Merwe",
            "Pieter",
            "VANDERMERWE",
            "PIETER"
        ));
        assert!(names_match("O'Brien", "Sean", "OBRIEN", "SEAN"));
    }

    #[test]
    fn given_names_match_in_any_order_and_with_extra_names() {
        assert!(names_match("MOKOENA", "THABO LERATO", "mokoena", "lerato"));
        assert!(names_match(
            "MOKOENA",
            "LERATO",
            "MOKOENA",
            "PAUL THABO LERATO"
        ));
        assert!(names_match(
            "MOKOENA",
            "Jean-Pierre",
            "MOKOENA",
            "JEANPIERRE"
        ));
        assert!(names_match("MOKOENA", "Jean-Pierre", "MOKOENA", "Pierre"));
        assert!(!names_match("MOKOENA", "THABO", "MOKOENA", "LERATO"));
        assert!(!names_match("MOKOENA", "THABO", "MOKOANE", "THABO"));
    }

    #[test]
    fn no_given_names_on_either_side_leaves_the_surname_to_decide() {
        assert!(names_match("MOKOENA", "", "MOKOENA", "THABO"));
        assert!(names_match("MOKOENA", "THABO", "MOKOENA", "  "));
        assert!(
            !names_match("", "THABO", "", "THABO"),
            "an empty surname matches nothing"
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// A name of one to three words of letters.
        fn words() -> impl Strategy<Value = Vec<String>> {
            proptest::collection::vec("[A-Za-z]{1,8}", 1..4)
        }

        /// The same words, each in any case, joined by runs of spaces, padded.
        fn respaced(words: &[String], seed: &[u8]) -> String {
            let mut out = " ".repeat(usize::from(seed.first().copied().unwrap_or(0) % 3));
            for (i, w) in words.iter().enumerate() {
                let b = seed.get(i + 1).copied().unwrap_or(0);
                if i > 0 {
                    out.push_str(&" ".repeat(1 + usize::from(b % 3)));
                }
                for (j, c) in w.chars().enumerate() {
                    if (usize::from(b) >> (j % 8)) & 1 == 1 {
                        out.extend(c.to_lowercase());
                    } else {
                        out.extend(c.to_uppercase());
                    }
                }
            }
            out.push_str(&" ".repeat(usize::from(seed.last().copied().unwrap_or(0) % 2)));
            out
        }

        proptest! {
            #[test]
            fn matching_ignores_spacing_and_case(
                surname_a in words(), given_a in words(),
                surname_b in words(), given_b in words(),
                seed in proptest::collection::vec(any::<u8>(), 8),
            ) {
                let plain = names_match(
                    &surname_a.join(" "), &given_a.join(" "),
                    &surname_b.join(" "), &given_b.join(" "),
                );
                let varied = names_match(
                    &respaced(&surname_a, &seed), &respaced(&given_a, &seed[1..]),
                    &respaced(&surname_b, &seed[2..]), &respaced(&given_b, &seed[3..]),
                );
                prop_assert_eq!(plain, varied);
            }

            #[test]
            fn matching_is_symmetric(
                surname_a in words(), given_a in words(),
                surname_b in words(), given_b in words(),
            ) {
                let (sa, ga, sb, gb) = (surname_a.join(" "), given_a.join(" "), surname_b.join(" "), given_b.join(" "));
                prop_assert_eq!(names_match(&sa, &ga, &sb, &gb), names_match(&sb, &gb, &sa, &ga));
            }

            #[test]
            fn a_name_matches_itself_however_typed(
                surname in words(), given in words(),
                seed in proptest::collection::vec(any::<u8>(), 8),
            ) {
                prop_assert!(names_match(
                    &surname.join(" "), &given.join(" "),
                    &respaced(&surname, &seed), &respaced(&given, &seed[1..]),
                ));
                // Hyphens instead of spaces in the surname change nothing either.
                prop_assert!(names_match(&surname.join("-"), &given.join(" "), &surname.concat(), &given.join(" ")));
            }
        }
    }
}
