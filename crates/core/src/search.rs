//! Full-text search over Russian, Chinese and English text with SQLite FTS5.
//!
//! FTS5's tokenizers split on spaces and punctuation; Chinese has neither between words, so
//! "孩子咳嗽一周了" would be one token and "咳嗽" would never match. Before indexing, runs of
//! CJK characters are rewritten as their single characters and overlapping pairs
//! ("咳 咳嗽 嗽 …"): a query of one or two characters is then one token, and a longer one the
//! AND of its pairs. (Pairs alone index ~10 % faster, but a one-character query then has to
//! be a prefix query, which FTS5 answers in ~20 ms on a million messages instead of ~3.) Other
//! scripts pass through to unicode61, which folds case (Cyrillic too) and diacritics; query
//! words become prefix queries. Snippets are cut and highlighted from the original text, not
//! from the rewritten one.
//!
//! Two things FTS5 does slowly on a million messages are done here instead. A prefix query
//! (`давлен*`) makes FTS5 merge the whole posting list of every matching term before it yields
//! the first row; the cache keeps the words it indexed (`search_words`), so a prefix becomes
//! the OR of the words it stands for, which FTS5 walks lazily, newest first. And `bm25()`
//! counts every document holding each term (a full scan per term, for the IDF) before ranking;
//! hits are instead ranked here, among the newest matches, by [`relevance`].

/// True for the scripts that are written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x2FFFF) // Extensions B and later
}

/// Splits text into runs: (is_cjk, run).
fn runs(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: Option<bool> = None;
    for (i, c) in text.char_indices() {
        let k = is_cjk(c);
        match current {
            Some(prev) if prev != k => {
                out.push((prev, &text[start..i]));
                start = i;
                current = Some(k);
            }
            None => current = Some(k),
            _ => {}
        }
    }
    if let Some(k) = current {
        out.push((k, &text[start..]));
    }
    out
}

/// The text as it is given to the index.
pub fn index_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for (cjk, run) in runs(text) {
        if !cjk {
            out.push_str(run);
            continue;
        }
        let chars: Vec<char> = run.chars().collect();
        out.push(' ');
        for (i, c) in chars.iter().enumerate() {
            out.push(*c);
            out.push(' ');
            if let Some(next) = chars.get(i + 1) {
                out.push(*c);
                out.push(*next);
                out.push(' ');
            }
        }
    }
    out
}

fn quoted(token: &str) -> String {
    format!("\"{}\"", token.replace('"', "\"\""))
}

/// The words of other scripts than CJK in a text, lower-cased, as the word list keeps them.
/// Numbers are left out (each phone number, date and order number would be a word of its own;
/// a number prefix is rare in the index and FTS5 expands it quickly itself).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    runs(text)
        .into_iter()
        .filter(|(cjk, _)| !cjk)
        .flat_map(|(_, run)| {
            run.split(|c: char| !c.is_alphanumeric())
                .filter(|w| expandable(w))
                .map(str::to_lowercase)
        })
}

fn expandable(word: &str) -> bool {
    !word.is_empty() && !word.chars().all(|c| c.is_numeric())
}

/// A prefix stands for at most this many words; beyond, FTS5 expands it itself.
pub const MAX_EXPANSION: usize = 64;

/// The words of a query that are matched as prefixes (lower-cased).
pub fn prefixes(query: &str) -> Vec<String> {
    let mut out: Vec<String> = words(query).collect();
    out.sort();
    out.dedup();
    out
}

/// An FTS5 MATCH expression for what a person typed, or none when nothing is searchable.
/// Every word must match; words of other scripts match as prefixes.
pub fn match_expression(query: &str) -> Option<String> {
    expression(query, &std::collections::HashMap::new())
}

