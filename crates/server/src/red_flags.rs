//! Red flags: phrases in a client's message that must not wait in the queue ("chest pain",
//! "боль в груди", "胸痛"). Pure matching here; the rules live in `store/red_flags.rs` and are
//! applied to every client message by the store.
//!
//! How a phrase matches (docs/red-flags.md):
//! - Text and phrase are normalised alike: Unicode NFKC (full-width letters and digits become
//!   ordinary ones), lower case, `ё` read as `е`, `’` as `'`.
//! - Latin, Cyrillic and other alphabetic scripts match **whole words**, in order, with only
//!   spaces or punctuation between them: "chest pain" matches "Chest pain since morning" but
//!   not "chest painting". A word ending in `*` matches any word that begins with it
//!   ("бол* в груд*" matches "боли в груди" and "болью в грудной клетке"), which is how
//!   Russian's endings are covered. Letters of different scripts never match each other: a
//!   Latin "a" is not a Cyrillic "а".
//! - Chinese has no spaces between words, so each Han character is a word of its own and a
//!   phrase matches its characters in a row ("胸痛" in "我胸痛得厉害"). A rule's `unless`
//!   phrases cancel a match they cover: "中风" unless "中风险" ("medium risk").

use unicode_normalization::UnicodeNormalization;

/// One word of a phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Word(String),
    Prefix(String),
}

impl Pattern {
    fn matches(&self, word: &str) -> bool {
        match self {
            Pattern::Word(w) => w == word,
            Pattern::Prefix(p) => word.starts_with(p.as_str()),
        }
    }
}

/// A phrase, ready to look for.
#[derive(Debug, Clone)]
struct Phrase(Vec<Pattern>);

impl Phrase {
    /// Where the phrase starts in `words` (each match's first index).
    fn find_all<'a>(&'a self, words: &'a [Word]) -> impl Iterator<Item = usize> + 'a {
        let n = self.0.len();
        (0..words.len().saturating_sub(n - 1)).filter(move |&i| {
            self.0
                .iter()
                .zip(&words[i..i + n])
                .all(|(p, w)| p.matches(&w.text))
        })
    }
}

/// A rule that can fire: the phrase as the admin wrote it, and what cancels it.
#[derive(Debug, Clone)]
struct Rule {
    label: String,
    phrase: Phrase,
    unless: Vec<Phrase>,
}

/// The enabled rules, compiled.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    rules: Vec<Rule>,
}

impl Matcher {
    /// Compiles rules given as (phrase, unless phrases). A phrase that does not compile is an
    /// error naming it (rules are checked when saved, so this only guards stored data).
    pub fn new<'a>(
        rules: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Result<Matcher, String> {
        let mut out = Vec::new();
        for (phrase, unless) in rules {
            let compiled = parse_phrase(phrase)?;
            let unless = unless
                .iter()
                .map(|u| parse_phrase(u))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Rule {
                label: phrase.trim().to_owned(),
                phrase: compiled,
                unless,
            });
        }
        Ok(Matcher { rules: out })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule (in the order given) that fires on `text`: its phrase as written.
    pub fn first_match(&self, text: &str) -> Option<&str> {
        self.find(text).map(|f| f.rule)
    }

    /// The first rule that fires on `text`, with the client's own words it fired on — the
    /// part of `text` from the first matched word to the last, as written ("давит в груди"
    /// for the rule "дав* в груд*").
    pub fn find<'r, 't>(&'r self, text: &'t str) -> Option<Found<'r, 't>> {
        if self.rules.is_empty() {
            return None;
        }
        let words = words_in(text, false).ok()?;
        self.rules.iter().find_map(|r| {
            r.fires(&words).map(|(first, last)| Found {
                rule: r.label.as_str(),
                words: &text[words[first].at.start..words[last].at.end],
            })
        })
    }
}

/// A rule that fired, and on what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'r, 't> {
    /// The phrase as the admin wrote it.
    pub rule: &'r str,
    /// The client's words it matched, as the client wrote them.
    pub words: &'t str,
}

impl Rule {
    /// The first uncancelled match: the indexes of its first and last word.
    fn fires(&self, words: &[Word]) -> Option<(usize, usize)> {
        let n = self.phrase.0.len();
        self.phrase
            .find_all(words)
            .find(|&at| {
                // Cancelled when an `unless` phrase covers this match.
                !self.unless.iter().any(|u| {
                    let m = u.0.len();
                    u.find_all(words)
                        .any(|start| start <= at && start + m >= at + n)
                })
            })
            .map(|at| (at, at + n - 1))
    }
}

