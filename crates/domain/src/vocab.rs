//! The domain's vocabulary: every flag, milestone, kind, status and outcome Pulang stores or
//! shows, as an enum. Each term has one spelling (`as_str`, used in the database, the API and
//! Fluent message ids), `parse`, `ALL` in declaration order, `Display` and serde as that
//! spelling. Adding a term is one variant here plus its Fluent strings where the UI shows it.
use std::fmt;

/// A value that is not a term of the vocabulary it was read as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {vocabulary} (expected one of: {expected})")]
pub struct UnknownTerm {
    pub vocabulary: &'static str,
    pub value: String,
    pub expected: String,
}

/// Defines a vocabulary enum: `Variant = "spelling"`. Variants order as declared (`Ord`), so
/// "in order" lists (milestones on the way home) need nothing more.
macro_rules! vocab {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($label:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every term, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The one spelling used in the database, the API and message ids.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads a spelling; surrounding spaces, case and `-` for `_` are forgiven.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => return Some($name::$variant),)+
                    _ => {}
                }
                let loose = s.trim().to_ascii_lowercase().replace('-', "_");
                Self::ALL.iter().copied().find(|t| t.as_str() == loose)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::vocab::UnknownTerm;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s).ok_or_else(|| $crate::vocab::UnknownTerm {
                    vocabulary: $label,
                    value: s.chars().take(64).collect(),
                    expected: $crate::vocab::spellings(Self::ALL.iter().map(|t| t.as_str())),
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub(crate) fn spellings<'a>(terms: impl Iterator<Item = &'a str>) -> String {
    terms.collect::<Vec<_>>().join(", ")
}

vocab! {
    /// A flag on a person. The first five are set by a registrar at the desk so that the right
    /// help comes first; `Retrafficking` is set by Pulang when someone who went home arrives
    /// again.
    pub enum PersonFlag ("person flag") {
        Child = "child",
        Medical = "medical",
        Pregnancy = "pregnancy",
        Disability = "disability",
        Interpreter = "interpreter",
        Retrafficking = "retrafficking",
    }
}

impl PersonFlag {
    /// Whether a registrar sets it at the desk (a triage flag) rather than Pulang.
    pub const fn is_triage(self) -> bool {
        !matches!(self, PersonFlag::Retrafficking)
    }

    /// The triage flags, in order.
    pub fn triage() -> impl Iterator<Item = PersonFlag> {
        Self::ALL.iter().copied().filter(|f| f.is_triage())
    }
}

vocab! {
    /// Steps on the way home, in order. Being screened is not one: it is a signed screening.
    pub enum Milestone ("milestone") {
        Sheltered = "sheltered",
        Documented = "documented",
        Returned = "returned",
    }
}

vocab! {
    /// How a person (or a group of people) came to the mission.
    pub enum ArrivalRoute ("arrival route") {
        WalkIn = "walk_in",
        PoliceHandover = "police_handover",
        RescueOperation = "rescue_operation",
        Referral = "referral",
        Other = "other",
    }
}

impl ArrivalRoute {
    /// Whether people arrive this way together, as an arrival group (a referral is one person).
    pub fn forms_groups(self) -> bool {
        Self::GROUP_KINDS.contains(&self)
    }

    /// The kinds an arrival group can have, in the order the desk offers them.
    pub const GROUP_KINDS: [ArrivalRoute; 4] = [
        ArrivalRoute::PoliceHandover,
        ArrivalRoute::RescueOperation,
        ArrivalRoute::WalkIn,
        ArrivalRoute::Other,
    ];
}

vocab! {
    /// Where a pair in the identity review queue stands.
    pub enum ReviewStatus ("review status") {
        Pending = "pending",
        Deferred = "deferred",
        Confirmed = "confirmed",
        Rejected = "rejected",
    }
}

impl ReviewStatus {
    /// Still waiting for a decision (shown in the queue by default).
    pub const OPEN: [ReviewStatus; 2] = [ReviewStatus::Pending, ReviewStatus::Deferred];

    /// A confirmed or rejected pair is decided for good; a deferred one is not.
    pub const fn is_final(self) -> bool {
        matches!(self, ReviewStatus::Confirmed | ReviewStatus::Rejected)
    }

    /// A reviewer's decision as typed or posted: the status or its verb ("confirm", "same").
    pub fn decision(s: &str) -> Option<ReviewStatus> {
        match s.trim() {
            "confirm" | "same" => Some(ReviewStatus::Confirmed),
            "reject" | "different" => Some(ReviewStatus::Rejected),
            "defer" => Some(ReviewStatus::Deferred),
            other => ReviewStatus::parse(other).filter(|s| *s != ReviewStatus::Pending),
        }
    }
}

vocab! {
    /// Where a pair in the review queue came from.
    pub enum ReviewOrigin ("review origin") {
        /// A registration at the desk or the form, saved as new despite a likely match.
        Intake = "intake",
        /// An imported row with a possible match.
        Import = "import",
        /// A search for duplicates in the register (`pulang dedupe --register`).
        Dedupe = "dedupe",
    }
}

vocab! {
    /// Where an import of a host-country list stands.
    pub enum ImportStatus ("import status") {
        Running = "running",
        Complete = "complete",
        Reverted = "reverted",
    }
}

vocab! {
    /// What became of one row of an imported list.
    pub enum ImportOutcome ("import outcome") {
        /// A new person was registered.
        Created = "created",
        /// The row is someone already registered: an arrival was added to them.
        Matched = "matched",
        /// Registered, with a possible match queued for a caseworker to decide.
        Review = "review",
        /// The row could not be used (the report names the cell).
        Rejected = "rejected",
    }
}

vocab! {
    /// Where a screening stands: a draft can change; a signed one is corrected by a new one.
    pub enum ScreeningStatus ("screening status") {
        Draft = "draft",
        Signed = "signed",
    }
}

vocab! {
    /// The identifiers a person can be looked up by exactly (through keyed blind indexes).
    pub enum LookupKind ("look-up kind") {
        Nik = "nik",
        Passport = "passport",
        Phone = "phone",
    }
}

vocab! {
    /// What a row of the change feed names: the kind of record whose in-memory copies (the
    /// name and matching indexes, the site list) every server process must reload.
    pub enum ChangeKind ("change kind") {
        Person = "person",
        Site = "site",
    }
}

/// Defines [`AuditAction`]: the actions without a term (`Variant = "spelling"`) and those that
/// carry one (`Variant(Term) = "prefix"`, spelled `prefix.term`).
macro_rules! audit_actions {
    (
        plain { $( $plain:ident = $text:literal, )+ }
        with_term { $( $termed:ident($term:ty) = $prefix:literal, )+ }
    ) => {
        /// Everything written to the audit log, by what happened. The spelling is
        /// `subject.verb`; a few carry the term they concern (`person.milestone.sheltered`,
        /// `review.confirmed`). Spellings are part of each event's hash: never change one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $( $plain, )+
            $( $termed($term), )+
        }

        impl AuditAction {
            /// Every action there is, with each term spelled out.
            pub fn all() -> Vec<AuditAction> {
                let mut all = vec![$(AuditAction::$plain),+];
                $( all.extend(<$term>::ALL.iter().map(|t| AuditAction::$termed(*t))); )+
                all.retain(|a| a.is_possible());
                all
            }

            /// The spelling stored in the audit log.
            pub fn name(self) -> std::borrow::Cow<'static, str> {
                match self {
                    $( AuditAction::$plain => $text.into(), )+
                    $( AuditAction::$termed(t) => format!("{}.{t}", $prefix).into(), )+
                }
            }
        }
    };
}

