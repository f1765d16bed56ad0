//! The claim store on sled. Trees:
//! - `meta`: `schema_version` (u32, decimal), `store_version` (u64 BE) and,
//!   with replicated ingest, `applied_sequence` (u64 BE): the last entry of the
//!   ingest stream applied, written in the same transaction as its article.
//! - `articles`: article id → JSON [`Article`]: verbatim text, title, content
//!   hash and its claim units. One key per article, written in one transaction
//!   with the version bump, so a crash never leaves half an article visible.
//! - `vectors`: article id → its units' dense vectors (see `retrieve::dense`), written
//!   in the same transaction; derived data, redone when the embedder changes.
//! - `changes`: store version (u64 BE) → the id of the article that write
//!   stored or deleted, in the same transaction: the next index reads back
//!   only those articles. Forgotten once an index holds them.

use std::path::Path;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::domain::{Article, Change};
use crate::error::{Error, Result};

pub const SCHEMA_VERSION: u32 = 1;
const SCHEMA_KEY: &[u8] = b"schema_version";
const VERSION_KEY: &[u8] = b"store_version";
const APPLIED_KEY: &[u8] = b"applied_sequence";

pub struct Store {
    db: sled::Db,
    articles: sled::Tree,
    vectors: sled::Tree,
    meta: sled::Tree,
    changes: sled::Tree,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store> {
        // A bounded page cache: the engine keeps its own in-memory index.
        let db = sled::Config::new().path(dir).cache_capacity(64 << 20).open()?;
        let articles = db.open_tree("articles")?;
        let meta = db.open_tree("meta")?;
        let vectors = db.open_tree("vectors")?;
        let changes = db.open_tree("changes")?;
        match meta.get(SCHEMA_KEY)? {
            Some(v) if v.as_ref() != SCHEMA_VERSION.to_string().as_bytes() => {
                return Err(Error::Schema { found: String::from_utf8_lossy(&v).into_owned(), expected: SCHEMA_VERSION });
            }
            Some(_) => {}
            None => {
                meta.insert(SCHEMA_KEY, SCHEMA_VERSION.to_string().as_bytes())?;
            }
        }
        Ok(Store { db, articles, vectors, meta, changes })
    }

    /// Monotonic version of the stored corpus; changes on every write.
    pub fn version(&self) -> Result<u64> {
        Ok(self.meta.get(VERSION_KEY)?.map_or(0, |v| decode_u64(&v)))
    }

    /// The last ingest-stream entry applied (0: none).
    pub fn applied_sequence(&self) -> Result<u64> {
        Ok(self.meta.get(APPLIED_KEY)?.map_or(0, |v| decode_u64(&v)))
    }

    /// Records that the ingest-stream entry `sequence` was taken (and changed nothing).
    pub fn mark_applied(&self, sequence: u64) -> Result<()> {
        self.meta.insert(APPLIED_KEY, &sequence.to_be_bytes())?;
        Ok(())
    }

    /// Whether `article` is new or differs from the stored one.
    pub fn is_changed(&self, article: &Article) -> Result<bool> {
        Ok(self.get(&article.id)?.is_none_or(|p| p.content_hash != article.content_hash))
    }

