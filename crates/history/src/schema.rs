//! Versioned migrations, applied in order at start inside one transaction each. A database
//! whose recorded version is newer than the last migration here is refused (an older kubepci
//! must not write into a schema it does not know).

use crate::{Backend, Error, Tx, Value};

/// The schema version after every migration below.
pub const SCHEMA_VERSION: i64 = 2;

/// `(version, SQL)`. `{id}` is the dialect's id column. Never edit a released migration:
/// add a new one.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
    1,
    "CREATE TABLE clusters (
        id {id},
        name TEXT NOT NULL UNIQUE,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE runs (
        id {id},
        cluster_id BIGINT NOT NULL REFERENCES clusters(id),
        started_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        heartbeats BIGINT NOT NULL DEFAULT 0,
        sha256 TEXT NOT NULL,
        failed BIGINT NOT NULL,
        excepted BIGINT NOT NULL,
        not_assessed BIGINT NOT NULL,
        passed BIGINT NOT NULL,
        requirements_failing BIGINT NOT NULL,
        critical_failures BIGINT NOT NULL,
        summary TEXT NOT NULL
    );
    CREATE INDEX runs_by_cluster ON runs (cluster_id, id);
    CREATE TABLE run_requirements (
        run_id BIGINT NOT NULL REFERENCES runs(id),
        requirement TEXT NOT NULL,
        status TEXT NOT NULL,
        PRIMARY KEY (run_id, requirement)
    );
    CREATE TABLE run_findings (
        run_id BIGINT NOT NULL REFERENCES runs(id),
        seq BIGINT NOT NULL,
        check_id TEXT NOT NULL,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        object TEXT,
        scope TEXT,
        requirements TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE run_scope (
        run_id BIGINT NOT NULL REFERENCES runs(id),
        namespace TEXT NOT NULL,
        scope TEXT NOT NULL,
        PRIMARY KEY (run_id, namespace)
    );",
    ),
    // A run may be stored as the changes from an earlier run of its cluster (`base_run_id`):
    // its findings are the base's without those at the positions in `run_findings_removed`,
    // with its own `run_findings` rows inserted at their positions (`seq`), ascending.
    (
        2,
        "ALTER TABLE runs ADD COLUMN base_run_id BIGINT;
    CREATE TABLE run_findings_removed (
        run_id BIGINT NOT NULL REFERENCES runs(id),
        seq BIGINT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );",
    ),
];

/// Bring the database to [`SCHEMA_VERSION`]; returns the version found before.
pub fn migrate(backend: &mut dyn Backend) -> Result<i64, Error> {
    let id_column = backend.id_column();
    let lock = backend.migration_lock();
    let mut before = 0;
    backend.transaction(&mut |tx: &mut dyn Tx| -> Result<(), Error> {
        if let Some(lock) = lock {
            tx.query(lock, &[])?;
        }
        tx.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")?;
        let rows = tx.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?;
        before = rows.first().and_then(|r| r.first()).map_or(0, Value::int);
        if before > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew { found: before, known: SCHEMA_VERSION });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > before) {
            tx.batch(&sql.replace("{id}", id_column))?;
            let now = kubepci_base::time::rfc3339(kubepci_base::time::now_epoch());
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", &[Value::Int(*version), Value::Text(now)])?;
        }
        Ok(())
    })?;
    Ok(before)
}
