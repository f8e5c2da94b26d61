use chrono::{DateTime, Utc};
use serde::Serialize;
use store::StoreError;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl ToString) -> Self {
        Self { field: field.to_string(), message: message.to_string() }
    }
}

/// Every failure a use case can report. The web layer maps each variant to one status code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that does not pass validation, with a message per field.
    #[error("输入有误")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("记录不存在或无权查看")]
    NotFound,
    /// An update named a version that is no longer current.
    #[error("该记录已被{}于{}修改，请刷新后重试", by.as_deref().unwrap_or("他人"), at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y-%m-%d %H:%M"))]
    Stale { by: Option<String>, at: DateTime<Utc> },
    #[error("{0}")]
    Conflict(String),
    #[error("账号已锁定，请于{}后重试", until.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%H:%M"))]
    Locked { until: DateTime<Utc> },
    /// The account must change its password before doing anything else.
    #[error("请先修改密码")]
    PasswordChange,
    #[error("{0}")]
    TooLarge(String),
    #[error("服务器内部错误")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// The message to show a person: every field's message for invalid input, joined.
    pub fn user_message(&self) -> String {
        match self {
            AppError::Invalid(f) => f.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("；"),
            e => e.to_string(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Stale => AppError::Conflict("该记录已被他人修改，请刷新后重试".into()),
            e => {
                tracing::error!(error = %e, "store error");
                AppError::Internal(e.to_string())
            }
        }
    }
}
