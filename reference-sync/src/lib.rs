//! reference-sync: the documentation-platform side of PSA two-way sync, modelled on IT Glue.

pub mod clients;
pub mod psa;
