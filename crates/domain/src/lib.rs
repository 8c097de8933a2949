//! Pulang's domain core: the types every other crate speaks, and the validation of what a
//! registrar types in. Pure: no I/O, no clocks except those passed in.
#![forbid(unsafe_code)]

pub mod nik;
pub mod passport;
pub mod person;
pub mod phone;
pub mod provinces;
pub mod role;
pub mod text;
pub mod vocab;

pub use person::*;
pub use role::Role;
pub use vocab::*;
