//! The streaming half of the imports: a survey pass over the file (row count and USCCs), then
//! a blocking thread that parses and checks row by row and hands the results over in batches
//! through a bounded channel, so a writer can fill one open transaction meanwhile. Neither
//! the file's cells nor the checked rows are ever all in memory at once.

use bytes::Bytes;
use office::{HeaderMap, Limits, OfficeError, Row, RowVisitor};
use std::collections::HashSet;
use tokio::sync::mpsc;

/// Rows per batch handed from the checking thread to the writer.
pub(crate) const BATCH: usize = 500;
/// Batches in flight between them (bounds the memory of the hand-over).
const IN_FLIGHT: usize = 4;

/// Why the checking thread stopped early.
pub(crate) enum Stop {
    Office(OfficeError),
    /// The writer went away (a database error): nothing more to do.
    Closed,
}

impl From<OfficeError> for Stop {
    fn from(e: OfficeError) -> Self {
        Stop::Office(e)
    }
}

/// Checks rows and sends them on in batches.
struct Feeder<I, C> {
    check: C,
    out: mpsc::Sender<Vec<I>>,
    batch: Vec<I>,
}

impl<I, C> Feeder<I, C> {
    fn flush(&mut self) -> Result<(), Stop> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let b = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.out.blocking_send(b).map_err(|_| Stop::Closed)
    }
}

impl<I, C: FnMut(Row) -> I> RowVisitor for Feeder<I, C> {
    type Error = Stop;
    fn headers(&mut self, _: &[String]) -> Result<(), Stop> {
        Ok(())
    }
    fn row(&mut self, row: Row) -> Result<(), Stop> {
        let item = (self.check)(row);
        self.batch.push(item);
        if self.batch.len() >= BATCH { self.flush() } else { Ok(()) }
    }
}

/// Starts the checking thread: every data row of the file goes through `check`, in order,
/// and comes out of the receiver in batches. The handle tells how the file ended.
pub(crate) fn spawn_checked<I, C>(
    bytes: Bytes,
    file_name: String,
    limits: Limits,
    check: C,
) -> (mpsc::Receiver<Vec<I>>, tokio::task::JoinHandle<Result<(), Stop>>)
where
    I: Send + 'static,
    C: FnMut(Row) -> I + Send + 'static,
{
    let (out, rx) = mpsc::channel::<Vec<I>>(IN_FLIGHT);
    let worker = tokio::task::spawn_blocking(move || {
        let mut f = Feeder { check, out, batch: Vec::with_capacity(BATCH) };
        office::visit_rows(&bytes, &file_name, &limits, &mut f)?;
        f.flush()
    });
    (rx, worker)
}

/// First pass over the file, on a blocking thread: the number of data rows and the distinct
/// valid USCCs.
pub(crate) async fn survey(
    bytes: Bytes,
    file_name: String,
    limits: Limits,
    map: HeaderMap,
) -> crate::Result<(usize, Vec<String>)> {
    struct Survey<'m> {
        map: &'m HeaderMap,
        rows: usize,
        usccs: HashSet<String>,
    }
    impl RowVisitor for Survey<'_> {
        type Error = OfficeError;
        fn headers(&mut self, _: &[String]) -> Result<(), OfficeError> {
            Ok(())
        }
        fn row(&mut self, row: Row) -> Result<(), OfficeError> {
            self.rows += 1;
            if let Ok(u) = domain::uscc::Uscc::parse(self.map.get(&row.cells, "uscc").unwrap_or("")) {
                self.usccs.insert(u.as_str().to_string());
            }
            Ok(())
        }
    }
    tokio::task::spawn_blocking(move || {
        let mut s = Survey { map: &map, rows: 0, usccs: HashSet::new() };
        office::visit_rows(&bytes, &file_name, &limits, &mut s)?;
        Ok((s.rows, s.usccs.into_iter().collect()))
    })
    .await
    .map_err(|e| crate::AppError::Internal(e.to_string()))?
    .map_err(|e: OfficeError| crate::import::file_error(e))
}

impl crate::App {
    /// The start of a streamed import: the survey pass (row count into the report; an empty
    /// file refused) and the file's known enterprises. Returns the limits, the file name, the
    /// row count and the known enterprises.
    pub(crate) async fn open_stream(
        &self,
        p: &crate::account::Principal,
        bytes: &Bytes,
        map: &HeaderMap,
        opts: &crate::import::ImportOptions,
        report: &mut crate::import::ImportReport,
    ) -> crate::Result<(Limits, String, usize, crate::import::Known)> {
        let limits = opts.limits.clone().unwrap_or_default();
        let file_name = report.file.clone();
        let (total, usccs) = survey(bytes.clone(), file_name.clone(), limits.clone(), map.clone()).await?;
        report.rows = total;
        if total == 0 {
            return Err(crate::import::file_error("文件中没有数据行"));
        }
        let known = self.known(p, &usccs).await?;
        Ok((limits, file_name, total, known))
    }

    /// The end of any import that wrote: its audit row (what `after` says), the commit.
    pub(crate) async fn close_import(
        &self,
        mut tx: store::Tx,
        p: &crate::account::Principal,
        action: &str,
        report: &mut crate::import::ImportReport,
        after: serde_json::Value,
    ) -> crate::Result<()> {
        let entry = crate::audit_entry(&p.actor(), action, "import", &report.file, None, Some(after));
        store::audit::append(&mut tx, self.now(), &entry).await?;
        tx.commit().await?;
        report.committed = true;
        Ok(())
    }
}

/// How the checking thread ended, as the import's result.
pub(crate) async fn finish(worker: tokio::task::JoinHandle<Result<(), Stop>>) -> crate::Result<()> {
    match worker.await.map_err(|e| crate::AppError::Internal(e.to_string()))? {
        Ok(()) => Ok(()),
        Err(Stop::Office(e)) => Err(crate::import::file_error(e)),
        Err(Stop::Closed) => Err(crate::AppError::Internal("导入中断".into())),
    }
}
