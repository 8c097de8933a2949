//! One-vs-many intake: while a registrar types a new arrival, which people already in the
//! register might this be?
//!
//! The [`Index`] holds every register entry normalised ([`Prepared`]) and the postings of the
//! batch engine's blocking keys ([`blocking::keys`]), so intake and batch dedupe find the same
//! candidates. A query normalises the typed record, reads the postings of its keys, compares
//! every candidate on all fields ([`compare::pair`]) and scores it with a Fellegi–Sunter model
//! whose prior is that of one arrival against one register entry.
//!
//! Postings come in two parts: a compact sorted *bulk* part built at once by [`Index::build`]
//! (and again by [`Index::compact`]), and a hash-map *delta* for later inserts and edits. Bulk
//! postings of edited or removed entries are left in place: a query compares each candidate's
//! current record and skips tombstones, so a stale posting costs one comparison and no error.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::blocking;
use crate::compare::{self, name_level, Vector};
use crate::engine::{self, Config};
use crate::model::{self, FieldWeight, Model, INTAKE_EXPECTED_MATCHES};
use crate::normalize::{self, Prepared, RawRecord};
use crate::rng::SplitMix64;

/// Settings of an [`Index`].
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// A query skips a posting list longer than this: the key is too common to say much, and
    /// a finer key of the same record (the same tokens with the birth year, the full date with
    /// an initial) covers it.
    pub max_postings: usize,
    /// The same for keys of [`blocking::LOOSE_RULES`], which unrelated people share often:
    /// at a million, such a list is mostly strangers, and a pair that could reach a useful
    /// probability shares a finer key too.
    pub max_loose_postings: usize,
    /// [`Index::build`] trains a model on the data when given at least this many records, and
    /// uses [`Model::intake_default`] otherwise.
    pub train_min_records: usize,
    /// Records sampled at random for training.
    pub train_sample: usize,
    /// Records of a new arrival already in the register, on average (see [`Index::model`]).
    /// `None`: estimated by training, else [`INTAKE_EXPECTED_MATCHES`].
    pub expected_matches: Option<f64>,
    /// Seed of the training sample and of the random pairs for `u`.
    pub seed: u64,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            max_postings: 5_000,
            max_loose_postings: 1_000,
            train_min_records: 2_000,
            train_sample: 50_000,
            expected_matches: None,
            seed: 0x1A7A_4E00,
        }
    }
}

/// A possible match for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The register entry (see [`Index`] for what a slot is).
    pub slot: u32,
    pub probability: f64,
    /// Match weight in bits (log2 odds), the prior included.
    pub weight: f64,
    /// Comparison level per field ([`compare::FIELD_NAMES`], [`compare::LEVEL_NAMES`]).
    pub levels: Vector,
    /// Each field's level and weight, for "name exact, birth date near, phone same".
    pub reasons: Vec<FieldWeight>,
}

/// What a query asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Want {
    /// At most this many candidates, best first.
    pub limit: usize,
    /// Only candidates at least this probable (0 or NaN: any). Above 0 the query also skips
    /// comparing names where the other fields already rule a candidate out.
    pub min_probability: f64,
    /// Also candidates below `min_probability` whose phone, NIK or passport is the same: one
    /// identifier under another name is worth a look even when unlikely.
    pub same_identifier: bool,
    /// Only slots from this one on: the entries added since (0: all).
    pub from_slot: u32,
}

/// What a query looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryStats {
    /// Distinct blocking keys of the query.
    pub keys: usize,
    /// Keys whose posting list was longer than [`IndexConfig::max_postings`] (or
    /// [`IndexConfig::max_loose_postings`]) and so skipped.
    pub keys_skipped: usize,
    /// Postings read, repeats included.
    pub postings: usize,
    /// Distinct live slots looked at (their cheap fields at least).
    pub compared: usize,
    /// Distinct slots dropped as tombstones, or by `allow` (asked only of those not pruned).
    pub filtered: usize,
    /// Slots looked at and ruled out by their cheap fields, the name not compared: even an
    /// exact name could not have lifted them to `min_probability`.
    pub pruned: usize,
}

/// Sizes of an [`Index`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Slots, tombstones included.
    pub slots: usize,
    pub live: usize,
    /// Postings in the compact bulk part (8 bytes each), stale ones included.
    pub bulk_postings: usize,
    /// Postings in the hash-map delta (inserts and edits since the last build or compaction;
    /// roughly 80 bytes each).
    pub delta_postings: usize,
    pub delta_keys: usize,
    /// Distinct name tokens and whole names counted for term frequencies.
    pub distinct_tokens: usize,
    pub distinct_names: usize,
}

/// Registers with fewer entries than this get the prior and the name frequencies of a register
/// of this size: a register of ten is no reason to think that a shared first name is probably
/// the same person.
const MIN_REGISTER: usize = 1_000;
/// The expected number of matches estimated by training is held to this range: a register
/// that is already deduplicated would otherwise say that no arrival is ever in it.
const EXPECTED_RANGE: (f64, f64) = (0.1, 3.0);
/// A query compares its candidates in parallel from this many on.
const PARALLEL_FROM: usize = 1_024;
/// Records per pass when building the bulk postings (bounds the temporary memory).
const PASS_RECORDS: usize = 250_000;
/// The delta is folded into the bulk when it holds more postings than this share of the bulk
/// (and at least [`DELTA_MIN`]): a delta posting costs about ten times a bulk one.
const DELTA_SHARE: usize = 16;
const DELTA_MIN: usize = 1 << 18;

/// Stored records get this term frequency so that [`compare::names`], which takes the larger
/// (commoner) of the two sides, uses the query's: it is computed from the current counts,
/// while a stored value would go stale as the register grows.
const STORED_TF: f32 = f32::NEG_INFINITY;

