//! Reading a corpus: a folder of `.txt` articles (id = file stem, first line
//! the title when it reads like a headline) or a JSONL file of
//! `{doc_id, title, text}` rows.

use std::fs;
use std::path::Path;

use serde::Deserialize;

use crate::engine::domain::{NewArticle, Source};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct Row {
    #[serde(alias = "id")]
    doc_id: String,
    #[serde(default)]
    title: String,
    text: String,
}

fn corpus_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::Corpus { path: path.display().to_string(), message: message.to_string() }
}

pub fn load(path: &Path) -> Result<Vec<NewArticle>> {
    let meta = fs::metadata(path).map_err(|e| corpus_error(path, e))?;
    if meta.is_dir() { load_folder(path) } else { load_jsonl(path) }
}

fn load_folder(dir: &Path) -> Result<Vec<NewArticle>> {
    let mut paths: Vec<_> = fs::read_dir(dir)
        .map_err(|e| corpus_error(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).map_err(|e| corpus_error(&p, e))?;
            let id = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(NewArticle { id, text, ..NewArticle::default() })
        })
        .collect()
}

fn load_jsonl(file: &Path) -> Result<Vec<NewArticle>> {
    let content = fs::read_to_string(file).map_err(|e| corpus_error(file, e))?;
    content
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let row: Row = serde_json::from_str(line).map_err(|e| corpus_error(file, format!("line {}: {e}", n + 1)))?;
            Ok(NewArticle { id: row.doc_id, title: row.title, text: row.text, source: Source::default() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_folder_and_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.txt"), "Short headline here\n\nBody text.").unwrap();
        fs::write(dir.path().join("a.txt"), "No title line at all, just a long sentence that goes on and on well past any headline length.").unwrap();
        fs::write(dir.path().join("skip.md"), "x").unwrap();
        let arts = load(dir.path()).unwrap();
        assert_eq!(arts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(arts[1].text, "Short headline here\n\nBody text.");
        let file = dir.path().join("c.jsonl");
        fs::write(&file, "{\"doc_id\":\"x\",\"title\":\"T\",\"text\":\"Body.\",\"extra\":1}\n\n").unwrap();
        assert_eq!(load(&file).unwrap(), [NewArticle { id: "x".into(), title: "T".into(), text: "Body.".into(), ..NewArticle::default() }]);
        fs::write(&file, "{\"doc_id\":1}\n").unwrap();
        assert!(load(&file).unwrap_err().to_string().contains("line 1"));
    }
}