audit_actions! {
    plain {
        SiteCreate = "site.create",
        UserCreate = "user.create",
        UserGrant = "user.grant",
        UserPassword = "user.password",
        UserDisable = "user.disable",
        UserEnable = "user.enable",
        SessionLogin = "session.login",
        SessionLoginFailed = "session.login_failed",
        SessionLogout = "session.logout",
        SessionRevokeAll = "session.revoke_all",
        TokenCreate = "token.create",
        TokenList = "token.list",
        TokenRevoke = "token.revoke",
        // Every sealed field re-encrypted under a new key; the subject is the new key's id.
        KeyRotate = "key.rotate",
        PersonCreate = "person.create",
        PersonUpdate = "person.update",
        PersonDelete = "person.delete",
        PersonEncounter = "person.encounter",
        PersonFlags = "person.flags",
        PersonFlagRetrafficking = "person.flag_retrafficking",
        PersonMerge = "person.merge",
        PersonUnmerge = "person.unmerge",
        PersonRead = "person.read",
        // A stored record that could not be read (tampered with or damaged); the subject is its id.
        RecordDamaged = "record.damaged",
        PersonReadDenied = "person.read_denied",
        PersonReadAtDesk = "person.read_at_desk",
        PersonReadForEdit = "person.read_for_edit",
        PersonReadForReview = "person.read_for_review",
        PersonReadForUnmerge = "person.read_for_unmerge",
        PersonReadForDemo = "person.read_for_demo",
        PersonReadSlip = "person.read_slip",
        PersonReveal = "person.reveal",
        PersonPrint = "person.print",
        PersonSearch = "person.search",
        PersonMatch = "person.match",
        GroupCreate = "group.create",
        GroupRead = "group.read",
        ReviewQueue = "review.queue",
        ReviewList = "review.list",
        ReviewScan = "review.scan",
        ImportStart = "import.start",
        ImportFinish = "import.finish",
        ImportRevert = "import.revert",
        ScreeningStart = "screening.start",
        ScreeningCorrect = "screening.correct",
        ScreeningSave = "screening.save",
        ScreeningSign = "screening.sign",
        ScreeningRead = "screening.read",
        ScreeningReadDenied = "screening.read_denied",
        ScreeningReadForEdit = "screening.read_for_edit",
    }
    with_term {
        PersonMilestone(Milestone) = "person.milestone",
        PersonMilestoneCleared(Milestone) = "person.milestone_cleared",
        ReviewDecided(ReviewStatus) = "review",
    }
}