    /// Stores an article and its unit vectors (`vectors` is called only when
    /// the article is new or changed) atomically, unless the same content is
    /// already there; with the ingest-stream `sequence` it was read from.
    pub fn put(&self, article: &Article, vectors: impl FnOnce() -> Result<Option<Vec<u8>>>, sequence: Option<u64>) -> Result<Change> {
        let previous = self.articles.get(&article.id)?.map(|v| decode_article(&article.id, &v)).transpose()?;
        let change = match previous {
            Some(p) if p.content_hash == article.content_hash => {
                if let Some(seq) = sequence {
                    self.mark_applied(seq)?;
                }
                return Ok(Change::Unchanged);
            }
            Some(_) => Change::Replaced,
            None => Change::Added,
        };
        let bytes = serde_json::to_vec(article).map_err(|e| Error::Internal(e.to_string()))?;
        let vectors = vectors()?;
        (&self.articles, &self.vectors, &self.meta, &self.changes)
            .transaction(|(articles, stored_vectors, meta, changes)| {
                articles.insert(article.id.as_bytes(), bytes.as_slice())?;
                match &vectors {
                    Some(v) => stored_vectors.insert(article.id.as_bytes(), v.as_slice())?,
                    None => stored_vectors.remove(article.id.as_bytes())?,
                };
                bump_version(meta, changes, &article.id, sequence)?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)?;
        Ok(change)
    }

    /// Removes an article atomically (with the ingest-stream `sequence` it
    /// was read from); false if there was none.
    pub fn delete(&self, id: &str, sequence: Option<u64>) -> Result<bool> {
        let removed = (&self.articles, &self.vectors, &self.meta, &self.changes)
            .transaction(|(articles, vectors, meta, changes)| {
                if articles.remove(id.as_bytes())?.is_none() {
                    if let Some(seq) = sequence {
                        meta.insert(APPLIED_KEY, &seq.to_be_bytes())?;
                    }
                    return Ok(false);
                }
                vectors.remove(id.as_bytes())?;
                bump_version(meta, changes, id, sequence)?;
                Ok::<_, ConflictableTransactionError<()>>(true)
            })
            .map_err(transaction_error)?;
        Ok(removed)
    }

    pub fn get(&self, id: &str) -> Result<Option<Article>> {
        self.articles.get(id.as_bytes())?.map(|v| decode_article(id, &v)).transpose()
    }

    /// The stored unit vectors of an article.
    pub fn vectors(&self, id: &str) -> Result<Option<sled::IVec>> {
        Ok(self.vectors.get(id.as_bytes())?)
    }

    /// Replaces an article's unit vectors (after the embedder changed).
    pub fn put_vectors(&self, id: &str, vectors: &[u8]) -> Result<()> {
        self.vectors.insert(id.as_bytes(), vectors)?;
        Ok(())
    }

    /// Every stored article, in id order.
    pub fn articles(&self) -> impl Iterator<Item = Result<Article>> + '_ {
        self.articles_after(None)
    }

