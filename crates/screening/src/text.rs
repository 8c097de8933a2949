//! Bilingual text: every label, question and explanation exists in English and Indonesian.

use serde::{Deserialize, Serialize};

/// One text in both interface languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// English.
    pub en: String,
    /// Bahasa Indonesia.
    pub id: String,
}

impl Text {
    pub fn new(en: impl Into<String>, id: impl Into<String>) -> Self {
        Text {
            en: en.into(),
            id: id.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Id => &self.id,
        }
    }
}

/// Interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Id,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Id];
}

/// Lines of text in both languages, kept in step (line `i` of `en` translates line `i` of `id`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lines {
    pub en: Vec<String>,
    pub id: Vec<String>,
}

impl Lines {
    pub fn push(&mut self, t: Text) {
        self.en.push(t.en);
        self.id.push(t.id);
    }

    pub fn append(&mut self, other: &Lines) {
        self.en.extend(other.en.iter().cloned());
        self.id.extend(other.id.iter().cloned());
    }

    pub fn get(&self, lang: Lang) -> &[String] {
        match lang {
            Lang::En => &self.en,
            Lang::Id => &self.id,
        }
    }

    pub fn first(&self) -> Option<Text> {
        Some(Text::new(
            self.en.first()?.clone(),
            self.id.first()?.clone(),
        ))
    }

    pub fn is_empty(&self) -> bool {
        self.en.is_empty()
    }
}

/// Builds a [`Text`] from two format strings sharing the same arguments style.
macro_rules! t {
    ($en:expr, $id:expr $(,)?) => {
        $crate::text::Text::new($en, $id)
    };
}
pub(crate) use t;

/// Joins the texts of one language with "; ".
pub(crate) fn join<'a>(items: impl IntoIterator<Item = &'a Text>, lang: Lang) -> String {
    items
        .into_iter()
        .map(|t| t.get(lang))
        .collect::<Vec<_>>()
        .join("; ")
}
