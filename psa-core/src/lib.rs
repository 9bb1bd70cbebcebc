//! What the mock PSAs (`mock-psa`) and the reference sync (`reference-sync`) share, in a crate of
//! its own so neither depends on the other for it: the five personalities, their wire dialects
//! and credentials, and the virtual clock's time helpers.

pub mod clock;
pub mod personality;

pub use personality::{Credentials, Dialect, Personality};