/// Blocking-key postings: key → slots.
#[derive(Debug, Clone, Default)]
struct Postings {
    /// The bulk is bucketed by the key's top `bits` bits; `dir[b]..dir[b + 1]` is bucket `b`.
    bits: u32,
    dir: Vec<usize>,
    /// `fingerprint << 32 | slot`, sorted, where the fingerprint is the 32 key bits below the
    /// bucket bits. 52+ bits of the key are kept: two keys that collide only add candidates,
    /// which the comparison then rejects.
    bulk: Vec<u64>,
    delta: HashMap<u64, Vec<u32>>,
    delta_len: usize,
}

fn distinct_keys(p: &Prepared, scratch: &mut Vec<(u64, u8)>) -> Vec<u64> {
    scratch.clear();
    blocking::keys(p, scratch);
    let mut ks: Vec<u64> = scratch.iter().map(|k| k.0).collect();
    ks.sort_unstable();
    ks.dedup();
    ks
}

impl Postings {
    /// The bulk postings of every live record, built in passes over ranges of buckets so that
    /// the temporary `(key, slot)` list stays small at a million records.
    fn build(records: &[Prepared], live: &[bool]) -> Postings {
        let n_live = live.iter().filter(|&&l| l).count();
        if n_live == 0 {
            return Postings::default();
        }
        // About one bucket per record.
        let bits = (usize::BITS - n_live.leading_zeros()).clamp(8, 22);
        let buckets = 1usize << bits;
        let passes = n_live.div_ceil(PASS_RECORDS).max(1);
        let bucket_of = |k: u64| (k >> (64 - bits)) as usize;
        let per_pass = |b: usize| b * passes / buckets;
        // The exact size first, so that the bulk is allocated once.
        let sizes: Vec<usize> = records
            .par_iter()
            .zip(live.par_iter())
            .fold(
                || (vec![0usize; passes], Vec::new()),
                |(mut acc, mut scratch), (p, &l)| {
                    if l {
                        for k in distinct_keys(p, &mut scratch) {
                            acc[per_pass(bucket_of(k))] += 1;
                        }
                    }
                    (acc, scratch)
                },
            )
            .map(|(acc, _)| acc)
            .reduce(
                || vec![0usize; passes],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            );
        let mut bulk: Vec<u64> = Vec::with_capacity(sizes.iter().sum());
        let mut dir = vec![0usize; buckets + 1];
        for pass in 0..passes {
            let mut part: Vec<(u64, u32)> = records
                .par_iter()
                .zip(live.par_iter())
                .enumerate()
                .fold(
                    || (Vec::new(), Vec::new()),
                    |(mut acc, mut scratch), (i, (p, &l))| {
                        if l {
                            for k in distinct_keys(p, &mut scratch) {
                                if per_pass(bucket_of(k)) == pass {
                                    acc.push((k, i as u32));
                                }
                            }
                        }
                        (acc, scratch)
                    },
                )
                .map(|(acc, _)| acc)
                .reduce(Vec::new, |mut a, mut b| {
                    if a.len() < b.len() {
                        std::mem::swap(&mut a, &mut b);
                    }
                    a.append(&mut b);
                    a
                });
            part.par_sort_unstable();
            for (k, slot) in part {
                dir[bucket_of(k) + 1] += 1;
                bulk.push(((k << bits) >> 32) << 32 | u64::from(slot));
            }
        }
        for b in 0..buckets {
            dir[b + 1] += dir[b];
        }
        Postings {
            bits,
            dir,
            bulk,
            delta: HashMap::new(),
            delta_len: 0,
        }
    }

    /// The bulk postings of `k` (`fingerprint << 32 | slot`).
    fn bulk_of(&self, k: u64) -> &[u64] {
        if self.bulk.is_empty() {
            return &[];
        }
        let b = (k >> (64 - self.bits)) as usize;
        let fp = (k << self.bits) >> 32;
        let (Some(&lo), Some(&hi)) = (self.dir.get(b), self.dir.get(b + 1)) else {
            return &[];
        };
        let s = &self.bulk[lo..hi];
        let from = s.partition_point(|&e| e >> 32 < fp);
        let len = s[from..].partition_point(|&e| e >> 32 == fp);
        &s[from..from + len]
    }

    fn add(&mut self, keys: &[u64], slot: u32) {
        for &k in keys {
            self.delta.entry(k).or_default().push(slot);
        }
        self.delta_len += keys.len();
    }

    /// Drops `slot` from the delta postings of `keys` (its bulk postings stay, see the module).
    fn remove(&mut self, keys: &[u64], slot: u32) {
        for k in keys {
            if let Some(v) = self.delta.get_mut(k) {
                let before = v.len();
                v.retain(|&s| s != slot);
                self.delta_len -= before - v.len();
                if v.is_empty() {
                    self.delta.remove(k);
                }
            }
        }
    }

    fn delta_too_large(&self) -> bool {
        self.delta_len > (self.bulk.len() / DELTA_SHARE).max(DELTA_MIN)
    }
}

/// Term-frequency counts of the live records: name tokens by their modern-spelling key, and
/// whole names by [`normalize::Name::key`].
#[derive(Debug, Clone, Default)]
struct Counts {
    tokens: HashMap<u64, u32>,
    names: HashMap<u64, u32>,
}

impl Counts {
    fn add(&mut self, p: &Prepared) {
        for t in &p.name.tokens {
            *self.tokens.entry(t.alt).or_insert(0) += 1;
        }
        if !p.name.tokens.is_empty() {
            *self.names.entry(p.name.key()).or_insert(0) += 1;
        }
    }

    fn sub(&mut self, p: &Prepared) {
        fn dec(m: &mut HashMap<u64, u32>, k: u64) {
            if let Some(c) = m.get_mut(&k) {
                *c = c.saturating_sub(1);
                if *c == 0 {
                    m.remove(&k);
                }
            }
        }
        for t in &p.name.tokens {
            dec(&mut self.tokens, t.alt);
        }
        if !p.name.tokens.is_empty() {
            dec(&mut self.names, p.name.key());
        }
    }

    fn merge(mut self, other: Counts) -> Counts {
        for (k, c) in other.tokens {
            *self.tokens.entry(k).or_insert(0) += c;
        }
        for (k, c) in other.names {
            *self.names.entry(k).or_insert(0) += c;
        }
        self
    }
}

