//! The whole batch deduplication: normalise, block, compare, train, score, cluster.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::blocking::{self, RULES};
use crate::cluster::{self, Edge, Params};
use crate::compare::{self, Vector};
use crate::model::{self, estimate_u, Model};
use crate::normalize::{self, Prepared, RawRecord};
use crate::rng::SplitMix64;

#[derive(Debug, Clone)]
pub struct Config {
    /// Match probability at which a pair is accepted.
    pub threshold: f64,
    /// The year ages are counted from.
    pub ref_year: i32,
    /// Blocks with more records than this are skipped.
    pub max_block: usize,
    /// Random pairs drawn to estimate `u`.
    pub u_samples: usize,
    /// Of which compared on the costly fields (name, address) too.
    pub u_samples_costly: usize,
    /// Pairs at or above this probability are returned in [`Output::pairs`].
    pub pairs_min_probability: f64,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threshold: 0.5,
            ref_year: 2026,
            max_block: 60,
            u_samples: 400_000,
            u_samples_costly: 50_000,
            pairs_min_probability: 0.01,
            seed: 0x5EED,
        }
    }
}

/// Progress through the stages, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Normalising,
    Blocking,
    Comparing,
    Training,
    Clustering,
    Done,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Normalising => "normalising",
            Stage::Blocking => "blocking",
            Stage::Comparing => "comparing candidate pairs",
            Stage::Training => "estimating m and u",
            Stage::Clustering => "clustering",
            Stage::Done => "done",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub records: usize,
    pub candidate_pairs: u64,
    /// Pairs produced by each blocking rule (before the union removed repeats).
    pub pairs_per_rule: Vec<(&'static str, u64)>,
    pub accepted_pairs: u64,
    pub clusters: usize,
}

#[derive(Debug, Clone)]
pub struct ScoredPair {
    pub l: u32,
    pub r: u32,
    pub probability: f64,
    /// The comparison levels and the name's term-frequency sum, to explain the score with
    /// [`Model::explain`].
    pub levels: Vector,
    pub tf: f32,
}

#[derive(Debug, Clone)]
pub struct Output {
    /// For each input record, the index of the first record of its cluster.
    pub cluster: Vec<u32>,
    /// Scored candidate pairs at or above `pairs_min_probability`, `l < r`.
    pub pairs: Vec<ScoredPair>,
    pub stats: Stats,
    pub model: Option<Model>,
}

/// Normalises every record and fills in the names' term frequencies.
pub fn prepare_all(records: &[RawRecord], ref_year: i32) -> Vec<Prepared> {
    let mut prepared = normalise_all(records, ref_year);
    fill_term_frequencies(&mut prepared);
    prepared
}

/// Normalises every record in parallel, without term frequencies.
pub fn normalise_all(records: &[RawRecord], ref_year: i32) -> Vec<Prepared> {
    // Phones and provinces repeat (the same person in several sources, a few dozen ways to
    // write a province): normalise each distinct value once.
    let mut phone_keys: Vec<String> = records
        .par_iter()
        .filter_map(|r| normalize::phone_cache_key(&r.phone))
        .collect();
    phone_keys.par_sort_unstable();
    phone_keys.dedup();
    let phone_map: HashMap<&str, Vec<u64>> = phone_keys
        .par_iter()
        .map(|k| (k.as_str(), normalize::phones(k)))
        .collect();
    let mut provs: Vec<&str> = records.iter().map(|r| r.origin_province.as_str()).collect();
    provs.par_sort_unstable();
    provs.dedup();
    let prov_map: HashMap<&str, u64> = provs
        .par_iter()
        .map(|p| (*p, normalize::province_key(p)))
        .collect();
    let phones = |s: &str| -> Vec<u64> {
        match normalize::phone_cache_key(s) {
            Some(k) => phone_map.get(k.as_str()).cloned().unwrap_or_default(),
            None => normalize::phones(s),
        }
    };
    let province = |s: &str| -> u64 {
        prov_map
            .get(s)
            .copied()
            .unwrap_or_else(|| normalize::province_key(s))
    };
    records
        .par_iter()
        .map(|r| normalize::prepare_with(r, ref_year, &phones, &province))
        .collect()
}

/// Sets each name token's and each whole name's term frequency from the records themselves.
pub fn fill_term_frequencies(prepared: &mut [Prepared]) {
    let mut df: HashMap<u64, u32> = HashMap::new();
    let mut names: HashMap<u64, u32> = HashMap::new();
    for p in prepared.iter() {
        for t in &p.name.tokens {
            *df.entry(t.alt).or_insert(0) += 1;
        }
        if !p.name.tokens.is_empty() {
            *names.entry(p.name.key()).or_insert(0) += 1;
        }
    }
    let n = prepared.len().max(1) as f64;
    prepared.par_iter_mut().for_each(|p| {
        let c = names.get(&p.name.key()).copied().unwrap_or(1).max(1);
        p.name.tf = (f64::from(c) / n).log2() as f32;
        for t in &mut p.name.tokens {
            let c = df.get(&t.alt).copied().unwrap_or(1).max(1);
            t.tf = (f64::from(c) / n).log2() as f32;
        }
    });
}

