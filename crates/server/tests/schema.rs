//! The SQLite and PostgreSQL migrations describe the same schema: the same tables, the same
//! columns with the same types (up to each engine's words for them), the same indexes on the
//! same columns. A migration written for one engine and forgotten for the other fails here.

mod common;

use std::collections::BTreeMap;

use common::{Db, TestServer};
use sqlx::Row;

/// table → (column → type family), and index name → (table, columns, unique).
#[derive(Debug, PartialEq)]
struct Schema {
    tables: BTreeMap<String, BTreeMap<String, &'static str>>,
    indexes: BTreeMap<String, (String, Vec<String>, bool)>,
}

/// An engine's type as a family both engines share.
fn family(t: &str) -> &'static str {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "text" | "character varying" | "varchar" => "text",
        "integer" | "bigint" | "int8" | "int4" | "smallint" => "integer",
        "real" | "double precision" | "float8" | "numeric" => "real",
        "blob" | "bytea" => "bytes",
        "boolean" => "boolean",
        _ => panic!("a column type this test does not know: {t}"),
    }
}

/// Tables that are an engine's own, not the schema's.
fn ours(table: &str) -> bool {
    !table.starts_with("_sqlx") && !table.starts_with("sqlite_")
}

async fn sqlite(url: &str) -> Schema {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut tables = BTreeMap::new();
    let mut indexes = BTreeMap::new();
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    for t in names.into_iter().filter(|t| ours(t)) {
        let cols = sqlx::query(&format!("SELECT name, type FROM pragma_table_info('{t}')"))
            .fetch_all(&pool)
            .await
            .unwrap();
        tables.insert(
            t.clone(),
            cols.iter()
                .map(|r| (r.get::<String, _>(0), family(&r.get::<String, _>(1))))
                .collect(),
        );
        let list = sqlx::query(&format!(
            "SELECT name, \"unique\", origin FROM pragma_index_list('{t}')"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        for i in list {
            let (name, unique, origin): (String, i64, String) = (i.get(0), i.get(1), i.get(2));
            // Primary keys and UNIQUE constraints are the columns' own, compared with them.
            if origin != "c" {
                continue;
            }
            let cols: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"
            ))
            .fetch_all(&pool)
            .await
            .unwrap();
            indexes.insert(name, (t.clone(), cols, unique != 0));
        }
    }
    pool.close().await;
    Schema { tables, indexes }
}

async fn postgres(url: &str) -> Schema {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut tables: BTreeMap<String, BTreeMap<String, &'static str>> = BTreeMap::new();
    let cols = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for r in cols {
        let (t, c, ty): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        if ours(&t) {
            tables.entry(t).or_default().insert(c, family(&ty));
        }
    }
    // Indexes made by CREATE INDEX (not those behind a primary key or a UNIQUE constraint).
    let rows = sqlx::query(
        "SELECT i.relname::text, t.relname::text, ix.indisunique, \
           array_to_string(ARRAY(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(n, o) \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o), ',') \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut indexes = BTreeMap::new();
    for r in rows {
        let (name, table, unique, cols): (String, String, bool, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        if ours(&table) {
            indexes.insert(
                name,
                (
                    table,
                    cols.split(',')
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    unique,
                ),
            );
        }
    }
    pool.close().await;
    Schema { tables, indexes }
}

#[tokio::test]
async fn both_engines_have_the_same_schema() {
    sqlx::any::install_default_drivers();
    let lite = TestServer::start(Db::Sqlite).await;
    let pg = TestServer::start(Db::Postgres).await;
    let a = sqlite(&lite.config.effective_database_url()).await;
    let b = postgres(&pg.config.effective_database_url()).await;
    assert!(
        a.tables.len() > 15 && a.indexes.len() > 15,
        "{:?} {:?}",
        a.tables.keys(),
        a.indexes.keys()
    );
    let only = |x: &Schema, y: &Schema| {
        x.tables
            .keys()
            .filter(|t| !y.tables.contains_key(*t))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (only(&a, &b), only(&b, &a)),
        (vec![], vec![]),
        "tables of one engine only (SQLite's, PostgreSQL's)"
    );
    for (t, cols) in &a.tables {
        assert_eq!(
            cols, &b.tables[t],
            "the columns of {t} (SQLite left, PostgreSQL right)"
        );
    }
    let mut diff = Vec::new();
    for (name, ix) in &a.indexes {
        if b.indexes.get(name) != Some(ix) {
            diff.push(format!(
                "SQLite {name} {ix:?} vs PostgreSQL {:?}",
                b.indexes.get(name)
            ));
        }
    }
    for (name, ix) in &b.indexes {
        if !a.indexes.contains_key(name) {
            diff.push(format!("PostgreSQL only: {name} {ix:?}"));
        }
    }
    assert!(diff.is_empty(), "indexes differ:\n{}", diff.join("\n"));
    lite.stop().await;
    pg.stop().await;
}
