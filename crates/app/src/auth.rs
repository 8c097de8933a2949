//! Authentication: passwords (Argon2id), sessions, API tokens and sign-in throttling.
//! These are the only places a web request's [`AccessScope`] comes from.
use pulang_domain::AuditAction;
use std::sync::Mutex;
use std::time::Duration;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use pulang_store::signin::AttemptLimits;

use crate::{now_ms, AccessScope, App, AppError};

pub const SESSION_HOURS: i64 = 12;
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longer passwords are refused: the strength estimate grows with the length.
pub const MAX_PASSWORD_LEN: usize = 200;
/// The lowest zxcvbn score (0–4) a new password may have: 3 is "safely unguessable" (about
/// 10^8 guesses or more, against an online attack and a slow hash).
pub const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// The field of every password issue.
const PASSWORD: &str = "password";

/// Every code a refused password can carry (`FieldIssue::code` on the field `password`), for
/// the words each needs in every language.
pub const PASSWORD_ISSUES: &[&str] = &[
    "password_too_short",
    "password_too_long",
    "password_weak",
    "password_warn_keyboard_rows",
    "password_warn_keyboard_pattern",
    "password_warn_repeats",
    "password_warn_repeated_groups",
    "password_warn_top10",
    "password_warn_top100",
    "password_warn_common",
    "password_warn_similar_to_common",
    "password_warn_sequences",
    "password_warn_recent_years",
    "password_warn_single_word",
    "password_warn_dates",
    "password_warn_names",
    "password_warn_common_names",
    "password_hint_few_words",
    "password_hint_no_symbols_needed",
    "password_hint_another_word",
    "password_hint_capitals",
    "password_hint_all_caps",
    "password_hint_reversed",
    "password_hint_substitutions",
    "password_hint_longer_keyboard",
    "password_hint_avoid_repeats",
    "password_hint_avoid_sequences",
    "password_hint_avoid_recent_years",
    "password_hint_avoid_your_years",
    "password_hint_avoid_your_dates",
];

fn warning_code(w: zxcvbn::feedback::Warning) -> &'static str {
    use zxcvbn::feedback::Warning::*;
    match w {
        StraightRowsOfKeysAreEasyToGuess => "password_warn_keyboard_rows",
        ShortKeyboardPatternsAreEasyToGuess => "password_warn_keyboard_pattern",
        RepeatsLikeAaaAreEasyToGuess => "password_warn_repeats",
        RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => "password_warn_repeated_groups",
        ThisIsATop10Password => "password_warn_top10",
        ThisIsATop100Password => "password_warn_top100",
        ThisIsACommonPassword => "password_warn_common",
        ThisIsSimilarToACommonlyUsedPassword => "password_warn_similar_to_common",
        SequencesLikeAbcAreEasyToGuess => "password_warn_sequences",
        RecentYearsAreEasyToGuess => "password_warn_recent_years",
        AWordByItselfIsEasyToGuess => "password_warn_single_word",
        DatesAreOftenEasyToGuess => "password_warn_dates",
        NamesAndSurnamesByThemselvesAreEasyToGuess => "password_warn_names",
        CommonNamesAndSurnamesAreEasyToGuess => "password_warn_common_names",
    }
}

fn suggestion_code(s: zxcvbn::feedback::Suggestion) -> &'static str {
    use zxcvbn::feedback::Suggestion::*;
    match s {
        UseAFewWordsAvoidCommonPhrases => "password_hint_few_words",
        NoNeedForSymbolsDigitsOrUppercaseLetters => "password_hint_no_symbols_needed",
        AddAnotherWordOrTwo => "password_hint_another_word",
        CapitalizationDoesntHelpVeryMuch => "password_hint_capitals",
        AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => "password_hint_all_caps",
        ReversedWordsArentMuchHarderToGuess => "password_hint_reversed",
        PredictableSubstitutionsDontHelpVeryMuch => "password_hint_substitutions",
        UseALongerKeyboardPatternWithMoreTurns => "password_hint_longer_keyboard",
        AvoidRepeatedWordsAndCharacters => "password_hint_avoid_repeats",
        AvoidSequences => "password_hint_avoid_sequences",
        AvoidRecentYears => "password_hint_avoid_recent_years",
        AvoidYearsThatAreAssociatedWithYou => "password_hint_avoid_your_years",
        AvoidDatesAndYearsThatAreAssociatedWithYou => "password_hint_avoid_your_dates",
    }
}