/// Comparison vectors of random pairs, for `u`. The costly fields (name and address, compared
/// by Jaro–Winkler) are compared on the first `full` pairs only; the cheap ones on all `samples`.
fn random_vectors(prepared: &[Prepared], samples: usize, full: usize, seed: u64) -> Vec<Vector> {
    let n = prepared.len() as u64;
    if n < 2 {
        return Vec::new();
    }
    let chunks = 64usize;
    let per = samples.div_ceil(chunks);
    let per_full = full.div_ceil(chunks);
    (0..chunks)
        .into_par_iter()
        .flat_map_iter(|c| {
            let mut rng = SplitMix64::new(seed ^ (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            (0..per).filter_map(move |k| {
                let i = rng.below(n) as usize;
                let j = rng.below(n) as usize;
                if i == j {
                    return None;
                }
                let (a, b) = (&prepared[i], &prepared[j]);
                Some(if k < per_full {
                    compare::pair(a, b).0
                } else {
                    compare::cheap(a, b)
                })
            })
        })
        .collect()
}

/// Deduplicates `records`. Pure: `progress` is told when each stage starts.
pub fn dedupe(records: &[RawRecord], cfg: &Config, progress: &mut dyn FnMut(Stage)) -> Output {
    progress(Stage::Normalising);
    let prepared = prepare_all(records, cfg.ref_year);
    // Records that share name tokens are compared with each other most; placing them side by
    // side in memory keeps the comparisons in cache. The results are mapped back afterwards.
    let mut keyed: Vec<(u64, u32, Prepared)> = prepared
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let k = p.name.tokens.iter().map(|t| t.phon).min().unwrap_or(0);
            (k, i as u32, p)
        })
        .collect();
    keyed.par_sort_unstable_by_key(|x| (x.0, x.1));
    let order: Vec<u32> = keyed.iter().map(|x| x.1).collect();
    let permuted: Vec<Prepared> = keyed.into_iter().map(|x| x.2).collect();
    let mut out = dedupe_prepared(&permuted, cfg, progress);
    let n = order.len();
    let mut first = vec![u32::MAX; n];
    for (k, &root) in out.cluster.iter().enumerate() {
        let f = &mut first[root as usize];
        *f = (*f).min(order[k]);
    }
    let mut cluster = vec![0u32; n];
    for (k, &root) in out.cluster.iter().enumerate() {
        cluster[order[k] as usize] = first[root as usize];
    }
    out.cluster = cluster;
    for p in &mut out.pairs {
        let (l, r) = (order[p.l as usize], order[p.r as usize]);
        (p.l, p.r) = if l < r { (l, r) } else { (r, l) };
    }
    out
}

