//! Normalisation of what people write into comparable keys.
//!
//! Names follow `domain-data.md` §6 (unverified general knowledge): every rule produces
//! **alternative keys** and never rewrites the stored name. Titles and honorifics go to a side
//! field; Muhammad's many spellings become one token; old spellings (oe/u, dj/j, tj/c, j/y, nj/ny,
//! sj/sy, ch/kh) give an alternative key computed by simultaneous rewriting, so "Djaja" meets
//! "Jaya" without "Jaya" turning into "Yaya"; Balinese birth-order names and I/Ni, "bin/binti"
//! with the father's name, "br./boru" and FNU/LNU placeholders are set aside as weak tokens.

use pulang_domain::nik::Nik;
use pulang_domain::text::fold;
use pulang_domain::{phone, provinces};

/// One input record as read from a file: every field as written, empty when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRecord {
    pub id: String,
    pub source: String,
    pub full_name: String,
    pub sex: String,
    pub birth_date: String,
    pub age: String,
    pub phone: String,
    pub passport_no: String,
    pub nik: String,
    pub origin_province: String,
    pub address: String,
}

impl RawRecord {
    /// The columns of the `pulang dedupe` CSV contract, in the order of [`RawRecord::fields`]
    /// (`record_id` is `id`).
    pub const COLUMNS: [&'static str; 11] = [
        "record_id",
        "source",
        "full_name",
        "sex",
        "birth_date",
        "age",
        "phone",
        "passport_no",
        "nik",
        "origin_province",
        "address",
    ];

    /// The fields, in the order of [`RawRecord::COLUMNS`].
    pub fn fields(&self) -> [&str; 11] {
        [
            &self.id,
            &self.source,
            &self.full_name,
            &self.sex,
            &self.birth_date,
            &self.age,
            &self.phone,
            &self.passport_no,
            &self.nik,
            &self.origin_province,
            &self.address,
        ]
    }
}

/// 64-bit FNV-1a: a fast, stable hash for keys (collisions are negligible at this size).
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Mixes a tag and values into one key.
pub fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_add(a << 6);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One name token with its keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The folded token, y/i ending unified (`hendry` → `hendri`).
    pub text: String,
    /// Hash of `text`.
    pub canon: u64,
    /// Hash of the token read as old spelling and rewritten to the modern one (`djaja` → `jaya`).
    pub alt: u64,
    /// Hash of a coarse phonetic code.
    pub phon: u64,
    /// `log2` of the share of records holding this token (set by the engine; 0 until then).
    pub tf: f32,
}

impl Token {
    pub fn new(text: &str) -> Token {
        let text = y_ending(text);
        let modern = old_to_modern(&text);
        let phon = phonetic(&text);
        Token {
            canon: hash(text.as_bytes()),
            alt: hash(modern.as_bytes()),
            phon: hash(phon.as_bytes()),
            tf: 0.0,
            text,
        }
    }

    /// Same token up to spelling reform (and y/i endings).
    pub fn same(&self, o: &Token) -> bool {
        self.canon == o.canon || self.alt == o.canon || self.canon == o.alt
    }

    pub fn is_initial(&self) -> bool {
        self.text.chars().nth(1).is_none()
    }

    pub fn first_char(&self) -> Option<char> {
        self.text.chars().next()
    }
}

/// A normalised personal name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Name {
    /// The identifying tokens, in written order, without repeats.
    pub tokens: Vec<Token>,
    /// Tokens that carry little identity: Balinese birth-order names and I/Ni, caste titles,
    /// the father's name after bin/binti.
    pub weak: Vec<String>,
    /// Titles, honorifics and academic degrees stripped from the name.
    pub titles: Vec<String>,
    /// `log2` of the share of records with this exact token set (set by the engine).
    pub tf: f32,
}

impl Name {
    /// The order-free key of the whole name (modern spelling).
    pub fn key(&self) -> u64 {
        let mut k: Vec<u64> = self.tokens.iter().map(|t| t.alt).collect();
        k.sort_unstable();
        k.iter().fold(0x1234_5678, |acc, &x| mix(acc, x))
    }
}

