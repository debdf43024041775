//! Tariffs: the price of each kind of consultation; a new one replaces the active one of its kind.

use careline_protocol::{CreateTariffRequest, EventData, Tariff};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::rows::{get_bool, get_enum, get_uuid};
use super::{required_text, Store};
use crate::db::Audience;
use crate::error::{AppError, AppResult};
use crate::time::now_ms;

impl Store {
    pub async fn list_tariffs(&self) -> AppResult<Vec<Tariff>> {
        let rows = sqlx::query(
            "SELECT id, name, kind, price, currency, active FROM tariffs ORDER BY kind, name",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(tariff_row).collect()
    }

    /// A new tariff becomes the active one of its kind.
    pub async fn create_tariff(&self, req: &CreateTariffRequest, actor: Uuid) -> AppResult<Tariff> {
        let name = required_text("name", &req.name, 200)?;
        if req.price < 0 {
            return Err(AppError::invalid("price must not be negative"));
        }
        let currency = req.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::invalid(
                "currency must be an ISO 4217 code such as RUB",
            ));
        }
        let t = Tariff {
            id: careline_protocol::new_id(),
            name,
            kind: req.kind,
            price: req.price,
            currency,
            active: true,
        };
        let now = now_ms();
        let mut tx = self.begin().await?;
        let old = sqlx::query(
            "SELECT id, name, kind, price, currency FROM tariffs WHERE kind = $1 AND active = 1",
        )
        .bind(t.kind.as_str())
        .fetch_all(tx.conn())
        .await?;
        sqlx::query("UPDATE tariffs SET active = 0 WHERE kind = $1")
            .bind(t.kind.as_str())
            .execute(tx.conn())
            .await?;
        for r in &old {
            let prev = Tariff {
                id: get_uuid(r, "id")?,
                name: r.try_get("name")?,
                kind: get_enum(r, "kind")?,
                price: r.try_get("price")?,
                currency: r.try_get("currency")?,
                active: false,
            };
            tx.emit(&EventData::Tariff(prev), Audience::Staff(None), now)
                .await?;
        }
        sqlx::query("INSERT INTO tariffs (id, name, kind, price, currency, active) VALUES ($1, $2, $3, $4, $5, 1)")
            .bind(t.id.to_string())
            .bind(&t.name)
            .bind(t.kind.as_str())
            .bind(t.price)
            .bind(&t.currency)
            .execute(tx.conn())
            .await?;
        tx.emit(&EventData::Tariff(t.clone()), Audience::Staff(None), now)
            .await?;
        audit_in(
            &mut tx,
            actor,
            "tariff.created",
            Some(t.id),
            Some(&t.name),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }
}

pub(crate) fn tariff_row(r: &AnyRow) -> AppResult<Tariff> {
    Ok(Tariff {
        id: get_uuid(r, "id")?,
        name: r.try_get("name")?,
        kind: get_enum(r, "kind")?,
        price: r.try_get("price")?,
        currency: r.try_get("currency")?,
        active: get_bool(r, "active")?,
    })
}