/// A password as it is hashed: Unicode NFC, so that the same characters typed on another
/// keyboard or system (composed or decomposed) make the same password.
pub fn normalise_password(password: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    password.nfc().collect()
}

/// Checks a new password. First a rule: at least [`MIN_PASSWORD_LEN`] visible characters
/// (white space and zero-width characters do not count), five of them different, at most
/// [`MAX_PASSWORD_LEN`]. Then the zxcvbn estimate must reach [`MIN_PASSWORD_SCORE`], with
/// `user_inputs` (the username, site names) counted as known words. A refusal is
/// [`AppError::Invalid`] on the field `password`, saying why (zxcvbn's warning and
/// suggestions as codes, see [`PASSWORD_ISSUES`]).
pub fn check_new_password(password: &str, user_inputs: &[&str]) -> Result<(), AppError> {
    let refuse = |codes: Vec<&str>| {
        Err(AppError::Invalid(pulang_domain::Validation {
            errors: codes
                .into_iter()
                .map(|c| pulang_domain::FieldIssue::new(PASSWORD, c))
                .collect(),
            warnings: vec![],
        }))
    };
    let password = normalise_password(password);
    if password.chars().count() > MAX_PASSWORD_LEN {
        return refuse(vec!["password_too_long"]);
    }
    let visible: Vec<char> = password
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && !pulang_domain::text::is_invisible(*c))
        .collect();
    let mut distinct = visible.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if visible.len() < MIN_PASSWORD_LEN || distinct.len() < 5 {
        return refuse(vec!["password_too_short"]);
    }
    let inputs: Vec<String> = user_inputs
        .iter()
        .flat_map(|i| i.split(|c: char| !c.is_alphanumeric()))
        .chain(user_inputs.iter().copied())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(&password, &inputs);
    if estimate.score() >= MIN_PASSWORD_SCORE {
        return Ok(());
    }
    let mut codes = vec!["password_weak"];
    if let Some(f) = estimate.feedback() {
        codes.extend(f.warning().map(warning_code));
        codes.extend(f.suggestions().iter().copied().map(suggestion_code));
    }
    refuse(codes)
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(normalise_password(password).as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("cannot hash password: {e}")))
}

/// Checks a password as typed, then (when it differs) in its NFC form: hashes made before
/// passwords were normalised are of the raw text, newer ones of the NFC form; nobody is locked
/// out either way.
fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    let check = |p: &str| Argon2::default().verify_password(p.as_bytes(), &h).is_ok();
    if check(password) {
        return true;
    }
    let nfc = normalise_password(password);
    nfc != password && check(&nfc)
}

/// A random secret for sessions, tokens and CSRF.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Secrets are stored only as their SHA-256 (they are high-entropy, so no slow hash is needed).
pub fn secret_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Sign-in attempts per account and per client address in a sliding window. An attempt is
/// counted *before* its password is checked, so that a hundred attempts sent at once cannot all
/// slip under the limit; a successful sign-in takes its own attempt back and clears the
/// account's count. Counted in the database (`pulang_store::signin`), so that several server
/// processes on one database share the counts.
pub struct Throttle {
    limits: AttemptLimits,
}

impl Throttle {
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Throttle {
        Throttle {
            limits: AttemptLimits {
                window_ms: window.as_millis() as i64,
                per_account: per_account as i64,
                per_address: per_address as i64,
            },
        }
    }

    /// The account's key, normalised as sign-in looks the user up (trimmed), so that
    /// `" siti"` and `"siti"` share one counter.
    fn account_key(username: &str) -> String {
        username.trim().to_lowercase()
    }
}