/// Checks a phrase an admin typed; the error says what is wrong with it.
pub fn check_phrase(phrase: &str) -> Result<(), String> {
    parse_phrase(phrase).map(|_| ())
}

fn parse_phrase(phrase: &str) -> Result<Phrase, String> {
    if phrase.chars().count() > 100 {
        return Err("a phrase has at most 100 characters".into());
    }
    let words = words(phrase, true)?;
    if words.is_empty() {
        return Err(format!("the phrase {phrase:?} has no words"));
    }
    if words.len() > 12 {
        return Err("a phrase has at most 12 words".into());
    }
    words
        .into_iter()
        .map(|w| match w.strip_suffix('*') {
            Some(stem) if stem.chars().count() < 3 => Err(format!(
                "a word ending in * needs at least 3 letters before it, not {w:?}"
            )),
            Some(stem) => Ok(Pattern::Prefix(stem.to_owned())),
            None => Ok(Pattern::Word(w)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Phrase)
}

/// A Han (Chinese) character: a word of its own.
fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF | 0x30000..=0x323AF)
}

/// A normalised word and where it stands in the text it was read from (bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    text: String,
    at: std::ops::Range<usize>,
}

/// The text's characters, normalised (NFKC, lower case, `ё` as `е`, `’` as `'`), each with the
/// bytes of the original it came from. A letter and the combining marks after it are
/// normalised together, so a decomposed "й" (и + ◌̆) is one letter, as in the whole-text NFKC.
fn normalised(text: &str) -> Vec<(char, std::ops::Range<usize>)> {
    use unicode_normalization::char::is_combining_mark;
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut end = start + c.len_utf8();
        while let Some(&(i, m)) = chars.peek() {
            if !is_combining_mark(m) {
                break;
            }
            end = i + m.len_utf8();
            chars.next();
        }
        for n in text[start..end].nfkc().flat_map(char::to_lowercase) {
            let n = match n {
                'ё' => 'е',
                '’' | 'ʼ' => '\'',
                n => n,
            };
            out.push((n, start..end));
        }
    }
    out
}

/// The normalised words of a text; in a phrase (`pattern`), a `*` may end a word.
fn words(text: &str, pattern: bool) -> Result<Vec<String>, String> {
    Ok(words_in(text, pattern)?
        .into_iter()
        .map(|w| w.text)
        .collect())
}

