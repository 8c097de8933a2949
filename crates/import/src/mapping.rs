//! Which column holds what: detected from the English and Indonesian headers lists really use,
//! and overridable per column.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    FullName,
    Aliases,
    Sex,
    BirthDate,
    Age,
    Nik,
    PassportNo,
    Phone,
    OriginProvince,
    OriginRegency,
    Nationality,
    Languages,
    ArrivedOn,
    Notes,
    /// A column deliberately not imported.
    Ignore,
}

impl Field {
    pub fn parse(s: &str) -> Option<Field> {
        serde_json::from_value(serde_json::Value::String(s.trim().to_string())).ok()
    }
}

/// Header spellings per field, compared after [`normalise_header`]. Order matters only where a
/// header could match two fields; the first wins.
const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::FullName,
        &[
            "nama",
            "nama lengkap",
            "nama wni",
            "nama pmi",
            "name",
            "full name",
            "fullname",
            "names",
            "nama sesuai paspor",
            "name of person",
        ],
    ),
    (
        Field::Aliases,
        &[
            "alias",
            "nama lain",
            "nama panggilan",
            "panggilan",
            "nickname",
            "other names",
            "aka",
        ],
    ),
    (
        Field::Sex,
        &[
            "jenis kelamin",
            "jk",
            "l p",
            "lp",
            "kelamin",
            "sex",
            "gender",
            "m f",
        ],
    ),
    (
        Field::BirthDate,
        &[
            "tanggal lahir",
            "tgl lahir",
            "tgl lhr",
            "tanggal lhr",
            "ttl",
            "dob",
            "date of birth",
            "birth date",
            "birthdate",
            "d o b",
        ],
    ),
    (
        Field::Age,
        &["umur", "usia", "age", "umur thn", "usia tahun"],
    ),
    (
        Field::Nik,
        &[
            "nik",
            "no nik",
            "nomor nik",
            "no ktp",
            "nomor ktp",
            "ktp",
            "national id",
            "id number",
        ],
    ),
    (
        Field::PassportNo,
        &[
            "no paspor",
            "nomor paspor",
            "paspor",
            "no passport",
            "passport",
            "passport no",
            "passport number",
            "passport nr",
            "no pasport",
        ],
    ),
    (
        Field::Phone,
        &[
            "no hp",
            "nomor hp",
            "hp",
            "no telp",
            "no telepon",
            "telepon",
            "telp",
            "phone",
            "phone number",
            "mobile",
            "no wa",
            "wa",
            "whatsapp",
            "contact",
        ],
    ),
    (
        Field::OriginProvince,
        &[
            "asal",
            "provinsi",
            "asal provinsi",
            "provinsi asal",
            "province",
            "province of origin",
            "origin",
            "daerah asal",
        ],
    ),
    (
        Field::OriginRegency,
        &[
            "kabupaten",
            "kota",
            "kab kota",
            "kabupaten kota",
            "regency",
            "city",
            "asal kabupaten",
            "kabupaten asal",
        ],
    ),
    (
        Field::Nationality,
        &[
            "kewarganegaraan",
            "warga negara",
            "nationality",
            "citizenship",
        ],
    ),
    (Field::Languages, &["bahasa", "language", "languages"]),
    (
        Field::ArrivedOn,
        &[
            "tanggal kedatangan",
            "tgl kedatangan",
            "tanggal tiba",
            "tgl tiba",
            "tanggal penyerahan",
            "arrival date",
            "date of arrival",
            "arrived",
            "handover date",
        ],
    ),
    (
        Field::Notes,
        &[
            "keterangan",
            "ket",
            "catatan",
            "notes",
            "note",
            "remarks",
            "remark",
        ],
    ),
];

/// Lower case, punctuation to spaces, collapsed: "No. Paspor" → "no paspor", "L/P" → "l p".
pub fn normalise_header(h: &str) -> String {
    let folded = pulang_domain::text::fold(h);
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The field of each column, in column order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Mapping {
    pub fields: Vec<Option<Field>>,
}

impl Mapping {
    pub fn has(&self, f: Field) -> bool {
        self.fields.contains(&Some(f))
    }

    /// Applies `(header, field)` overrides, matching headers case- and punctuation-insensitively.
    pub fn apply(&mut self, header: &[String], overrides: &[(String, Option<Field>)]) {
        for (h, f) in overrides {
            let want = normalise_header(h);
            for (i, col) in header.iter().enumerate() {
                if normalise_header(col) == want {
                    if let Some(slot) = self.fields.get_mut(i) {
                        *slot = *f;
                    }
                }
            }
        }
    }
}

/// Detects the field of each header. A field is given to its first matching column only, except
/// phones, other names, languages and notes, which may come from several columns.
pub fn detect(header: &[String]) -> Mapping {
    let mut fields = Vec::with_capacity(header.len());
    let mut taken: Vec<Field> = Vec::new();
    for h in header {
        let n = normalise_header(h);
        let found = SYNONYMS
            .iter()
            .find(|(_, names)| names.contains(&n.as_str()))
            .map(|(f, _)| *f);
        let f = match found {
            Some(f)
                if taken.contains(&f)
                    && !matches!(
                        f,
                        Field::Phone | Field::Aliases | Field::Languages | Field::Notes
                    ) =>
            {
                None
            }
            other => other,
        };
        if let Some(f) = f {
            taken.push(f);
        }
        fields.push(f);
    }
    Mapping { fields }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn common_headers_are_recognised() {
        let m = detect(&h(&[
            "No.",
            "Nama Lengkap",
            "L/P",
            "Tgl. Lahir",
            "No. Paspor",
            "NIK",
            "No HP",
            "Asal",
            "Keterangan",
        ]));
        assert_eq!(
            m.fields,
            vec![
                None,
                Some(Field::FullName),
                Some(Field::Sex),
                Some(Field::BirthDate),
                Some(Field::PassportNo),
                Some(Field::Nik),
                Some(Field::Phone),
                Some(Field::OriginProvince),
                Some(Field::Notes)
            ]
        );
        let m = detect(&h(&["NAME", "DOB", "Passport", "Gender", "Phone", "Phone"]));
        assert_eq!(m.fields[0], Some(Field::FullName));
        assert_eq!(m.fields[1], Some(Field::BirthDate));
        assert_eq!(
            m.fields[5],
            Some(Field::Phone),
            "several phone columns are all kept"
        );
    }

    #[test]
    fn a_second_name_column_is_not_taken_as_the_name() {
        let m = detect(&h(&["Nama", "Name"]));
        assert_eq!(m.fields, vec![Some(Field::FullName), None]);
    }

    #[test]
    fn fields_parse_from_their_names() {
        assert_eq!(Field::parse("birth_date"), Some(Field::BirthDate));
        assert_eq!(Field::parse("ignore"), Some(Field::Ignore));
        assert_eq!(Field::parse("nope"), None);
    }
}
