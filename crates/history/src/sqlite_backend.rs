//! SQLite: one file, WAL journal, `synchronous=FULL` (a commit is on disk when it returns, so
//! neither a killed process nor a power cut loses it), immediate transactions (a writer takes
//! the lock at the start, so two processes never deadlock upgrading a read lock).

use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, TransactionBehavior};

use crate::{Backend, Error, Tx, Value};

pub struct SqliteBackend {
    conn: Connection,
    path: String,
}

impl SqliteBackend {
    pub fn open(path: &Path) -> Result<SqliteBackend, Error> {
        let shown = path.display().to_string();
        let err = |e: rusqlite::Error| Error::Sqlite { path: shown.clone(), message: e.to_string() };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Sqlite { path: shown, message: format!("cannot switch to WAL (journal mode {mode})") });
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;").map_err(err)?;
        Ok(SqliteBackend { conn, path: shown })
    }

    /// `PRAGMA integrity_check`: `ok`, or the problems found.
    pub fn integrity_check(&self) -> Result<String, Error> {
        let rows = self.conn.prepare("PRAGMA integrity_check").and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>());
        rows.map(|r| r.join("; ")).map_err(|e| self.error(e))
    }

    fn error(&self, e: rusqlite::Error) -> Error {
        Error::Sqlite { path: self.path.clone(), message: e.to_string() }
    }
}

/// `$1` → `?1`: SQLite's numbered parameters.
fn dialect(sql: &str) -> String {
    sql.replace('$', "?")
}

fn params(values: &[Value]) -> Vec<rusqlite::types::Value> {
    values
        .iter()
        .map(|v| match v {
            Value::Int(i) => rusqlite::types::Value::Integer(*i),
            Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
            Value::Null => rusqlite::types::Value::Null,
        })
        .collect()
}

struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    path: &'a str,
}

impl SqliteTx<'_> {
    fn error(&self, e: rusqlite::Error) -> Error {
        Error::Sqlite { path: self.path.to_string(), message: e.to_string() }
    }
}

impl Tx for SqliteTx<'_> {
    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.tx.execute_batch(sql).map_err(|e| self.error(e))
    }

    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, Error> {
        let n = self.tx.execute(&dialect(sql), rusqlite::params_from_iter(params(values))).map_err(|e| self.error(e))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Vec<Value>>, Error> {
        let mut stmt = self.tx.prepare(&dialect(sql)).map_err(|e| self.error(e))?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params(values))).map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(|e| self.error(e))? {
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Real(f) => Value::Int(f as i64),
                    ValueRef::Null | ValueRef::Blob(_) => Value::Null,
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn id_column(&self) -> &'static str {
        "INTEGER PRIMARY KEY"
    }

    fn migration_lock(&self) -> Option<&'static str> {
        // Immediate transactions already hold the database's write lock.
        None
    }

    fn transaction(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), Error>) -> Result<(), Error> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| Error::Sqlite { path: path.clone(), message: e.to_string() };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        work(&mut SqliteTx { tx: &tx, path: &path })?;
        tx.commit().map_err(err)
    }
}
