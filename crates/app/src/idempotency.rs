//! Idempotent requests: a client that sends the same `Idempotency-Key` again — because the
//! answer was lost, or the server crashed after saving — gets the first answer, and the change
//! is made once. Keys belong to the user who sent them and are kept a day.
use std::future::Future;

use pulang_store::idempotency::{with_claim, Claim, Recorded};
use sha2::{Digest, Sha256};

use crate::{AccessScope, App, AppError};

/// A client's key: 1–255 visible ASCII characters (a UUID, typically).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<IdempotencyKey, AppError> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !raw.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(AppError::BadRequest(format!(
                "Idempotency-Key: 1 to {} visible ASCII characters (a UUID, for example)",
                Self::MAX_LEN
            )));
        }
        Ok(IdempotencyKey(raw.to_string()))
    }

    fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// What to do with a request that carries a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Replay {
    /// Never seen: carry it out (inside [`App::claiming`]).
    Fresh,
    /// Carried out before: give this answer again.
    Answer(Vec<u8>),
    /// The key was used for a different request.
    Mismatch,
    /// Carried out, but its answer was not kept (a crash in between), or still under way.
    Unanswered,
}

fn request_digest(request: &[u8]) -> String {
    hex::encode(Sha256::digest(request))
}

impl App {
    /// What was recorded for `key` and the caller; `request` is what identifies the request
    /// (its method, path and body).
    pub async fn idempotent_replay(
        &self,
        scope: &AccessScope,
        key: &IdempotencyKey,
        request: &[u8],
    ) -> Result<Replay, AppError> {
        let recorded = self
            .store
            .idempotent_record(scope.user_id(), &key.digest())
            .await?;
        let same = |hash: &str| hash == request_digest(request);
        Ok(match recorded {
            None => Replay::Fresh,
            Some(Recorded::Answered {
                request_hash,
                answer,
            }) if same(&request_hash) => Replay::Answer(answer),
            Some(Recorded::Unanswered { request_hash }) if same(&request_hash) => {
                Replay::Unanswered
            }
            Some(_) => Replay::Mismatch,
        })
    }

    /// Carries out `request` so that its first change records `key` in the same transaction.
    pub async fn claiming<F: Future>(
        &self,
        scope: &AccessScope,
        key: &IdempotencyKey,
        request: &[u8],
        f: F,
    ) -> F::Output {
        let claim = Claim {
            user_id: scope.user_id().to_string(),
            key_hash: key.digest(),
            request_hash: request_digest(request),
        };
        with_claim(claim, f).await
    }

    /// Keeps the answer given under `key` (sealed; only for a request that changed something).
    pub async fn keep_idempotent_answer(
        &self,
        scope: &AccessScope,
        key: &IdempotencyKey,
        answer: &[u8],
    ) -> Result<(), AppError> {
        Ok(self
            .store
            .keep_idempotent_answer(scope.user_id(), &key.digest(), answer)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(IdempotencyKey::parse("0b7c1e4e-2f9a-4c5e-9a43-6f1d0f3a9e21").is_ok());
        for bad in ["", " ", "a b", "é", &"k".repeat(256), "a\tb"] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