impl AuditAction {
    /// Whether the action can happen (a review is never decided "pending").
    const fn is_possible(self) -> bool {
        !matches!(self, AuditAction::ReviewDecided(ReviewStatus::Pending))
    }

    /// Reads a stored spelling back.
    pub fn parse(s: &str) -> Option<AuditAction> {
        Self::all().into_iter().find(|a| a.name() == s)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_reads_back_from_its_spelling() {
        fn check<T: Copy + PartialEq + fmt::Debug + fmt::Display + std::str::FromStr>(all: &[T]) {
            for t in all {
                assert_eq!(t.to_string().parse::<T>().ok(), Some(*t), "{t:?}");
            }
        }
        check(PersonFlag::ALL);
        check(Milestone::ALL);
        check(ArrivalRoute::ALL);
        check(ReviewStatus::ALL);
        check(ReviewOrigin::ALL);
        check(ImportStatus::ALL);
        check(ImportOutcome::ALL);
        check(ScreeningStatus::ALL);
        check(LookupKind::ALL);
    }

    #[test]
    fn spellings_are_forgiving_but_unknown_terms_are_named() {
        assert_eq!(
            ArrivalRoute::parse(" Police-Handover "),
            Some(ArrivalRoute::PoliceHandover)
        );
        let err = "sheltred".parse::<Milestone>().unwrap_err();
        assert_eq!(err.vocabulary, "milestone");
        assert!(err.to_string().contains("sheltered, documented, returned"));
        assert!(serde_json::from_str::<PersonFlag>("\"kid\"").is_err());
        assert_eq!(
            serde_json::to_string(&PersonFlag::Child).unwrap(),
            "\"child\""
        );
    }

    #[test]
    fn audit_actions_have_distinct_spellings_that_read_back() {
        let all = AuditAction::all();
        let mut names: Vec<_> = all.iter().map(|a| a.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len(), "two actions share a spelling");
        for a in all {
            assert_eq!(AuditAction::parse(&a.name()), Some(a));
            assert!(a.name().contains('.'), "{a:?}");
        }
        assert_eq!(
            AuditAction::PersonMilestone(Milestone::Returned).name(),
            "person.milestone.returned"
        );
        assert_eq!(
            AuditAction::ReviewDecided(ReviewStatus::Confirmed).name(),
            "review.confirmed"
        );
    }

    #[test]
    fn flags_and_group_kinds() {
        assert_eq!(PersonFlag::triage().count(), PersonFlag::ALL.len() - 1);
        // A referral is one person; every other route can bring a group.
        assert!(!ArrivalRoute::Referral.forms_groups());
        assert!(ArrivalRoute::ALL
            .iter()
            .filter(|r| **r != ArrivalRoute::Referral)
            .all(|r| r.forms_groups()));
        assert_eq!(
            ReviewStatus::decision("same"),
            Some(ReviewStatus::Confirmed)
        );
        assert_eq!(ReviewStatus::decision("pending"), None);
        assert!(Milestone::Sheltered < Milestone::Returned);
    }
}
