//! The harness's own tests, one binary (each test file alone would link the whole workspace
//! again): the command line, the HTML report in a real browser, and the code that decides
//! verdicts held to account through its public API.

mod cli;
mod html_report;
mod verdicts;
