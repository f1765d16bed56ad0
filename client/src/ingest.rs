//! Reading articles to send with IngestArticles: a folder of `.txt` files
//! (id = file stem; the server takes the title from a headline-like first
//! line) or a JSONL file of `{doc_id|id, title, text, url, publisher,
//! published_time (RFC 3339), language}` rows. Articles are read one at a
//! time, so memory stays flat however large the corpus.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::pb;
use factcheck_proto::pbjson_types;

#[derive(Deserialize)]
struct Row {
    #[serde(alias = "doc_id")]
    id: String,
    #[serde(default)]
    title: String,
    text: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    publisher: String,
    #[serde(default)]
    published_time: String,
    #[serde(default)]
    language: String,
}

fn timestamp(rfc3339: &str) -> anyhow::Result<Option<pbjson_types::Timestamp>> {
    if rfc3339.is_empty() {
        return Ok(None);
    }
    let at = humantime::parse_rfc3339_weak(rfc3339)?;
    let since = at.duration_since(std::time::UNIX_EPOCH)?;
    Ok(Some(pbjson_types::Timestamp { seconds: since.as_secs() as i64, nanos: since.subsec_nanos() as i32 }))
}

/// A source of articles, read lazily.
pub enum Source {
    Folder(Vec<PathBuf>),
    Jsonl(PathBuf),
}

impl Source {
    pub fn open(path: &Path) -> anyhow::Result<Source> {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect();
            files.sort();
            Ok(Source::Folder(files))
        } else {
            Ok(Source::Jsonl(path.to_path_buf()))
        }
    }

    /// How many articles there are (one pass over a JSONL file).
    pub fn count(&self) -> anyhow::Result<u64> {
        Ok(match self {
            Source::Folder(files) => files.len() as u64,
            Source::Jsonl(p) => BufReader::new(fs::File::open(p)?).lines().filter(|l| l.as_ref().map_or(true, |l| !l.trim().is_empty())).count() as u64,
        })
    }

    /// Calls `each` with every article in order; stops at the first error
    /// (reading or from `each`).
    pub fn for_each(&self, mut each: impl FnMut(pb::Article) -> anyhow::Result<()>) -> anyhow::Result<()> {
        match self {
            Source::Folder(files) => {
                for f in files {
                    let id = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                    let text = fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                    each(pb::Article { id, text, ..pb::Article::default() })?;
                }
            }
            Source::Jsonl(p) => {
                for (n, line) in BufReader::new(fs::File::open(p)?).lines().enumerate() {
                    let line = line?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    let row: Row = serde_json::from_str(&line).map_err(|e| anyhow::anyhow!("{}: line {}: {e}", p.display(), n + 1))?;
                    let published_time = timestamp(&row.published_time).map_err(|e| anyhow::anyhow!("{}: line {}: published_time: {e}", p.display(), n + 1))?;
                    each(pb::Article {
                        id: row.id,
                        title: row.title,
                        text: row.text,
                        url: row.url,
                        publisher: row.publisher,
                        published_time,
                        language: row.language,
                        ..pb::Article::default()
                    })?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_folders_and_jsonl_with_metadata() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.txt"), "B text.").unwrap();
        fs::write(dir.path().join("a.txt"), "A text.").unwrap();
        let mut ids = Vec::new();
        let folder = Source::open(dir.path()).unwrap();
        folder.for_each(|a| Ok(ids.push(a.id))).unwrap();
        assert_eq!((ids, folder.count().unwrap()), (vec!["a".to_string(), "b".to_string()], 2));

        let file = dir.path().join("c.jsonl");
        fs::write(&file, "{\"doc_id\":\"x\",\"text\":\"T.\",\"publisher\":\"P\",\"published_time\":\"2024-04-19T10:00:00Z\"}\n\n").unwrap();
        let mut got = Vec::new();
        let jsonl = Source::open(&file).unwrap();
        jsonl.for_each(|a| Ok(got.push(a))).unwrap();
        assert_eq!(jsonl.count().unwrap(), 1);
        assert_eq!((got[0].id.as_str(), got[0].publisher.as_str()), ("x", "P"));
        assert_eq!(got[0].published_time.unwrap().seconds, 1_713_520_800);
        fs::write(&file, "{\"id\":\"x\"}\n").unwrap();
        assert!(Source::open(&file).unwrap().for_each(|_| Ok(())).unwrap_err().to_string().contains("line 1"));
    }
}
