//! Time is a parameter. The only place in the product that reads the wall clock is
//! [`SystemClock`]; tests pass a [`FixedClock`] and move it by hand.

use chrono::{DateTime, Duration, DurationRound, Utc};
use std::sync::Mutex;

/// A source of the current time, truncated to microseconds so that values survive a
/// round trip through PostgreSQL `TIMESTAMPTZ` unchanged (the audit hash depends on it).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::microseconds(1)).unwrap_or(t)
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one allowed place
    fn now(&self) -> DateTime<Utc> {
        truncate(Utc::now())
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(truncate(t)))
    }
    pub fn advance(&self, d: Duration) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *g += d;
    }
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = truncate(t);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// China Standard Time (UTC+8, no daylight saving): the zone every date of the product is in.
pub fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"))
}

/// The calendar day in China at `t`.
pub fn china_date(t: DateTime<Utc>) -> chrono::NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// The first instant after the Chinese calendar day `d` (its end, exclusive), in UTC.
pub fn china_day_end(d: chrono::NaiveDate) -> DateTime<Utc> {
    let next = d.succ_opt().unwrap_or(d);
    let naive = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    DateTime::<Utc>::from_naive_utc_and_offset(naive - Duration::hours(8), Utc)
}
