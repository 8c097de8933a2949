//! Seeded synthetic survivors for demos, training and benchmarks.
//!
//! Everything here is invented: names are drawn from lists of common Indonesian names and every
//! identifier is made up (NIKs are shaped correctly but random). Deterministic for a seed, with
//! the crate's small PRNG ([`SplitMix64`]) so that no `rand` dependency is needed.
//!
//! Every generated form validates with no errors and no warnings: the NIK agrees with the sex,
//! birth date and origin province given, phones are valid, and so on.

use std::collections::HashSet;

use time::{Date, Duration};

use pulang_domain::{BirthDate, EncounterForm, PersonForm};

use crate::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Javanese,
    Sundanese,
    Madurese,
    Batak,
    Balinese,
    Bugis,
    Sasak,
    Ntt,
    Minahasa,
    Malay,
    Aceh,
    ChineseIndonesian,
    Dayak,
}

/// Where people come from: a province, how people write it, some of its regencies and cities,
/// and the naming styles found there.
struct Origin {
    code: &'static str,
    weight: u32,
    written: &'static [&'static str],
    regencies: &'static [&'static str],
    styles: &'static [(Style, u32)],
}

use Style::*;

static ORIGINS: &[Origin] = &[
    Origin {
        code: "32",
        weight: 20,
        written: &[
            "Jawa Barat",
            "JAWA BARAT",
            "Jabar",
            "West Java",
            "Prov. Jawa Barat",
        ],
        regencies: &[
            "Indramayu",
            "Cirebon",
            "Karawang",
            "Sukabumi",
            "Cianjur",
            "Garut",
            "Subang",
            "Kab. Bandung",
            "Kota Bekasi",
            "Kab. Bogor",
        ],
        styles: &[(Sundanese, 85), (Javanese, 15)],
    },
    Origin {
        code: "35",
        weight: 15,
        written: &["Jawa Timur", "JAWA TIMUR", "Jatim", "East Java"],
        regencies: &[
            "Kab. Malang",
            "Banyuwangi",
            "Jember",
            "Blitar",
            "Tulungagung",
            "Ponorogo",
            "Sampang",
            "Kota Surabaya",
        ],
        styles: &[(Javanese, 80), (Madurese, 20)],
    },
    Origin {
        code: "33",
        weight: 13,
        written: &["Jawa Tengah", "JAWA TENGAH", "Jateng", "Central Java"],
        regencies: &[
            "Cilacap",
            "Banyumas",
            "Brebes",
            "Kendal",
            "Kebumen",
            "Grobogan",
            "Kota Semarang",
        ],
        styles: &[(Javanese, 100)],
    },
    Origin {
        code: "12",
        weight: 10,
        written: &["Sumatera Utara", "Sumut", "North Sumatra", "Sumatra Utara"],
        regencies: &[
            "Kota Medan",
            "Deli Serdang",
            "Simalungun",
            "Toba",
            "Tapanuli Utara",
            "Kota Pematangsiantar",
        ],
        styles: &[(Batak, 70), (Malay, 20), (Javanese, 10)],
    },
    Origin {
        code: "52",
        weight: 8,
        written: &["Nusa Tenggara Barat", "NTB"],
        regencies: &[
            "Lombok Timur",
            "Lombok Tengah",
            "Lombok Barat",
            "Sumbawa",
            "Bima",
        ],
        styles: &[(Sasak, 100)],
    },
    Origin {
        code: "53",
        weight: 7,
        written: &["Nusa Tenggara Timur", "NTT"],
        regencies: &[
            "Kota Kupang",
            "Timor Tengah Selatan",
            "Belu",
            "Sikka",
            "Manggarai",
            "Sumba Barat Daya",
        ],
        styles: &[(Ntt, 100)],
    },
    Origin {
        code: "61",
        weight: 6,
        written: &["Kalimantan Barat", "Kalbar", "West Kalimantan"],
        regencies: &[
            "Kota Pontianak",
            "Sambas",
            "Kota Singkawang",
            "Sanggau",
            "Kubu Raya",
        ],
        styles: &[(Malay, 55), (ChineseIndonesian, 25), (Dayak, 20)],
    },
    Origin {
        code: "73",
        weight: 6,
        written: &["Sulawesi Selatan", "Sulsel", "South Sulawesi"],
        regencies: &[
            "Kota Makassar",
            "Bone",
            "Gowa",
            "Wajo",
            "Sidenreng Rappang",
            "Pinrang",
        ],
        styles: &[(Bugis, 100)],
    },
    Origin {
        code: "31",
        weight: 4,
        written: &["DKI Jakarta", "Jakarta"],
        regencies: &[
            "Jakarta Timur",
            "Jakarta Utara",
            "Jakarta Barat",
            "Jakarta Selatan",
        ],
        styles: &[
            (Javanese, 45),
            (Sundanese, 20),
            (Malay, 15),
            (Batak, 10),
            (ChineseIndonesian, 10),
        ],
    },
    Origin {
        code: "36",
        weight: 3,
        written: &["Banten", "BANTEN"],
        regencies: &["Kab. Tangerang", "Serang", "Pandeglang", "Lebak"],
        styles: &[(Sundanese, 80), (Javanese, 20)],
    },
    Origin {
        code: "18",
        weight: 3,
        written: &["Lampung"],
        regencies: &["Lampung Selatan", "Lampung Tengah", "Kota Bandar Lampung"],
        styles: &[(Javanese, 70), (Malay, 30)],
    },
    Origin {
        code: "21",
        weight: 2,
        written: &["Kepulauan Riau", "Kepri"],
        regencies: &["Kota Batam", "Karimun", "Kota Tanjungpinang"],
        styles: &[(Malay, 60), (Batak, 20), (Javanese, 20)],
    },
    Origin {
        code: "51",
        weight: 2,
        written: &["Bali"],
        regencies: &["Buleleng", "Karangasem", "Kota Denpasar", "Tabanan"],
        styles: &[(Balinese, 100)],
    },
    Origin {
        code: "13",
        weight: 2,
        written: &["Sumatera Barat", "Sumbar"],
        regencies: &["Kota Padang", "Agam", "Pesisir Selatan"],
        styles: &[(Malay, 100)],
    },
    Origin {
        code: "16",
        weight: 1,
        written: &["Sumatera Selatan", "Sumsel"],
        regencies: &["Kota Palembang", "Ogan Komering Ilir"],
        styles: &[(Malay, 70), (Javanese, 30)],
    },
    Origin {
        code: "11",
        weight: 1,
        written: &["Aceh"],
        regencies: &["Kota Banda Aceh", "Aceh Utara", "Bireuen"],
        styles: &[(Aceh, 100)],
    },
    Origin {
        code: "34",
        weight: 1,
        written: &["DI Yogyakarta", "Yogyakarta", "DIY"],
        regencies: &["Sleman", "Bantul", "Gunungkidul"],
        styles: &[(Javanese, 100)],
    },
    Origin {
        code: "64",
        weight: 1,
        written: &["Kalimantan Timur", "Kaltim"],
        regencies: &["Kota Samarinda", "Kota Balikpapan", "Kutai Kartanegara"],
        styles: &[(Javanese, 40), (Bugis, 30), (Malay, 30)],
    },
    Origin {
        code: "71",
        weight: 1,
        written: &["Sulawesi Utara", "Sulut"],
        regencies: &["Kota Manado", "Minahasa", "Kota Bitung"],
        styles: &[(Minahasa, 100)],
    },
];

