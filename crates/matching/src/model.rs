//! Fellegi–Sunter scoring. `u` (the chance that two *different* people agree at a level) comes
//! from random record pairs; `m` (the chance for the *same* person) from expectation–maximisation
//! over the blocked candidate pairs, with `u` held fixed. Names get a term-frequency adjustment:
//! agreeing on "Muhammad" or "Siti" counts for less than agreeing on a rare name.

#![allow(clippy::needless_range_loop)] // m, u and levels are parallel arrays indexed by field

use std::collections::HashMap;

use crate::compare::{name_level, Vector, FIELDS, FIELD_NAMES, LEVELS, LEVEL_NAMES, MISSING};

/// Bounds of the name term-frequency adjustment, in bits.
const TF_MIN: f64 = -10.0;
const TF_MAX: f64 = 6.0;

#[derive(Debug, Clone)]
pub struct Model {
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// Prior probability that a random pair of records is a match.
    pub lambda: f64,
    /// Share of matches among the candidate pairs, as found by EM.
    pub lambda_blocked: f64,
    pub em_iterations: usize,
    weights: Vec<Vec<f64>>,
}

/// One field's contribution to a pair's score.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldWeight {
    pub field: &'static str,
    pub level: &'static str,
    /// log2(m/u), plus the term-frequency adjustment for names; 0 when missing.
    pub weight: f64,
}

/// Generic `u` values (typical shares among random pairs of a register of thousands), blended
/// into the sampled estimate with [`PRIOR_WEIGHT`] pseudo-pairs so that small files, where few
/// random pairs exist, still get sensible weights.
const PRIOR_U: [&[f64]; FIELDS] = [
    &[1e-3, 2e-3, 5e-3, 1e-5, 2e-2, 0.972],
    &[1e-4, 1e-3, 3e-3, 0.1, 0.8959],
    &[1e-5, 2e-6, 0.999988],
    &[1e-5, 5e-6, 0.999985],
    &[1e-5, 1e-5, 0.99998],
    &[0.55, 0.45],
    &[0.1, 0.9],
    &[0.01, 1e-3, 0.07, 0.919],
];
const PRIOR_WEIGHT: f64 = 200.0;

/// `m` of [`Model::intake_default`]: how often the *same* person's two records agree at each
/// level, set by hand from the sources' habits (`pulang_demo::synth` describes them):
/// - name: exact in about half the pairs; the rest are subsets (a shelter's one name), spelling
///   and typo variants (close), or share one token only (partial);
/// - birth date: exact in most pairs with full dates; swaps and typos (near); an age on one side
///   gives "same year" or "year close";
/// - phone: people change SIM cards, so "different" is common for the same person;
/// - NIK and passport: exact when both are recorded, with typos and OCR confusions as "one
///   edit"; an SPLP against a passport is "different";
/// - sex and province: almost always the same.
const INTAKE_M: [&[f64]; FIELDS] = [
    &[0.55, 0.15, 0.12, 0.02, 0.11, 0.05],
    &[0.60, 0.10, 0.08, 0.17, 0.05],
    &[0.45, 0.02, 0.53],
    &[0.90, 0.05, 0.05],
    &[0.80, 0.10, 0.10],
    &[0.97, 0.03],
    &[0.85, 0.15],
    &[0.65, 0.05, 0.15, 0.15],
];
/// Records of a new arrival already in the register, on average: about half of the arrivals
/// have been recorded before (a police hand-over list, a shelter book, the migrant-worker
/// registry), mostly once.
pub const INTAKE_EXPECTED_MATCHES: f64 = 0.5;
/// The register size [`Model::intake_default`]'s prior is stated for.
pub const INTAKE_REGISTER: f64 = 100_000.0;

/// Estimates `u` from the comparison vectors of random pairs.
pub fn estimate_u<'a>(vectors: impl Iterator<Item = &'a Vector>) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = LEVELS.iter().map(|&l| vec![0.0; l]).collect();
    for v in vectors {
        for f in 0..FIELDS {
            if v[f] != MISSING {
                counts[f][v[f] as usize] += 1.0;
            }
        }
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(f, c)| {
            let total: f64 = c.iter().sum();
            // Levels never seen among random pairs get half a count.
            let c: Vec<f64> = c
                .iter()
                .zip(PRIOR_U[f])
                .map(|(&x, &p)| (x.max(0.5) + PRIOR_WEIGHT * p) / (total + PRIOR_WEIGHT))
                .collect();
            let s: f64 = c.iter().sum();
            c.into_iter().map(|x| x / s).collect()
        })
        .collect()
}

