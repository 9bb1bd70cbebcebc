//! The reference sync's own tests, one binary: each test file linked alone would link the mock
//! and the whole dependency graph again, once per mutant in a mutation run (docs/mutants.md).

mod autotask_client;
mod bms_client;
mod engine_guards;
mod raw_listing;
mod retries;
mod tickets;
