//! What a person watching a run sees: a line per case as it finishes (stdout), a progress bar
//! on a terminal (stderr), colour only where it is wanted.

use crate::report;
use crate::runner::{CaseResult, Status};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};

/// `--color`: `auto` colours a terminal unless `NO_COLOR` or `CI` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && !env_set("NO_COLOR") && !env_set("CI")
            }
        }
    }
}

/// Set and not empty (the NO_COLOR convention).
fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

pub struct Live {
    bar: ProgressBar,
    color: bool,
    failed: usize,
}

impl Live {
    /// A bar over `total` cases, drawn only when stderr is a terminal and no CI is running.
    pub fn new(total: usize, color: bool) -> Live {
        let bar = if std::io::stderr().is_terminal() && !env_set("CI") {
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} cases {msg}",
                )
                .expect("a valid template"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Live {
            bar,
            color,
            failed: 0,
        }
    }

    /// A case finished: its line (and a failure's details) above the bar.
    pub fn finished(&mut self, r: &CaseResult) {
        let mut text = report::case_line(r, self.color);
        text.push('\n');
        text.push_str(&report::details(r));
        if r.status == Status::Fail {
            self.failed += 1;
            self.bar.set_message(format!("({} failed)", self.failed));
        }
        self.bar.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        });
        self.bar.inc(1);
    }

    /// Clears the bar, then prints the closing lines.
    pub fn done(self, results: &[CaseResult], cancelled: usize) {
        self.bar.finish_and_clear();
        let failed: Vec<&CaseResult> = results
            .iter()
            .filter(|r| r.status == Status::Fail)
            .collect();
        let mut out = String::from("\n");
        if !failed.is_empty() {
            out.push_str(&format!("{} failed:\n", failed.len()));
            for r in failed {
                out.push_str(&format!("    {}::{}\n", r.case, r.psa));
            }
        }
        out.push_str(&report::totals(results, cancelled));
        print!("{out}");
    }
}