/// [`match_expression`] with prefixes replaced by the words they stand for (`expanded`, from
/// the word list); a prefix without an entry stays an FTS5 prefix query.
pub fn expression(
    query: &str,
    expanded: &std::collections::HashMap<String, Vec<String>>,
) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    for (cjk, run) in runs(query) {
        if cjk {
            let chars: Vec<char> = run.chars().collect();
            if chars.len() == 1 {
                terms.push(quoted(&chars[0].to_string()));
            } else {
                for pair in chars.windows(2) {
                    terms.push(quoted(&pair.iter().collect::<String>()));
                }
            }
        } else {
            for word in run
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                match expanded.get(&word.to_lowercase()) {
                    Some(list) if !list.is_empty() => terms.push(format!(
                        "({})",
                        list.iter()
                            .map(|w| quoted(w))
                            .collect::<Vec<_>>()
                            .join(" OR ")
                    )),
                    _ => terms.push(format!("{}*", quoted(word))),
                }
            }
        }
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// The words of a query as they should be highlighted in the original text (lower-cased).
pub fn highlight_terms(query: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for (cjk, run) in runs(query) {
        if cjk {
            terms.push(run.to_lowercase());
        } else {
            terms.extend(
                run.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase),
            );
        }
    }
    terms
}

/// How well a text answers a query, from the highlighted terms: every term found counts, a
/// term that is a whole word (not only the start of one) counts more, and a short text
/// beats a long one holding the same. Higher is better.
pub fn relevance(text: &str, terms: &[String]) -> f64 {
    let lower = text.to_lowercase();
    let mut score = 0.0;
    for t in terms.iter().filter(|t| !t.is_empty()) {
        let cjk = t.chars().next().is_some_and(is_cjk);
        let mut best: f64 = 0.0;
        let mut from = 0;
        while let Some(pos) = lower[from..].find(t.as_str()) {
            let s = from + pos;
            let e = s + t.len();
            let starts = cjk
                || lower[..s]
                    .chars()
                    .last()
                    .is_none_or(|p| !p.is_alphanumeric());
            if starts {
                let ends = cjk
                    || lower[e..]
                        .chars()
                        .next()
                        .is_none_or(|n| !n.is_alphanumeric());
                best = best.max(if ends { 2.0 } else { 1.0 });
                if best == 2.0 {
                    break;
                }
            }
            from = e;
        }
        score += best;
    }
    // Length counts in steps of 80 characters: texts of about the same length tie, and the
    // newer wins (see `Cache::search`).
    score / (1.0 + (text.chars().count() / 80) as f64 * 0.25)
}

/// A piece of text around the first match, with the matches marked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Snippet {
    pub text: String,
    /// Byte ranges of `text` to highlight.
    pub marks: Vec<(usize, usize)>,
}

