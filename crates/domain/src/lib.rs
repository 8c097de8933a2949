//! Pulang's domain core: the types every other crate speaks ([`vocab`]: every flag, milestone,
//! kind, status and audit action), and the validation of what a registrar types in.
//!
//! Must not: do I/O, read a clock (today is passed in), know about storage, HTTP or the access
//! policy, or hold demo data (that is `pulang-demo`).
#![forbid(unsafe_code)]

pub mod nik;
pub mod passport;
pub mod person;
pub mod phone;
pub mod provinces;
pub mod role;
pub mod sex_and_birth;
pub mod text;
pub mod vocab;

pub use person::*;
pub use role::Role;
pub use sex_and_birth::{BirthDate, Sex};
pub use text::mask;
pub use vocab::*;