/// [`dedupe`] over records already normalised by [`prepare_all`].
pub fn dedupe_prepared(
    prepared: &[Prepared],
    cfg: &Config,
    progress: &mut dyn FnMut(Stage),
) -> Output {
    let n = prepared.len();
    progress(Stage::Blocking);
    let (pairs, per_rule) = blocking::candidate_pairs(prepared, cfg.max_block);
    progress(Stage::Comparing);
    let compared: Vec<(Vector, f32)> = pairs
        .par_iter()
        .map(|&p| compare::pair(&prepared[(p >> 32) as usize], &prepared[p as u32 as usize]))
        .collect();
    progress(Stage::Training);
    let total_pairs = n as f64 * (n as f64 - 1.0) / 2.0;
    let samples = (cfg.u_samples as f64).min(total_pairs).max(0.0) as usize;
    let randoms = random_vectors(
        prepared,
        samples,
        samples.min(cfg.u_samples_costly),
        cfg.seed,
    );
    let u = estimate_u(randoms.iter());
    let patterns: HashMap<Vector, u64> = compared
        .par_iter()
        .fold(HashMap::new, |mut m: HashMap<Vector, u64>, (v, _)| {
            *m.entry(*v).or_insert(0) += 1;
            m
        })
        .reduce(HashMap::new, |mut a, b| {
            for (k, c) in b {
                *a.entry(k).or_insert(0) += c;
            }
            a
        });
    // Same-name pairs for training the birth date: only names carried by at most three records,
    // so that the pairs are mostly matches.
    let rare = (3.0 / n.max(3) as f32).log2() + 1e-3;
    let rare_names: HashMap<Vector, u64> = compared
        .iter()
        .filter(|(v, tf)| v[0] == compare::name_level::EXACT && *tf <= rare)
        .fold(HashMap::new(), |mut m, (v, _)| {
            *m.entry(*v).or_insert(0) += 1;
            m
        });
    let model = Model::train(&patterns, &rare_names, u, pairs.len() as u64, total_pairs);
    let weights: Vec<f32> = compared
        .par_iter()
        .map(|(v, tf)| model.score(v, *tf) as f32)
        .collect();
    progress(Stage::Clustering);
    let edges: Vec<Edge> = pairs
        .iter()
        .zip(&weights)
        .map(|(&p, &w)| Edge {
            a: (p >> 32) as u32,
            b: p as u32,
            w,
        })
        .collect();
    let accept = model::weight(cfg.threshold) as f32;
    let params = Params {
        accept,
        reject: model::weight(0.05).min(f64::from(accept) - 1.0) as f32,
        strong: accept.max(model::weight(0.99999) as f32),
    };
    let cluster = cluster::cluster(n, &edges, params);
    let min_w = model::weight(cfg.pairs_min_probability) as f32;
    let out_pairs: Vec<ScoredPair> = edges
        .iter()
        .zip(&compared)
        .filter(|(e, _)| e.w >= min_w)
        .map(|(e, (v, tf))| ScoredPair {
            l: e.a,
            r: e.b,
            probability: model::probability(f64::from(e.w)),
            levels: *v,
            tf: *tf,
        })
        .collect();
    let mut roots: Vec<u32> = cluster.clone();
    roots.sort_unstable();
    roots.dedup();
    let stats = Stats {
        records: n,
        candidate_pairs: pairs.len() as u64,
        pairs_per_rule: RULES.iter().copied().zip(per_rule).collect(),
        accepted_pairs: edges.iter().filter(|e| e.w >= accept).count() as u64,
        clusters: roots.len(),
    };
    progress(Stage::Done);
    Output {
        cluster,
        pairs: out_pairs,
        stats,
        model: Some(model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str, name: &str, dob: &str, phone: &str, nik: &str) -> RawRecord {
        RawRecord {
            id: id.into(),
            full_name: name.into(),
            birth_date: dob.into(),
            phone: phone.into(),
            nik: nik.into(),
            ..Default::default()
        }
    }

    #[test]
    fn small_file_every_record_once() {
        let recs = vec![
            r(
                "1",
                "Budi Santoso",
                "1990-05-12",
                "0812-3456-7890",
                "3201011205900001",
            ),
            r("2", "SANTOSO BUDI", "12/05/1990", "", ""),
            r("3", "Siti Aminah", "1995-01-02", "", ""),
            r("4", "", "", "", ""),
        ];
        let out = dedupe(&recs, &Config::default(), &mut |_| {});
        assert_eq!(out.cluster.len(), 4);
        assert_eq!(out.stats.records, 4);
        assert!(out.stats.candidate_pairs >= 1);
        let empty = dedupe(&[], &Config::default(), &mut |_| {});
        assert!(empty.cluster.is_empty());
    }

    /// Pairwise precision and recall of a clustering against the truth.
    fn pr(cluster: &[u32], truth: &[u64]) -> (f64, f64) {
        let (mut tp, mut fp, mut fn_) = (0u64, 0u64, 0u64);
        for i in 0..cluster.len() {
            for j in i + 1..cluster.len() {
                match (cluster[i] == cluster[j], truth[i] == truth[j]) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fn_ += 1,
                    _ => {}
                }
            }
        }
        (
            tp as f64 / (tp + fp).max(1) as f64,
            tp as f64 / (tp + fn_).max(1) as f64,
        )
    }

    #[test]
    fn synthetic_survivors_are_resolved() {
        let today = time::macros::date!(2026 - 02 - 15);
        let data = crate::synthetic::generate(11, 3000, today);
        let recs: Vec<RawRecord> = data.iter().map(|s| s.record.clone()).collect();
        let truth: Vec<u64> = data.iter().map(|s| s.entity).collect();
        let out = dedupe(&recs, &Config::default(), &mut |_| {});
        let (p, r) = pr(&out.cluster, &truth);
        assert!(p > 0.85 && r > 0.4, "precision {p:.3} recall {r:.3}");
        // Pairs are explained field by field.
        let model = out.model.as_ref().unwrap();
        let best = out
            .pairs
            .iter()
            .max_by(|a, b| a.probability.total_cmp(&b.probability))
            .unwrap();
        let explained = model.explain(&best.levels, best.tf);
        assert_eq!(explained.len(), compare::FIELDS);
        let total: f64 = model.prior() + explained.iter().map(|f| f.weight).sum::<f64>();
        assert!((model::probability(total) - best.probability).abs() < 1e-3);
    }
}
