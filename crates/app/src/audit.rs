//! The audit log as the auditor sees it, and its verification.

use crate::account::Principal;
use crate::{App, AppError, Result};
use domain::role::AuditAccess;
use store::audit::{AuditFilter, AuditRow, Verification};

impl App {
    pub async fn audit_log(&self, p: &Principal, f: &AuditFilter) -> Result<(Vec<AuditRow>, i64)> {
        p.ensure_active()?;
        let access = AuditAccess::from_grants(&p.grants)
            .ok_or_else(|| AppError::Forbidden("仅安全审计员可查看审计日志".into()))?;
        Ok(store::audit::list(&self.db, &access, f).await?)
    }

    /// Recomputes the hash chain (auditor in the UI, the operator on the console).
    pub async fn audit_verify(&self, p: Option<&Principal>) -> Result<Verification> {
        if let Some(p) = p {
            p.ensure_active()?;
            AuditAccess::from_grants(&p.grants)
                .ok_or_else(|| AppError::Forbidden("仅安全审计员可校验审计日志".into()))?;
        }
        Ok(store::audit::verify(&self.db).await?)
    }
}