fn initial_m() -> Vec<Vec<f64>> {
    LEVELS
        .iter()
        .map(|&l| {
            let raw: Vec<f64> = (0..l).map(|i| 0.7 * 0.3f64.powi(i as i32) + 0.01).collect();
            let s: f64 = raw.iter().sum();
            raw.into_iter().map(|x| x / s).collect()
        })
        .collect()
}

/// One EM run over `patterns`. Fields in `exclude` neither count in the posterior nor get new
/// `m` values; with `fix_m`, only the match share is estimated.
fn em(
    patterns: &[(&Vector, f64)],
    u: &mut [Vec<f64>],
    m: &mut [Vec<f64>],
    exclude: &[usize],
    fix_m: bool,
    fit_u: bool,
    fixed_lambda: Option<f64>,
) -> (f64, usize) {
    let mut lambda = fixed_lambda.unwrap_or(0.3);
    let n: f64 = patterns.iter().map(|p| p.1).sum::<f64>().max(1.0);
    let mut iterations = 0;
    for it in 0..60 {
        iterations = it + 1;
        let mut mc: Vec<Vec<f64>> = LEVELS.iter().map(|&l| vec![0.0; l]).collect();
        let mut uc: Vec<Vec<f64>> = LEVELS.iter().map(|&l| vec![0.0; l]).collect();
        let mut matches = 0.0;
        for (v, c) in patterns {
            let mut lo = (lambda / (1.0 - lambda)).ln();
            for f in 0..FIELDS {
                if v[f] != MISSING && !exclude.contains(&f) {
                    let l = v[f] as usize;
                    lo += (m[f][l] / u[f][l]).ln();
                }
            }
            let post = 1.0 / (1.0 + (-lo.clamp(-700.0, 700.0)).exp());
            let w = post * c;
            matches += w;
            for f in 0..FIELDS {
                if v[f] != MISSING {
                    mc[f][v[f] as usize] += w;
                    uc[f][v[f] as usize] += c - w;
                }
            }
        }
        if fit_u {
            for f in 0..FIELDS {
                let total: f64 = uc[f].iter().sum();
                if total <= 0.0 {
                    continue;
                }
                for l in 0..LEVELS[f] {
                    u[f][l] = ((uc[f][l] + 1e-3) / (total + 1e-3 * LEVELS[f] as f64)).max(1e-6);
                }
            }
        }
        let new_lambda = fixed_lambda.unwrap_or((matches / n).clamp(1e-6, 1.0 - 1e-6));
        let mut delta = (new_lambda - lambda).abs();
        if !fix_m {
            for f in 0..FIELDS {
                let total: f64 = mc[f].iter().sum();
                if total <= 0.0 || exclude.contains(&f) {
                    continue;
                }
                for l in 0..LEVELS[f] {
                    let x = ((mc[f][l] + 1e-3) / (total + 1e-3 * LEVELS[f] as f64)).max(1e-6);
                    delta = delta.max((x - m[f][l]).abs());
                    m[f][l] = x;
                }
            }
        }
        lambda = new_lambda;
        if delta < 1e-6 {
            break;
        }
    }
    (lambda, iterations)
}

/// Assumed recall of the deterministic rules that fix the share of matches for EM.
const RECALL: f64 = 0.7;

/// Fields whose exact agreement is strong evidence (name, birth date, phone, NIK, passport).
const STRONG: [usize; 5] = [0, 1, 2, 3, 4];