/// The fields [`compare::cheap`] reads, packed into 40 bytes per entry: enough to bound a
/// candidate's score without reading its record (several cache lines away), which most
/// candidates of a large register then fail. Hashes may collide and a second phone is not
/// kept: either only loosens the bound.
#[derive(Debug, Clone, Copy, Default)]
struct Brief {
    birth: Option<normalize::BirthInfo>,
    /// The first phone (E.164 as a number), 0 for none.
    phone: u64,
    passport_ocr: u64,
    nik: u32,
    province: u32,
    sex: u8,
    flags: u8,
}

impl Brief {
    const MORE_PHONES: u8 = 1;
    const NIK: u8 = 2;
    const PASSPORT: u8 = 4;
    const PROVINCE: u8 = 8;

    fn of(p: &Prepared) -> Brief {
        let mut flags = 0;
        if p.phones.len() > 1 {
            flags |= Brief::MORE_PHONES;
        }
        if p.nik.is_some() {
            flags |= Brief::NIK;
        }
        if p.passport.is_some() {
            flags |= Brief::PASSPORT;
        }
        if p.province != 0 {
            flags |= Brief::PROVINCE;
        }
        Brief {
            birth: p.birth,
            phone: p.phones.first().copied().unwrap_or(0),
            passport_ocr: p.passport_ocr,
            nik: p.nik.map_or(0, |n| normalize::hash(&n) as u32),
            province: p.province as u32,
            sex: p.sex,
            flags,
        }
    }

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Whether the records briefed may have a phone, NIK or passport in common.
    fn may_share_identifier(&self, r: &Brief) -> bool {
        (self.phone != 0
            && r.phone != 0
            && (self.phone == r.phone || self.has(Brief::MORE_PHONES) || r.has(Brief::MORE_PHONES)))
            || (self.has(Brief::NIK) && r.has(Brief::NIK) && self.nik == r.nik)
            || (self.has(Brief::PASSPORT)
                && r.has(Brief::PASSPORT)
                && self.passport_ocr == r.passport_ocr)
    }

    /// At least [`Model::partial_score`] of [`compare::cheap`] for the records briefed.
    fn bound(&self, r: &Brief, m: &Model) -> f64 {
        let best = |f: usize, levels: &[u8]| {
            levels
                .iter()
                .map(|&l| m.field_weight(f, l))
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let mut w = m.prior();
        w += m.field_weight(1, compare::births(self.birth.as_ref(), r.birth.as_ref()));
        if self.phone != 0 && r.phone != 0 {
            w += if self.has(Brief::MORE_PHONES) || r.has(Brief::MORE_PHONES) {
                best(2, &[0, 1, 2])
            } else {
                m.field_weight(2, compare::phones(&[self.phone], &[r.phone]))
            };
        }
        if self.has(Brief::NIK) && r.has(Brief::NIK) {
            w += if self.nik == r.nik {
                best(3, &[0, 1, 2])
            } else {
                best(3, &[1, 2])
            };
        }
        if self.has(Brief::PASSPORT) && r.has(Brief::PASSPORT) {
            w += if self.passport_ocr == r.passport_ocr {
                best(4, &[0, 1, 2])
            } else {
                best(4, &[1, 2])
            };
        }
        if self.sex != 0 && r.sex != 0 {
            w += m.field_weight(5, u8::from(self.sex != r.sex));
        }
        if self.has(Brief::PROVINCE) && r.has(Brief::PROVINCE) {
            w += if self.province == r.province {
                best(6, &[0, 1])
            } else {
                m.field_weight(6, 1)
            };
        }
        w
    }
}

/// A register of people for one-vs-many matching at intake.
///
/// A *slot* is a register entry's position: slot `i` of [`Index::build`] is `records[i]`, and
/// [`Index::insert`] returns the next one. Slots are never reused: [`Index::remove`] leaves a
/// tombstone. The caller keeps the slot ↔ person mapping (a `Vec` indexed by slot).
///
/// `Send + Sync`: queries take `&self` and may run concurrently (behind an `RwLock`, say);
/// [`Index::insert`], [`Index::replace`] and [`Index::remove`] take `&mut self`.
#[derive(Debug, Clone)]
pub struct Index {
    ref_year: i32,
    cfg: IndexConfig,
    model: Model,
    /// Records of an arrival already in the register, on average; sets the prior.
    expected: f64,
    records: Vec<Prepared>,
    /// `briefs[i]` summarises `records[i]`.
    briefs: Vec<Brief>,
    live: Vec<bool>,
    live_count: usize,
    postings: Postings,
    counts: Counts,
}

/// The record as stored: the fields that comparisons and keys do not read are dropped, and the
/// term frequencies set to [`STORED_TF`].
fn slim(p: &mut Prepared) {
    p.name.weak = Vec::new();
    p.name.titles = Vec::new();
    p.name.tf = STORED_TF;
    p.name.tokens.shrink_to_fit();
    for t in &mut p.name.tokens {
        t.tf = STORED_TF;
        t.text.shrink_to_fit();
    }
    p.phones.shrink_to_fit();
    p.address.shrink_to_fit();
}

fn prepare_stored(rec: &RawRecord, ref_year: i32) -> Prepared {
    let mut p = normalize::prepare(rec, ref_year);
    slim(&mut p);
    p
}

impl Index {
    /// An empty index with [`Model::intake_default`].
    pub fn new(ref_year: i32) -> Index {
        Index::with_config(ref_year, IndexConfig::default())
    }

    /// An empty index with settings.
    pub fn with_config(ref_year: i32, cfg: IndexConfig) -> Index {
        let mut ix = Index {
            ref_year,
            model: Model::intake_default(),
            expected: cfg.expected_matches.unwrap_or(INTAKE_EXPECTED_MATCHES),
            cfg,
            records: Vec::new(),
            briefs: Vec::new(),
            live: Vec::new(),
            live_count: 0,
            postings: Postings::default(),
            counts: Counts::default(),
        };
        ix.refresh_prior();
        ix
    }

