//! Reading columns of the engines' shared SQL: ids are UUID text, times epoch milliseconds,
//! flags 0/1, tags a JSON array. A value that does not parse is corrupt data, said as such.

use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub(crate) fn get_uuid(row: &AnyRow, col: &str) -> AppResult<Uuid> {
    let s: String = row.try_get(col)?;
    Uuid::parse_str(&s).map_err(|e| AppError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn get_opt_uuid(row: &AnyRow, col: &str) -> AppResult<Option<Uuid>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| AppError::Corrupt(format!("{col}: {e}"))))
        .transpose()
}

pub(crate) fn get_enum<T: std::str::FromStr>(row: &AnyRow, col: &str) -> AppResult<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.try_get(col)?;
    s.parse()
        .map_err(|e: T::Err| AppError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn get_time(row: &AnyRow, col: &str) -> AppResult<chrono::DateTime<chrono::Utc>> {
    let ms: i64 = row.try_get(col)?;
    Ok(crate::time::from_ms(ms))
}

pub(crate) fn get_opt_time(
    row: &AnyRow,
    col: &str,
) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    let ms: Option<i64> = row.try_get(col)?;
    Ok(ms.map(crate::time::from_ms))
}

pub(crate) fn get_bool(row: &AnyRow, col: &str) -> AppResult<bool> {
    let v: i64 = row.try_get(col)?;
    Ok(v != 0)
}

pub(crate) fn get_tags(row: &AnyRow, col: &str) -> AppResult<Vec<String>> {
    let s: String = row.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| AppError::Corrupt(format!("{col}: {e}")))
}
