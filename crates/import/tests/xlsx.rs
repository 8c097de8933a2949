//! A police hand-over list as Excel writes it: a merged title row above the header, real date
//! cells, a phone number stored as a number, an empty row, a formula, and a second sheet with
//! no list on it.
use pulang_import::parse;

#[test]
fn police_list_xlsx() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/police_list.xlsx"
    ))
    .unwrap();
    let today = time::Date::from_calendar_date(2026, time::Month::January, 20).unwrap();
    let p = parse(&bytes, &[], today).unwrap();
    assert_eq!(p.mappings.len(), 1, "only the sheet with a list");
    assert_eq!(p.rows.len(), 4);
    assert_eq!(
        p.empty_rows, 0,
        "row 6 has a number in column A, so it is a row without a name"
    );
    let siti = &p.rows[0];
    assert_eq!(siti.at.sheet, "Serah terima");
    assert_eq!(siti.at.line, 4);
    assert_eq!(siti.person.full_name, "SITI RAHAYU");
    assert_eq!(siti.person.sex.as_deref(), Some("F"));
    assert_eq!(siti.person.birth_date.as_deref(), Some("1998-01-12"));
    assert_eq!(siti.person.phones, vec!["6281234567890"]);
    assert_eq!(siti.encounter.notes.as_deref(), Some("sakit"));
    let budi = &p.rows[1];
    assert_eq!(budi.person.birth_date.as_deref(), Some("1995-05-03"));
    // The row with only a number and the formula row are kept as rows: the registrar sees them
    // in the report (no name, or a formula where a date should be) instead of losing them.
    assert_eq!(p.rows[2].at.line, 6);
    assert_eq!(p.rows[2].person.full_name, "");
    assert_eq!(
        (p.rows[3].at.line, p.rows[3].person.full_name.as_str()),
        (7, "ANDI")
    );
    // A formula saved without its result never becomes a birth date: it is reported.
    assert!(p.rows[3].person.birth_date.is_none());
    let issue = &p.rows[3].issues[0];
    assert_eq!(
        (issue.column.as_str(), issue.code.as_str()),
        ("TANGGAL LAHIR", "formula_without_value")
    );
}