    /// Indexes `records` (slot `i` is `records[i]`), in parallel. With at least
    /// [`IndexConfig::train_min_records`] records, the model is trained on a random sample.
    pub fn build(records: &[RawRecord], ref_year: i32) -> Index {
        Index::build_with(records, ref_year, IndexConfig::default())
    }

    /// [`Index::build`] with settings.
    pub fn build_with(records: &[RawRecord], ref_year: i32, cfg: IndexConfig) -> Index {
        let mut records = engine::normalise_all(records, ref_year);
        let trained = if records.len() >= cfg.train_min_records.max(2) {
            train(&records, ref_year, &cfg)
        } else {
            None
        };
        let counts = records
            .par_iter()
            .fold(Counts::default, |mut c, p| {
                c.add(p);
                c
            })
            .reduce(Counts::default, Counts::merge);
        records.par_iter_mut().for_each(slim);
        let briefs = records.par_iter().map(Brief::of).collect();
        let live = vec![true; records.len()];
        let postings = Postings::build(&records, &live);
        let (model, expected) = match trained {
            Some((m, e)) => (m, cfg.expected_matches.unwrap_or(e)),
            None => (
                Model::intake_default(),
                cfg.expected_matches.unwrap_or(INTAKE_EXPECTED_MATCHES),
            ),
        };
        let mut ix = Index {
            ref_year,
            cfg,
            model,
            expected,
            live_count: records.len(),
            records,
            briefs,
            live,
            postings,
            counts,
        };
        ix.refresh_prior();
        ix
    }

    /// Number of slots, tombstones included (the next [`Index::insert`] returns this).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Number of live (not removed) entries.
    pub fn live_len(&self) -> usize {
        self.live_count
    }

    /// Whether `slot` holds a live entry.
    pub fn is_live(&self, slot: u32) -> bool {
        self.live.get(slot as usize).copied().unwrap_or(false)
    }

    /// The scoring model. Its prior (`lambda`) is that of one arrival against one random
    /// entry: the expected number of the arrival's records in the register divided by the
    /// number of live entries (at least [`MIN_REGISTER`]); it follows inserts and removals.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Records of an arrival expected in the register (the numerator of the prior).
    pub fn expected_matches(&self) -> f64 {
        self.expected
    }

    /// Appends a record and returns its slot. Costs one normalisation and about thirty
    /// hash-map pushes; when the delta postings outgrow a sixteenth of the bulk, the postings
    /// are rebuilt ([`Index::compact`]).
    ///
    /// Panics when the index already holds `u32::MAX` slots.
    pub fn insert(&mut self, rec: &RawRecord) -> u32 {
        let slot = u32::try_from(self.records.len()).expect("fewer than 2^32 slots");
        let p = prepare_stored(rec, self.ref_year);
        let keys = distinct_keys(&p, &mut Vec::new());
        self.postings.add(&keys, slot);
        self.counts.add(&p);
        self.briefs.push(Brief::of(&p));
        self.records.push(p);
        self.live.push(true);
        self.live_count += 1;
        self.after_change();
        slot
    }

    /// Replaces the record of `slot` (an edit). A removed slot becomes live again; a slot out
    /// of range is ignored.
    pub fn replace(&mut self, slot: u32, rec: &RawRecord) {
        let i = slot as usize;
        if i >= self.records.len() {
            return;
        }
        let p = prepare_stored(rec, self.ref_year);
        self.briefs[i] = Brief::of(&p);
        let old = std::mem::replace(&mut self.records[i], p);
        let mut scratch = Vec::new();
        if self.live[i] {
            self.counts.sub(&old);
            self.postings
                .remove(&distinct_keys(&old, &mut scratch), slot);
        } else {
            self.live[i] = true;
            self.live_count += 1;
        }
        let new = &self.records[i];
        self.counts.add(new);
        self.postings.add(&distinct_keys(new, &mut scratch), slot);
        self.after_change();
    }

    /// Removes `slot` (merged away): it is never returned again. Out of range or already
    /// removed: ignored.
    pub fn remove(&mut self, slot: u32) {
        let i = slot as usize;
        if !self.live.get(i).copied().unwrap_or(false) {
            return;
        }
        let old = std::mem::take(&mut self.records[i]);
        self.briefs[i] = Brief::default();
        self.counts.sub(&old);
        self.postings
            .remove(&distinct_keys(&old, &mut Vec::new()), slot);
        self.live[i] = false;
        self.live_count -= 1;
        self.after_change();
    }

    /// Rebuilds the bulk postings from the live records and empties the delta: frees the
    /// memory of stale postings. About as costly as the postings part of [`Index::build`].
    pub fn compact(&mut self) {
        self.postings = Postings::build(&self.records, &self.live);
    }

