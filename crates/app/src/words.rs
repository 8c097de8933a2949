//! Words of the folded names → the entries that hold them, so that a name search looks only at
//! the entries that can match instead of every person in the register.
//!
//! A query word matches an entry when it is a substring of one of the entry's words (query words
//! hold no spaces, so this is the same as a substring of the whole folded name): the vocabulary
//! (tens of thousands of distinct words for a million people) is scanned, not the entries.
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Default)]
pub struct WordIndex {
    ids: HashMap<String, u32>,
    words: Vec<String>,
    /// Entry positions per word, ascending. May hold entries that no longer carry the word
    /// (after an edit): callers verify candidates.
    postings: Vec<Vec<u32>>,
    cases: BTreeMap<String, u32>,
}

impl WordIndex {
    /// Records the words of entry `pos`'s folded names (`|` between names) and its case number.
    pub fn add(&mut self, pos: u32, haystack: &str, case_number: &str) {
        for w in haystack.split(['|', ' ']).filter(|w| !w.is_empty()) {
            let id = match self.ids.get(w) {
                Some(&id) => id,
                None => {
                    let id = self.words.len() as u32;
                    self.ids.insert(w.to_string(), id);
                    self.words.push(w.to_string());
                    self.postings.push(Vec::new());
                    id
                }
            };
            let list = &mut self.postings[id as usize];
            match list.last() {
                None => list.push(pos),
                Some(&last) if last < pos => list.push(pos),
                Some(&last) if last == pos => {}
                // An older entry edited: keep the list sorted.
                Some(_) => {
                    if let Err(at) = list.binary_search(&pos) {
                        list.insert(at, pos);
                    }
                }
            }
        }
        self.cases.insert(case_number.to_string(), pos);
    }

    /// Entry positions that may hold every query word (a superset: verify each), ascending.
    pub fn candidates(&self, query_words: &[String]) -> Vec<u32> {
        let mut best: Option<Vec<u32>> = None;
        for q in query_words {
            let lists: Vec<&[u32]> = self
                .words
                .iter()
                .zip(&self.postings)
                .filter(|(w, _)| w.contains(q.as_str()))
                .map(|(_, p)| p.as_slice())
                .collect();
            let set = union(&lists);
            if best.as_ref().is_none_or(|b| set.len() < b.len()) {
                best = Some(set);
            }
            if best.as_ref().is_some_and(Vec::is_empty) {
                break;
            }
        }
        best.unwrap_or_default()
    }

    /// Entry positions whose case number starts with `prefix` (upper case).
    pub fn case_prefix(&self, prefix: &str) -> Vec<u32> {
        self.cases
            .range(prefix.to_string()..)
            .take_while(|(c, _)| c.starts_with(prefix))
            .map(|(_, &p)| p)
            .collect()
    }
}

/// The ascending union of lists in any order. A short query ("a") joins lists that together
/// cover most of the register: those are marked in a bitmap, which costs a pass over the
/// positions instead of sorting millions.
pub fn union(lists: &[&[u32]]) -> Vec<u32> {
    let total: usize = lists.iter().map(|l| l.len()).sum();
    let max = lists
        .iter()
        .flat_map(|l| l.iter())
        .max()
        .map_or(0, |&m| m as usize + 1);
    if total < max / 8 {
        let mut set: Vec<u32> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        set.sort_unstable();
        set.dedup();
        return set;
    }
    let mut bits = vec![0u64; max.div_ceil(64)];
    for &p in lists.iter().flat_map(|l| l.iter()) {
        bits[p as usize / 64] |= 1 << (p % 64);
    }
    let mut set = Vec::with_capacity(total.min(max));
    for (i, &word) in bits.iter().enumerate() {
        let mut w = word;
        while w != 0 {
            set.push((i * 64) as u32 + w.trailing_zeros());
            w &= w - 1;
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_of_any_word_and_case_prefix() {
        let mut w = WordIndex::default();
        w.add(0, "siti nurhaliza|nunung", "PNH-2026-000001");
        w.add(1, "jose nurhalim", "PNH-2026-000002");
        w.add(2, "siti aisyah", "BKK-2026-000001");
        assert_eq!(w.candidates(&["nurhal".into()]), vec![0, 1]);
        assert_eq!(w.candidates(&["haliza".into()]), vec![0]);
        assert_eq!(w.candidates(&["siti".into(), "nurh".into()]).len(), 2);
        assert_eq!(w.candidates(&["nunung".into()]), vec![0]);
        assert!(w.candidates(&["zzz".into()]).is_empty());
        assert_eq!(w.case_prefix("PNH-2026"), vec![0, 1]);
        assert_eq!(w.case_prefix("BKK"), vec![2]);
        // An edit of an older entry keeps the postings sorted.
        w.add(0, "siti aisyah", "PNH-2026-000001");
        assert_eq!(w.candidates(&["aisyah".into()]), vec![0, 2]);
    }

    #[test]
    fn union_by_sorting_or_by_bitmap_agree() {
        let a: Vec<u32> = (0..1000).step_by(3).collect();
        let b: Vec<u32> = (0..1000).step_by(5).collect();
        let c: Vec<u32> = vec![999_999, 7];
        let sorted = |lists: &[&Vec<u32>]| {
            let mut v: Vec<u32> = lists.iter().flat_map(|l| l.iter().copied()).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        // Sparse (sorted) and dense (bitmap) inputs.
        assert_eq!(union(&[&a, &b, &c]), sorted(&[&a, &b, &c]));
        assert_eq!(union(&[&a, &b]), sorted(&[&a, &b]));
        assert_eq!(union(&[]), Vec::<u32>::new());
        assert_eq!(union(&[&[], &[3]]), vec![3]);
    }
}
