//! Ingest: from an article as given to the article as stored. Reads corpora
//! (`corpus`), drops boilerplate and splits sentences (`segment`), and finds
//! who asserts each one (`attribution`).

pub mod attribution;
pub mod corpus;
pub mod segment;

use super::domain::{Article, NewArticle};

/// The stored form of a new article: its title (detected when none is
/// given), content hash and claim units.
pub fn prepare(a: NewArticle) -> Article {
    let title = if a.title.is_empty() { segment::detect_title(&a.text).unwrap_or_default().to_string() } else { a.title };
    let content_hash = Article::hash(&title, &a.text, &a.source);
    let units = segment::segment(&a.text);
    Article { id: a.id, title, text: a.text, source: a.source, content_hash, units }
}