    /// Sizes, for monitoring.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            slots: self.records.len(),
            live: self.live_count,
            bulk_postings: self.postings.bulk.len(),
            delta_postings: self.postings.delta_len,
            delta_keys: self.postings.delta.len(),
            distinct_tokens: self.counts.tokens.len(),
            distinct_names: self.counts.names.len(),
        }
    }

    fn after_change(&mut self) {
        self.refresh_prior();
        if self.postings.delta_too_large() {
            self.compact();
        }
    }

    fn refresh_prior(&mut self) {
        let n = self.live_count.max(MIN_REGISTER) as f64;
        self.model.lambda = (self.expected / n).clamp(1e-12, 0.5);
    }

    /// Up to `limit` live slots that `rec` may be, best first, with at least `min_probability`.
    /// `allow` filters slots (the caller's site scope) before the limit is applied.
    pub fn query(
        &self,
        rec: &RawRecord,
        limit: usize,
        min_probability: f64,
        allow: &dyn Fn(u32) -> bool,
    ) -> Vec<Candidate> {
        self.query_with_stats(rec, limit, min_probability, allow).0
    }

    /// [`Index::query`] and what it looked at.
    pub fn query_with_stats(
        &self,
        rec: &RawRecord,
        limit: usize,
        min_probability: f64,
        allow: &dyn Fn(u32) -> bool,
    ) -> (Vec<Candidate>, QueryStats) {
        let want = Want {
            limit,
            min_probability,
            same_identifier: false,
            from_slot: 0,
        };
        self.query_with(rec, &want, allow)
    }

    /// The candidates `want` asks for, and what the query looked at.
    pub fn query_with(
        &self,
        rec: &RawRecord,
        want: &Want,
        allow: &dyn Fn(u32) -> bool,
    ) -> (Vec<Candidate>, QueryStats) {
        let mut stats = QueryStats::default();
        let mut q = normalize::prepare(rec, self.ref_year);
        self.set_query_tf(&mut q);
        let mut keys = Vec::new();
        blocking::keys(&q, &mut keys);
        keys.sort_unstable();
        keys.dedup_by_key(|k| k.0);
        stats.keys = keys.len();
        let mut slots: Vec<u32> = Vec::new();
        for &(k, rule) in &keys {
            let bulk = self.postings.bulk_of(k);
            let delta = self.postings.delta.get(&k).map_or(&[][..], Vec::as_slice);
            let n = bulk.len() + delta.len();
            let cap = if blocking::LOOSE_RULES.contains(&rule) {
                self.cfg.max_loose_postings
            } else {
                self.cfg.max_postings
            };
            if n > cap {
                stats.keys_skipped += 1;
                continue;
            }
            stats.postings += n;
            // A key's bulk postings are sorted by slot (the fingerprint being the same).
            let from = bulk.partition_point(|&e| (e as u32) < want.from_slot);
            slots.extend(bulk[from..].iter().map(|&e| e as u32));
            slots.extend(delta.iter().filter(|&&s| s >= want.from_slot));
        }
        // Sorted slots also read the records in memory order.
        slots.sort_unstable();
        slots.dedup();
        let distinct = slots.len();
        slots.retain(|&s| self.is_live(s));
        stats.compared = slots.len();
        if want.limit == 0 || slots.is_empty() {
            stats.filtered = distinct - slots.len();
            return (Vec::new(), stats);
        }
        // NaN or ≤ 0 keeps every candidate.
        let min_w = if want.min_probability > 0.0 {
            model::weight(want.min_probability)
        } else {
            f64::NEG_INFINITY
        };
        // The most the name and the address can add to what the cheap fields give.
        let tf_floor: f32 = q.name.tokens.iter().map(|t| t.tf).sum();
        let headroom = if q.name.tokens.is_empty() {
            0.0
        } else {
            self.model.best_name_weight(tf_floor)
        } + if q.address.is_empty() {
            0.0
        } else {
            self.model.best_weight(compare::FIELDS - 1)
        };
        // First from the briefs alone (most candidates of a large register end here), then
        // the caller's filter, then the cheap fields of the record itself.
        let qb = Brief::of(&q);
        // Copied out first: a loop of plain loads lets the processor fetch many at once,
        // where the bound's branches between loads would wait for each.
        let briefs: Vec<Brief> = slots.iter().map(|&s| self.briefs[s as usize]).collect();
        let mut briefs = briefs.iter();
        slots.retain(|_| {
            let rb = briefs.next().expect("one brief per slot");
            qb.bound(rb, &self.model) + headroom >= min_w
                || (want.same_identifier && qb.may_share_identifier(rb))
        });
        let pruned = stats.compared - slots.len();
        let before = slots.len();
        slots.retain(|&s| allow(s));
        stats.filtered = distinct - stats.compared + before - slots.len();
        let same_identifier = |v: &Vector| want.same_identifier && (2..=4).any(|f| v[f] == 0);
        let score = |&s: &u32| -> Scored {
            let r = &self.records[s as usize];
            let cheap = compare::cheap(&q, r);
            if self.model.partial_score(&cheap) + headroom < min_w && !same_identifier(&cheap) {
                return Scored::Pruned;
            }
            let (v, tf) = self.complete(&q, s, cheap);
            let w = self.model.score(&v, tf);
            if w >= min_w || same_identifier(&v) {
                Scored::Hit(w, s)
            } else {
                Scored::Below
            }
        };
        let collect = |(mut hits, mut pruned): (Vec<(f64, u32)>, usize), sc: Scored| {
            match sc {
                Scored::Hit(w, s) => hits.push((w, s)),
                Scored::Pruned => pruned += 1,
                Scored::Below => {}
            }
            (hits, pruned)
        };
        let (mut hits, pruned_late) = if slots.len() >= PARALLEL_FROM {
            slots
                .par_iter()
                .with_min_len(256)
                .map(score)
                .fold(|| (Vec::new(), 0), collect)
                .reduce(
                    || (Vec::new(), 0),
                    |(mut a, x), (mut b, y)| {
                        a.append(&mut b);
                        (a, x + y)
                    },
                )
        } else {
            slots.iter().map(score).fold((Vec::new(), 0), collect)
        };
        stats.pruned = pruned + pruned_late;
        let limit = want.limit;
        let best_first = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, best_first);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(best_first);
        let out = hits
            .into_iter()
            .map(|(w, s)| {
                let (v, tf) = self.compare(&q, s);
                Candidate {
                    slot: s,
                    probability: model::probability(w),
                    weight: w,
                    levels: v,
                    reasons: self.model.explain(&v, tf),
                }
            })
            .collect();
        (out, stats)
    }

    /// Term frequencies of the query's name from the current counts, as if the query were one
    /// more record of the register. A token agrees with stored tokens of the same modern
    /// spelling, with old spellings of it, and with its own modern form ([`normalize::Token::same`]);
    /// the commonest of the three counts, as the batch engine takes the commoner side.
    fn set_query_tf(&self, q: &mut Prepared) {
        let n = self.tf_total();
        let count = |k: u64| self.counts.tokens.get(&k).copied().unwrap_or(0);
        for t in &mut q.name.tokens {
            let modern_of_modern = normalize::hash(
                normalize::old_to_modern(&normalize::old_to_modern(&t.text)).as_bytes(),
            );
            let c = count(t.alt)
                .max(count(t.canon))
                .max(count(modern_of_modern));
            t.tf = ((f64::from(c) + 1.0) / n).log2() as f32;
        }
        if !q.name.tokens.is_empty() {
            let c = self.counts.names.get(&q.name.key()).copied().unwrap_or(0);
            q.name.tf = ((f64::from(c) + 1.0) / n).log2() as f32;
        }
    }

    /// The register size that term frequencies are shares of: the live entries and the query,
    /// and at least [`MIN_REGISTER`] (in a register of five, a name seen once is not a fifth
    /// of the population).
    fn tf_total(&self) -> f64 {
        (self.live_count + 1).max(MIN_REGISTER) as f64
    }

    /// Compares the query with slot `s`.
    fn compare(&self, q: &Prepared, s: u32) -> (Vector, f32) {
        self.complete(q, s, compare::cheap(q, &self.records[s as usize]))
    }

    /// Completes the cheap comparison of the query with slot `s`. When the stored name is a
    /// subset of the query's, the batch engine also counts how common the stored whole name
    /// is; the stored side carries no frequency here, so it is looked up.
    fn complete(&self, q: &Prepared, s: u32, cheap: Vector) -> (Vector, f32) {
        let r = &self.records[s as usize];
        let (v, mut tf) = compare::complete(q, r, cheap);
        if v[0] == name_level::SUBSET && r.name.tokens.len() < q.name.tokens.len() {
            let n = self.tf_total();
            let c = self.counts.names.get(&r.name.key()).copied().unwrap_or(1);
            tf = tf.max((f64::from(c.max(1)) / n).log2() as f32);
        }
        (v, tf)
    }
}

