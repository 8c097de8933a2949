//! The in-memory indexes: decrypted, folded names for partial, case- and accent-insensitive
//! search, and the matching index for possible matches at intake. Built from the store at
//! start-up and kept current by the change feed (`feed`); never written to disk.
use std::collections::HashMap;

use pulang_domain::text::fold;
use pulang_domain::PersonDetails;
use pulang_matching::{Candidate, Index as MatchIndex, RawRecord, Want};
use pulang_store::people::PersonSummary;
use pulang_store::SiteFilter;

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub site_id: String,
    pub case_number: String,
    pub full_name: String,
    /// What a registrar needs to tell two people apart in the possible-match panel.
    pub sex: Option<pulang_domain::Sex>,
    pub birth: Option<String>,
    pub age: Option<u8>,
    pub origin_province: Option<String>,
    /// Folded full name and aliases, separated by `|`.
    haystack: String,
    pub created_at: i64,
    /// The record this one was merged into: searches and matches show that one instead.
    pub merged_into: Option<String>,
}

/// The in-memory indexes of people: names for search, and the matching index for possible
/// matches at intake. Entry `i` is slot `i` of the matching index.
pub struct NameIndex {
    /// In registration order (oldest first).
    entries: Vec<Entry>,
    pos: HashMap<String, usize>,
    matcher: MatchIndex,
    words: crate::words::WordIndex,
}

impl std::fmt::Debug for NameIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameIndex")
            .field("entries", &self.entries.len())
            .finish()
    }
}

fn haystack(full_name: &str, aliases: &[String]) -> String {
    let mut h = fold(full_name);
    for a in aliases {
        h.push('|');
        h.push_str(&fold(a));
    }
    h
}

/// A person's details as the matching engine reads them.
pub fn raw_record(id: &str, d: &PersonDetails) -> RawRecord {
    RawRecord {
        id: id.to_string(),
        source: String::new(),
        full_name: d.full_name.clone(),
        sex: d.sex.map(|s| s.as_str().to_string()).unwrap_or_default(),
        birth_date: d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
        age: d.age.map(|a| a.to_string()).unwrap_or_default(),
        phone: d.phones.join(";"),
        passport_no: d.passport_no.clone().unwrap_or_default(),
        nik: d.nik.as_ref().map(|n| n.to_string()).unwrap_or_default(),
        origin_province: d.origin_province.clone().unwrap_or_default(),
        address: d.origin_regency.clone().unwrap_or_default(),
    }
}

fn entry(p: &PersonSummary) -> Entry {
    let d = &p.details;
    Entry {
        id: p.id.clone(),
        site_id: p.site_id.clone(),
        case_number: p.case_number.clone(),
        full_name: d.full_name.clone(),
        sex: d.sex,
        birth: d.birth_date.map(|b| b.to_string()),
        age: d.age,
        origin_province: d.origin_province.clone(),
        haystack: haystack(&d.full_name, &d.aliases),
        created_at: p.created_at,
        merged_into: p.merged_into.clone(),
    }
}

pub(crate) fn ref_year() -> i32 {
    crate::today().year()
}