/// The normalised words of a text with where each stands in it.
fn words_in(text: &str, pattern: bool) -> Result<Vec<Word>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut at = 0..0;
    let chars = normalised(text);
    let mut push = |word: &mut String, at: &std::ops::Range<usize>| {
        out.push(Word {
            text: std::mem::take(word),
            at: at.clone(),
        })
    };
    for (i, (c, span)) in chars.iter().enumerate() {
        let (c, span) = (*c, span.clone());
        let next = chars.get(i + 1).map(|(n, _)| *n);
        if is_han(c) {
            if !word.is_empty() {
                push(&mut word, &at);
            }
            word.push(c);
            push(&mut word, &span);
        } else if c.is_alphanumeric()
            || (c == '\''
                && !word.is_empty()
                && next.is_some_and(|n| n.is_alphanumeric() && !is_han(n)))
        {
            // "can't", "won't": the apostrophe belongs to the word.
            if word.is_empty() {
                at = span.clone();
            }
            word.push(c);
            at.end = span.end;
        } else if c == '*' && pattern {
            if word.is_empty() {
                return Err("a * ends a word; it cannot stand alone or begin one".into());
            }
            word.push('*');
            at.end = span.end;
            push(&mut word, &at);
        } else if !word.is_empty() {
            push(&mut word, &at);
        }
    }
    if !word.is_empty() {
        push(&mut word, &at);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(phrase: &str) -> Matcher {
        Matcher::new([(phrase, &[][..])]).unwrap()
    }

    fn fires(phrase: &str, text: &str) -> bool {
        one(phrase).first_match(text).is_some()
    }

    #[test]
    fn english_whole_words_any_case() {
        assert!(fires(
            "chest pain",
            "I have had CHEST PAIN since this morning"
        ));
        assert!(fires("chest pain", "chest   pain, sharp"));
        assert!(fires("can't breathe", "I can’t breathe properly"));
        assert!(!fires("chest pain", "my chest painting is drying"));
        assert!(!fires("chest pain", "chest and pain"));
        assert!(!fires("stroke", "heatstroke last summer"));
        assert!(!fires("stroke", "I stroked the cat"));
        assert!(fires("suicid*", "I have suicidal thoughts"));
    }

    #[test]
    fn russian_endings_and_yo() {
        assert!(fires("бол* в груд*", "Сильная боль в груди с утра"));
        assert!(fires("бол* в груд*", "боли в грудной клетке"));
        assert!(fires(
            "ребен* высок* температур*",
            "У ребёнка высокая температура"
        ));
        assert!(fires("не могу дышать", "НЕ МОГУ ДЫШАТЬ"));
        assert!(!fires("не могу дышать", "не могу дождаться ответа"));
        assert!(!fires("инсульт*", "нужна консультация по анализам"));
        assert!(!fires("бол* в груд*", "больше всего в городе"));
    }

    #[test]
    fn chinese_characters_in_a_row() {
        assert!(fires("胸痛", "我胸痛得厉害"));
        assert!(fires("呼吸困难", "孩子呼吸困难，怎么办？"));
        assert!(!fires("胸痛", "胸口不痛"));
        let stroke = Matcher::new([("中风", &["中风险".to_owned()][..])]).unwrap();
        assert_eq!(stroke.first_match("我爸爸中风了"), Some("中风"));
        assert_eq!(stroke.first_match("这是中风险的手术吗"), None);
        assert_eq!(
            stroke.first_match("中风险手术后他中风了"),
            Some("中风"),
            "a second, uncovered match still fires"
        );
    }

    #[test]
    fn scripts_do_not_mix_and_width_is_normalised() {
        // A Cyrillic "с" and "е" in a Latin-looking word.
        assert!(!fires("chest pain", "сhеst pain"));
        // Full-width Latin letters read as ordinary ones.
        assert!(fires("chest pain", "ｃｈｅｓｔ ｐａｉｎ"));
        // Latin next to Han splits into words.
        assert!(fires("胸痛", "ok胸痛ok"));
    }

    #[test]
    fn phrases_are_checked() {
        assert!(check_phrase("  ").is_err());
        assert!(check_phrase("*").is_err());
        assert!(check_phrase("бо* в груди").is_err());
        assert!(check_phrase("pain *chest").is_err());
        assert!(check_phrase(&"a ".repeat(13)).is_err());
        assert!(check_phrase("бол* в груд*").is_ok());
        assert!(check_phrase("胸痛").is_ok());
    }

    #[test]
    fn the_first_rule_in_order_is_named() {
        let m = Matcher::new([("heavy bleeding", &[][..]), ("chest pain", &[][..])]).unwrap();
        assert_eq!(
            m.first_match("chest pain and heavy bleeding"),
            Some("heavy bleeding")
        );
        assert_eq!(m.first_match("nothing urgent, a repeat prescription"), None);
    }

    #[test]
    fn the_clients_own_words_are_found_as_written() {
        let m = Matcher::new([
            ("дав* в груд*", &[][..]),
            ("胸痛", &[][..]),
            ("can't breathe", &[][..]),
        ])
        .unwrap();
        let words = |text: &str| {
            m.find(text)
                .map(|f| (f.rule.to_owned(), f.words.to_owned()))
        };
        assert_eq!(
            words("мне трудно дышать и Давит в  груди с утра"),
            Some(("дав* в груд*".into(), "Давит в  груди".into()))
        );
        assert_eq!(words("我胸痛得厉害"), Some(("胸痛".into(), "胸痛".into())));
        assert_eq!(
            words("I CAN’T BREATHE!"),
            Some(("can't breathe".into(), "CAN’T BREATHE".into()))
        );
        // Full-width letters and a decomposed ё (е + ◌̈, as some keyboards send it) are matched
        // and quoted as written.
        assert_eq!(
            words("ｃａｎ't breathe"),
            Some(("can't breathe".into(), "ｃａｎ't breathe".into()))
        );
        let worse = Matcher::new([("еще хуж*", &[][..])]).unwrap();
        let text = "стало ещ\u{0435}\u{0308} хуже";
        assert_eq!(
            worse.find(text).map(|f| f.words),
            Some("ещ\u{0435}\u{0308} хуже")
        );
        assert_eq!(words("ничего срочного"), None);
    }
}
