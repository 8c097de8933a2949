//! What the pages share: the layout, the error page, the form extractor, form fields and
//! labels. A leaf: it uses no feature module.
pub mod error;
pub mod fields;
pub mod form;
pub mod labels;
pub mod layout;

pub use error::PageError;
pub use form::{FormData, Posted};
pub use layout::{html_response, ok_page, page, Chrome};

/// What a page handler returns.
pub type PageResult = Result<axum::response::Response, PageError>;

/// Something a page shows only to roles that may see it: empty when the caller's role may not,
/// but a failure is a failure (a database error must not read as "no flags").
pub fn if_permitted<T: Default>(
    r: Result<T, pulang_app::AppError>,
) -> Result<T, pulang_app::AppError> {
    match r {
        Err(pulang_app::AppError::Forbidden) => Ok(T::default()),
        other => other,
    }
}
