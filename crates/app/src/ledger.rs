//! The rest of the enterprise ledger: indicator values with derived figures, honours and
//! designations, the yearly gradient 上规·上榜·上云·上市, and the listing reserve pool.

use crate::account::Principal;
use crate::{App, AppError, Result, audit_entry};
use domain::indicator::{Period, ratio, yoy};
use serde::Serialize;
use std::collections::BTreeMap;
use store::enterprise::Access;
use store::gradient::{
    GradientRow, HonourCount, HonourFilter, HonourKind, HonourRow, NewHonour, ReserveEntry, ReserveRow,
};
use store::indicator::IndicatorDef;

pub const LEVELS: [(&str, &str); 4] =
    [("national", "国家级"), ("provincial", "省级"), ("city", "市级"), ("county", "县级")];
pub const GRADIENTS: [(&str, &str); 4] =
    [("above_scale", "上规"), ("honoured", "上榜"), ("on_cloud", "上云"), ("listed", "上市")];
pub const STAGES: [(&str, &str); 4] =
    [("cultivation", "培育"), ("tutoring", "辅导备案"), ("filing", "申报"), ("listed", "上市")];
pub const BOARDS: [(&str, &str); 8] = [
    ("main", "沪深主板"),
    ("star", "科创板"),
    ("chinext", "创业板"),
    ("bse", "北交所"),
    ("neeq", "新三板"),
    ("hk", "港交所"),
    ("overseas", "境外"),
    ("undecided", "未定"),
];

pub fn label_of(table: &[(&'static str, &'static str)], code: &str) -> &'static str {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("未知")
}

/// One indicator's series on an enterprise page.
#[derive(Clone, Debug, Serialize)]
pub struct Series {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub points: Vec<Point>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub period: String,
    pub label: String,
    pub value: f64,
    /// Growth on the same period a year before, as a fraction.
    pub yoy: Option<f64>,
    pub source: String,
}

/// The enterprise page's data.
#[derive(Clone, Debug)]
pub struct EnterprisePage {
    pub row: store::enterprise::EnterpriseRow,
    pub chains: Vec<store::enterprise::ChainRef>,
    pub history: Vec<store::history::FieldChange>,
    pub indicators: IndicatorView,
    pub honours: Vec<HonourRow>,
    pub gradients: Vec<GradientRow>,
    pub may_edit: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct IndicatorView {
    pub series: Vec<Series>,
    /// Derived yearly figures: R&D intensity (R&D ÷ revenue) and output per employee (万元/人).
    pub rd_intensity: Vec<(String, f64)>,
    pub output_per_employee: Vec<(String, f64)>,
}

impl App {
    pub async fn indicator_catalogue(&self) -> Result<Vec<IndicatorDef>> {
        Ok(store::indicator::catalogue(&self.db).await?)
    }

    pub async fn enterprise_indicators(&self, p: &Principal, id: i64) -> Result<IndicatorView> {
        self.enterprise(p, id).await?;
        self.indicator_view(id).await
    }

    /// Everything the enterprise page shows, after one scope check.
    pub async fn enterprise_page(&self, p: &Principal, id: i64) -> Result<EnterprisePage> {
        let row = self.enterprise(p, id).await?;
        Ok(EnterprisePage {
            chains: store::enterprise::chains_of(&self.db, id).await?,
            history: store::history::of(&self.db, "enterprise", id).await?,
            indicators: self.indicator_view(id).await?,
            honours: store::gradient::honours(
                &self.db,
                &p.enterprise_scope,
                &HonourFilter { enterprise_id: Some(id), ..Default::default() },
                1000,
            )
            .await?,
            gradients: store::gradient::gradients_of(&self.db, id).await?,
            may_edit: self.may_edit_enterprise(p, id).await?,
            row,
        })
    }

    /// The indicator view of an enterprise whose scope the caller has checked.
    async fn indicator_view(&self, id: i64) -> Result<IndicatorView> {
        let cat = self.indicator_catalogue().await?;
        let values = store::indicator::of_enterprise(&self.db, id).await?;
        let mut by: BTreeMap<String, BTreeMap<Period, (f64, String)>> = BTreeMap::new();
        for v in values {
            if let Some(per) = Period::parse(&v.period) {
                by.entry(v.indicator_code).or_default().insert(per, (v.value, v.source));
            }
        }
        let plain = |code: &str| -> BTreeMap<Period, f64> {
            by.get(code).map(|m| m.iter().map(|(p, (v, _))| (*p, *v)).collect()).unwrap_or_default()
        };
        let yearly = |m: BTreeMap<Period, f64>| -> BTreeMap<Period, f64> {
            m.into_iter().filter(|(p, _)| matches!(p, Period::Year(_))).collect()
        };
        let series = cat
            .iter()
            .filter_map(|d| {
                let m = by.get(&d.code)?;
                let g = yoy(&m.iter().map(|(p, (v, _))| (*p, *v)).collect());
                Some(Series {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    unit: d.unit.clone(),
                    points: m
                        .iter()
                        .map(|(p, (v, src))| Point {
                            period: p.code(),
                            label: p.label(),
                            value: *v,
                            yoy: g.get(p).copied().flatten(),
                            source: src.clone(),
                        })
                        .collect(),
                })
            })
            .collect();
        let to_vec = |m: BTreeMap<Period, f64>| m.into_iter().map(|(p, v)| (p.label(), v)).collect();
        Ok(IndicatorView {
            series,
            rd_intensity: to_vec(ratio(&yearly(plain("rd_expense")), &yearly(plain("revenue")))),
            output_per_employee: to_vec(ratio(&yearly(plain("output_value")), &yearly(plain("employees")))),
        })
    }

