//! A small document writer on printpdf: A4 pages, headings, wrapped paragraphs, page numbers.
//! Uses the PDF standard font Helvetica (no font files to ship), so text is limited to
//! Windows-1252; other characters are replaced by close equivalents.
use printpdf::{
    BuiltinFont, IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference,
};

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 18.0;
const PT_TO_MM: f32 = 0.3528;

pub struct Doc {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    y: f32,
    pages: usize,
    header: String,
}

/// Maps text to what Helvetica with WinAnsiEncoding can show.
fn winansi(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c.to_string(),
            '€' | '‚' | 'ƒ' | '„' | '…' | '†' | '‡' | 'ˆ' | '‰' | 'Š' | '‹' | 'Œ' | 'Ž' | '‘'
            | '’' | '“' | '”' | '•' | '–' | '—' | '˜' | '™' | 'š' | '›' | 'œ' | 'ž' | 'Ÿ' => {
                c.to_string()
            }
            '→' => "->".into(),
            '←' => "<-".into(),
            '≥' => ">=".into(),
            '≤' => "<=".into(),
            '≠' => "!=".into(),
            '✓' | '✔' => "v".into(),
            '✗' | '✖' => "x".into(),
            '\t' | '\n' | '\r' => " ".into(),
            _ => "?".into(),
        })
        .collect()
}

/// Greedy word wrap by an average Helvetica glyph width.
fn wrap(text: &str, size: f32, width_mm: f32) -> Vec<String> {
    let max = ((width_mm / PT_TO_MM) / (size * 0.52)).floor().max(10.0) as usize;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > max {
            let rest: String = line.chars().skip(max).collect();
            lines.push(line.chars().take(max).collect());
            line = rest;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl Doc {
    pub fn new(title: &str, header: &str) -> Doc {
        let (doc, page, layer) = PdfDocument::new(winansi(title), Mm(PAGE_W), Mm(PAGE_H), "page 1");
        let regular = doc
            .add_builtin_font(BuiltinFont::Helvetica)
            .expect("built-in font");
        let bold = doc
            .add_builtin_font(BuiltinFont::HelveticaBold)
            .expect("built-in font");
        let layer = doc.get_page(page).get_layer(layer);
        let mut d = Doc {
            doc,
            layer,
            regular,
            bold,
            y: PAGE_H - MARGIN,
            pages: 1,
            header: winansi(header),
        };
        d.page_furniture();
        d
    }

    fn page_furniture(&mut self) {
        self.layer.use_text(
            self.header.clone(),
            8.0,
            Mm(MARGIN),
            Mm(PAGE_H - 10.0),
            &self.regular,
        );
        self.layer.use_text(
            format!("{}", self.pages),
            8.0,
            Mm(PAGE_W - MARGIN),
            Mm(10.0),
            &self.regular,
        );
        self.y = PAGE_H - MARGIN - 2.0;
    }

    fn need(&mut self, mm: f32) {
        if self.y - mm < MARGIN {
            self.pages += 1;
            let (p, l) = self
                .doc
                .add_page(Mm(PAGE_W), Mm(PAGE_H), format!("page {}", self.pages));
            self.layer = self.doc.get_page(p).get_layer(l);
            self.page_furniture();
        }
    }

    fn lines(&mut self, text: &str, size: f32, bold: bool, indent: f32) {
        let text = winansi(text);
        let height = size * PT_TO_MM * 1.35;
        for line in wrap(&text, size, PAGE_W - 2.0 * MARGIN - indent) {
            self.need(height);
            self.y -= height;
            let font = if bold { &self.bold } else { &self.regular };
            self.layer
                .use_text(line, size, Mm(MARGIN + indent), Mm(self.y), font);
        }
    }

    pub fn title(&mut self, text: &str) {
        self.lines(text, 16.0, true, 0.0);
        self.y -= 2.0;
    }

    pub fn heading(&mut self, text: &str) {
        self.need(14.0);
        self.y -= 3.0;
        self.lines(text, 12.0, true, 0.0);
        self.y -= 1.0;
    }

    pub fn para(&mut self, text: &str) {
        self.lines(text, 10.0, false, 0.0);
        self.y -= 1.0;
    }

    pub fn field(&mut self, label: &str, value: &str) {
        self.lines(&format!("{label}: {value}"), 10.0, false, 0.0);
    }

    pub fn bullet(&mut self, text: &str) {
        self.lines(&format!("• {text}"), 10.0, false, 4.0);
    }

    pub fn quote(&mut self, text: &str) {
        self.lines(text, 9.0, false, 8.0);
        self.y -= 1.0;
    }

    pub fn signature(&mut self, label: &str) {
        self.need(22.0);
        self.y -= 14.0;
        self.lines(
            "_____________________________________    Date: ______________",
            10.0,
            false,
            0.0,
        );
        self.lines(label, 9.0, false, 0.0);
    }

    pub fn finish(self) -> Vec<u8> {
        self.doc.save_to_bytes().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_mapped_to_winansi_and_wrapped() {
        assert_eq!(
            winansi("Siti – “ok” → ≥ 18 ✓ 日本"),
            "Siti – “ok” -> >= 18 v ??"
        );
        let lines = wrap(&"kata ".repeat(100), 10.0, 170.0);
        assert!(lines.len() > 3);
        assert!(lines.iter().all(|l| l.chars().count() <= 95));
        assert_eq!(wrap("", 10.0, 170.0), Vec::<String>::new());
        assert_eq!(
            wrap(&"x".repeat(300), 10.0, 170.0).concat(),
            "x".repeat(300)
        );
    }

    #[test]
    fn pdf_holds_the_text() {
        let mut d = Doc::new("Test", "PNH-2026-000001");
        d.title("Catatan skrining");
        for i in 0..120 {
            d.para(&format!("Baris nomor {i} dengan teks yang cukup panjang untuk dibungkus ke baris berikutnya."));
        }
        let bytes = d.finish();
        assert!(bytes.starts_with(b"%PDF"));
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        assert!(pages.len() >= 2);
        let text = doc.extract_text(&pages).unwrap();
        assert!(text.contains("Catatan skrining"), "{text}");
        assert!(text.contains("Baris nomor 119"));
    }
}