// Name lists: common names only, combined at random; no real person is meant.
const JAVA_M: &[&str] = &[
    "Agus", "Budi", "Eko", "Joko", "Bambang", "Slamet", "Wahyu", "Dwi", "Tri", "Heru", "Bayu",
    "Rudi", "Yudi", "Adi", "Ari", "Dimas", "Fajar", "Teguh",
];
const JAVA_M2: &[&str] = &[
    "Santoso",
    "Setiawan",
    "Prasetyo",
    "Wibowo",
    "Susanto",
    "Purnomo",
    "Nugroho",
    "Saputra",
    "Kurniawan",
    "Hidayat",
    "Pratama",
    "Firmansyah",
    "Hartono",
    "Riyanto",
];
const JAVA_M_MONO: &[&str] = &[
    "Sutrisno",
    "Suparman",
    "Sugiyanto",
    "Supriyadi",
    "Mulyono",
    "Suyanto",
    "Darmaji",
    "Sukirman",
    "Waluyo",
    "Sumarno",
];
const JAVA_F: &[&str] = &[
    "Sri", "Dwi", "Tri", "Endang", "Rina", "Yuni", "Ani", "Sari", "Wulan", "Ayu", "Fitri", "Indah",
    "Putri", "Eka",
];
const JAVA_F2: &[&str] = &[
    "Wahyuni",
    "Lestari",
    "Rahayu",
    "Handayani",
    "Susanti",
    "Rahmawati",
    "Purwanti",
    "Kusumawati",
    "Wulandari",
    "Yuliani",
    "Astuti",
    "Suryani",
    "Puspitasari",
];
const JAVA_F_MONO: &[&str] = &[
    "Sumarni", "Suwarni", "Sulastri", "Suharti", "Paini", "Sumiati", "Partini", "Mujiati", "Painem",
];
const MUHAMMAD: &[&str] = &["Muhammad", "Muhamad", "Mohammad", "Mochammad", "Moh.", "M."];