    pub async fn honour_kinds(&self) -> Result<Vec<HonourKind>> {
        Ok(store::gradient::kinds(&self.db).await?)
    }

    pub async fn honours(&self, p: &Principal, f: &HonourFilter) -> Result<Vec<HonourRow>> {
        let scope = self.read_scope_of(p)?;
        Ok(store::gradient::honours(&self.db, scope, f, 10_000).await?)
    }

    pub async fn honour_counts(&self, p: &Principal, f: &HonourFilter) -> Result<Vec<HonourCount>> {
        let scope = self.read_scope_of(p)?;
        Ok(store::gradient::honour_counts(&self.db, scope, f).await?)
    }

    pub async fn gradients_of(&self, p: &Principal, id: i64) -> Result<Vec<GradientRow>> {
        self.enterprise(p, id).await?;
        Ok(store::gradient::gradients_of(&self.db, id).await?)
    }

    pub async fn gradient_counts(
        &self,
        p: &Principal,
        region: Option<&str>,
        chain: Option<&str>,
    ) -> Result<Vec<store::gradient::GradientCount>> {
        let scope = self.read_scope_of(p)?;
        Ok(store::gradient::gradient_counts(&self.db, scope, region, chain).await?)
    }

    pub async fn listing_reserve(&self, p: &Principal, f: &HonourFilter) -> Result<Vec<ReserveRow>> {
        let scope = self.read_scope_of(p)?;
        Ok(store::gradient::reserve(&self.db, scope, f).await?)
    }

    /// Checks that `p` may write enterprise `id` inside `tx`.
    async fn writable(&self, tx: &mut store::Tx, p: &Principal, id: i64) -> Result<()> {
        p.ensure_active()?;
        match store::enterprise::get_tx(tx, &p.enterprise_scope, id, Access::Write).await? {
            Some(_) => Ok(()),
            None => match store::enterprise::get_tx(tx, &p.enterprise_scope, id, Access::Read).await? {
                Some(_) => Err(AppError::Forbidden("您无权修改该企业".into())),
                None => Err(AppError::NotFound),
            },
        }
    }

    pub async fn add_honour(&self, p: &Principal, h: &NewHonour) -> Result<i64> {
        let kinds = self.honour_kinds().await?;
        if !kinds.iter().any(|k| k.code == h.kind_code && k.applies_to == "enterprise") {
            return Err(AppError::invalid("kind_code", "未知的荣誉或认定类型"));
        }
        if !LEVELS.iter().any(|(c, _)| *c == h.level) {
            return Err(AppError::invalid("level", "级别应为国家级、省级、市级或县级"));
        }
        if !(1990..=self.now().format("%Y").to_string().parse::<i64>().unwrap_or(2100) + 1).contains(&h.year) {
            return Err(AppError::invalid("year", "认定年份超出范围"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.writable(&mut tx, p, h.enterprise_id).await?;
        let id = store::gradient::upsert_honour(&mut tx, h, now, Some(p.account_id)).await?;
        let after = serde_json::to_value(h).map_err(|e| AppError::Internal(e.to_string()))?;
        store::audit::append(&mut tx, now, &audit_entry(&p.actor(), "honour.upsert", "honour", id, None, Some(after)))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn set_gradient(
        &self,
        p: &Principal,
        enterprise_id: i64,
        year: i64,
        gradient: &str,
        targeted: bool,
        achieved: bool,
        note: &str,
    ) -> Result<()> {
        if !GRADIENTS.iter().any(|(c, _)| *c == gradient) {
            return Err(AppError::invalid("gradient", "梯度应为上规、上榜、上云或上市"));
        }
        if !(2000..=2100).contains(&year) {
            return Err(AppError::invalid("year", "年份超出范围"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.writable(&mut tx, p, enterprise_id).await?;
        store::gradient::set_gradient(
            &mut tx,
            enterprise_id,
            year,
            gradient,
            targeted,
            achieved,
            note.trim(),
            now,
            Some(p.account_id),
        )
        .await?;
        let after = serde_json::json!({"enterprise_id": enterprise_id, "year": year, "gradient": gradient, "targeted": targeted, "achieved": achieved, "note": note});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "gradient.set", "enterprise", enterprise_id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_reserve(&self, p: &Principal, r: &ReserveEntry) -> Result<i64> {
        if !STAGES.iter().any(|(c, _)| *c == r.stage) {
            return Err(AppError::invalid("stage", "阶段应为培育、辅导备案、申报或上市"));
        }
        if !BOARDS.iter().any(|(c, _)| *c == r.board) {
            return Err(AppError::invalid("board", "未知的上市板块"));
        }
        if r.kind != "listing" && r.kind != "merger_target" {
            return Err(AppError::invalid("kind", "类型应为上市后备或并购标的"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.writable(&mut tx, p, r.enterprise_id).await?;
        let id = store::gradient::upsert_reserve(&mut tx, r, now, Some(p.account_id)).await?;
        let after = serde_json::to_value(r).map_err(|e| AppError::Internal(e.to_string()))?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "listing_reserve.upsert", "listing_reserve", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}
