//! Scheduling (R14, R75-R79): a virtual clock, a queue of full syncs, and the integration's
//! status. Time only moves when the harness says so; a queued sync runs only when a worker
//! picks the queue up (`run_queue`), so a PSA change lands only when a sync runs (R79).

use super::{Defect, Engine, Rejection};
use crate::model::Role;
use psa_core::clock::format_rfc3339;
use serde::Serialize;
use serde_json::{json, Value};

/// Why a full sync was queued. Manual syncs go first (R77).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Start Manual Sync (R77).
    Manual,
    /// The first full sync of a new integration (R76).
    First,
    /// Settings were saved (R14).
    Settings,
    /// The interval came round (R75).
    Scheduled,
}

impl Reason {
    fn label(self) -> &'static str {
        match self {
            Reason::Manual => "manual sync",
            Reason::First => "first full sync",
            Reason::Settings => "full sync (settings saved)",
            Reason::Scheduled => "scheduled full sync",
        }
    }
}

/// What the Active Integrations screen shows (R78); `Removed` once the integration is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IntegrationStatus {
    Syncing,
    #[serde(rename = "OK")]
    Ok,
    Paused,
    Error,
    Removed,
}

#[derive(Debug, Clone)]
pub(super) struct Job {
    reason: Reason,
    due: i64,
}

impl Job {
    /// Queue order (Q9): manual first, then by due time; the queue's stable sort keeps first
    /// come first served among equals.
    fn order(&self, prioritise_manual: bool) -> (bool, i64) {
        (
            !(prioritise_manual && self.reason == Reason::Manual),
            self.due,
        )
    }
}

#[derive(Debug, Clone)]
pub(super) struct Scheduler {
    pub(super) now: i64,
    /// When the interval next queues a sync.
    next_tick: Option<i64>,
    queue: Vec<Job>,
    /// The last full sync that finished (successfully or not).
    last_sync: Option<i64>,
    /// Status of the last sync: OK or Error.
    status: IntegrationStatus,
    pub(super) paused: bool,
    pub(super) removed: bool,
    /// Retry waits already on this timeline ([`Engine::catch_up_waits`]).
    waits_seen: u64,
}

impl Scheduler {
    pub(super) fn new(now: i64, interval_minutes: Option<u32>) -> Self {
        Scheduler {
            now,
            next_tick: tick_after(now, interval_minutes),
            queue: Vec::new(),
            last_sync: None,
            status: IntegrationStatus::Ok,
            paused: false,
            removed: false,
            waits_seen: 0,
        }
    }

    pub(super) fn status(&self) -> IntegrationStatus {
        if self.removed {
            IntegrationStatus::Removed
        } else if self.paused {
            IntegrationStatus::Paused
        } else {
            self.status
        }
    }

    pub(super) fn clear(&mut self) {
        self.queue.clear();
        self.next_tick = None;
    }
}

fn tick_after(now: i64, interval_minutes: Option<u32>) -> Option<i64> {
    interval_minutes
        .filter(|m| *m > 0)
        .map(|m| now.saturating_add(i64::from(m) * 60))
}

impl Engine {
    /// Starts the engine's timeline at the case's clock (no interval has passed yet).
    pub fn with_clock(mut self, now: i64) -> Self {
        self.sched.now = now;
        self.sched.next_tick = tick_after(now, self.settings.sync_interval_minutes);
        self
    }

    /// Time the HTTP layer spent waiting before retries has passed on the engine's timeline
    /// too (the clock it shares with the PSA), once it is noted in the log.
    pub(super) fn catch_up_waits(&mut self) {
        let waited = self.http.waited_secs();
        let new = waited.saturating_sub(self.sched.waits_seen);
        if new == 0 {
            return;
        }
        self.sched.waits_seen = waited;
        let now = self
            .sched
            .now
            .saturating_add(i64::try_from(new).unwrap_or(i64::MAX));
        self.set_clock(now);
    }

    pub fn status(&self) -> IntegrationStatus {
        self.sched.status()
    }

    /// Moves the virtual clock (never backwards); each interval that comes round queues a
    /// scheduled sync, coalesced with one already waiting (R75).
    pub fn set_clock(&mut self, now: i64) {
        if now <= self.sched.now {
            return;
        }
        self.sched.now = now;
        let Some(tick) = self.sched.next_tick.filter(|t| *t <= now) else {
            return;
        };
        let step = i64::from(self.settings.sync_interval_minutes.unwrap_or(0).max(1)) * 60;
        let passed = (now - tick) / step + 1;
        self.sched.next_tick = Some(tick.saturating_add(passed.saturating_mul(step)));
        if !self.sched.removed {
            self.enqueue(Reason::Scheduled, tick);
        }
    }

    /// After a settings save (R14): the first save of a new integration queues its first full
    /// sync (R76), later ones a settings sync; a new interval starts counting now.
    pub(super) fn settings_saved(&mut self, interval_changed: bool) {
        if self.sched.removed {
            return;
        }
        if interval_changed {
            self.sched.next_tick = tick_after(self.sched.now, self.settings.sync_interval_minutes);
        }
        if self.defects.contains(&Defect::SettingsSaveQueuesNothing) {
            return;
        }
        let reason = if self.sched.last_sync.is_none() {
            Reason::First
        } else {
            Reason::Settings
        };
        self.enqueue(reason, self.sched.now);
    }