/// Where passwords are hashed and checked: a few threads of their own. Argon2 takes tens of
/// milliseconds and about 19 MiB each; unbounded, a crowd of sign-ins would stall the async
/// workers and exhaust memory. Beyond the queue's patience the caller is told to retry.
/// Dedicated threads rather than tokio's blocking pool: each thread that ever hashed keeps its
/// allocator's 19 MiB, and the blocking pool would start a new thread for nearly every
/// sign-in in a crowd (300 at once took the server from 15 to 364 MiB).
pub struct PasswordPool {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    jobs: std::sync::mpsc::Sender<PasswordJob>,
}

type PasswordJob = Box<dyn FnOnce() + Send>;

impl PasswordPool {
    /// How long a sign-in waits for a free hasher before it is refused.
    const PATIENCE: Duration = Duration::from_secs(5);

    pub fn new(hashers: usize) -> std::io::Result<PasswordPool> {
        let hashers = hashers.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<PasswordJob>();
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for i in 0..hashers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("pulang-password-{i}"))
                .spawn(move || loop {
                    // The lock is held only to take a job; it ends when the pool is dropped.
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    // A panic fails that one check (its caller sees an internal error); the
                    // thread stays.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                })?;
        }
        Ok(PasswordPool {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(hashers)),
            jobs,
        })
    }

    /// One hasher per core, at least two.
    pub fn for_this_machine() -> std::io::Result<PasswordPool> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordPool::new(cores.max(2))
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(Self::PATIENCE, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Throttled {
                retry_after_secs: 1,
            })?
            .map_err(AppError::internal)?;
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _permit = permit;
                let _ = done.send(f());
            }))
            .map_err(|_| {
                AppError::internal(std::io::Error::other("the password threads stopped"))
            })?;
        result
            .await
            .map_err(|_| AppError::internal(std::io::Error::other("a password check failed")))
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_string();
        self.run(move || hash_password(&password)).await?
    }

    /// Checks a new password ([`check_new_password`]): the estimate takes up to tens of
    /// milliseconds for a long password, so it runs here rather than on an async worker.
    pub async fn check_new(
        &self,
        password: &str,
        user_inputs: Vec<String>,
    ) -> Result<(), AppError> {
        let password = password.to_string();
        self.run(move || {
            let inputs: Vec<&str> = user_inputs.iter().map(String::as_str).collect();
            check_new_password(&password, &inputs)
        })
        .await?
    }

    /// Checks a password against a stored hash.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, AppError> {
        let (password, phc) = (password.to_string(), phc.to_string());
        self.run(move || verify_password(&password, &phc)).await
    }
}

/// A signed-in session as the browser holds it.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

