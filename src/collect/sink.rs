//! The store as the collectors' [`BatchSink`]: `zeitgeist collect` hands each source's batch
//! here, and it is committed like any other write (snapshot durable first, then the cursors).

use std::sync::Mutex;

use serde_json::Value;

use crate::collect::{self, BatchSink, CommitReceipt, SinkError};
use crate::model::Source;
use crate::store::{Batch, Store};

/// A [`Store`] shared by the concurrently running collectors. [`Store::commit`] needs `&mut`
/// (it updates the id index), so commits take turns behind a mutex; collecting, the slow part,
/// still runs concurrently.
#[derive(Debug)]
pub struct StoreSink {
    store: Mutex<Store>,
}

impl StoreSink {
    /// Wraps `store` for [`collect::run`].
    pub fn new(store: Store) -> StoreSink {
        StoreSink {
            store: Mutex::new(store),
        }
    }

    /// The store back, once collection is over.
    pub fn into_inner(self) -> Store {
        self.store
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl BatchSink for StoreSink {
    fn load_cursor(&self, source: Source) -> Result<Option<Value>, SinkError> {
        let store = self.store.lock().map_err(|_| poisoned())?;
        let cursors = store
            .cursors(source)
            .map_err(|e| SinkError(e.to_string()))?;
        Ok((!cursors.is_empty()).then(|| Value::Object(cursors.into_iter().collect())))
    }

    fn commit(&self, batch: &collect::Batch) -> Result<CommitReceipt, SinkError> {
        let cursors = collect::cursors_from(Some(&batch.cursor)).map_err(|e| {
            SinkError(format!(
                "{}: cursor is not an object of markers: {e}",
                batch.source
            ))
        })?;
        let mut store = self.store.lock().map_err(|_| poisoned())?;
        let report = store
            .commit(Batch {
                source: batch.source,
                records: batch.records.clone(),
                cursors,
            })
            .map_err(|e| SinkError(e.to_string()))?;
        let location = match report.files.as_slice() {
            [] => None,
            [one] => Some(one.display().to_string()),
            [first, ..] => Some(format!(
                "{} and {} more snapshot files",
                first.display(),
                report.files.len() - 1
            )),
        };
        Ok(CommitReceipt {
            stored: report.new,
            duplicates: report.duplicates,
            location,
        })
    }
}

fn poisoned() -> SinkError {
    SinkError("the store lock was poisoned by a panic during an earlier commit".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::SourceReport;

    #[test]
    fn batches_commit_once_and_cursors_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let sink = StoreSink::new(Store::open(dir.path()));
        assert_eq!(sink.load_cursor(Source::Reddit).unwrap(), None);
        let record = crate::store::snapshot::tests::record("abc", "2026-01-01T00:00:00Z");
        let batch = collect::Batch {
            source: Source::Reddit,
            records: vec![record],
            cursor: serde_json::json!({"r/LocalLLaMA": "t3_abc"}),
            report: SourceReport::default(),
        };
        let first = sink.commit(&batch).unwrap();
        assert_eq!((first.stored, first.duplicates), (1, 0));
        assert!(first.location.unwrap().ends_with("-reddit.json"));
        let again = sink.commit(&batch).unwrap();
        assert_eq!(
            (again.stored, again.duplicates, again.location),
            (0, 1, None)
        );
        assert_eq!(
            sink.load_cursor(Source::Reddit).unwrap(),
            Some(serde_json::json!({"r/LocalLLaMA": "t3_abc"}))
        );
        let store = sink.into_inner();
        assert_eq!(
            store
                .read_window(&crate::store::TimeWindow::all())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_cursor_that_is_not_an_object_is_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let sink = StoreSink::new(Store::open(dir.path()));
        let batch = collect::Batch {
            source: Source::Reddit,
            records: Vec::new(),
            cursor: serde_json::json!("t3_abc"),
            report: SourceReport::default(),
        };
        let err = sink.commit(&batch).unwrap_err().to_string();
        assert!(err.starts_with("reddit: cursor is not an object"), "{err}");
        assert!(!dir.path().join("state").exists());
    }
}