/// Starting values for `m`: each field's level shares among the candidate pairs that agree
/// exactly on at least two *other* strong fields (or one, when too few pairs do), smoothed
/// towards the generic start.
fn labelled_m(patterns: &[(&Vector, f64)]) -> Vec<Vec<f64>> {
    let generic = initial_m();
    (0..FIELDS)
        .map(|f| {
            let agree = |v: &Vector| STRONG.iter().filter(|&&g| g != f && v[g] == 0).count();
            for need in [2, 1] {
                let mut c = vec![0.0; LEVELS[f]];
                for (v, n) in patterns {
                    if v[f] != MISSING && agree(v) >= need {
                        c[v[f] as usize] += n;
                    }
                }
                let total: f64 = c.iter().sum();
                if total >= 30.0 {
                    return c
                        .iter()
                        .zip(&generic[f])
                        .map(|(x, g)| (x + 5.0 * g) / (total + 5.0))
                        .collect();
                }
            }
            generic[f].clone()
        })
        .collect()
}

impl Model {
    /// Trains on the patterns of the candidate pairs (`(vector, count)`) with `u` fixed, in the
    /// manner of Splink: one EM session on the pairs that agree exactly on the birth date (the
    /// birth date left out, so it cannot vouch for itself), one on the pairs with the same rare
    /// name (`rare_names`; name, sex and province left out). The name's, sex's and province's `m`
    /// come from the first, the birth date's from the second, the other fields' from their mean.
    /// The share of matches among the candidates is fixed by deterministic rules (see below) and
    /// scaled to the prior of a random pair (`total_pairs` pairs in all).
    pub fn train(
        patterns: &HashMap<Vector, u64>,
        rare_names: &HashMap<Vector, u64>,
        u: Vec<Vec<f64>>,
        candidate_pairs: u64,
        total_pairs: f64,
    ) -> Model {
        let pats: Vec<(&Vector, f64)> = patterns.iter().map(|(v, &c)| (v, c as f64)).collect();
        // EM over all candidate pairs as a two-class model: `m` for matches and, as a nuisance,
        // the agreement rates of the non-matches *within the blocks* (which agree on name,
        // province or sex far more often than random pairs do). Scoring then uses this `m` with
        // the `u` of random pairs.
        // The share of matches among the candidates, fixed in the manner of Splink's
        // deterministic-rule estimate: pairs that agree exactly on name and birth date, or on a
        // NIK, passport or phone, found with an assumed recall of 70%.
        let sure: f64 = pats
            .iter()
            .filter(|(v, _)| (v[0] == 0 && v[1] == 0) || v[2] == 0 || v[3] == 0 || v[4] == 0)
            .map(|p| p.1)
            .sum();
        let n: f64 = pats.iter().map(|p| p.1).sum::<f64>().max(1.0);
        let fixed = (sure / RECALL / n).clamp(1e-4, 0.9);
        // EM sessions in the manner of Splink, each on a narrow subset of the candidates and
        // leaving out the fields that define it (and, for same-name pairs, sex and province,
        // which go with names): within such a subset the non-matches agree on the other fields
        // about as often as random pairs do, so `u` from random pairs holds there.
        let labelled = labelled_m(&pats);
        let rare: Vec<(&Vector, f64)> = rare_names.iter().map(|(v, &c)| (v, c as f64)).collect();
        let session = |field: usize, exclude: &[usize]| -> Option<Vec<Vec<f64>>> {
            let from = if field == 0 && rare.iter().map(|p| p.1).sum::<f64>() >= 100.0 {
                &rare
            } else {
                &pats
            };
            let sel: Vec<(&Vector, f64)> = from
                .iter()
                .filter(|(v, _)| v[field] == 0)
                .copied()
                .collect();
            if sel.iter().map(|p| p.1).sum::<f64>() < 20.0 {
                return None;
            }
            let mut m = labelled.clone();
            let mut uu = u.clone();
            em(&sel, &mut uu, &mut m, exclude, false, false, None);
            Some(m)
        };
        let by_birth = session(1, &[1]);
        let by_name = session(0, &[0, 5, 6]);
        let mut m = labelled.clone();
        for f in 0..FIELDS {
            let from: Vec<&Vec<Vec<f64>>> = match f {
                0 | 5 | 6 => by_birth.iter().collect(),
                1 => by_name.iter().collect(),
                _ => by_birth.iter().chain(by_name.iter()).collect(),
            };
            if from.is_empty() {
                continue;
            }
            for l in 0..LEVELS[f] {
                m[f][l] = from.iter().map(|s| s[f][l]).sum::<f64>() / from.len() as f64;
            }
        }
        let global = (fixed * candidate_pairs as f64 / total_pairs.max(1.0)).clamp(1e-12, 0.5);
        Model::from_parts(m, u, global, fixed)
    }

