//! The run history: every evaluation of `kubepci serve` (its summary, requirement statuses,
//! findings and namespace scope classes), keyed by cluster name, in one database.
//!
//! * SQLite (`sqlite:PATH`, the default `sqlite:kubepci.db`): embedded, compiled in, in WAL
//!   mode with `synchronous=FULL`, so a process killed mid-write loses nothing committed.
//! * PostgreSQL (`postgres://user@host:port/db`): the fleet option; many `serve` instances
//!   write into one database. A lost connection is re-established on the next use.
//!
//! Both sit behind one trait, [`Backend`]: a transaction over a minimal SQL seam ([`Tx`]). The
//! schema, the migrations and the queries are written once (see `schema.rs`, `store.rs`).
//!
//! A run identical to the cluster's previous one (same SHA-256 over its content) is not
//! stored again: the previous run's `last_seen` moves and its heartbeat count grows.
//!
//! What is stored is what the report holds, already redacted: no Secret value and no full card
//! number can reach the database (asserted by the CLI's `history_cli` test on the demo).

mod postgres_backend;
pub mod postgres_tls;
mod schema;
mod sqlite_backend;
mod store;
pub mod testing;

use std::path::PathBuf;

pub use postgres_backend::PostgresBackend;
pub use schema::{MIGRATIONS, SCHEMA_VERSION};
pub use sqlite_backend::SqliteBackend;
pub use store::{FindingsChange, FleetRow, History, Recorded, RunRow};

/// The default database of `serve` and `history`.
pub const DEFAULT_DATABASE: &str = "sqlite:kubepci.db";

/// Why a history operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database URL {0:?}: expected sqlite:PATH or postgres://…")]
    Url(String),
    #[error("sqlite {path}: {message}")]
    Sqlite { path: String, message: String },
    #[error("postgres {endpoint}: {message}")]
    Postgres { endpoint: String, message: String },
    #[error("database schema version {found} is newer than this kubepci knows ({known}); upgrade kubepci")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("stored run {0} is unreadable: {1}")]
    Corrupt(i64, String),
}

/// A parsed `--database` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).ok_or_else(|| Error::Url(url.to_string()))?;
        if path.is_empty() {
            return Err(Error::Url(url.to_string()));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

/// One value crossing the SQL seam.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    /// A missing text value.
    Null,
}

impl Value {
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Text(t) => t.parse().unwrap_or(0),
            Value::Null => 0,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<usize> for Value {
    fn from(i: usize) -> Value {
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<Option<&str>> for Value {
    fn from(s: Option<&str>) -> Value {
        s.map_or(Value::Null, Value::from)
    }
}

/// The SQL a transaction offers. Parameters are written `$1`, `$2`, … (PostgreSQL's form;
/// the SQLite backend rewrites them to `?1`, `?2`). Integers are 64-bit, text is text.
pub trait Tx {
    /// Several statements without parameters.
    fn batch(&mut self, sql: &str) -> Result<(), Error>;
    /// One statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error>;
    /// One query; its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, Error>;
}

/// A database kubepci can keep its history in.
pub trait Backend: Send {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;
    /// The dialect's id column (`INTEGER PRIMARY KEY`, identity).
    fn id_column(&self) -> &'static str;
    /// Run `work` in one transaction, committed when it returns `Ok`.
    fn transaction(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), Error>) -> Result<(), Error>;
    /// A query that serialises concurrent migrations (several instances starting at once),
    /// run first in the migration's transaction; `None` where the database locks anyway.
    fn migration_lock(&self) -> Option<&'static str>;
}

/// Open (and migrate) the history a `--database` URL names.
pub fn open(url: &str) -> Result<History, Error> {
    let backend: Box<dyn Backend> = match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(path) => Box::new(SqliteBackend::open(&path)?),
        DatabaseUrl::Postgres(url) => Box::new(PostgresBackend::connect(&url)?),
    };
    History::new(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(DatabaseUrl::parse("sqlite:kubepci.db").unwrap(), DatabaseUrl::Sqlite("kubepci.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite:///var/lib/k.db").unwrap(), DatabaseUrl::Sqlite("/var/lib/k.db".into()));
        assert_eq!(DatabaseUrl::parse("postgres://u@h:5432/db").unwrap(), DatabaseUrl::Postgres("postgres://u@h:5432/db".into()));
        assert_eq!(DatabaseUrl::parse("postgresql://h/db").unwrap(), DatabaseUrl::Postgres("postgresql://h/db".into()));
        for bad in ["", "sqlite:", "mysql://h/db", "kubepci.db"] {
            assert!(matches!(DatabaseUrl::parse(bad), Err(Error::Url(_))), "{bad}");
        }
    }
}