impl NameIndex {
    pub fn build(mut people: Vec<PersonSummary>) -> NameIndex {
        people.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let records: Vec<RawRecord> = people
            .iter()
            .map(|p| raw_record(&p.id, &p.details))
            .collect();
        let mut matcher = MatchIndex::build(&records, ref_year());
        let entries: Vec<Entry> = people.iter().map(entry).collect();
        for (i, e) in entries.iter().enumerate() {
            if e.merged_into.is_some() {
                matcher.remove(i as u32);
            }
        }
        let pos = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        let mut words = crate::words::WordIndex::default();
        for (i, e) in entries.iter().enumerate() {
            words.add(i as u32, &e.haystack, &e.case_number);
        }
        NameIndex {
            entries,
            pos,
            matcher,
            words,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds or replaces a person.
    pub fn upsert(&mut self, p: &PersonSummary) {
        let e = entry(p);
        let rec = raw_record(&p.id, &p.details);
        match self.pos.get(&p.id) {
            Some(&i) => {
                self.words.add(i as u32, &e.haystack, &e.case_number);
                self.entries[i] = e;
                self.matcher.replace(i as u32, &rec);
                if p.merged_into.is_some() {
                    self.matcher.remove(i as u32);
                }
            }
            None => {
                self.pos.insert(p.id.clone(), self.entries.len());
                self.words
                    .add(self.entries.len() as u32, &e.haystack, &e.case_number);
                self.entries.push(e);
                self.matcher.insert(&rec);
            }
        }
    }

    pub fn remove(&mut self, id: &str) {
        if let Some(&i) = self.pos.get(id) {
            self.matcher.remove(i as u32);
            // The entry stays (slots are positions) but can no longer be found.
            self.entries[i].haystack.clear();
            self.entries[i].merged_into = Some(String::new());
        }
    }

    /// Up to `limit` people who may be the person described, best first; only people `filter`
    /// allows and not merged away.
    pub fn possible_matches(
        &self,
        filter: &SiteFilter,
        rec: &RawRecord,
        limit: usize,
        min_probability: f64,
    ) -> Vec<(&Entry, Candidate)> {
        let want = Want {
            limit,
            min_probability,
            same_identifier: false,
            from_slot: 0,
        };
        self.possible_matches_where(filter, rec, &want, &|_| true)
    }

    /// The candidates `want` asks for among the entries `filter` allows, not merged away and
    /// accepted by `keep` (an import leaves out the people it registered itself: it matches
    /// its own rows separately).
    pub fn possible_matches_where(
        &self,
        filter: &SiteFilter,
        rec: &RawRecord,
        want: &Want,
        keep: &dyn Fn(&Entry) -> bool,
    ) -> Vec<(&Entry, Candidate)> {
        let allow = |slot: u32| {
            self.entries
                .get(slot as usize)
                .is_some_and(|e| e.merged_into.is_none() && filter.allows(&e.site_id) && keep(e))
        };
        self.matcher
            .query_with(rec, want, &allow)
            .0
            .into_iter()
            .filter_map(|c| self.entries.get(c.slot as usize).map(|e| (e, c)))
            .collect()
    }

    pub fn matcher(&self) -> &MatchIndex {
        &self.matcher
    }

    /// The entry to show for `id`: the record it was merged into, if any.
    pub fn resolve(&self, id: &str) -> Option<&Entry> {
        let e = self.get(id)?;
        match &e.merged_into {
            Some(s) if !s.is_empty() => self.get(s).or(Some(e)),
            Some(_) => None,
            None => Some(e),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.pos.get(id).map(|&i| &self.entries[i])
    }

    /// Newest first: entries within `filter` whose name or alias contains every word of `query`
    /// (or whose case number starts with it). An empty query lists everyone.
    /// Returns the total count and the page.
    pub fn search(
        &self,
        filter: &SiteFilter,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<&Entry>) {
        let words: Vec<String> = fold(query)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let case_q = query.trim().to_ascii_uppercase();
        let mut total = 0;
        let mut page = Vec::new();
        // Positions already counted: a merged record's hit shows the kept person, who may be a
        // hit too. A bitmap, as a short query can hit most of the register.
        let mut seen = vec![0u64; self.entries.len().div_ceil(64)];
        // With words, only the entries that hold them (and case-number prefixes) are looked at.
        let candidates: Box<dyn Iterator<Item = usize>> = if words.is_empty() {
            Box::new((0..self.entries.len()).rev())
        } else {
            let mut c = self.words.candidates(&words);
            if case_q.len() >= 3 {
                c = crate::words::union(&[&c, &self.words.case_prefix(&case_q)]);
            }
            Box::new(c.into_iter().rev().map(|i| i as usize))
        };
        for i in candidates {
            let Some(e) = self.entries.get(i) else {
                continue;
            };
            if !filter.allows(&e.site_id) || e.haystack.is_empty() {
                continue;
            }
            let hit = (words.is_empty() && e.merged_into.is_none())
                || (!words.is_empty() && words.iter().all(|w| e.haystack.contains(w.as_str())))
                || (case_q.len() >= 3 && e.case_number.starts_with(&case_q));
            if !hit {
                continue;
            }
            // A merged record's name finds the person it was merged into.
            let (shown_at, shown) = if e.merged_into.is_none() {
                (i, e)
            } else {
                let Some(shown) = self.resolve(&e.id) else {
                    continue;
                };
                (self.pos[&shown.id], shown)
            };
            let bit = 1u64 << (shown_at % 64);
            if !filter.allows(&shown.site_id) || seen[shown_at / 64] & bit != 0 {
                continue;
            }
            seen[shown_at / 64] |= bit;
            if total >= offset && page.len() < limit {
                page.push(shown);
            }
            total += 1;
        }
        (total, page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: &str, site: &str, name: &str, at: i64) -> PersonSummary {
        PersonSummary {
            id: id.into(),
            site_id: site.into(),
            case_number: format!("PNH-2026-00000{id}"),
            details: PersonDetails {
                full_name: name.into(),
                aliases: vec!["Nunung".into()],
                ..Default::default()
            },
            created_at: at,
            merged_into: None,
        }
    }

    #[test]
    fn partial_accent_and_case_insensitive_newest_first() {
        let idx = NameIndex::build(vec![
            p("1", "a", "Siti Nurhaliza", 1),
            p("2", "a", "JOSÉ Nurhalim", 2),
            p("3", "b", "Siti Aisyah", 3),
        ]);
        let (n, page) = idx.search(&SiteFilter::All, "NURHAL", 0, 10);
        assert_eq!(n, 2);
        assert_eq!(page[0].id, "2");
        let (n, _) = idx.search(&SiteFilter::All, "jose", 0, 10);
        assert_eq!(n, 1);
        let (n, _) = idx.search(&SiteFilter::Only(vec!["b".into()]), "siti", 0, 10);
        assert_eq!(n, 1);
        let (n, _) = idx.search(&SiteFilter::All, "nunung", 0, 10);
        assert_eq!(n, 3);
        let (n, _) = idx.search(&SiteFilter::All, "pnh-2026-000001", 0, 10);
        assert_eq!(n, 1);
        let (n, page) = idx.search(&SiteFilter::All, "", 1, 1);
        assert_eq!((n, page.len()), (3, 1));
    }
}
