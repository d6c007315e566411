//! Bulk inserts, for loaders that write many rows at once (the demo and
//! benchmark data of `homeward-demo`): the rows of a table gathered in a
//! [`Table`] and written as multi-row `INSERT` statements inside a [`Tx`],
//! bound through [`Param`] like every dynamic query of the store.
//!
//! Nothing here checks what the rows say: a loader writes them as the use
//! cases would have left them, and tests read them back through the use
//! cases.

use crate::sql::Param;
use crate::{on_tx, Db, Result, Store, Tx};
use std::borrow::Cow;

/// Most bound parameters in one statement on SQLite (`SQLITE_MAX_VARIABLE_NUMBER`
/// since 3.32).
pub const SQLITE_MAX_PARAMS: usize = 32_766;
/// Most bound parameters in one statement on PostgreSQL (the protocol's
/// 16-bit count).
pub const POSTGRES_MAX_PARAMS: usize = 65_535;
/// Bound parameters per INSERT. Well under both limits: a few thousand
/// already amortise the per-statement cost, and every full statement of a
/// table has the same text, so it is prepared once.
pub const PARAMS_PER_INSERT: usize = 4000;
const _: () = assert!(PARAMS_PER_INSERT <= SQLITE_MAX_PARAMS);
const _: () = assert!(PARAMS_PER_INSERT <= POSTGRES_MAX_PARAMS);

/// Page cache of a [`begin`] connection on SQLite, in KiB: the primary-key
/// indexes of a million cases (random ids) stay in memory.
pub const SQLITE_CACHE_KIB: i64 = 1 << 20;
/// `maintenance_work_mem` of a [`begin`] connection on PostgreSQL, for the
/// index builds a loader runs at its end.
pub const POSTGRES_MAINTENANCE_WORK_MEM: &str = "256MB";

/// The rows of one table, written as multi-row INSERTs by [`Table::write`].
#[derive(Debug)]
pub struct Table {
    /// `INSERT INTO t (a, b, ...) VALUES `
    head: &'static str,
    cols: usize,
    values: Vec<Param>,
}

impl Table {
    /// A table to fill, from the statement's head up to `VALUES `:
    /// `INSERT INTO t (a, b, c) VALUES ` (the columns are counted from it).
    pub fn new(head: &'static str) -> Table {
        let cols = head
            .find('(')
            .zip(head.find(')'))
            .map(|(a, b)| head[a..b].matches(',').count() + 1)
            .unwrap_or(1);
        Table {
            head,
            cols,
            values: Vec::new(),
        }
    }

    /// Adds a row: one value per column, in the head's order.
    ///
    /// # Panics
    /// If the row has more or fewer values than the head has columns.
    pub fn row(&mut self, values: Vec<Param>) {
        assert_eq!(values.len(), self.cols, "{}", self.head);
        self.values.extend(values);
    }

    /// How many rows were added.
    pub fn rows(&self) -> u64 {
        (self.values.len() / self.cols) as u64
    }

    /// Writes the rows, [`PARAMS_PER_INSERT`] values at most per statement:
    /// `?` placeholders on SQLite (numbered ones cost it a name lookup each,
    /// quadratic in their number), `$n` on PostgreSQL. The values are bound
    /// by value, not copied.
    pub async fn write(self, tx: &mut Tx) -> Result<()> {
        let pg = matches!(tx, Tx::Postgres(_));
        let per = (PARAMS_PER_INSERT / self.cols).max(1);
        let full = insert_text(self.head, self.cols, per, pg);
        let mut values = self.values.into_iter();
        loop {
            let chunk: Vec<Param> = values.by_ref().take(per * self.cols).collect();
            if chunk.is_empty() {
                return Ok(());
            }
            let rows = chunk.len() / self.cols;
            let part;
            let text = if rows == per {
                &full
            } else {
                part = insert_text(self.head, self.cols, rows, pg);
                &part
            };
            on_tx!(&mut *tx, c => crate::bind_params!(sqlx::query(text), into chunk)
                .execute(&mut *c).await.map(|_| ()))?;
        }
    }
}

/// Writes the tables in the given order (parents first).
pub async fn write_all(tx: &mut Tx, tables: impl IntoIterator<Item = Table>) -> Result<()> {
    for t in tables {
        t.write(tx).await?;
    }
    Ok(())
}

/// `head` followed by `rows` groups of `cols` placeholders: `?` on SQLite
/// (numbered ones cost it a lookup each, quadratic in their number), `$n`
/// on PostgreSQL.
pub(crate) fn insert_text(head: &str, cols: usize, rows: usize, pg: bool) -> String {
    let mut s = String::with_capacity(head.len() + rows * cols * 7);
    s.push_str(head);
    let mut n = 0;
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            n += 1;
            if pg {
                s.push('$');
                s.push_str(&n.to_string());
            } else {
                s.push('?');
            }
        }
        s.push(')');
    }
    s
}

/// Starts a write transaction for a bulk load, on a connection of its own
/// that is closed, never returned to the pool, when the transaction ends:
/// the settings it has for the load end with it, and a load that fails or
/// is interrupted is rolled back whole.
///
/// On SQLite the connection does not check foreign keys row by row (the
/// loader checks them before committing, with `pragma_foreign_key_check`)
/// and has a page cache of [`SQLITE_CACHE_KIB`]; the transaction is
/// `BEGIN IMMEDIATE` in the store's writer turn, like [`Store::begin`]'s. On
/// PostgreSQL its `maintenance_work_mem` is [`POSTGRES_MAINTENANCE_WORK_MEM`].
pub async fn begin(store: &Store) -> Result<Tx> {
    Ok(match &store.db {
        Db::Sqlite(p) => {
            let turn = store.writer.clone().lock_owned().await;
            let mut c = p.acquire().await?;
            c.close_on_drop();
            // Outside a transaction, or SQLite ignores them.
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *c)
                .await?;
            sqlx::query(&format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
                .execute(&mut *c)
                .await?;
            // What `Pool::begin_with` does, on a connection prepared first.
            let t = sqlx::Transaction::begin(c, Some(Cow::Borrowed("BEGIN IMMEDIATE"))).await?;
            Tx::Sqlite(t, turn)
        }
        Db::Postgres(p) => {
            let mut c = p.acquire().await?;
            c.close_on_drop();
            sqlx::query(&format!(
                "SET maintenance_work_mem = '{POSTGRES_MAINTENANCE_WORK_MEM}'"
            ))
            .execute(&mut *c)
            .await?;
            Tx::Postgres(sqlx::Transaction::begin(c, None).await?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_counted_from_the_head() {
        let mut t = Table::new("INSERT INTO t (a, b, c) VALUES ");
        t.row(vec![Param::I64(1), Param::I32(2), Param::F64(3.0)]);
        t.row(vec![Param::I64(4), Param::I32(5), Param::F64(6.0)]);
        assert_eq!((t.cols, t.rows()), (3, 2));
    }

    #[test]
    #[should_panic]
    fn a_short_row_is_refused() {
        Table::new("INSERT INTO t (a, b) VALUES ").row(vec![Param::I64(1)]);
    }

    #[test]
    fn placeholders_suit_each_database() {
        let head = "INSERT INTO t (a, b) VALUES ";
        assert_eq!(
            insert_text(head, 2, 2, false),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            insert_text(head, 2, 2, true),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