    /// Queues a full sync for `at` plus the load delay (none for a manual sync); one job per
    /// reason waits at a time.
    fn enqueue(&mut self, reason: Reason, at: i64) {
        if self.sched.queue.iter().any(|j| j.reason == reason) {
            self.say(format!("{} already queued", reason.label()));
            return;
        }
        let prioritised = !self.defects.contains(&Defect::ManualSyncNotPrioritised);
        let delay = if reason == Reason::Manual && prioritised {
            0
        } else {
            i64::from(self.settings.queue_delay_minutes) * 60
        };
        let due = at.saturating_add(delay);
        self.sched.queue.push(Job { reason, due });
        self.sched.queue.sort_by_key(|j| j.order(prioritised));
        self.say(format!(
            "{} queued, due {}",
            reason.label(),
            format_rfc3339(due)
        ));
    }

    /// Start Manual Sync (R77): queued ahead of everything else and due at once.
    pub fn manual_sync(&mut self) -> Result<(), Rejection> {
        if self.settings.role < Role::Manager {
            return Err(Rejection::Forbidden);
        }
        self.integration_usable()?;
        self.enqueue(Reason::Manual, self.sched.now);
        Ok(())
    }

    /// A worker picks up the queue: when its head is due, one full sync runs, and it stands
    /// for every sync queued before it (they would pull the same data).
    pub async fn run_queue(&mut self) -> Result<String, Rejection> {
        if self.sched.removed {
            return Err(Rejection::Refused("there is no PSA integration".into()));
        }
        if self.sched.paused {
            self.say("queued syncs held: the integration is paused".into());
            return Ok("held".into());
        }
        let Some(head) = self.sched.queue.first().cloned() else {
            self.say("no sync queued".into());
            return Ok("idle".into());
        };
        if head.due > self.sched.now {
            self.say(format!(
                "next queued sync ({}) is due {}",
                head.reason.label(),
                format_rfc3339(head.due)
            ));
            return Ok("waiting".into());
        }
        self.run_sync(Some(head.reason)).await;
        Ok(head.reason.label().to_string())
    }

    /// One full sync with its status changes (R78); `reason` is the queued job it serves, if
    /// any. A successful sync satisfies the whole queue.
    pub(super) async fn run_sync(&mut self, reason: Option<Reason>) {
        if self.sched.removed {
            self.say("full sync skipped: there is no PSA integration".into());
            return;
        }
        if self.sched.paused {
            self.say("full sync skipped: the integration is paused".into());
            return;
        }
        let label = reason.map_or("full sync", Reason::label);
        self.set_status(IntegrationStatus::Syncing);
        self.say(format!(
            "{label} with {} started",
            self.personality.display_name()
        ));
        let result = self.pull_all().await;
        self.sched.last_sync = Some(self.sched.now);
        match result {
            Ok(()) => {
                self.say("full sync finished".into());
                self.sched.queue.clear();
                self.set_status(IntegrationStatus::Ok);
            }
            Err(e) => {
                // Q9: what was pulled before the failure stays; the next sync pulls again.
                self.say(format!(
                    "full sync failed: {e}; records pulled before it are kept"
                ));
                if let Some(r) =
                    reason.filter(|_| !self.defects.contains(&Defect::FailedSyncStaysQueued))
                {
                    self.sched.queue.retain(|j| j.reason != r);
                }
                self.set_status(IntegrationStatus::Error);
            }
        }
    }

    fn set_status(&mut self, status: IntegrationStatus) {
        self.sched.status = status;
        self.say(format!(
            "integration status: {}",
            serde_json::to_value(status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ));
    }

    /// Refuses integration actions once the integration is removed or while it is paused.
    pub(super) fn integration_usable(&self) -> Result<(), Rejection> {
        if self.sched.removed {
            return Err(Rejection::Refused("there is no PSA integration".into()));
        }
        if self.sched.paused {
            return Err(Rejection::Refused("the integration is paused".into()));
        }
        Ok(())
    }

    /// The integration as the Active Integrations screen shows it, plus the queue.
    pub(super) fn integration_snapshot(&self) -> Value {
        let queue: Vec<Value> = self
            .sched
            .queue
            .iter()
            .enumerate()
            .map(|(i, j)| json!({"position": i + 1, "reason": j.reason, "due": format_rfc3339(j.due)}))
            .collect();
        json!({
            "status": self.sched.status(),
            "clock": format_rfc3339(self.sched.now),
            "last_sync": self.sched.last_sync.map(format_rfc3339),
            "next_scheduled": self.sched.next_tick.filter(|_| !self.sched.removed).map(format_rfc3339),
            "queue": queue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_jobs_sort_first_unless_not_prioritised() {
        let manual = Job {
            reason: Reason::Manual,
            due: 100,
        };
        let settings = Job {
            reason: Reason::Settings,
            due: 50,
        };
        assert!(manual.order(true) < settings.order(true));
        assert!(manual.order(false) > settings.order(false));
    }

    #[test]
    fn ticks_follow_the_interval_and_none_without_one() {
        assert_eq!(tick_after(0, Some(60)), Some(3600));
        assert_eq!(tick_after(0, None), None);
        assert_eq!(tick_after(0, Some(0)), None);
    }
}
