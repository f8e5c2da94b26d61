//! Shapes shared by pages and the API: enterprise output and list queries, number formats.

use app::store::enterprise::{EnterpriseRow, Filter};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An enterprise as the API and the pages show it. Money in 万元 as exact decimal text.
#[derive(Serialize, ToSchema)]
pub struct EnterpriseOut {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub park_code: Option<String>,
    pub park_name: Option<String>,
    pub industry_code: String,
    pub industry_name: String,
    pub employees: Option<i64>,
    /// Yearly operating revenue, 万元.
    pub revenue_wan: Option<String>,
    /// Total assets, 万元.
    pub assets_wan: Option<String>,
    /// large, medium, small, micro (computed by the 2017 rules).
    pub size: Option<String>,
    pub size_label: Option<String>,
    /// 规模以上工业企业 (computed).
    pub above_scale: bool,
    pub founded_on: Option<String>,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    /// Fictitious demo record (示例).
    pub is_demo: bool,
    /// Name this version in an update (optimistic locking).
    pub version: i64,
    pub updated_at: String,
}

impl From<&EnterpriseRow> for EnterpriseOut {
    fn from(r: &EnterpriseRow) -> Self {
        EnterpriseOut {
            id: r.id,
            uscc: r.uscc.clone(),
            name: r.name.clone(),
            region_code: r.region_code.clone(),
            region_name: r.region_name.clone(),
            park_code: r.park_code.clone(),
            park_name: r.park_name.clone(),
            industry_code: r.industry_code.clone(),
            industry_name: r.industry_name.clone(),
            employees: r.employees,
            revenue_wan: r.revenue_fen.map(domain::money::plain_wan),
            assets_wan: r.assets_fen.map(domain::money::plain_wan),
            size: r.size.clone(),
            size_label: r.size.as_deref().and_then(size_label).map(String::from),
            above_scale: r.above_scale,
            founded_on: r.founded_on.map(|d| d.to_string()),
            address: r.address.clone(),
            contact_name: r.contact_name.clone(),
            contact_phone: r.contact_phone.clone(),
            description: r.description.clone(),
            is_demo: r.is_demo,
            version: r.version,
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}

pub fn size_label(code: &str) -> Option<&'static str> {
    domain::size::EnterpriseSize::from_code(code).map(|s| s.label())
}

/// Filters of the enterprise list, kept in the URL.
#[derive(Clone, Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(default)]
pub struct ListQuery {
    /// Name or USCC fragment.
    pub q: Option<String>,
    /// County or park code.
    pub region: Option<String>,
    /// GB/T 4754 section letter or code prefix.
    pub industry: Option<String>,
    /// large, medium, small, micro.
    pub size: Option<String>,
    /// Chain code.
    pub chain: Option<String>,
    /// name, uscc, region, industry, size, revenue, employees, updated.
    pub sort: Option<String>,
    /// "1" for descending.
    pub desc: Option<String>,
    #[serde(deserialize_with = "lenient_i64")]
    pub page: Option<i64>,
    #[serde(deserialize_with = "lenient_i64")]
    pub per_page: Option<i64>,
}

/// Page numbers from a URL: a malformed one counts as absent rather than failing the page.
fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    Ok(s.and_then(|s| s.trim().parse().ok()))
}

/// A trimmed, non-empty filter value. U+0000 is dropped: no stored text holds it, and
/// PostgreSQL refuses it in a parameter.
fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref().map(|s| s.replace('\0', "")).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl ListQuery {
    pub fn filter(&self) -> Filter {
        Filter {
            region: nonempty(&self.region),
            // "C26" and "26" mean the same: a section letter before digits is dropped.
            industry: nonempty(&self.industry).map(|s| {
                let s = s.to_ascii_uppercase();
                match s.strip_prefix(|c: char| c.is_ascii_uppercase()) {
                    Some(rest) if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) => rest.to_string(),
                    _ => s,
                }
            }),
            size: nonempty(&self.size),
            chain: nonempty(&self.chain),
            above_scale: None,
            q: nonempty(&self.q),
            sort: nonempty(&self.sort),
            desc: self.desc.as_deref() == Some("1"),
            page: self.page.unwrap_or(1).max(1),
            per_page: self.per_page.unwrap_or(20).clamp(1, 200),
        }
    }

    /// The query string of these filters with another page or sort.
    pub fn url(&self, page: Option<i64>, sort: Option<&str>) -> String {
        let mut q = self.clone();
        if let Some(p) = page {
            q.page = Some(p);
        }
        if let Some(s) = sort {
            if q.sort.as_deref() == Some(s) {
                q.desc = if q.desc.as_deref() == Some("1") { None } else { Some("1".into()) };
            } else {
                q.sort = Some(s.into());
                q.desc = None;
            }
            q.page = Some(1);
        }
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &q.q),
            ("region", &q.region),
            ("industry", &q.industry),
            ("size", &q.size),
            ("chain", &q.chain),
            ("sort", &q.sort),
            ("desc", &q.desc),
        ] {
            if let Some(v) = nonempty(v) {
                parts.push(format!("{k}={}", urlencode(&v)));
            }
        }
        if let Some(p) = q.page.filter(|p| *p > 1) {
            parts.push(format!("page={p}"));
        }
        if let Some(p) = q.per_page.filter(|p| *p != 20) {
            parts.push(format!("per_page={p}"));
        }
        parts.join("&")
    }
}

/// Percent-encodes a query value or file name (RFC 3986 unreserved characters kept).
pub fn urlencode(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

/// Accepts a JSON number, string or null as text (numbers in API bodies may come either way).
pub fn flex<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("应为数字或文本，实际为 {other}"))),
    }
}