const SUNDA_M: &[&str] = &[
    "Asep", "Ujang", "Dede", "Cecep", "Dadang", "Ade", "Iwan", "Yayan", "Deden", "Encep", "Jajang",
    "Agus",
];
const SUNDA_M2: &[&str] = &[
    "Saepudin",
    "Suherman",
    "Kurniawan",
    "Hidayat",
    "Supriatna",
    "Sopandi",
    "Rohman",
    "Permana",
    "Gunawan",
    "Mulyana",
];
const SUNDA_F: &[&str] = &[
    "Neneng", "Euis", "Yati", "Iis", "Rina", "Imas", "Eneng", "Lilis", "Cucu", "Tati", "Dedeh",
];
const SUNDA_F2: &[&str] = &[
    "Nurhayati",
    "Komariah",
    "Sumiati",
    "Rahmawati",
    "Marlina",
    "Maryati",
    "Nurjanah",
    "Rohaeni",
    "Suryani",
    "Kurniasih",
];
const SUNDA_NICK_M: &[&str] = &["Ujang", "Asep", "Dede", "Cecep", "Aep"];
const SUNDA_NICK_F: &[&str] = &["Neneng", "Eneng", "Dede", "Nining"];

const MADURA_M: &[&str] = &[
    "Moh. Hasan",
    "Abdul Rahem",
    "Fathor Rahman",
    "Holil",
    "Moh. Sahri",
    "Sutrisno",
    "Abd. Wahid",
    "Hairul",
];
const MADURA_F: &[&str] = &[
    "Siti Fatimah",
    "Maimunah",
    "Hosnawiyah",
    "Sumiyati",
    "Siti Aminah",
    "Rohimah",
];

const BATAK_M: &[&str] = &[
    "Roy", "Hotman", "Maruli", "Parulian", "Ramot", "Dedi", "Jhonson", "Poltak", "Tigor", "Binsar",
    "Hendrik", "Daniel", "Rizky",
];
const BATAK_F: &[&str] = &[
    "Rina",
    "Rosmawati",
    "Tiur",
    "Sondang",
    "Lestari",
    "Romauli",
    "Rotua",
    "Friska",
    "Nurhaida",
    "Sarma",
];
const MARGA: &[&str] = &[
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Sinaga",
    "Lubis",
    "Harahap",
    "Situmorang",
    "Sitompul",
    "Hutapea",
    "Pardede",
    "Manurung",
    "Panjaitan",
    "Simatupang",
];

const BALI_ORDER_M: &[&str] = &[
    "Wayan", "Putu", "Gede", "Made", "Kadek", "Nyoman", "Komang", "Ketut",
];
const BALI_ORDER_F: &[&str] = &["Luh", "Putu", "Made", "Kadek", "Nyoman", "Komang", "Ketut"];
const BALI_M: &[&str] = &[
    "Suarta",
    "Artawan",
    "Sudiarta",
    "Budiasa",
    "Widiana",
    "Mertayasa",
    "Adi Putra",
    "Sukadana",
];
const BALI_F: &[&str] = &[
    "Ayu Lestari",
    "Suartini",
    "Kartika Dewi",
    "Sukerti",
    "Ari Wulandari",
    "Sriani",
];