const DEGREES: &[&str] = &[
    "skom", "se", "spd", "sh", "st", "ssos", "sag", "sip", "ssi", "sked", "spdi", "shi", "sfarm",
    "skm", "sthi", "ir", "dr", "drs", "dra", "mm", "msi", "mpd", "mkom", "mt", "mh", "amd", "amk",
    "phd", "mba", "ak", "sp", "ag", "sei", "sikom", "ssn",
];
const HONORIFICS: &[&str] = &[
    "bapak", "bpk", "pak", "ibu", "bu", "sdr", "sdri", "saudara", "saudari", "nyonya", "ny",
    "tuan", "tn", "nona", "nn", "haji", "hajjah", "hajah", "raden", "prof", "ustadz", "ustad",
    "kyai", "kh", "mr", "mrs", "ms", "miss", "mister", "hj", "drs", "dra", "dr", "ir",
];
/// Single letters that are titles only at the start of a longer name (`H.` haji, `R.` Raden).
const LEADING_TITLE_LETTERS: &[&str] = &["h", "r", "rr"];
const MUHAMMAD: &[&str] = &[
    "muhammad",
    "muhamad",
    "mohammad",
    "mohamad",
    "mochammad",
    "mochamad",
    "mohamed",
    "muhammed",
    "mohammed",
    "muchammad",
    "muchamad",
    "mokhammad",
    "mukhammad",
    "moh",
    "moch",
    "muh",
    "mhd",
    "mhmd",
    "mochd",
    "mohd",
    "muhd",
    "mmd",
];
const BALI_ORDER: &[&str] = &[
    "wayan", "putu", "gede", "luh", "made", "kadek", "nengah", "nyoman", "komang", "ketut",
];
const BALI_CASTE: &[&str] = &["ida", "anak", "agung", "cokorda", "gusti", "dewa", "desak"];
const PLACEHOLDERS: &[&str] = &["fnu", "lnu", "unk", "unknown", "xxx", "nil", "na"];

/// The name's tokens with Muhammad variants unified and simple abbreviations expanded.
fn expand(tok: &str, first: bool, more: bool) -> &str {
    if MUHAMMAD.contains(&tok) || (tok == "m" && first && more) {
        return "muhammad";
    }
    match tok {
        "abd" => "abdul",
        "st" if first && more => "siti",
        "nur" | "nurul" => "nur",
        _ => tok,
    }
}

/// Normalises a full name.
pub fn name(raw: &str) -> Name {
    let mut out = Name::default();
    // Academic degrees are written with dots ("S.Kom.", "S.E.") and usually after a comma.
    let mut folded_parts: Vec<String> = Vec::new();
    for (i, part) in raw
        .split([',', ' ', '\t'])
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if i > 0 && part.contains('.') {
            let dotless = fold(&part.replace('.', ""));
            if DEGREES.contains(&dotless.as_str()) {
                out.titles.push(dotless);
                continue;
            }
        }
        let f = fold(part);
        for t in f.split(' ') {
            if !t.is_empty() {
                folded_parts.push(t.to_string());
            }
        }
    }
    // Leading honorifics and title letters.
    let mut start = 0;
    while start + 1 < folded_parts.len() {
        let t = folded_parts[start].as_str();
        if HONORIFICS.contains(&t) || LEADING_TITLE_LETTERS.contains(&t) {
            out.titles.push(t.to_string());
            start += 1;
        } else {
            break;
        }
    }
    let toks = &folded_parts[start..];
    let mut core: Vec<String> = Vec::with_capacity(toks.len());
    let mut weak: Vec<String> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        if t == "bin" || t == "binti" || t == "bt" || t == "bte" {
            // The father's name follows; some documents omit it.
            weak.extend(toks[i + 1..].iter().cloned());
            break;
        }
        if t == "br" || t == "boru" || PLACEHOLDERS.contains(&t) {
            i += 1;
            continue;
        }
        if DEGREES.contains(&t) && i > 0 && i + 1 == toks.len() && t.len() > 2 {
            out.titles.push(t.to_string());
            i += 1;
            continue;
        }
        if t == "i" || t == "ni" || BALI_ORDER.contains(&t) || BALI_CASTE.contains(&t) {
            weak.push(t.to_string());
            i += 1;
            continue;
        }
        let e = expand(t, core.is_empty(), i + 1 < toks.len());
        if !core.iter().any(|c| c == e) {
            core.push(e.to_string());
        }
        i += 1;
    }
    if core.is_empty() {
        // A name made only of weak tokens ("Made", "Ketut") is all the name there is.
        for w in weak.drain(..) {
            if w != "i" && w != "ni" && !core.contains(&w) {
                core.push(w);
            }
        }
    }
    out.tokens = core.iter().map(|t| Token::new(t)).collect();
    out.weak = weak;
    out
}

