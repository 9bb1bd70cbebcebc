//! The reference sync's own tests, one binary: each test file linked alone would link the mock
//! and the whole dependency graph again, once per mutant in a mutation run (docs/mutants.md).

mod autotask_client;
mod bms_client;
mod engine_guards;
mod raw_listing;
mod retries;
mod tickets;

/// The connection a client needs to reach `server` as `psa`, with the mock's credentials.
fn connection(
    server: &mock_psa::testing::MockPsa,
    psa: mock_psa::Personality,
) -> reference_sync::Connection {
    reference_sync::Connection {
        personality: psa,
        origin: server.uri(),
        credentials: psa.default_credentials(),
    }
}
