//! Identity resolution for Pulang: the same survivor recorded by an embassy, a host-country police
//! hand-over list, a shelter book and the migrant-worker registry, resolved into one person.
//!
//! Pure and fast: no I/O. The stages are
//! [`normalize`] (Indonesian names, dates, phones, NIK, passports, provinces) →
//! [`blocking`] (several rules unioned into candidate pairs) → [`compare`] (graded levels per field) →
//! [`model`] (Fellegi–Sunter: u by random sampling, m by EM, term-frequency adjustment) →
//! [`cluster`] (accepted pairs into persons, guarded against chaining). [`engine::dedupe`] runs
//! them all; [`index`] answers "who might this new arrival be?" against a register.
//! (Synthetic records with ground truth, for tests and benchmarks: `pulang_demo::synth`.)
//!
//! Must not: do I/O, know about the database or the access policy, or expose anything but
//! the engine (generators live in `pulang-demo`).
#![forbid(unsafe_code)]

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod engine;
pub mod index;
pub mod model;
pub mod normalize;
mod rng;
#[cfg(test)]
mod synthetic;

pub use engine::{dedupe, Config, Output, Stage};
pub use index::{Candidate, Index, IndexConfig, IndexStats, QueryStats, Want};
pub use normalize::RawRecord;
