//! Derivation: from the answers recorded `present` to every element they establish, keeping, for
//! each element, the exact answers that produced it.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalogue::{pattern_matches, Catalogue};

#[derive(Clone, Debug)]
pub(crate) struct Facts {
    /// element id -> the answer ids (answered `present`) that establish it.
    derived: BTreeMap<String, BTreeSet<String>>,
}

impl Facts {
    pub(crate) fn new(cat: &Catalogue, present: &BTreeSet<String>) -> Facts {
        let mut derived: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in present {
            derived.entry(p.clone()).or_default().insert(p.clone());
            for implied in cat.implied_by(p) {
                derived
                    .entry(implied.clone())
                    .or_default()
                    .insert(p.clone());
            }
        }
        Facts { derived }
    }

    pub(crate) fn has(&self, id: &str) -> bool {
        self.derived.contains_key(id)
    }

    /// The answers establishing `id`, sorted (empty when not established).
    pub(crate) fn why(&self, id: &str) -> Vec<String> {
        self.derived
            .get(id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Established elements matching a pattern (`id` or `prefix.*`).
    pub(crate) fn matching<'a>(&'a self, pattern: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.derived
            .keys()
            .filter(move |k| pattern_matches(pattern, k))
            .map(|k| k.as_str())
    }

    pub(crate) fn any_matching(&self, patterns: &[String]) -> bool {
        patterns.iter().any(|p| self.matching(p).next().is_some())
    }
}

/// Sorted union of answer lists.
pub(crate) fn union<'a>(lists: impl IntoIterator<Item = &'a Vec<String>>) -> Vec<String> {
    let set: BTreeSet<&String> = lists.into_iter().flatten().collect();
    set.into_iter().cloned().collect()
}