impl Snippet {
    /// The snippet with the marks wrapped in `open`/`close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        let mut at = 0;
        for &(s, e) in &self.marks {
            out.push_str(&self.text[at..s]);
            out.push_str(open);
            out.push_str(&self.text[s..e]);
            out.push_str(close);
            at = e;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

/// Cuts about `width` characters around the first match of any term and marks every match in
/// the cut (case-insensitive; a word term matches where a word starts).
pub fn snippet(text: &str, terms: &[String], width: usize) -> Snippet {
    let lower: Vec<(usize, char)> = text
        .char_indices()
        .flat_map(|(i, c)| c.to_lowercase().map(move |l| (i, l)))
        .collect();
    let lower_str: String = lower.iter().map(|(_, c)| *c).collect();
    // Byte offsets in `lower_str` back to byte offsets in `text`.
    let mut map = Vec::with_capacity(lower_str.len() + 1);
    for (orig, c) in &lower {
        for _ in 0..c.len_utf8() {
            map.push(*orig);
        }
    }
    map.push(text.len());
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for t in terms.iter().filter(|t| !t.is_empty()) {
        let mut from = 0;
        while let Some(pos) = lower_str[from..].find(t.as_str()) {
            let s = from + pos;
            let e = s + t.len();
            let word_start = lower_str[..s].chars().last().is_none_or(|p| {
                !p.is_alphanumeric() || is_cjk(p) || t.chars().next().is_some_and(is_cjk)
            });
            if word_start {
                let (os, oe) = (map[s], if e < map.len() { map[e] } else { text.len() });
                // Extend the end to the end of the original character.
                let oe = text[oe..].chars().next().map(|_| oe).unwrap_or(text.len());
                marks.push((os, oe.max(os)));
            }
            from = e;
        }
    }
    marks.sort();
    marks.dedup_by(|b, a| b.0 < a.1);
    // The window: characters around the first mark.
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let first = marks.first().map(|m| m.0).unwrap_or(0);
    let first_char = chars.iter().position(|(i, _)| *i >= first).unwrap_or(0);
    let start_char = first_char.saturating_sub(width / 3);
    let end_char = (start_char + width).min(chars.len());
    let start = chars.get(start_char).map(|c| c.0).unwrap_or(0);
    let end = chars.get(end_char).map(|c| c.0).unwrap_or(text.len());
    let mut cut = String::new();
    let prefix = if start > 0 { "…" } else { "" };
    cut.push_str(prefix);
    cut.push_str(&text[start..end]);
    if end < text.len() {
        cut.push('…');
    }
    let shift = prefix.len() as isize - start as isize;
    let marks = marks
        .into_iter()
        .filter(|(s, e)| *s >= start && *e <= end)
        .map(|(s, e)| ((s as isize + shift) as usize, (e as isize + shift) as usize))
        .collect();
    Snippet { text: cut, marks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_runs_become_characters_and_pairs() {
        assert_eq!(
            index_text("咳嗽一周")
                .split_whitespace()
                .collect::<Vec<_>>(),
            vec!["咳", "咳嗽", "嗽", "嗽一", "一", "一周", "周"]
        );
        let mixed = index_text("Hb 化验 ok");
        assert!(mixed.contains("Hb") && mixed.contains("化验") && mixed.contains("ok"));
    }

    #[test]
    fn queries_are_safe_and_prefixed() {
        assert_eq!(match_expression("咳嗽").as_deref(), Some("\"咳嗽\""));
        assert_eq!(match_expression("头").as_deref(), Some("\"头\""));
        assert_eq!(
            match_expression("咳嗽一周").as_deref(),
            Some("\"咳嗽\" AND \"嗽一\" AND \"一周\"")
        );
        assert_eq!(match_expression("Давлен").as_deref(), Some("\"Давлен\"*"));
        assert_eq!(
            match_expression("rash \"OR\" -x").as_deref(),
            Some("\"rash\"* AND \"OR\"* AND \"x\"*")
        );
        assert_eq!(match_expression("  ...  "), None);
    }

    #[test]
    fn prefixes_expand_to_the_words_they_stand_for() {
        let mut expanded = std::collections::HashMap::new();
        expanded.insert(
            "давлен".to_owned(),
            vec!["давление".to_owned(), "давления".to_owned()],
        );
        assert_eq!(
            expression("Давлен 咳嗽 rash", &expanded).as_deref(),
            Some("(\"давление\" OR \"давления\") AND \"咳嗽\" AND \"rash\"*")
        );
        assert_eq!(prefixes("Давлен 咳嗽 rash-2 rash"), vec!["rash", "давлен"]);
        assert_eq!(
            words("Hb 化验 Ok, ВРАЧ 150/95 2x").collect::<Vec<_>>(),
            vec!["hb", "ok", "врач", "2x"]
        );
    }

    #[test]
    fn whole_words_and_short_texts_rank_higher() {
        let terms = highlight_terms("fever");
        let whole = relevance("Fever since Monday", &terms);
        let prefix = relevance("Feverish since Monday", &terms);
        let long = relevance(
            &format!("Fever since Monday {}", "and more ".repeat(100)),
            &terms,
        );
        assert!(whole > prefix && whole > long, "{whole} {prefix} {long}");
        assert_eq!(
            whole,
            relevance("Fever since Monday, and since Tuesday too", &terms),
            "about the same length ties"
        );
        assert_eq!(relevance("nothing here", &terms), 0.0);
        assert!(relevance("孩子咳嗽一周了", &highlight_terms("咳嗽")) > 0.0);
    }

    #[test]
    fn snippets_mark_matches_in_the_original() {
        let s = snippet(
            "Давление 150/95 с утра, что делать?",
            &highlight_terms("давлен"),
            60,
        );
        assert_eq!(s.marked("[", "]"), "[Давлен]ие 150/95 с утра, что делать?");
        let s = snippet("孩子咳嗽一周了,晚上更严重", &highlight_terms("咳嗽"), 60);
        assert_eq!(s.marked("[", "]"), "孩子[咳嗽]一周了,晚上更严重");
        let long = format!("{} rash here {}", "word ".repeat(40), "tail ".repeat(40));
        let s = snippet(&long, &highlight_terms("rash"), 30);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert!(s.marked("[", "]").contains("[rash]"));
    }
}
