//! The project book: what every project's facts and codes are computed from, whatever the
//! day — the project row, its yearly plans, completed investment per month, milestones,
//! supervision orders, late reports and the days it entered 开工 — held in memory by each
//! server instance and patched from the change feed.
//!
//! Codes and scheduling reports are computed as of a day over thousands of projects; read
//! from the database each time, most of a report's time went into moving the same rows
//! again. The book is loaded once (in the background when the server starts) and, when the
//! feed has moved, reloads only the projects named in it since (every project write appends
//! its id). Scope is never decided here: callers ask the store which ids a reader may see
//! ([`store::project::visible_ids`]) and look only those up.

use crate::{App, Result};
use chrono::{DateTime, NaiveDate, Utc};
use domain::project::Month;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use store::project::{self as sp, BookProject, BookRows, Facts};

/// How far behind the head seen last the feed is read again, so that a transaction which
/// took its sequence number before another but committed after it (PostgreSQL) is seen.
pub(crate) const FEED_LOOKBACK: i64 = 256;
/// Feed entries beyond which the book is loaded afresh instead of patched.
pub(crate) const PATCH_LIMIT: i64 = 5_000;

/// A supervision order: (title, due, issued, responded).
pub(crate) type Supervision = (String, NaiveDate, DateTime<Utc>, Option<DateTime<Utc>>);

/// One project in the book.
#[derive(Debug)]
pub(crate) struct Entry {
    pub base: BookProject,
    pub plans: Vec<(i64, i64)>,
    pub done: Vec<(i64, [i64; 12])>,
    /// (name, due, done) in milestone order.
    pub milestones: Vec<(String, NaiveDate, Option<NaiveDate>)>,
    pub supervisions: Vec<Supervision>,
    /// Late reports: (month, submitted)
    pub late_reports: Vec<(Month, DateTime<Utc>)>,
    /// Days it entered 开工.
    pub started: Vec<NaiveDate>,
}

impl Entry {
    /// The facts of `period`: the year's plan, completed from January to the month and in it.
    pub fn facts(&self, period: Month) -> Facts {
        let year = i64::from(period.year);
        let upto = usize::try_from(period.month.clamp(1, 12)).unwrap_or(12);
        let months = self.done.iter().find(|(y, _)| *y == year).map(|(_, m)| *m).unwrap_or_default();
        Facts {
            project: self.base.clone(),
            plan_fen: self.plans.iter().find(|(y, _)| *y == year).map(|(_, p)| *p).unwrap_or(0),
            ytd_fen: months[..upto].iter().fold(0i64, |a, m| a.saturating_add(*m)),
            month_fen: months[upto - 1],
        }
    }
}

/// The book at a feed head.
#[derive(Default)]
pub(crate) struct Book {
    pub head: i64,
    pub loaded: bool,
    pub projects: BTreeMap<i64, Arc<Entry>>,
}

fn entries(rows: BookRows) -> BTreeMap<i64, Arc<Entry>> {
    let mut plans: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for (pid, year, fen) in rows.plans {
        plans.entry(pid).or_default().push((year, fen));
    }
    let mut done: HashMap<i64, Vec<(i64, [i64; 12])>> = HashMap::new();
    for d in rows.done {
        done.entry(d.project_id).or_default().push((d.year, d.months()));
    }
    let mut milestones: HashMap<i64, Vec<_>> = HashMap::new();
    for (pid, name, due, done_on) in rows.milestones {
        milestones.entry(pid).or_default().push((name, due, done_on));
    }
    let mut supervisions: HashMap<i64, Vec<_>> = HashMap::new();
    for (pid, title, due, issued, responded) in rows.supervisions {
        supervisions.entry(pid).or_default().push((title, due, issued, responded));
    }
    let mut late: HashMap<i64, Vec<(Month, DateTime<Utc>)>> = HashMap::new();
    for (pid, month, at) in rows.late_reports {
        if let Some(m) = Month::parse(&month) {
            late.entry(pid).or_default().push((m, at));
        }
    }
    let mut started: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    for (pid, on) in rows.started {
        started.entry(pid).or_default().push(on);
    }
    rows.projects
        .into_iter()
        .map(|base| {
            let id = base.id;
            let e = Entry {
                base,
                plans: plans.remove(&id).unwrap_or_default(),
                done: done.remove(&id).unwrap_or_default(),
                milestones: milestones.remove(&id).unwrap_or_default(),
                supervisions: supervisions.remove(&id).unwrap_or_default(),
                late_reports: late.remove(&id).unwrap_or_default(),
                started: started.remove(&id).unwrap_or_default(),
            };
            (id, Arc::new(e))
        })
        .collect()
}

impl App {
    /// The book as of the change feed's head now (loaded or patched first when it has moved).
    pub(crate) async fn project_book(&self) -> Result<Arc<Book>> {
        let head = store::feed::head(&self.db).await?;
        let mut cur = self.book.lock().await;
        if cur.loaded && cur.head >= head {
            return Ok(cur.clone());
        }
        let patch = cur.loaded && head >= cur.head && head - cur.head <= PATCH_LIMIT;
        let next = if patch {
            let from = (cur.head - FEED_LOOKBACK).max(0);
            let changed: BTreeSet<i64> = store::feed::since(&self.db, from, PATCH_LIMIT + FEED_LOOKBACK)
                .await?
                .into_iter()
                .filter(|c| c.entity == "project")
                .map(|c| c.entity_id)
                .collect();
            let mut projects = cur.projects.clone();
            if !changed.is_empty() {
                let ids: Vec<i64> = changed.iter().copied().collect();
                let fresh = entries(sp::book_rows(&self.db, Some(&ids)).await?);
                for id in &changed {
                    projects.remove(id);
                }
                projects.extend(fresh);
            }
            Book { head, loaded: true, projects }
        } else {
            Book { head, loaded: true, projects: entries(sp::book_rows(&self.db, None).await?) }
        };
        *cur = Arc::new(next);
        Ok(cur.clone())
    }
}
