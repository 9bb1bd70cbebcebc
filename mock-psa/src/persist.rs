//! `serve --state FILE`: the world of every served personality (records, virtual clock, BMS
//! sessions, token serial, settings) kept in one JSON file across restarts.
//!
//! The file is read and checked before anything is served; a file that does not parse, is not
//! a state file, or holds other personalities is refused with the reason and left untouched.
//! After every request that can change the world (any method but GET, HEAD and OPTIONS, on the
//! PSA API or the admin API) the whole file is written again: to a temporary file beside it,
//! flushed, then renamed over it, so a crash leaves the old file or the new one, never half.
//! The journal, fault rules and hourly quota counters are test scaffolding, not the tenant: a
//! restart starts them empty (docs/decisions.md).

use crate::journal::Journal;
use crate::state::{AppState, MockState, Session, Settings, World};
use crate::store::Store;
use psa_core::clock::Clock;
use psa_core::Personality;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

/// The `format` member every state file starts with.
pub const FORMAT: &str = "mock-psa state";
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format: String,
    version: u32,
    worlds: BTreeMap<Personality, SavedWorld>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedWorld {
    settings: Settings,
    clock: Clock,
    serial: u64,
    sessions: BTreeMap<String, Session>,
    store: Store,
}

/// A state file, checked, with what it held (nothing when it did not exist yet).
pub struct StateFile {
    path: PathBuf,
    saved: BTreeMap<Personality, SavedWorld>,
    /// Serialises writers: two requests finishing together write one after the other.
    write: Mutex<()>,
}

impl StateFile {
    /// Reads and checks `path` for serving `personalities`. A missing file is a fresh start.
    pub fn open(path: &Path, personalities: &[Personality]) -> anyhow::Result<StateFile> {
        let refuse = |why: String| {
            anyhow::anyhow!(
                "{}: {why}; refusing to start (the file is left as it is)",
                path.display()
            )
        };
        let saved = match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(refuse(format!("cannot read it: {e}"))),
            Ok(bytes) => {
                let doc = parse(&bytes).map_err(refuse)?;
                let held: Vec<Personality> = doc.worlds.keys().copied().collect();
                let mut wanted = personalities.to_vec();
                wanted.sort();
                if held != wanted {
                    let names = |ps: &[Personality]| {
                        ps.iter().map(|p| p.key()).collect::<Vec<_>>().join(", ")
                    };
                    return Err(refuse(format!(
                        "it holds the state of {}, but this server runs {}",
                        names(&held),
                        names(&wanted)
                    )));
                }
                doc.worlds
            }
        };
        Ok(StateFile {
            path: path.to_path_buf(),
            saved,
            write: Mutex::new(()),
        })
    }

    /// Whether the file held a world (then it replaces any seed).
    pub fn has_worlds(&self) -> bool {
        !self.saved.is_empty()
    }

    /// Puts the saved worlds into the running `states`, then writes the file after every
    /// change from now on (and once now, so a fresh start leaves a file).
    pub fn attach(mut self, states: &[AppState]) -> anyhow::Result<()> {
        for state in states {
            if let Some(saved) = self.saved.remove(&state.personality) {
                restore(state, saved);
            }
        }
        let file = Arc::new(self);
        let weak: Vec<Weak<MockState>> = states.iter().map(Arc::downgrade).collect();
        let save = {
            let file = file.clone();
            let weak = weak.clone();
            move || {
                let live: Vec<AppState> = weak.iter().filter_map(Weak::upgrade).collect();
                if let Err(e) = file.save(&live) {
                    tracing::error!("{e}");
                    eprintln!("mock-psa: {e}");
                }
            }
        };
        let save: Arc<dyn Fn() + Send + Sync> = Arc::new(save);
        for state in states {
            state.on_change(save.clone());
        }
        file.save(states)
    }

    fn save(&self, states: &[AppState]) -> anyhow::Result<()> {
        let _one_writer = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let worlds = states
            .iter()
            .map(|s| {
                let settings = Settings::clone(&s.settings());
                let w = s.world();
                let saved = SavedWorld {
                    settings,
                    clock: w.clock,
                    serial: w.serial,
                    sessions: w.sessions.clone(),
                    store: w.store.clone(),
                };
                (s.personality, saved)
            })
            .collect();
        let doc = Document {
            format: FORMAT.into(),
            version: VERSION,
            worlds,
        };
        let bytes = serde_json::to_vec(&doc)?;
        let fail = |e: std::io::Error| {
            anyhow::anyhow!("{}: cannot write the state: {e}", self.path.display())
        };
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = self.path.with_file_name(format!(".{name}.tmp"));
        let mut f = std::fs::File::create(&tmp).map_err(fail)?;
        f.write_all(&bytes).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        drop(f);
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }
}

/// Checks a state file's text: it parses, it is ours, and its tables are well formed.
fn parse(bytes: &[u8]) -> Result<Document, String> {
    #[derive(Deserialize)]
    struct Head {
        format: Option<String>,
        version: Option<u32>,
    }
    let head: Head = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_eof() {
            format!(
                "it is truncated (it ends at line {} column {})",
                e.line(),
                e.column()
            )
        } else {
            format!("it is not a mock-psa state file: {e}")
        }
    })?;
    if head.format.as_deref() != Some(FORMAT) {
        return Err(format!(
            "it is not a mock-psa state file (its `format` is {}, expected `{FORMAT}`)",
            head.format.map_or("missing".into(), |f| format!("`{f}`"))
        ));
    }
    if head.version != Some(VERSION) {
        return Err(format!(
            "it is a state file of another version ({:?}; this mock reads version {VERSION})",
            head.version
        ));
    }
    let doc: Document = serde_json::from_slice(bytes).map_err(|e| format!("it is damaged: {e}"))?;
    for (p, w) in &doc.worlds {
        for table in w.store.table_names() {
            let mut last = i64::MIN;
            for row in w.store.rows(table) {
                let id = row.get("id").and_then(|v| v.as_i64());
                match id {
                    Some(id) if id > last && w.store.contains(table, id) => last = id,
                    _ => {
                        return Err(format!(
                            "it is damaged: {} table `{table}` has a row out of order or without its id",
                            p.key()
                        ))
                    }
                }
            }
        }
    }
    Ok(doc)
}

fn restore(state: &MockState, saved: SavedWorld) {
    let journal = Journal::new(saved.settings.journal);
    state.set_settings(saved.settings);
    *state.world() = World {
        store: saved.store,
        clock: saved.clock,
        sessions: saved.sessions,
        serial: saved.serial,
        journal,
        ..Default::default()
    };
}
