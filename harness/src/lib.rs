//! harness: YAML scenarios, a runner that drives a connector against the in-process mock, golden
//! comparison with a readable diff, and CI reports.

pub mod capabilities;
pub mod connector;
pub mod contract;
pub mod coverage;
pub mod expect;
pub mod golden;
pub mod html;
pub mod live;
pub mod process;
pub mod protocol;
pub mod report;
pub mod rules;
pub mod runner;
pub mod same_outcome;
pub mod scenario;
pub mod select;
pub mod shape;

use std::path::PathBuf;

/// The workspace's own `scenarios/` and `golden/`, found from the current directory or from
/// where the harness was built, so the CLI works from anywhere inside the checkout.
pub fn default_dir(name: &str) -> PathBuf {
    let here = PathBuf::from(name);
    if here.exists() {
        return here;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
}