impl App {
    /// Checks a username and password from `addr` (the client address as resolved by the web
    /// layer's trusted-proxy rule) and opens a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        addr: &str,
    ) -> Result<NewSession, AppError> {
        let attempt = self
            .store
            .count_signin_attempt(&Throttle::account_key(username), addr, self.throttle.limits)
            .await?
            .map_err(|secs| AppError::Throttled {
                retry_after_secs: secs,
            })?;
        let user = self.store.user_by_username(username.trim()).await?;
        // Unknown, disabled and real accounts cost one full check each, so that timing does not
        // tell which usernames exist or are disabled.
        let phc = user
            .as_ref()
            .map_or(self.dummy_hash.as_str(), |u| u.password_hash.as_str());
        let matches = self.passwords.verify(password, phc).await?;
        let user = match user {
            Some(u) if matches && !u.disabled => u,
            _ => {
                self.store
                    .audit(username, "*", AuditAction::SessionLoginFailed, addr)
                    .await?;
                return Err(AppError::BadCredentials);
            }
        };
        self.store.signin_succeeded(attempt).await?;
        let scope = AccessScope::for_user(&user);
        let token = random_token();
        let csrf = random_token();
        let expires = now_ms() + SESSION_HOURS * 3600 * 1000;
        self.store
            .create_session(&scope.actor(), &secret_digest(&token), &csrf, expires)
            .await?;
        Ok(NewSession { token, csrf })
    }

    /// The scope and CSRF token of a session cookie's value.
    pub async fn session_scope(&self, token: &str) -> Result<(AccessScope, String), AppError> {
        let row = self
            .store
            .session(&secret_digest(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if row.expires_at < now_ms() {
            return Err(AppError::Unauthenticated);
        }
        let user = self
            .store
            .user_by_id(&row.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if user.disabled {
            return Err(AppError::Unauthenticated);
        }
        Ok((AccessScope::for_user(&user), row.csrf))
    }

    pub async fn logout(&self, scope: &AccessScope, token: &str) -> Result<(), AppError> {
        self.store
            .end_session(&scope.actor(), &secret_digest(token))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes a refused password comes back with.
    fn refusal(password: &str, inputs: &[&str]) -> Vec<String> {
        match check_new_password(password, inputs) {
            Ok(()) => vec![],
            Err(AppError::Invalid(v)) => {
                assert!(v.errors.iter().all(|i| i.field == "password"));
                v.errors.into_iter().map(|i| i.code).collect()
            }
            Err(e) => panic!("{password:?}: {e}"),
        }
    }

    #[test]
    fn weak_new_passwords_are_refused() {
        for weak in [
            "          ",
            "\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}",
            "aaaaaaaaaaaa",
            "abababababab",
            "short",
            "a b c d e f g h i",
        ] {
            assert_eq!(refusal(weak, &[]), ["password_too_short"], "{weak:?}");
        }
        // The passwords the tests and the e2e suite use, with the inputs they meet.
        for (ok, user) in [
            ("correct horse battery staple", "siti"),
            ("correct-horse-battery", "pnh_registrar"),
            ("e2e-Pulang-reg1-correct-horse", "reg1"),
            ("e2e-Pulang-reg2-battery-staple", "reg2"),
            ("e2e-Pulang-desk1-correct-horse", "desk1"),
            ("e2e-Pulang-cw1-long-password", "cw1"),
            ("river lamp quietly orange", "siti"), // the manual's example
        ] {
            let inputs = [user, "pulang", "kbri", "PNH", "KBRI Phnom Penh", "BKK"];
            assert_eq!(refusal(ok, &inputs), Vec::<String>::new(), "{ok:?}");
        }
        assert_eq!(refusal(&"x7Q!".repeat(60), &[]), ["password_too_long"]);
    }

    #[test]
    fn the_estimator_refuses_guessable_passwords_and_says_why() {
        // Ten visible characters, five different, but easy to guess.
        for (weak, why) in [
            ("password123", "password_warn_common"),
            ("qwertyuiop", "password_warn_top100"),
            ("abcdefghijk", "password_warn_sequences"),
            ("Jakarta2024", "password_warn_similar_to_common"),
        ] {
            let codes = refusal(weak, &[]);
            assert_eq!(
                codes.first().map(String::as_str),
                Some("password_weak"),
                "{weak}"
            );
            assert!(codes.iter().any(|c| c == why), "{weak}: {codes:?}");
            assert!(codes.len() > 1, "{weak}: no reason given");
            for c in &codes {
                assert!(PASSWORD_ISSUES.contains(&c.as_str()), "{c} not listed");
            }
        }
        // The username and the site names count as known words.
        let own = "siti.rahayu 1998";
        assert_eq!(refusal(own, &[]), Vec::<String>::new());
        assert_eq!(
            refusal(own, &["siti.rahayu", "KBRI Phnom Penh"])
                .first()
                .map(String::as_str),
            Some("password_weak")
        );
    }

    #[test]
    fn passwords_are_normalised_and_old_hashes_still_verify() {
        let composed = "K\u{00F6}ln-Dom-am-Rhein-42"; // ö as one character
        let decomposed = "Ko\u{0308}ln-Dom-am-Rhein-42"; // o + combining diaeresis
        let h = hash_password(decomposed).unwrap();
        assert!(verify_password(composed, &h));
        assert!(verify_password(decomposed, &h));
        // A hash of the raw, decomposed text (as made before normalising) still opens.
        let salt = SaltString::generate(&mut OsRng);
        let raw = Argon2::default()
            .hash_password(decomposed.as_bytes(), &salt)
            .unwrap()
            .to_string();
        assert!(verify_password(decomposed, &raw));
        assert!(!verify_password("Koln-Dom-am-Rhein-42", &raw));
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