/// One candidate's fate in a query.
enum Scored {
    Hit(f64, u32),
    /// Below the minimum.
    Below,
    /// Ruled out without comparing names.
    Pruned,
}

/// Trains a model on a random sample through the batch engine, and estimates how many records
/// of one arrival the register holds.
///
/// The batch model's prior `lambda` is that of a random *pair* of the sample. For records
/// drawn uniformly, a pair of the sample is a match as often as a pair of the whole register,
/// so `lambda` estimates the register's pair prior too; an arrival from the same sources then
/// has `lambda × (n − 1)` records in a register of `n`. That number is kept, and the prior of
/// one arrival against one entry is it divided by the register's size as the register grows.
fn train(prepared: &[Prepared], ref_year: i32, cfg: &IndexConfig) -> Option<(Model, f64)> {
    let n = prepared.len();
    let k = cfg.train_sample.clamp(2, n);
    let mut idx: Vec<u32> = (0..n as u32).collect();
    let mut rng = SplitMix64::new(cfg.seed);
    for i in 0..k {
        let j = i + rng.below((n - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(k);
    idx.sort_unstable();
    let mut sample: Vec<Prepared> = idx.iter().map(|&i| prepared[i as usize].clone()).collect();
    engine::fill_term_frequencies(&mut sample);
    let ecfg = Config {
        ref_year,
        seed: cfg.seed,
        ..Config::default()
    };
    let model = engine::dedupe_prepared(&sample, &ecfg, &mut |_| {}).model?;
    let expected = (model.lambda * (n as f64 - 1.0)).clamp(EXPECTED_RANGE.0, EXPECTED_RANGE.1);
    Some((model, expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic as synth;
    use proptest::prelude::*;

    fn r(name: &str, dob: &str, phone: &str, nik: &str) -> RawRecord {
        RawRecord {
            full_name: name.into(),
            birth_date: dob.into(),
            phone: phone.into(),
            nik: nik.into(),
            ..Default::default()
        }
    }

    fn small() -> Index {
        let recs = vec![
            r(
                "Budi Santoso",
                "1990-05-12",
                "0812-3456-7890",
                "3201011205900001",
            ),
            r("Siti Aminah", "1995-01-02", "", ""),
            r("Siti Rahayu", "1988-07-30", "+855 12 345 678", ""),
            r("Dewi Lestari", "2001-11-09", "", "3301014911010002"),
            r("Joko Widodo", "1961-06-21", "", ""),
        ];
        Index::build(&recs, 2026)
    }

    const ALL: &dyn Fn(u32) -> bool = &|_| true;

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Index>();
    }

    #[test]
    fn exact_nik_is_found_first() {
        let ix = small();
        let got = ix.query(&r("", "", "", "3301014911010002"), 5, 0.0, ALL);
        assert_eq!(got.first().map(|c| c.slot), Some(3));
        assert!(got[0].probability > 0.9, "{:?}", got[0]);
        assert_eq!(got[0].reasons[3].level, "exact");
    }

    #[test]
    fn police_style_name_with_same_birth_date() {
        let ix = small();
        let got = ix.query(&r("SANTOSO BUDI", "12/05/1990", "", ""), 5, 0.01, ALL);
        assert_eq!(got.first().map(|c| c.slot), Some(0));
        assert!(got[0].probability > 0.9, "{:?}", got[0]);
        let reasons: Vec<(&str, &str)> =
            got[0].reasons.iter().map(|f| (f.field, f.level)).collect();
        assert!(reasons.contains(&("name", "exact")));
        assert!(reasons.contains(&("birth_date", "exact")));
        assert!(reasons.contains(&("phone", "missing")));
        // The reasons add up to the weight.
        let sum: f64 = ix.model().prior() + got[0].reasons.iter().map(|f| f.weight).sum::<f64>();
        assert!((sum - got[0].weight).abs() < 1e-9);
    }

    #[test]
    fn tombstones_allow_and_replace() {
        let mut ix = small();
        let q = r("Budi Santoso", "1990-05-12", "", "");
        ix.remove(0);
        ix.remove(0);
        ix.remove(99);
        assert!(ix.query(&q, 5, 0.0, ALL).iter().all(|c| c.slot != 0));
        assert_eq!(ix.len(), 5);
        assert_eq!(ix.live_len(), 4);
        // A new slot for the same person.
        let s = ix.insert(&r("Budi Santoso", "1990-05-12", "", ""));
        assert_eq!(s, 5);
        let got = ix.query(&q, 5, 0.0, ALL);
        assert_eq!(got.first().map(|c| c.slot), Some(5));
        // `allow` filters before the limit.
        let got = ix.query(&q, 1, 0.0, &|s| s != 5);
        assert!(got.iter().all(|c| c.slot != 5));
        // An edit: Siti Aminah becomes Dewi Kartika; a query for the old record no longer finds
        // it well, one for the new one does (the stale bulk postings do not matter).
        ix.replace(1, &r("Dewi Kartika", "1993-03-03", "", ""));
        let old = ix.query(&r("Siti Aminah", "1995-01-02", "", ""), 5, 0.5, ALL);
        assert!(old.iter().all(|c| c.slot != 1), "{old:?}");
        let new = ix.query(&r("Kartika Dewi", "03/03/1993", "", ""), 5, 0.5, ALL);
        assert_eq!(new.first().map(|c| c.slot), Some(1));
        // Replacing a removed slot revives it; replacing out of range is ignored.
        ix.replace(0, &r("Rina Wati", "1999-09-09", "", ""));
        ix.replace(77, &r("Rina Wati", "1999-09-09", "", ""));
        assert_eq!((ix.len(), ix.live_len()), (6, 6));
        let got = ix.query(&r("Rina Wati", "1999-09-09", "", ""), 5, 0.5, ALL);
        assert_eq!(got.first().map(|c| c.slot), Some(0));
        // Compaction keeps the answers.
        ix.compact();
        assert_eq!(ix.stats().delta_postings, 0);
        let again = ix.query(&r("Rina Wati", "1999-09-09", "", ""), 5, 0.5, ALL);
        assert_eq!(again, got);
    }

    #[test]
    fn built_incrementally_or_at_once_answers_alike() {
        let today = time::macros::date!(2026 - 02 - 15);
        let data = synth::generate(5, 600, today);
        let recs: Vec<RawRecord> = data.iter().map(|s| s.record.clone()).collect();
        let bulk = Index::build(&recs[..500], 2026);
        let mut inc = Index::new(2026);
        for rec in &recs[..500] {
            inc.insert(rec);
        }
        for q in &recs[500..] {
            let a: Vec<u32> = bulk.query(q, 5, 0.0, ALL).iter().map(|c| c.slot).collect();
            let b: Vec<u32> = inc.query(q, 5, 0.0, ALL).iter().map(|c| c.slot).collect();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn common_names_count_for_less() {
        // Keys are shared through "token + initial of another token".
        let mut recs = Vec::new();
        for i in 0..300 {
            recs.push(r(&format!("Siti Pnama{i}"), "", "", ""));
        }
        recs.push(r("Kusumawardani Pratiwi", "", "", ""));
        let ix = Index::build(&recs, 2026);
        let common = ix.query(&r("Siti Purnamasari", "", "", ""), 5, 0.0, ALL);
        let rare = ix.query(&r("Kusumawardani Purnamasari", "", "", ""), 5, 0.0, ALL);
        let (c, r) = (&common[0].reasons[0], &rare[0].reasons[0]);
        assert_eq!((c.level, r.level), ("partial", "partial"));
        assert!(r.weight > c.weight + 2.0, "{c:?} {r:?}");
    }

    #[test]
    fn default_model_prior_follows_the_register() {
        let mut ix = Index::new(2026);
        let small = ix.model().lambda;
        for i in 0..1500 {
            ix.insert(&r(&format!("Nama{i} Orang"), "", "", ""));
        }
        assert!(ix.model().lambda < small);
        assert!((ix.model().lambda - INTAKE_EXPECTED_MATCHES / 1500.0).abs() < 1e-12);
    }

    /// The true person is among the top five for most arrivals that have a record in the
    /// register, and for nearly all whose pair the batch engine links.
    #[test]
    fn synthetic_arrivals_find_their_records() {
        let today = time::macros::date!(2026 - 02 - 15);
        let data = synth::generate(21, 6000, today);
        let recs: Vec<RawRecord> = data.iter().map(|s| s.record.clone()).collect();
        let (reg, arrivals) = recs.split_at(5000);
        let batch = engine::dedupe(&recs, &Config::default(), &mut |_| {});
        let untrained = IndexConfig {
            train_min_records: usize::MAX,
            ..IndexConfig::default()
        };
        for ix in [
            Index::build(reg, 2026),
            Index::build_with(reg, 2026, untrained),
        ] {
            let (mut has, mut found, mut linked, mut found_linked, mut likely) = (0, 0, 0, 0, 0);
            let (mut sure, mut sure_right, mut p_sum, mut true_sum) = (0, 0, 0.0, 0);
            for (a, q) in arrivals.iter().enumerate() {
                let qi = 5000 + a;
                let truth = |s: usize| data[s].entity == data[qi].entity;
                let got = ix.query(q, 5, 0.0, ALL);
                for c in &got {
                    let t = truth(c.slot as usize);
                    if c.probability >= 0.5 {
                        sure += 1;
                        sure_right += usize::from(t);
                    }
                    p_sum += c.probability;
                    true_sum += usize::from(t);
                }
                if !(0..5000).any(truth) {
                    continue;
                }
                has += 1;
                let hit = got.iter().any(|c| truth(c.slot as usize));
                found += usize::from(hit);
                likely += usize::from(
                    got.first()
                        .is_some_and(|c| truth(c.slot as usize) && c.probability >= 0.5),
                );
                let batch_links =
                    (0..5000).any(|s| truth(s) && batch.cluster[s] == batch.cluster[qi]);
                if batch_links {
                    linked += 1;
                    found_linked += usize::from(hit);
                }
            }
            let recall = found as f64 / has as f64;
            let recall_linked = found_linked as f64 / linked as f64;
            eprintln!(
            "arrivals with a record: {has}, top-5 recall {recall:.3}, of batch-linked {recall_linked:.3} ({linked}), top-1 p>=0.5 {:.3}, expected matches {:.3}; candidates p>=0.5: {sure}, right {:.3}; sum p {p_sum:.1} vs true {true_sum}",
            likely as f64 / has as f64,
            ix.expected_matches(),
            sure_right as f64 / sure.max(1) as f64,
        );
            assert!(recall >= 0.8, "{recall}");
            assert!(recall_linked >= 0.97, "{recall_linked}");
        }
    }

    /// Skipping names where the cheap fields rule a candidate out changes no answer: every
    /// candidate at or above the minimum is still found, with the same score.
    #[test]
    fn pruning_loses_nothing_above_the_minimum() {
        let today = time::macros::date!(2026 - 02 - 15);
        let data = synth::generate(5, 4000, today);
        let recs: Vec<RawRecord> = data.iter().map(|s| s.record.clone()).collect();
        let (reg, arrivals) = recs.split_at(3500);
        let ix = Index::build(reg, 2026);
        let (mut pruned, mut kept) = (0, 0);
        for q in arrivals {
            for min_p in [0.01, 0.5, 0.99] {
                let all: Vec<Candidate> = ix
                    .query(q, usize::MAX, 0.0, ALL)
                    .into_iter()
                    .filter(|c| c.probability >= min_p)
                    .collect();
                let want = Want {
                    limit: usize::MAX,
                    min_probability: min_p,
                    same_identifier: false,
                    from_slot: 0,
                };
                let (got, st) = ix.query_with(q, &want, ALL);
                assert_eq!(got, all, "{q:?} at {min_p}");
                pruned += st.pruned;
                kept += st.compared - st.pruned;
            }
        }
        // The point of it: most candidates never need their names compared.
        assert!(pruned > kept, "pruned {pruned}, compared fully {kept}");
    }

    /// `from_slot` answers as `allow` would for the newer entries, in the bulk and the delta.
    #[test]
    fn from_slot_sees_only_newer_entries() {
        let today = time::macros::date!(2026 - 02 - 15);
        let data = synth::generate(9, 1200, today);
        let recs: Vec<RawRecord> = data.iter().map(|s| s.record.clone()).collect();
        let mut ix = Index::build(&recs[..600], 2026);
        for r in &recs[600..1000] {
            ix.insert(r);
        }
        for from in [0u32, 300, 600, 800] {
            for q in &recs[1000..] {
                let want = Want {
                    limit: 10,
                    min_probability: 0.0,
                    same_identifier: false,
                    from_slot: from,
                };
                let got = ix.query_with(q, &want, ALL).0;
                let expected = ix.query(q, 10, 0.0, &|s| s >= from);
                assert_eq!(got, expected);
            }
        }
    }

    /// The brief's bound is never below the score of the cheap fields it stands for, and it
    /// says "may share an identifier" whenever one is shared.
    #[test]
    fn brief_bounds_the_cheap_score() {
        let today = time::macros::date!(2026 - 02 - 15);
        let data = synth::generate(13, 3000, today);
        let recs: Vec<RawRecord> = data.iter().map(|s| s.record.clone()).collect();
        let ix = Index::build(&recs, 2026);
        let prepared: Vec<Prepared> = recs.iter().map(|r| normalize::prepare(r, 2026)).collect();
        let mut rng = SplitMix64::new(3);
        // Neighbours in the synthetic data are often the same person: both kinds of pair.
        for _ in 0..20_000 {
            let a = rng.below(3000) as usize;
            let b = if rng.chance(50) {
                (a + 1).min(2999)
            } else {
                rng.below(3000) as usize
            };
            let (p, r) = (&prepared[a], &prepared[b]);
            let v = compare::cheap(p, r);
            let exact = ix.model.partial_score(&v);
            let bound = Brief::of(p).bound(&Brief::of(r), &ix.model);
            assert!(bound >= exact - 1e-9, "{bound} < {exact} for {v:?}");
            if (2..=4).any(|f| v[f] == 0) {
                assert!(Brief::of(p).may_share_identifier(&Brief::of(r)));
            }
        }
    }

    #[test]
    fn same_identifier_is_kept_below_the_minimum() {
        let mut recs: Vec<RawRecord> = (0..50)
            .map(|i| r(&format!("Orang Nomor{i}"), "1980-01-01", "", ""))
            .collect();
        recs.push(r("Wati Lestari", "1999-09-09", "0812-1111-2222", ""));
        let ix = Index::build(&recs, 2026);
        let q = r("Agus Salim", "1970-03-04", "0812-1111-2222", "");
        let mut want = Want {
            limit: 5,
            min_probability: 0.5,
            same_identifier: false,
            from_slot: 0,
        };
        assert!(ix.query_with(&q, &want, ALL).0.is_empty());
        want.same_identifier = true;
        let got = ix.query_with(&q, &want, ALL).0;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].slot, 50);
        assert!(got[0].probability < 0.5);
    }

    proptest! {
        #[test]
        fn garbage_never_panics(xs in proptest::collection::vec(any::<String>(), 1..6), q in any::<String>(),
                                limit in 0usize..8, p in -1.0f64..2.0) {
            let rec = |s: &String| RawRecord { id: s.clone(), source: s.clone(), full_name: s.clone(), sex: s.clone(),
                birth_date: s.clone(), age: s.clone(), phone: s.clone(), passport_no: s.clone(), nik: s.clone(),
                origin_province: s.clone(), address: s.clone() };
            let recs: Vec<RawRecord> = xs.iter().map(rec).collect();
            let mut ix = Index::build(&recs, 2026);
            let got = ix.query(&rec(&q), limit, p, ALL);
            prop_assert!(got.len() <= limit);
            let s = ix.insert(&rec(&q));
            ix.replace(0, &rec(&q));
            ix.remove(s);
            ix.remove(u32::MAX);
            ix.replace(u32::MAX, &rec(&q));
            let got = ix.query(&rec(&q), limit, p, ALL);
            prop_assert!(got.iter().all(|c| c.slot != s && c.probability.is_finite()));
            prop_assert!(ix.query(&RawRecord::default(), 5, 0.0, ALL).is_empty());
        }
    }
}
