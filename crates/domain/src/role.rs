//! Roles of SPEC §1, the scope each grant carries, and what a set of grants may do with
//! the enterprise ledger. The storage layer turns an [`EnterpriseScope`] into SQL; this
//! module decides what it contains.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Office,
    Chief,
    LeadDept,
    Unit,
    Region,
    Enterprise,
    Bank,
    Expert,
    Viewer,
    Sysadmin,
    Secadmin,
    Auditor,
}

/// What the scope value of a grant names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// No value: whole city (business roles) or the system (三权分立 roles).
    None,
    /// A chain code.
    Chain,
    /// A department code.
    Department,
    /// A region code (county, prefecture or park).
    Region,
    /// An enterprise's USCC.
    Enterprise,
    /// A financial institution's name or code.
    Institution,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Office,
        Role::Chief,
        Role::LeadDept,
        Role::Unit,
        Role::Region,
        Role::Enterprise,
        Role::Bank,
        Role::Expert,
        Role::Viewer,
        Role::Sysadmin,
        Role::Secadmin,
        Role::Auditor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Office => "office",
            Role::Chief => "chief",
            Role::LeadDept => "lead_dept",
            Role::Unit => "unit",
            Role::Region => "region",
            Role::Enterprise => "enterprise",
            Role::Bank => "bank",
            Role::Expert => "expert",
            Role::Viewer => "viewer",
            Role::Sysadmin => "sysadmin",
            Role::Secadmin => "secadmin",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Office => "融圈强链办",
            Role::Chief => "链长/副链长",
            Role::LeadDept => "牵头部门",
            Role::Unit => "责任单位",
            Role::Region => "县市区/园区",
            Role::Enterprise => "企业",
            Role::Bank => "金融机构",
            Role::Expert => "专家",
            Role::Viewer => "领导查阅",
            Role::Sysadmin => "系统管理员",
            Role::Secadmin => "安全管理员",
            Role::Auditor => "安全审计员",
        }
    }

    pub fn from_code(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::Office | Role::Viewer | Role::Expert => ScopeKind::None,
            Role::Sysadmin | Role::Secadmin | Role::Auditor => ScopeKind::None,
            Role::Chief => ScopeKind::Chain,
            Role::LeadDept | Role::Unit => ScopeKind::Department,
            Role::Region => ScopeKind::Region,
            Role::Enterprise => ScopeKind::Enterprise,
            Role::Bank => ScopeKind::Institution,
        }
    }

    /// The three roles of 三权分立 (等保 level 3): system administration, security
    /// administration and audit. They exclude each other and every business role.
    pub fn is_system(self) -> bool {
        matches!(self, Role::Sysadmin | Role::Secadmin | Role::Auditor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One role held with its scope value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    /// Chain code, department code, region code, USCC or institution, per [`Role::scope_kind`].
    pub scope: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("未知角色“{0}”")]
    UnknownRole(String),
    #[error("角色“{0}”需要指定范围（{1}）")]
    ScopeRequired(&'static str, &'static str),
    #[error("角色“{0}”不带范围")]
    ScopeNotAllowed(&'static str),
    #[error("三权分立：{0}不能与其他角色兼任")]
    SeparationOfDuties(&'static str),
    #[error("至少需要一个角色")]
    Empty,
}

impl Grant {
    /// Parses `role` and `role:scope` (e.g. `region:511722`, `chief:natural_gas`).
    pub fn parse(s: &str) -> Result<Grant, GrantError> {
        let (r, scope) = match s.split_once(':') {
            Some((r, v)) => (r.trim(), Some(v.trim().to_string()).filter(|v| !v.is_empty())),
            None => (s.trim(), None),
        };
        let role = Role::from_code(r).ok_or_else(|| GrantError::UnknownRole(r.to_string()))?;
        Grant::new(role, scope)
    }

    pub fn new(role: Role, scope: Option<String>) -> Result<Grant, GrantError> {
        let scope = scope.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        match (role.scope_kind(), &scope) {
            (ScopeKind::None, Some(_)) => Err(GrantError::ScopeNotAllowed(role.label())),
            (ScopeKind::None, None) => Ok(Grant { role, scope }),
            (k, None) => Err(GrantError::ScopeRequired(role.label(), scope_kind_label(k))),
            (_, Some(_)) => Ok(Grant { role, scope }),
        }
    }
}

pub fn scope_kind_label(k: ScopeKind) -> &'static str {
    match k {
        ScopeKind::None => "无",
        ScopeKind::Chain => "产业链代码",
        ScopeKind::Department => "部门代码",
        ScopeKind::Region => "区划或园区代码",
        ScopeKind::Enterprise => "企业统一社会信用代码",
        ScopeKind::Institution => "金融机构名称",
    }
}

/// Checks a whole set of grants for one account: non-empty, and 三权分立.
pub fn validate_grants(grants: &[Grant]) -> Result<(), GrantError> {
    if grants.is_empty() {
        return Err(GrantError::Empty);
    }
    if let Some(sys) = grants.iter().find(|g| g.role.is_system())
        && grants.iter().any(|g| g.role != sys.role)
    {
        return Err(GrantError::SeparationOfDuties(sys.role.label()));
    }
    Ok(())
}

/// What a caller may see and change in the enterprise ledger, derived from their grants.
/// Reading is the union over grants; writing likewise. The storage layer renders it as a
/// `WHERE` clause so that lists, counts, gets and exports all obey it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnterpriseScope {
    pub read_all: bool,
    pub write_all: bool,
    /// May delete (archive) enterprises: the office only.
    pub delete: bool,
    /// Regions read and written (region role). A prefecture code covers its counties.
    pub regions: Vec<String>,
    /// Chains read only (chief).
    pub chains_read: Vec<String>,
    /// Lead departments: read and write enterprises on the chains they lead.
    pub lead_departments: Vec<String>,
    /// Own enterprise by USCC (enterprise role): read only; corrections are reviewed.
    pub own_usccs: Vec<String>,
    /// Departments acting as a responsible unit (unit role): the items assigned to them
    /// (projects, tasks), never the enterprise ledger itself.
    pub units: Vec<String>,
}