    /// A model from its `m` and `u` (one row per field, one value per level) and priors.
    fn from_parts(m: Vec<Vec<f64>>, u: Vec<Vec<f64>>, lambda: f64, lambda_blocked: f64) -> Model {
        let weights = (0..FIELDS)
            .map(|f| (0..LEVELS[f]).map(|l| (m[f][l] / u[f][l]).log2()).collect())
            .collect();
        Model {
            m,
            u,
            lambda,
            lambda_blocked,
            em_iterations: 0,
            weights,
        }
    }

    /// A model for intake (one new arrival against a register) when the register is too small
    /// to train on. `u` is the generic [`PRIOR_U`] table, except for initials (see below); `m`
    /// is set by hand from what the sources are known to do (see [`INTAKE_M`]). The prior is
    /// that of one arrival against one random entry of a register of [`INTAKE_REGISTER`]
    /// entries holding [`INTAKE_EXPECTED_MATCHES`] records of the arrival on average;
    /// The intake index rescales it to its own size.
    pub fn intake_default() -> Model {
        let m: Vec<Vec<f64>> = INTAKE_M.iter().map(|r| r.to_vec()).collect();
        let mut u: Vec<Vec<f64>> = PRIOR_U.iter().map(|r| r.to_vec()).collect();
        // PRIOR_U's 1e-5 for "initials" would make "B. Santoso" against any Budi or Bambang
        // Santoso stronger evidence than the exact full name. Among random pairs of a large
        // register it is about a shared family name (2%) times the same initial (1/20).
        u[0][name_level::INITIALS as usize] = 1e-3;
        let s: f64 = u[0].iter().sum();
        for x in &mut u[0] {
            *x /= s;
        }
        let lambda = INTAKE_EXPECTED_MATCHES / INTAKE_REGISTER;
        Model::from_parts(m, u, lambda, lambda)
    }