const BUGIS_M: &[&str] = &[
    "Muhammad Arif",
    "Syamsul",
    "Irwan",
    "Rahmat",
    "Hasanuddin",
    "Baso",
    "Amir",
    "Ilham",
    "Asri",
    "Sudirman",
];
const BUGIS_F: &[&str] = &[
    "Nurhayati",
    "Hasnawati",
    "Sitti Aminah",
    "Hasniati",
    "Rosmini",
    "Nurul Fadillah",
    "Rahmatia",
    "Marlina",
];
const BUGIS_2: &[&str] = &[
    "Saputra", "Hidayat", "Rahman", "Ramli", "Syahrir", "Abdullah",
];

const SASAK_M: &[&str] = &[
    "Muhammad Zaini",
    "Saiful Anwar",
    "Zainal Abidin",
    "Hairul Anam",
    "Ahmad",
    "Muliadi",
    "Sahnan",
    "Rusdi",
    "Jumadil",
    "Suhaimi",
];
const SASAK_F: &[&str] = &[
    "Nurul Aini",
    "Nurul Hidayah",
    "Sri Hartini",
    "Rusmini",
    "Hikmah",
    "Mariani",
    "Rohani",
    "Haerani",
];

const EAST_M: &[&str] = &[
    "Yohanes",
    "Yosef",
    "Agustinus",
    "Fransiskus",
    "Petrus",
    "Marthen",
    "Yakobus",
    "Aloysius",
    "Stefanus",
    "Kornelis",
];
const EAST_F: &[&str] = &[
    "Maria",
    "Yuliana",
    "Agnes",
    "Theresia",
    "Paulina",
    "Margaretha",
    "Yohana",
    "Veronika",
    "Elisabeth",
];
const NTT_FAMILY: &[&str] = &[
    "Tefa", "Nope", "Seran", "Bere", "Manek", "Taolin", "Nenobais", "Leto", "Nahak", "Mau",
];
const MINAHASA_FAMILY: &[&str] = &[
    "Rumengan",
    "Wowor",
    "Lumowa",
    "Sondakh",
    "Pangemanan",
    "Mandagi",
];

const MALAY_M: &[&str] = &[
    "Muhammad Rizki",
    "Ahmad Fauzi",
    "Syahrul",
    "Rizal",
    "Hendra",
    "Zulkifli",
    "Dedi",
    "Fadli",
    "Ridwan",
    "Iskandar",
    "Firdaus",
    "Hafiz",
];
const MALAY_M2: &[&str] = &[
    "Effendi",
    "Gunawan",
    "Irawan",
    "Ramadhan",
    "Saputra",
    "Syahputra",
    "Pratama",
    "Hakim",
];
const MALAY_F: &[&str] = &[
    "Nurul Huda",
    "Siti Aisyah",
    "Rahmawati",
    "Fitri Handayani",
    "Nur Aini",
    "Yuli Astuti",
    "Melati",
    "Fatimah",
    "Sri Rahayu",
    "Dian Safitri",
];

const CHINESE_M: &[&str] = &[
    "Hendra Wijaya",
    "Suryadi Halim",
    "Andi Gunawan",
    "Hendra Kusuma",
    "Budi Tanoto",
    "Rudy Hartanto",
];
const CHINESE_F: &[&str] = &[
    "Lina Wijaya",
    "Lisa Halim",
    "Susanti Tjandra",
    "Mei Ling Kusuma",
    "Yenny Hartono",
];
const DAYAK_M: &[&str] = &[
    "Stefanus Ajang",
    "Yohanes Apui",
    "Markus Ujang",
    "Petrus Ading",
];
const DAYAK_F: &[&str] = &[
    "Maria Ulan",
    "Fransiska Lenny",
    "Yuliana Iring",
    "Agnes Dayang",
];