    /// Stored articles in id order, starting after `after` (exclusive).
    pub fn articles_after(&self, after: Option<&str>) -> impl Iterator<Item = Result<Article>> + '_ {
        let range = match after {
            Some(a) => self.articles.range::<&[u8], _>((std::ops::Bound::Excluded(a.as_bytes()), std::ops::Bound::Unbounded)),
            None => self.articles.iter(),
        };
        range.map(|kv| {
            let (k, v) = kv?;
            decode_article(&String::from_utf8_lossy(&k), &v)
        })
    }

    pub fn len(&self) -> usize {
        self.articles.len()
    }

    /// The ids of the articles written after store version `since`, if the
    /// change log still holds every write up to `through` (else `None`:
    /// read them all). Writes after `through` may be listed too.
    pub fn changed_since(&self, since: u64, through: u64) -> Result<Option<Vec<String>>> {
        let mut ids = Vec::new();
        let mut logged = 0;
        for entry in self.changes.range((since + 1).to_be_bytes()..) {
            let (version, id) = entry?;
            logged += u64::from(decode_u64(&version) <= through);
            ids.push(String::from_utf8_lossy(&id).into_owned());
        }
        ids.sort_unstable();
        ids.dedup();
        Ok((logged == through.saturating_sub(since)).then_some(ids))
    }

    /// Drops the change log up to store version `through` (an index holds those writes).
    pub fn forget_changes(&self, through: u64) -> Result<()> {
        for entry in self.changes.range(..=through.to_be_bytes()) {
            self.changes.remove(entry?.0)?;
        }
        Ok(())
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

/// Inside a write's transaction: the next store version, the article it
/// changed (in the change log), and the stream sequence the write came from.
fn bump_version(meta: &sled::transaction::TransactionalTree, changes: &sled::transaction::TransactionalTree, id: &str, sequence: Option<u64>) -> sled::transaction::ConflictableTransactionResult<(), ()> {
    let next = meta.get(VERSION_KEY)?.map_or(0, |v| decode_u64(&v)) + 1;
    meta.insert(VERSION_KEY, &next.to_be_bytes())?;
    changes.insert(&next.to_be_bytes(), id.as_bytes())?;
    if let Some(seq) = sequence {
        meta.insert(APPLIED_KEY, &seq.to_be_bytes())?;
    }
    Ok(())
}

fn transaction_error(e: sled::transaction::TransactionError<()>) -> Error {
    match e {
        sled::transaction::TransactionError::Storage(e) => Error::Storage(e),
        sled::transaction::TransactionError::Abort(()) => Error::Internal("store transaction aborted".into()),
    }
}

fn decode_u64(v: &[u8]) -> u64 {
    v.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

fn decode_article(key: &str, v: &[u8]) -> Result<Article> {
    serde_json::from_slice(v).map_err(|e| Error::Corrupt { key: key.to_string(), message: e.to_string() })
}

/// Opens again what was just dropped: sled's flusher thread lets go of the
/// file lock a moment after the last handle (a CI run saw WouldBlock).
#[cfg(test)]
pub(crate) fn retry_locked<T>(open: impl Fn() -> Result<T>) -> Result<T> {
    let started = std::time::Instant::now();
    loop {
        match open() {
            Err(Error::Storage(sled::Error::Io(e))) if e.to_string().contains("lock") && started.elapsed().as_secs() < 5 => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::domain::Source;

    fn article(id: &str, text: &str) -> Article {
        Article { id: id.into(), title: String::new(), text: text.into(), source: Source::default(), content_hash: Article::hash("", text, &Source::default()), units: vec![] }
    }

    #[test]
    fn put_is_idempotent_and_versions_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.put(&article("a", "one"), || Ok(None), None).unwrap(), Change::Added);
        assert_eq!(store.put(&article("a", "one"), || Ok(None), None).unwrap(), Change::Unchanged);
        assert_eq!(store.version().unwrap(), 1);
        assert_eq!(store.put(&article("a", "two"), || Ok(None), None).unwrap(), Change::Replaced);
        assert_eq!(store.version().unwrap(), 2);
        assert_eq!(store.len(), 1);
        assert!(store.delete("a", None).unwrap());
        assert!(!store.delete("a", None).unwrap());
        assert_eq!(store.version().unwrap(), 3);
        assert_eq!(store.get("a").unwrap(), None);
    }

    #[test]
    fn records_the_applied_sequence_with_each_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.applied_sequence().unwrap(), 0);
        store.put(&article("a", "one"), || Ok(None), Some(1)).unwrap();
        assert_eq!((store.applied_sequence().unwrap(), store.version().unwrap()), (1, 1));
        // Writes that change nothing still advance it, not the version.
        store.put(&article("a", "one"), || Ok(None), Some(2)).unwrap();
        assert!(!store.delete("missing", Some(3)).unwrap());
        assert_eq!((store.applied_sequence().unwrap(), store.version().unwrap()), (3, 1));
        assert!(store.delete("a", Some(4)).unwrap());
        assert_eq!((store.applied_sequence().unwrap(), store.version().unwrap()), (4, 2));
        // Local writes leave it alone.
        store.put(&article("b", "two"), || Ok(None), None).unwrap();
        assert_eq!(store.applied_sequence().unwrap(), 4);
    }

    #[test]
    fn logs_the_article_of_each_write_until_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for (id, text) in [("a", "one"), ("b", "two"), ("a", "one"), ("a", "three")] {
            store.put(&article(id, text), || Ok(None), None).unwrap();
        }
        store.delete("b", None).unwrap();
        assert_eq!(store.version().unwrap(), 4, "the unchanged write is no version");
        assert_eq!(store.changed_since(0, 4).unwrap(), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(store.changed_since(2, 4).unwrap(), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(store.changed_since(3, 3).unwrap(), Some(vec!["b".to_string()]), "later writes may be listed");
        store.forget_changes(2).unwrap();
        assert_eq!(store.changed_since(2, 4).unwrap(), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(store.changed_since(1, 4).unwrap(), None, "the log no longer covers version 2");
    }

    #[test]
    fn lists_after_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for id in ["c", "a", "b"] {
            store.put(&article(id, id), || Ok(None), None).unwrap();
        }
        let ids = |after| store.articles_after(after).map(|a| a.unwrap().id).collect::<Vec<_>>();
        assert_eq!(ids(None), ["a", "b", "c"]);
        assert_eq!(ids(Some("a")), ["b", "c"]);
        assert_eq!(ids(Some("c")), Vec::<String>::new());
    }

    #[test]
    fn source_changes_the_hash() {
        let a = Article::hash("t", "x", &Source::default());
        let b = Article::hash("t", "x", &Source { publisher: "P".into(), ..Source::default() });
        assert_ne!(a, b);
        assert_ne!(Article::hash("ab", "c", &Source::default()), Article::hash("a", "bc", &Source::default()));
    }

    #[test]
    fn reopens_and_rejects_foreign_schema() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store.put(&article("a", "one"), || Ok(None), None).unwrap();
            store.flush().unwrap();
        }
        {
            let store = retry_locked(|| Store::open(dir.path())).unwrap();
            assert_eq!(store.articles().next().unwrap().unwrap().text, "one");
            store.meta.insert(SCHEMA_KEY, "99").unwrap();
            store.flush().unwrap();
        }
        assert!(matches!(retry_locked(|| Store::open(dir.path())), Err(Error::Schema { .. })));
    }
}
