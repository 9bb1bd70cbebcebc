//! Shared state of one personality: settings fixed at start, and the mutable world behind
//! one lock (never held across an await).

use crate::clock::Clock;
use crate::faults::Faults;
use crate::journal::{Journal, JournalLimits};
use crate::limits::Limits;
use crate::personality::{Credentials, Personality};
use crate::render_cache::RenderCache;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Settings of one personality, chosen at start (and changeable through the admin API).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub credentials: Credentials,
    /// Largest request body accepted; larger ones get 413 in the dialect's error format.
    pub max_body_bytes: usize,
    pub journal: JournalLimits,
    /// Bounds on query strings, filter nesting, JSON bodies and seeds (issue 12).
    pub limits: Limits,

    // --- Kaseya BMS, Pulseway PSA, Vorex PSA (the BMS V2 family; issue 4) ---
    /// Largest `PageSize` (and OData `$top`) honoured; bigger values are capped.
    pub bms_max_page_size: u64,
    /// `PageSize` when a list request gives none (or <= 0).
    pub bms_default_page_size: u64,
    /// Lifetime of an access token on the virtual clock, in seconds.
    pub bms_token_ttl_seconds: i64,
    /// Calls per endpoint per virtual hour before 429 (0 = unlimited).
    pub bms_hourly_quota: u64,
    // --- ConnectWise and Autotask (issue 3) ---
    /// ConnectWise: authenticated calls per virtual minute before 429 with Retry-After
    /// (0 = unlimited, the default: real clients do not expect throttling).
    pub cw_requests_per_minute: u64,
    /// Autotask: the database's request threshold per rolling virtual hour, reported by
    /// `ThresholdInformation`; past it calls get 429 with Retry-After.
    pub at_hourly_request_limit: u64,
    /// Autotask: refuse calls past `at_hourly_request_limit` (off: only count and report).
    pub at_enforce_request_limit: bool,
    /// Autotask: add real latency as the hour fills, as the live API does (0.5 s from 50% of the
    /// threshold, 1 s from 75%). Off by default: it slows tests down.
    pub at_threshold_latency: bool,
    /// The BMS contact rule (first name, location, and on create a default e-mail and
    /// phone). On for Kaseya BMS, off for Pulseway PSA and Vorex PSA.
    pub bms_contact_rule: bool,
    /// Whether `GET .../summary/{id}` answers in the envelope (the spec says bare DTO; a
    /// real client reads `result`).
    pub bms_summary_envelope: bool,
    /// HTTP status of a failed `/v2/security/authenticate` (the record does not say).
    pub bms_auth_failure_status: u16,
    // --- end of the BMS V2 family ---
}

impl Settings {
    pub fn for_personality(p: Personality) -> Self {
        Settings {
            credentials: p.default_credentials(),
            max_body_bytes: 1024 * 1024,
            journal: JournalLimits::default(),
            limits: Limits::default(),
            bms_max_page_size: 100,
            bms_default_page_size: 50,
            bms_token_ttl_seconds: 3600,
            bms_hourly_quota: 1500,
            cw_requests_per_minute: 0,
            at_hourly_request_limit: 10_000,
            at_enforce_request_limit: true,
            at_threshold_latency: false,
            bms_contact_rule: p == Personality::Bms,
            bms_summary_envelope: true,
            bms_auth_failure_status: 401,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::for_personality(Personality::Connectwise)
    }
}

/// A bearer session of the BMS family.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub refresh_token: String,
    pub expires_at: i64,
}

/// The mutable world of one personality.
#[derive(Debug, Default)]
pub struct World {
    pub store: Store,
    pub clock: Clock,
    pub journal: Journal,
    pub faults: Faults,
    /// Access token -> session (BMS family).
    pub sessions: BTreeMap<String, Session>,
    /// Issues deterministic tokens and other opaque values.
    pub serial: u64,
    /// Calls counted for the PSA's rate limits, per window of the virtual clock and key.
    pub quota: crate::calls::CallCounts,
    /// Records' rendered bytes, valid while `store` is unchanged.
    pub renders: RenderCache,
}

impl World {
    pub fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }
}

pub struct MockState {
    pub personality: Personality,
    /// Shared, not cloned per request: a request holds the `Arc` it started with.
    settings: Mutex<Arc<Settings>>,
    world: Mutex<World>,
    /// Called after every request that may have changed the world (`serve --state`).
    on_change: OnceLock<Arc<dyn Fn() + Send + Sync>>,
}

pub type AppState = Arc<MockState>;

impl MockState {
    pub fn new(personality: Personality, settings: Settings) -> Self {
        let world = World {
            journal: Journal::new(settings.journal),
            ..Default::default()
        };
        MockState {
            personality,
            settings: Mutex::new(Arc::new(settings)),
            world: Mutex::new(world),
            on_change: OnceLock::new(),
        }
    }

    /// Installs the hook [`MockState::changed`] calls (once; later calls are ignored).
    pub fn on_change(&self, hook: Arc<dyn Fn() + Send + Sync>) {
        let _ = self.on_change.set(hook);
    }

    /// Tells the hook, if any, that a request may have changed the world.
    pub fn changed(&self) {
        if let Some(hook) = self.on_change.get() {
            hook();
        }
    }

    /// Locks the world. A poisoned lock (a panic while held) is recovered: the mock keeps serving.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The settings in force (a shared handle: cheap, and unchanged by a later `set_settings`).
    pub fn settings(&self) -> Arc<Settings> {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_settings(&self, s: Settings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = Arc::new(s);
    }
}