fn sex_pick(
    rng: &mut SplitMix64,
    female: bool,
    m: &[&'static str],
    f: &[&'static str],
) -> &'static str {
    let list = if female { f } else { m };
    list[rng.below(list.len() as u64) as usize]
}

/// A full name and, sometimes, an alias (nickname or shortened form) in the given style.
fn name(rng: &mut SplitMix64, style: Style, female: bool) -> (String, Option<String>) {
    let mut alias = None;
    let full = match style {
        Javanese => {
            let mut n = if rng.chance(30) {
                sex_pick(rng, female, JAVA_M_MONO, JAVA_F_MONO).to_string()
            } else {
                format!(
                    "{} {}",
                    sex_pick(rng, female, JAVA_M, JAVA_F),
                    sex_pick(rng, female, JAVA_M2, JAVA_F2)
                )
            };
            if !female && rng.chance(12) {
                n = format!("{} {n}", rng.pick(MUHAMMAD));
            } else if female && rng.chance(15) {
                n = format!("Siti {n}");
            }
            n
        }
        Sundanese => {
            let n = format!(
                "{} {}",
                sex_pick(rng, female, SUNDA_M, SUNDA_F),
                sex_pick(rng, female, SUNDA_M2, SUNDA_F2)
            );
            if rng.chance(30) {
                let nick = sex_pick(rng, female, SUNDA_NICK_M, SUNDA_NICK_F);
                if !n.starts_with(nick) {
                    alias = Some(nick.to_string());
                }
            }
            n
        }
        Madurese => sex_pick(rng, female, MADURA_M, MADURA_F).to_string(),
        Batak => {
            let given = sex_pick(rng, female, BATAK_M, BATAK_F);
            let marga = rng.pick(MARGA);
            if female && rng.chance(40) {
                format!("{given} br. {marga}")
            } else {
                format!("{given} {marga}")
            }
        }
        Balinese => {
            let (prefix, order, personal) = if female {
                ("Ni", rng.pick(BALI_ORDER_F), rng.pick(BALI_F))
            } else {
                ("I", rng.pick(BALI_ORDER_M), rng.pick(BALI_M))
            };
            alias = rng.chance(25).then(|| personal.to_string());
            format!("{prefix} {order} {personal}")
        }
        Bugis => {
            let mut n = sex_pick(rng, female, BUGIS_M, BUGIS_F).to_string();
            if !female && rng.chance(40) {
                n = format!("{n} {}", rng.pick(BUGIS_2));
            }
            if rng.chance(15) {
                n = format!("Andi {n}");
            }
            n
        }
        Sasak => {
            let n = sex_pick(rng, female, SASAK_M, SASAK_F);
            if rng.chance(20) {
                format!("{} {n}", if female { "Baiq" } else { "Lalu" })
            } else {
                n.to_string()
            }
        }
        Ntt | Minahasa => {
            let family = if style == Ntt {
                NTT_FAMILY
            } else {
                MINAHASA_FAMILY
            };
            format!(
                "{} {}",
                sex_pick(rng, female, EAST_M, EAST_F),
                rng.pick(family)
            )
        }
        Malay => {
            let given = sex_pick(rng, female, MALAY_M, MALAY_F);
            if !female && !given.contains(' ') && rng.chance(60) {
                format!("{given} {}", rng.pick(MALAY_M2))
            } else {
                given.to_string()
            }
        }
        Aceh => {
            let given = sex_pick(rng, female, MALAY_M, MALAY_F);
            if rng.chance(35) {
                let father = rng.pick(MALAY_M);
                let father = father.split(' ').next_back().unwrap_or(father);
                alias = Some(given.to_string());
                format!("{given} {} {father}", if female { "binti" } else { "bin" })
            } else {
                given.to_string()
            }
        }
        ChineseIndonesian => sex_pick(rng, female, CHINESE_M, CHINESE_F).to_string(),
        Dayak => sex_pick(rng, female, DAYAK_M, DAYAK_F).to_string(),
    };
    if alias.is_none() && full.contains(' ') && rng.chance(10) {
        // Known by the first part of the name, or by its last part for mononym-style calls.
        let parts: Vec<&str> = full.split(' ').collect();
        let short = if rng.chance(50) {
            parts[0]
        } else {
            parts[parts.len() - 1]
        };
        if short.len() > 2 && !short.ends_with('.') {
            alias = Some(short.to_string());
        }
    }
    (full, alias)
}

fn regional_language(rng: &mut SplitMix64, style: Style) -> String {
    let options: &[&str] = match style {
        Javanese => &["Jawa"],
        Sundanese => &["Sunda"],
        Madurese => &["Madura"],
        Batak => &["Batak"],
        Balinese => &["Bali"],
        Bugis => &["Bugis", "Makassar"],
        Sasak => &["Sasak"],
        Ntt => &["Dawan", "Manggarai", "Tetun", "Sikka"],
        Minahasa => &["Manado"],
        Malay => &["Melayu", "Minang"],
        Aceh => &["Aceh"],
        ChineseIndonesian => &["Hakka", "Teochew"],
        Dayak => &["Dayak"],
    };
    rng.pick(options).to_string()
}

const NOTES: &[&str] = &[
    "Arrived with a group of 12 from the same compound.",
    "Asks that family be told they are safe.",
    "Passport held by former employer.",
    "Phone confiscated at the compound; family number given from memory.",
    "Needs a medical check: reports ankle injury.",
    "Prefers to speak with a female caseworker.",
    "Tired; interview continued the next morning.",
    "Came with a cousin, registered separately.",
    "Speaks little Indonesian; used regional language with a colleague's help.",
    "Requests help contacting the village head for documents.",
    "Reports being recruited through a job advertisement on Facebook.",
    "Has a photo of the old passport on a relative's phone.",
    "Kooperatif, ingin segera pulang.",
    "Mohon dihubungkan dengan keluarga di kampung.",
];

const ID_MOBILE_PREFIXES: &[&str] = &[
    "811", "812", "813", "821", "822", "823", "851", "852", "853", "814", "815", "816", "855",
    "856", "857", "858", "817", "818", "819", "859", "877", "878", "831", "832", "833", "838",
    "895", "896", "897", "898", "899", "881", "882", "887", "889",
];
/// Cambodian mobile prefixes with eight-digit national numbers.
const KH_PREFIXES_8: &[&str] = &[
    "11", "12", "15", "16", "17", "61", "69", "70", "77", "78", "81", "85", "86", "87", "89", "92",
    "93", "95", "98", "99",
];
/// Cambodian mobile prefixes with nine-digit national numbers.
const KH_PREFIXES_9: &[&str] = &["96", "97", "88", "71", "31"];

fn digits(rng: &mut SplitMix64, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

fn indonesian_mobile(rng: &mut SplitMix64) -> String {
    let prefix = rng.pick(ID_MOBILE_PREFIXES);
    let len = if rng.chance(75) { 8 } else { 7 };
    let rest = digits(rng, len);
    let (a, b) = rest.split_at(4);
    match rng.below(7) {
        0 | 1 => format!("0{prefix}-{a}-{b}"),
        2 => format!("0{prefix} {a} {b}"),
        3 => format!("+62 {prefix}-{a}-{b}"),
        4 => format!("62{prefix}{rest}"),
        5 => format!("0{prefix}{rest} (WA)"),
        _ => format!("0{prefix}{rest}"),
    }
}

fn cambodian_mobile(rng: &mut SplitMix64) -> String {
    if rng.chance(60) {
        let prefix = rng.pick(KH_PREFIXES_8);
        let rest = digits(rng, 6);
        format!("+855 {prefix} {} {}", &rest[..3], &rest[3..])
    } else {
        let prefix = rng.pick(KH_PREFIXES_9);
        let rest = digits(rng, 7);
        format!("+855 {prefix} {} {}", &rest[..3], &rest[3..])
    }
}

fn random_day_in_year(rng: &mut SplitMix64, year: i32) -> Date {
    let days = time::util::days_in_year(year);
    let ordinal = rng.range(1, u64::from(days)) as u16;
    Date::from_ordinal_date(year, ordinal).expect("ordinal within the year")
}

/// A NIK (plain 16 digits) for this province, sex and date of birth, unique within `used`.
fn make_nik(
    rng: &mut SplitMix64,
    province: &str,
    female: bool,
    birth: Date,
    used: &mut HashSet<String>,
) -> String {
    let regency = if rng.chance(75) {
        rng.range(1, 25)
    } else {
        rng.range(71, 79)
    };
    let district = rng.range(1, 30);
    let day = u64::from(birth.day()) + if female { 40 } else { 0 };
    let month = u8::from(birth.month());
    let yy = birth.year().rem_euclid(100);
    loop {
        let serial = rng.range(1, 2999);
        let nik =
            format!("{province}{regency:02}{district:02}{day:02}{month:02}{yy:02}{serial:04}");
        if used.insert(nik.clone()) {
            return nik;
        }
    }
}

/// A NIK as registrars type it: mostly plain, sometimes in groups of four or with dots.
pub(crate) fn spaced_nik(rng: &mut SplitMix64, nik: &str) -> String {
    match rng.below(10) {
        0 => format!(
            "{} {} {} {}",
            &nik[..4],
            &nik[4..8],
            &nik[8..12],
            &nik[12..]
        ),
        1 => format!("{}.{}.{}", &nik[..6], &nik[6..12], &nik[12..]),
        _ => nik.to_string(),
    }
}

/// Generates `n` synthetic survivors with their arrival, deterministic for `seed`.
/// Arrivals are spread over the 60 days up to `today`, at sites drawn from `sites` (a site
/// named "DEMO" if `sites` is empty).
pub fn generate(
    seed: u64,
    n: usize,
    sites: &[&str],
    today: Date,
) -> Vec<(PersonForm, EncounterForm)> {
    let mut rng = SplitMix64::new(seed);
    let mut used_niks = HashSet::new();
    let origins: Vec<(usize, u32)> = ORIGINS
        .iter()
        .enumerate()
        .map(|(i, o)| (i, o.weight))
        .collect();
    let routes: [(&str, u32); 5] = [
        ("police_handover", 35),
        ("rescue_operation", 30),
        ("walk_in", 20),
        ("referral", 10),
        ("other", 5),
    ];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let origin = &ORIGINS[*rng.weighted(&origins)];
        let style = *rng.weighted(origin.styles);
        let female = rng.chance(32);
        let (full_name, alias) = name(&mut rng, style, female);
        let sex = if rng.chance(97) {
            Some(if female { "F" } else { "M" }.to_string())
        } else {
            None
        };

        // Age 17–45 on `today`, birth date known in full, by year only, or not at all.
        let age_years = rng.range(17, 45) as i32;
        let year = today.year() - age_years;
        let birth = random_day_in_year(&mut rng, year);
        let true_age =
            if (u8::from(birth.month()), birth.day()) > (u8::from(today.month()), today.day()) {
                age_years - 1
            } else {
                age_years
            };
        let kind = rng.below(100);
        let (birth_date, age) = if kind < 60 {
            let age = rng.chance(20).then_some(true_age as u16);
            (Some(BirthDate::Full(birth).to_string()), age)
        } else if kind < 85 {
            let age = rng.chance(40).then_some(age_years as u16);
            (Some(BirthDate::Year(year).to_string()), age)
        } else {
            (None, rng.chance(70).then_some(true_age as u16))
        };

        let nik = rng.chance(80).then(|| {
            let plain = make_nik(&mut rng, origin.code, female, birth, &mut used_niks);
            spaced_nik(&mut rng, &plain)
        });
        let passport_no = rng.chance(30).then(|| {
            let letter = *rng.weighted(&[('X', 6), ('B', 2), ('C', 1), ('E', 1)]);
            format!("{letter}{}", digits(&mut rng, 7))
        });
        let phone_count = *rng.weighted(&[(0usize, 25), (1, 55), (2, 20)]);
        let phones = (0..phone_count)
            .map(|_| {
                if rng.chance(80) {
                    indonesian_mobile(&mut rng)
                } else {
                    cambodian_mobile(&mut rng)
                }
            })
            .collect();
        let origin_province = rng.chance(90).then(|| rng.pick(origin.written).to_string());
        let origin_regency = (origin_province.is_some() && rng.chance(70))
            .then(|| rng.pick(origin.regencies).to_string());
        let mut languages = vec!["Indonesia".to_string()];
        if rng.chance(70) {
            languages.push(regional_language(&mut rng, style));
        }
        if rng.chance(10) {
            languages.push("Inggris".to_string());
        }
        if rng.chance(3) {
            languages.push("Khmer".to_string());
        }

        let person = PersonForm {
            full_name,
            aliases: alias.into_iter().collect(),
            sex,
            birth_date,
            age,
            nationality: rng.chance(50).then(|| "ID".to_string()),
            nik,
            passport_no,
            phones,
            origin_province,
            origin_regency,
            languages,
        };

        let site = if sites.is_empty() {
            "DEMO"
        } else {
            rng.pick(sites)
        };
        let arrived = today - Duration::days(rng.below(60) as i64);
        let encounter = EncounterForm {
            site: Some(site.to_string()),
            arrived_on: Some(BirthDate::Full(arrived).to_string()),
            arrival_route: Some(rng.weighted(&routes).to_string()),
            notes: rng.chance(30).then(|| rng.pick(NOTES).to_string()),
        };
        out.push((person, encounter));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulang_domain::{nik::Nik, provinces, ArrivalRoute, Validation};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 02 - 10);

    #[test]
    fn two_thousand_forms_validate_cleanly() {
        let sites = ["KBRI-PNH", "KBRI-BKK", "KJRI-SIEM-REAP"];
        let people = generate(42, 2_000, &sites, TODAY);
        assert_eq!(people.len(), 2_000);
        let mut with_passport = 0;
        let mut with_nik = 0;
        let mut female = 0;
        for (i, (p, e)) in people.iter().enumerate() {
            let (details, v) = p.validate(TODAY);
            assert!(
                v.errors.is_empty() && v.warnings.is_empty(),
                "person {i}: {v:?}\n{p:?}"
            );
            let details = details.expect("valid");
            let mut ev = Validation::default();
            let enc = e.validate(TODAY, None, &mut ev).expect("valid encounter");
            assert!(
                ev.errors.is_empty() && ev.warnings.is_empty(),
                "encounter {i}: {ev:?}"
            );
            assert!(enc.arrived_on <= TODAY && enc.arrived_on > TODAY - Duration::days(60));
            assert!(sites.contains(&enc.site.as_str()));
            if let Some(b) = details.birth_date {
                let age = TODAY.year() - b.year();
                assert!((17..=45).contains(&age), "{age}");
            }
            if let Some(n) = &details.nik {
                with_nik += 1;
                let nik = n;
                if let Some(prov) = &details.origin_province {
                    assert_eq!(provinces::lookup(prov).unwrap().code, nik.province_code());
                }
                if let Some(s) = details.sex {
                    assert_eq!(s, nik.sex());
                }
            }
            with_passport += usize::from(details.passport_no.is_some());
            female += usize::from(details.sex == Some(pulang_domain::Sex::F));
        }
        // Rough shape of the population.
        assert!((450..=750).contains(&with_passport), "{with_passport}");
        assert!((1450..=1750).contains(&with_nik), "{with_nik}");
        assert!((450..=800).contains(&female), "{female}");
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = generate(7, 200, &["A"], TODAY);
        let b = generate(7, 200, &["A"], TODAY);
        let c = generate(8, 200, &["A"], TODAY);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn niks_are_unique_and_routes_weighted() {
        let people = generate(3, 2_000, &[], TODAY);
        let mut niks = HashSet::new();
        let mut police_or_rescue = 0;
        for (p, e) in &people {
            if let Some(n) = &p.nik {
                assert!(niks.insert(Nik::parse(n).unwrap().as_str().to_string()));
            }
            let r = ArrivalRoute::parse(e.arrival_route.as_deref().unwrap()).unwrap();
            if matches!(
                r,
                ArrivalRoute::PoliceHandover | ArrivalRoute::RescueOperation
            ) {
                police_or_rescue += 1;
            }
            assert_eq!(e.site.as_deref(), Some("DEMO"));
        }
        assert!(police_or_rescue > 1_100, "{police_or_rescue}");
    }

    #[test]
    fn empty_request() {
        assert!(generate(1, 0, &["A"], TODAY).is_empty());
    }
}