/// `y` at the end of a name is often written `i` (Hendry/Hendri, Rudy/Rudi).
fn y_ending(t: &str) -> String {
    if t.len() > 2 && t.ends_with('y') {
        let mut s = t[..t.len() - 1].to_string();
        s.push('i');
        s
    } else {
        t.to_string()
    }
}

/// Reads a token as pre-1972 spelling and rewrites it to the modern one, simultaneously and left to
/// right (`oe`→`u`, `dj`→`j`, `tj`→`c`, `nj`→`ny`, `sj`→`sy`, `ch`→`kh`, `j`→`y`), so that old `dj`
/// becomes `j` and is not rewritten again to `y`.
pub fn old_to_modern(t: &str) -> String {
    let b = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    while i < b.len() {
        let two = if i + 1 < b.len() {
            Some((b[i], b[i + 1]))
        } else {
            None
        };
        let rep: Option<&str> = match two {
            Some((b'o', b'e')) => Some("u"),
            Some((b'd', b'j')) => Some("j"),
            Some((b't', b'j')) => Some("c"),
            Some((b'n', b'j')) => Some("ny"),
            Some((b's', b'j')) => Some("sy"),
            Some((b'c', b'h')) => Some("kh"),
            _ => None,
        };
        if let Some(r) = rep {
            out.push_str(r);
            i += 2;
            continue;
        }
        if b[i] == b'j' {
            out.push('y');
            i += 1;
            continue;
        }
        // Multi-byte characters are copied whole.
        let ch_len = t[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&t[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// A coarse phonetic code for (modern-spelling) Indonesian names: the first sound and the
/// consonant skeleton, with `kh`/`ch` read as `h` inside a word and `k` at its start, `h` dropped,
/// `v`/`f`/`p`, `z`/`s`, `q`/`k`, `c`/`k` merged, final `d`→`t` and `b`→`p`, doubles collapsed.
pub fn phonetic(t: &str) -> String {
    // The unambiguous spelling reforms first (`j` stays `j`: old `j` is new `y`, but a modern `j`
    // is also common, and `y` is dropped as a vowel below anyway).
    let t = t
        .replace("oe", "u")
        .replace("dj", "j")
        .replace("tj", "c")
        .replace("sj", "sy")
        .replace("nj", "ny");
    let b: Vec<u8> = t.bytes().filter(u8::is_ascii_alphanumeric).collect();
    if b.is_empty() {
        return t;
    }
    let mut s: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let mapped = match (c, next) {
            (b'k' | b'c', Some(b'h')) => {
                i += 1;
                if s.is_empty() {
                    b'k'
                } else {
                    b'h'
                }
            }
            (b'p', Some(b'h')) => {
                i += 1;
                b'f'
            }
            (b't' | b'd' | b's', Some(b'h')) if i > 0 => {
                i += 1;
                c
            }
            (b'v' | b'p', _) => b'f',
            (b'z' | b'x', _) => b's',
            (b'q' | b'c', _) => b'k',
            (b'y', _) => b'i',
            (b'w', _) => b'u',
            (b'o', _) => b'u',
            (b'e', _) => b'a',
            _ => c,
        };
        s.push(mapped);
        i += 1;
    }
    let first = match s[0] {
        b'a' | b'i' | b'u' => b'a',
        c => c,
    };
    let mut out = vec![first];
    for &c in &s[1..] {
        if matches!(c, b'a' | b'i' | b'u' | b'h') {
            continue;
        }
        if out.len() > 1 && *out.last().unwrap_or(&0) == c {
            continue;
        }
        out.push(c);
    }
    if out.len() > 1 {
        let last = out.len() - 1;
        out[last] = match out[last] {
            b'd' => b't',
            b'b' => b'f',
            c => c,
        };
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A birth date as known: a range of possible years and, when known, month and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthInfo {
    pub year_lo: i16,
    pub year_hi: i16,
    /// 0 when unknown.
    pub month: u8,
    /// 0 when unknown.
    pub day: u8,
    /// True when the year came from an age (so it is approximate).
    pub from_age: bool,
}

impl BirthInfo {
    pub fn year(y: i32) -> BirthInfo {
        BirthInfo {
            year_lo: y as i16,
            year_hi: y as i16,
            month: 0,
            day: 0,
            from_age: false,
        }
    }
    pub fn full(y: i32, m: u8, d: u8) -> BirthInfo {
        BirthInfo {
            month: m,
            day: d,
            ..BirthInfo::year(y)
        }
    }
    pub fn has_full(&self) -> bool {
        self.month != 0 && self.day != 0 && self.year_lo == self.year_hi
    }
}

fn plausible_year(y: i32) -> Option<i32> {
    let y = if y > 2400 { y - 543 } else { y }; // Thai Buddhist-era years
    (1000..=2100).contains(&y).then_some(y)
}

fn two_digit_year(y: i32, ref_year: i32) -> i32 {
    let c = ref_year - ref_year.rem_euclid(100);
    if c + y > ref_year {
        c - 100 + y
    } else {
        c + y
    }
}

/// Parses a birth date as written: `YYYY-MM-DD`, `YYYY/MM/DD`, `DD/MM/YYYY` (day first, the
/// Indonesian order; a first number above 12 or second above 12 decides), `DD-MM-YY`, `YYYY-MM`,
/// `YYYY`, Buddhist-era years. Month/day swaps are handled by the comparison.
pub fn birth_date(s: &str, ref_year: i32) -> Option<BirthInfo> {
    let nums: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let n = |p: &str| p.parse::<i32>().ok();
    let valid = |y: i32, m: i32, d: i32| -> Option<BirthInfo> {
        let y = plausible_year(y)?;
        ((1..=12).contains(&m) && (1..=31).contains(&d))
            .then(|| BirthInfo::full(y, m as u8, d as u8))
    };
    match nums.as_slice() {
        [y] if y.len() == 4 => plausible_year(n(y)?).map(BirthInfo::year),
        [y] if y.len() == 8 => {
            // YYYYMMDD or DDMMYYYY
            let v = n(y)?;
            valid(v / 10000, v / 100 % 100, v % 100)
                .or_else(|| valid(v % 10000, v / 10000 % 100, v / 1_000_000))
        }
        [a, b] if a.len() == 4 => {
            let y = plausible_year(n(a)?)?;
            let m = n(b)?;
            (1..=12).contains(&m).then(|| BirthInfo {
                month: m as u8,
                ..BirthInfo::year(y)
            })
        }
        [a, b, c] if a.len() == 4 => valid(n(a)?, n(b)?, n(c)?),
        [a, b, c] if c.len() == 4 || c.len() == 2 => {
            let (a, b) = (n(a)?, n(b)?);
            let y = n(c)?;
            let y = if c.len() == 2 {
                two_digit_year(y, ref_year)
            } else {
                y
            };
            if b > 12 && a <= 12 {
                valid(y, a, b)
            } else {
                valid(y, b, a)
            }
        }
        _ => None,
    }
}

/// A normalised record, ready for comparison.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub name: Name,
    pub birth: Option<BirthInfo>,
    /// `1` male, `2` female, `0` unknown.
    pub sex: u8,
    /// E.164 digits as numbers.
    pub phones: Vec<u64>,
    /// 16 digits (parsed, or a 16-digit string that failed the structural checks).
    pub nik: Option<[u8; 16]>,
    pub passport: Option<String>,
    /// Passport with OCR confusions folded (O→0, I/L→1).
    pub passport_ocr: u64,
    /// Province: Kemendagri code when recognised, else a hash of the folded text.
    pub province: u64,
    pub address: String,
}

/// Splits a phone field into numbers (`;`, `,` and `|` separate them) and normalises each to E.164.
pub fn phones(s: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for part in s.split([';', ',', '|']) {
        if part.trim().is_empty() {
            continue;
        }
        if let Ok(e) = phone::normalize(part) {
            if let Ok(v) = e.trim_start_matches('+').parse::<u64>() {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        } else {
            // Not valid by libphonenumber: keep a long enough digit string as it is.
            let d: String = part.chars().filter(char::is_ascii_digit).collect();
            if d.len() >= 8 {
                if let Ok(v) = d[d.len() - 12.min(d.len())..].parse::<u64>() {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// The passport number as a key with OCR confusions folded.
pub fn passport_ocr_key(p: &str) -> u64 {
    let folded: Vec<u8> = p
        .bytes()
        .map(|b| match b {
            b'O' | b'Q' | b'D' => b'0',
            b'I' | b'L' => b'1',
            b => b,
        })
        .collect();
    hash(&folded)
}

fn sex(s: &str) -> u8 {
    match fold(s).as_str() {
        "m" | "male" | "l" | "laki laki" | "lakilaki" | "pria" | "1" => 1,
        "f" | "female" | "p" | "perempuan" | "wanita" | "w" | "2" => 2,
        _ => 0,
    }
}

/// Normalises one record. `ref_year` turns ages into birth years.
pub fn prepare(r: &RawRecord, ref_year: i32) -> Prepared {
    prepare_with(r, ref_year, &phones, &province_key)
}

/// The province key of what was written: the Kemendagri code when recognised, else the folded
/// text; 0 when empty.
pub fn province_key(s: &str) -> u64 {
    if s.trim().is_empty() {
        0
    } else {
        match provinces::lookup(s) {
            Some(p) => hash(p.code.as_bytes()),
            None => hash(fold(s).as_bytes()),
        }
    }
}

/// The string a phone field normalises the same as: `+` and digits when the field holds nothing
/// but digits, separators and a leading `+`; `None` otherwise (annotations, several numbers).
pub fn phone_cache_key(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' => out.push(c),
            '+' if out.is_empty() => out.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    Some(out)
}

/// [`prepare`] with the phone and province normalisers supplied (for caching).
pub fn prepare_with(
    r: &RawRecord,
    ref_year: i32,
    phones: &dyn Fn(&str) -> Vec<u64>,
    province_key: &dyn Fn(&str) -> u64,
) -> Prepared {
    let name = name(&r.full_name);
    let mut birth = birth_date(&r.birth_date, ref_year);
    let age = r
        .age
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|a| (0..=120).contains(a));
    if birth.is_none() {
        if let Some(a) = age {
            birth = Some(BirthInfo {
                year_lo: (ref_year - a - 1) as i16,
                year_hi: (ref_year - a) as i16,
                month: 0,
                day: 0,
                from_age: true,
            });
        }
    }
    let mut sex = sex(&r.sex);
    let nik_digits: String = r.nik.chars().filter(char::is_ascii_digit).collect();
    let mut province = province_key(&r.origin_province);
    let mut nik = None;
    if nik_digits.len() == 16 {
        let mut a = [0u8; 16];
        a.copy_from_slice(nik_digits.as_bytes());
        nik = Some(a);
        if let Ok(n) = Nik::parse(&nik_digits) {
            let nsex = match n.sex() {
                pulang_domain::Sex::M => 1,
                pulang_domain::Sex::F => 2,
            };
            if sex == 0 {
                sex = nsex;
            }
            if province == 0 {
                province = hash(n.province_code().as_bytes());
            }
            let yy = i32::from(n.birth_yy());
            let y = match birth {
                Some(b) if b.year_lo % 100 == yy as i16 => i32::from(b.year_lo),
                Some(b) if b.year_hi % 100 == yy as i16 => i32::from(b.year_hi),
                _ => two_digit_year(yy, ref_year),
            };
            let from_nik = BirthInfo::full(y, n.birth_month(), n.birth_day());
            birth = match birth {
                None => Some(from_nik),
                Some(b) if !b.has_full() && b.year_lo <= y as i16 && y as i16 <= b.year_hi => {
                    Some(from_nik)
                }
                Some(b) => Some(b),
            };
        }
    }
    let passport: String = r
        .passport_no
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let passport = (passport.len() >= 4).then_some(passport);
    Prepared {
        name,
        birth,
        sex,
        phones: phones(&r.phone),
        nik,
        passport_ocr: passport.as_deref().map_or(0, passport_ocr_key),
        passport,
        province,
        address: fold(&r.address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn toks(s: &str) -> Vec<String> {
        name(s).tokens.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn titles_go_to_a_side_field() {
        let n = name("Bapak H. Ahmad Fauzi, S.Kom.");
        assert_eq!(toks("Bapak H. Ahmad Fauzi, S.Kom."), ["ahmad", "fauzi"]);
        assert!(n.titles.contains(&"skom".to_string()));
        assert!(n.titles.contains(&"bapak".to_string()));
        assert_eq!(toks("Hj. Siti Aminah S.E."), ["siti", "aminah"]);
        assert_eq!(toks("Ir. Budi Santoso"), ["budi", "santoso"]);
        // A lone "H" is a name, not a title.
        assert_eq!(toks("H"), ["h"]);
    }

    #[test]
    fn muhammad_variants() {
        for s in [
            "Muhammad Rizki",
            "Muhamad Rizki",
            "Mochammad Rizki",
            "Moh. Rizki",
            "M. Rizki",
            "MUH RIZKI",
            "Mohammed Rizky",
        ] {
            assert_eq!(toks(s), ["muhammad", "rizki"], "{s}");
        }
        assert_eq!(toks("Abd. Rahman"), ["abdul", "rahman"]);
        assert_eq!(toks("St. Aminah"), ["siti", "aminah"]);
    }

    #[test]
    fn old_spellings_are_alternative_keys_in_safe_order() {
        assert_eq!(old_to_modern("djaja"), "jaya");
        assert_eq!(old_to_modern("soekarno"), "sukarno");
        assert_eq!(old_to_modern("tjahjadi"), "cahyadi");
        assert_eq!(old_to_modern("sjamsul"), "syamsul");
        assert_eq!(old_to_modern("njoman"), "nyoman");
        assert_eq!(old_to_modern("chairul"), "khairul");
        let (a, b) = (Token::new("djaja"), Token::new("jaya"));
        assert!(a.same(&b) && b.same(&a));
        assert!(Token::new("soeharto").same(&Token::new("suharto")));
        // "Jaya" is not rewritten destructively: it still differs from "Yaya" in its own key.
        assert_ne!(Token::new("jaya").canon, Token::new("yaya").canon);
    }

    #[test]
    fn y_i_endings() {
        assert!(Token::new("hendry").same(&Token::new("hendri")));
        assert!(Token::new("rudy").same(&Token::new("rudi")));
    }

    #[test]
    fn balinese_batak_patronyms_mononyms() {
        let n = name("I Wayan Sudarsana");
        assert_eq!(toks("I Wayan Sudarsana"), ["sudarsana"]);
        assert_eq!(n.weak, ["i", "wayan"]);
        assert_eq!(toks("Ni Luh Putu Ayu"), ["ayu"]);
        assert_eq!(toks("Made"), ["made"]);
        assert_eq!(toks("Rosmawati br. Sitompul"), ["rosmawati", "sitompul"]);
        assert_eq!(toks("Ahmad bin Yusuf"), ["ahmad"]);
        assert_eq!(name("Ahmad bin Yusuf").weak, ["yusuf"]);
        assert_eq!(toks("Sutrisno Sutrisno"), ["sutrisno"]);
        assert_eq!(toks("FNU Sutrisno"), ["sutrisno"]);
    }

    #[test]
    fn phonetic_codes_merge_spelling_variants() {
        let p = |s: &str| phonetic(&y_ending(s));
        assert_eq!(p("rachmat"), p("rahmat"));
        assert_eq!(p("achmad"), p("ahmad"));
        assert_eq!(p("ahmat"), p("ahmad"));
        assert_eq!(p("chairul"), p("khairul"));
        assert_eq!(p("fajar"), p("fadjar"));
        assert_eq!(p("yusuf"), p("yusup"));
        assert_ne!(p("budi"), p("wati"));
    }

    #[test]
    fn dates() {
        let b = |s| birth_date(s, 2026);
        assert_eq!(b("1990-05-12"), Some(BirthInfo::full(1990, 5, 12)));
        assert_eq!(b("12/05/1990"), Some(BirthInfo::full(1990, 5, 12)));
        assert_eq!(b("05/25/1990"), Some(BirthInfo::full(1990, 5, 25)));
        assert_eq!(b("1990"), Some(BirthInfo::year(1990)));
        assert_eq!(b("2533"), Some(BirthInfo::year(1990)));
        assert_eq!(b("12-05-90"), Some(BirthInfo::full(1990, 5, 12)));
        assert_eq!(b("12-05-05"), Some(BirthInfo::full(2005, 5, 12)));
        assert_eq!(b("19900512"), Some(BirthInfo::full(1990, 5, 12)));
        assert_eq!(b("1990-13-40"), None);
        assert_eq!(b(""), None);
        assert_eq!(b("unknown"), None);
    }

    #[test]
    fn nik_fills_birth_sex_and_province() {
        let r = RawRecord {
            nik: "3201 0145 0590 0001".into(),
            age: "35".into(),
            ..Default::default()
        };
        let p = prepare(&r, 2026);
        assert_eq!(p.sex, 2);
        assert_eq!(p.birth, Some(BirthInfo::full(1990, 5, 5)));
        assert_eq!(p.province, hash(b"32"));
        let q = prepare(
            &RawRecord {
                origin_province: "Jabar".into(),
                ..Default::default()
            },
            2026,
        );
        assert_eq!(q.province, p.province);
    }

    #[test]
    fn phones_and_passports() {
        let r = RawRecord {
            phone: "0812-3456-7890; +855 12 345 678".into(),
            passport_no: "x 123 45O7".into(),
            ..Default::default()
        };
        let p = prepare(&r, 2026);
        assert_eq!(p.phones, vec![6281234567890, 85512345678]);
        assert_eq!(p.passport.as_deref(), Some("X12345O7"));
        assert_eq!(p.passport_ocr, passport_ocr_key("X1234507"));
        assert_eq!(passport_ocr_key("XI234567"), passport_ocr_key("X1234567"));
    }

    proptest! {
        #[test]
        fn normalisation_never_panics(s in any::<String>(), y in 1900i32..2100) {
            let _ = name(&s);
            let _ = birth_date(&s, y);
            let _ = phonetic(&s);
            let _ = old_to_modern(&s);
            let r = RawRecord { full_name: s.clone(), birth_date: s.clone(), age: s.clone(), phone: s.clone(),
                passport_no: s.clone(), nik: s.clone(), origin_province: s.clone(), address: s.clone(), sex: s.clone(), ..Default::default() };
            let _ = prepare(&r, y);
        }
    }
}
