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