impl EnterpriseScope {
    pub fn from_grants(grants: &[Grant]) -> EnterpriseScope {
        let mut s = EnterpriseScope::default();
        for g in grants {
            let v = g.scope.clone();
            match g.role {
                Role::Office => {
                    s.read_all = true;
                    s.write_all = true;
                    s.delete = true;
                }
                Role::Viewer => s.read_all = true,
                Role::Chief => s.chains_read.extend(v),
                Role::LeadDept => s.lead_departments.extend(v),
                Role::Region => s.regions.extend(v),
                Role::Enterprise => s.own_usccs.extend(v),
                // Units see items assigned to them, banks their whitelist, experts their
                // assignments: none of those is the enterprise ledger itself.
                Role::Unit => s.units.extend(v),
                Role::Bank | Role::Expert => {}
                // 三权分立 roles never touch business data.
                Role::Sysadmin | Role::Secadmin | Role::Auditor => {}
            }
        }
        s
    }

    /// Whether any enterprise at all could be visible.
    pub fn reads_anything(&self) -> bool {
        self.read_all
            || !self.regions.is_empty()
            || !self.chains_read.is_empty()
            || !self.lead_departments.is_empty()
            || !self.own_usccs.is_empty()
    }

    /// Whether any enterprise at all could be written.
    pub fn writes_anything(&self) -> bool {
        self.write_all || !self.regions.is_empty() || !self.lead_departments.is_empty()
    }

    /// Whether new enterprises may be created at all: the office and regions.
    pub fn creates_anything(&self) -> bool {
        self.write_all || !self.regions.is_empty()
    }

    /// Whether a new enterprise in `region` may be created: the office anywhere, a region
    /// inside its own region (a prefecture code covers its counties).
    pub fn may_create_in(&self, region: &str, park: Option<&str>, parent_of: impl Fn(&str) -> Option<String>) -> bool {
        if self.write_all {
            return true;
        }
        self.regions
            .iter()
            .any(|r| r == region || park.is_some_and(|p| p == r) || parent_of(region).is_some_and(|p| &p == r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_grants() {
        assert_eq!(Grant::parse("office").unwrap().role, Role::Office);
        let g = Grant::parse("region:511722").unwrap();
        assert_eq!(g.scope.as_deref(), Some("511722"));
        assert!(matches!(Grant::parse("region"), Err(GrantError::ScopeRequired(..))));
        assert!(matches!(Grant::parse("office:x"), Err(GrantError::ScopeNotAllowed(..))));
        assert!(matches!(Grant::parse("boss"), Err(GrantError::UnknownRole(..))));
    }

    #[test]
    fn separation_of_duties() {
        let sys = Grant::parse("sysadmin").unwrap();
        let aud = Grant::parse("auditor").unwrap();
        let off = Grant::parse("office").unwrap();
        assert!(validate_grants(std::slice::from_ref(&sys)).is_ok());
        assert!(validate_grants(&[sys.clone(), aud]).is_err());
        assert!(validate_grants(&[off.clone(), sys]).is_err());
        assert!(validate_grants(&[off, Grant::parse("chief:gas").unwrap()]).is_ok());
        assert!(validate_grants(&[]).is_err());
    }

    #[test]
    fn scope_union() {
        let s =
            EnterpriseScope::from_grants(&[Grant::parse("region:511722").unwrap(), Grant::parse("chief:gas").unwrap()]);
        assert!(!s.read_all && !s.write_all && !s.delete);
        assert_eq!(s.regions, vec!["511722"]);
        assert_eq!(s.chains_read, vec!["gas"]);
        assert!(s.may_create_in("511722", None, |_| None));
        assert!(!s.may_create_in("511723", None, |_| Some("511700".into())));
        let none = EnterpriseScope::from_grants(&[Grant::parse("auditor").unwrap()]);
        assert!(!none.reads_anything() && !none.writes_anything());
    }
}

/// Proof that the caller may read the audit log: only the auditor (三权分立).
#[derive(Clone, Debug)]
pub struct AuditAccess(());

impl AuditAccess {
    pub fn from_grants(grants: &[Grant]) -> Option<AuditAccess> {
        grants.iter().any(|g| g.role == Role::Auditor).then_some(AuditAccess(()))
    }
}
