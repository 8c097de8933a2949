//! The in-memory name index: decrypted, folded names for partial, case- and accent-insensitive
//! search. Built from the store at start-up and kept current by this process's writes; never
//! written to disk.
use pulang_domain::text::fold;
use pulang_store::people::PersonSummary;
use pulang_store::SiteFilter;

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub site_id: String,
    pub case_number: String,
    pub full_name: String,
    /// Folded full name and aliases, separated by `|`.
    haystack: String,
    pub created_at: i64,
}

#[derive(Debug, Default)]
pub struct NameIndex {
    /// In registration order (oldest first).
    entries: Vec<Entry>,
    pos: std::collections::HashMap<String, usize>,
}

fn haystack(full_name: &str, aliases: &[String]) -> String {
    let mut h = fold(full_name);
    for a in aliases {
        h.push('|');
        h.push_str(&fold(a));
    }
    h
}

impl NameIndex {
    pub fn build(mut people: Vec<PersonSummary>) -> NameIndex {
        people.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mut idx = NameIndex::default();
        for p in people {
            idx.upsert(
                &p.id,
                &p.site_id,
                &p.case_number,
                &p.full_name,
                &p.aliases,
                p.created_at,
            );
        }
        idx
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn upsert(
        &mut self,
        id: &str,
        site_id: &str,
        case_number: &str,
        full_name: &str,
        aliases: &[String],
        created_at: i64,
    ) {
        let e = Entry {
            id: id.to_string(),
            site_id: site_id.to_string(),
            case_number: case_number.to_string(),
            full_name: full_name.to_string(),
            haystack: haystack(full_name, aliases),
            created_at,
        };
        match self.pos.get(id) {
            Some(&i) => self.entries[i] = e,
            None => {
                self.pos.insert(id.to_string(), self.entries.len());
                self.entries.push(e);
            }
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
        for e in self.entries.iter().rev() {
            if !filter.allows(&e.site_id) {
                continue;
            }
            let hit = words.is_empty()
                || words.iter().all(|w| e.haystack.contains(w.as_str()))
                || (case_q.len() >= 3 && e.case_number.starts_with(&case_q));
            if hit {
                if total >= offset && page.len() < limit {
                    page.push(e);
                }
                total += 1;
            }
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
            full_name: name.into(),
            aliases: vec!["Nunung".into()],
            sex: None,
            created_at: at,
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