    /// Prior log2-odds of a random pair.
    pub fn prior(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// The term-frequency adjustment (bits) of the name at `level` given the summed `log2`
    /// frequencies of the agreeing tokens.
    pub fn tf_adjustment(&self, level: u8, tf: f32) -> f64 {
        use name_level::*;
        if !matches!(level, EXACT | SUBSET | PARTIAL) || tf == 0.0 {
            return 0.0;
        }
        let u = self.u[0][level as usize].log2();
        (u - f64::from(tf)).clamp(TF_MIN, TF_MAX)
    }

    /// What field `f` at `level` adds to a score (nothing when [`MISSING`]).
    pub fn field_weight(&self, f: usize, level: u8) -> f64 {
        if level == MISSING {
            0.0
        } else {
            self.weights[f][level as usize]
        }
    }

    /// The most field `f` can add to a score: its best level's weight, and at least 0 (the
    /// field may be missing on the other side).
    pub fn best_weight(&self, f: usize) -> f64 {
        self.weights[f].iter().copied().fold(0.0, f64::max)
    }

    /// The most the name can add, term-frequency adjustment included, when the agreeing
    /// tokens' summed `log2` frequencies are at least `tf_floor` (the sum over all of one
    /// side's tokens is such a floor: frequencies are at most 1, so each `log2` is ≤ 0).
    pub fn best_name_weight(&self, tf_floor: f32) -> f64 {
        (0..LEVELS[0] as u8)
            .map(|l| self.weights[0][l as usize] + self.tf_adjustment(l, tf_floor).max(0.0))
            .fold(0.0, f64::max)
    }

    /// Prior plus the weights of the fields compared in `v` (missing ones add nothing), without
    /// the name's term-frequency adjustment.
    pub fn partial_score(&self, v: &Vector) -> f64 {
        let mut w = self.prior();
        for f in 0..FIELDS {
            if v[f] != MISSING {
                w += self.weights[f][v[f] as usize];
            }
        }
        w
    }

    /// Match weight (log2 odds) of a pair.
    pub fn score(&self, v: &Vector, tf: f32) -> f64 {
        self.partial_score(v) + self.tf_adjustment(v[0], tf)
    }

    /// Each field's contribution to the score.
    pub fn explain(&self, v: &Vector, tf: f32) -> Vec<FieldWeight> {
        (0..FIELDS)
            .map(|f| {
                if v[f] == MISSING {
                    FieldWeight {
                        field: FIELD_NAMES[f],
                        level: "missing",
                        weight: 0.0,
                    }
                } else {
                    let mut w = self.weights[f][v[f] as usize];
                    if f == 0 {
                        w += self.tf_adjustment(v[0], tf);
                    }
                    FieldWeight {
                        field: FIELD_NAMES[f],
                        level: LEVEL_NAMES[f][v[f] as usize],
                        weight: w,
                    }
                }
            })
            .collect()
    }
}

/// Log2-odds to probability.
pub fn probability(w: f64) -> f64 {
    1.0 / (1.0 + (-w).exp2())
}

/// Probability to log2-odds.
pub fn weight(p: f64) -> f64 {
    let p = p.clamp(1e-15, 1.0 - 1e-15);
    (p / (1.0 - p)).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn em_separates_matches_from_non_matches() {
        // Matches agree on most fields; non-matches on few.
        let mut pats = HashMap::new();
        let agree: Vector = [0, 0, 0, 0, 0, 0, 0, 0];
        let differ: Vector = [5, 4, 2, 2, 2, 1, 1, 3];
        let mostly: Vector = [0, 0, MISSING, MISSING, MISSING, 0, 0, MISSING];
        pats.insert(agree, 300);
        pats.insert(mostly, 200);
        pats.insert(differ, 5000);
        let rand = vec![differ; 1000];
        let mut r = rand.clone();
        r.push([0, 1, 0, 0, 0, 0, 0, 0]);
        let u = estimate_u(r.iter());
        let m = Model::train(&pats, &HashMap::new(), u, 5500, 1e7);
        assert!(
            m.lambda_blocked > 0.05 && m.lambda_blocked < 0.2,
            "{}",
            m.lambda_blocked
        );
        assert!(probability(m.score(&agree, 0.0)) > 0.99);
        assert!(probability(m.score(&differ, 0.0)) < 0.01);
        let e = m.explain(&mostly, 0.0);
        assert_eq!(e.len(), FIELDS);
        assert_eq!(e[2].level, "missing");
        assert!(e[0].weight > 0.0);
    }

    #[test]
    fn intake_default_separates_strong_from_weak_agreement() {
        use crate::compare::{birth_level, name_level};
        let m = Model::intake_default();
        // A full name shared by one register entry in a thousand.
        let common_full_name = (1e-3f64).log2() as f32;
        let strong: Vector = [
            name_level::EXACT,
            birth_level::EXACT,
            0,
            MISSING,
            MISSING,
            MISSING,
            MISSING,
            MISSING,
        ];
        assert!(probability(m.score(&strong, common_full_name)) > 0.99);
        // One in twenty women is called Siti.
        let siti = (0.05f64).log2() as f32;
        for level in [name_level::SUBSET, name_level::PARTIAL] {
            let mut v = [MISSING; FIELDS];
            v[0] = level;
            assert!(probability(m.score(&v, siti)) < 0.05);
            // Even with the sex and province agreeing.
            v[5] = 0;
            v[6] = 0;
            assert!(probability(m.score(&v, siti)) < 0.05);
        }
        // Weights are ordered within each field: stronger levels weigh more.
        for f in 0..FIELDS {
            let w = &m.weights[f];
            assert!(w[0] > w[w.len() - 1], "{f}");
        }
        let name = &m.weights[0];
        assert!(name[name_level::EXACT as usize] > name[name_level::INITIALS as usize]);
    }

    #[test]
    fn weights_and_probabilities_round_trip() {
        for p in [0.01, 0.5, 0.9, 0.999] {
            assert!((probability(weight(p)) - p).abs() < 1e-9);
        }
    }
}
