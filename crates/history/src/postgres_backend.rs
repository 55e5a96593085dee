//! PostgreSQL: the fleet database. The connection is opened lazily and re-opened after the
//! server went away: a transaction that fails on a closed connection is retried once on a new
//! one (a retried run is deduplicated like any identical run). TLS with rustls as libpq's
//! `sslmode` (and `sslrootcert`) in the URL say: `postgres_tls`.

use std::error::Error as _;

use postgres::types::{ToSql, Type};
use postgres::Client;

use crate::postgres_tls::{MakeRustls, TlsUrl};
use crate::{Backend, Error, Tx, Value};

pub struct PostgresBackend {
    /// The URL as tokio-postgres reads it (the TLS parameters taken out).
    url: String,
    tls: MakeRustls,
    /// `host:port/db`, without credentials, for messages.
    endpoint: String,
    client: Option<Client>,
    /// Connections opened so far (the first one included); for metrics and tests.
    pub connects: u64,
}

impl PostgresBackend {
    /// Connect now, so a wrong URL or an unreachable server is reported at start.
    pub fn connect(url: &str) -> Result<PostgresBackend, Error> {
        let endpoint = endpoint(url);
        let config_error = |message: String| Error::Postgres { endpoint: endpoint.clone(), message };
        let parsed = TlsUrl::parse(url).map_err(config_error)?;
        let tls = parsed.connector().map_err(config_error)?;
        let mut backend = PostgresBackend { url: parsed.url, tls, endpoint, client: None, connects: 0 };
        backend.client()?;
        Ok(backend)
    }

    fn client(&mut self) -> Result<&mut Client, Error> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            let client = Client::connect(&self.url, self.tls.clone()).map_err(|e| self.error(&e))?;
            self.connects += 1;
            self.client = Some(client);
        }
        self.client.as_mut().ok_or_else(|| Error::Postgres { endpoint: self.endpoint.clone(), message: "not connected".into() })
    }

    fn error(&self, e: &postgres::Error) -> Error {
        Error::Postgres { endpoint: self.endpoint.clone(), message: message(e) }
    }

    fn attempt(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), Error>) -> Result<(), Error> {
        let endpoint = self.endpoint.clone();
        let client = self.client()?;
        let mut tx = client.transaction().map_err(|e| Error::Postgres { endpoint: endpoint.clone(), message: message(&e) })?;
        work(&mut PgTx { tx: &mut tx, endpoint: &endpoint })?;
        tx.commit().map_err(|e| Error::Postgres { endpoint, message: message(&e) })
    }
}

/// The error with its cause (the server's message for database errors).
fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => match e.source() {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// `postgres://user:secret@host:5432/db?x` → `host:5432/db`.
fn endpoint(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('?').next().unwrap_or(rest).to_string()
}

struct PgTx<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    endpoint: &'a str,
}

impl PgTx<'_, '_> {
    fn error(&self, e: &postgres::Error) -> Error {
        Error::Postgres { endpoint: self.endpoint.to_string(), message: message(e) }
    }
}

fn params(values: &[Value]) -> Vec<Box<dyn ToSql + Sync>> {
    values
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Value::Int(i) => Box::new(*i),
                Value::Text(t) => Box::new(t.clone()),
                Value::Null => Box::new(Option::<String>::None),
            }
        })
        .collect()
}

impl Tx for PgTx<'_, '_> {
    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.tx.batch_execute(sql).map_err(|e| self.error(&e))
    }

    fn execute(&mut self, sql: &str, values: &[Value]) -> Result<u64, Error> {
        let owned = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        self.tx.execute(sql, &refs).map_err(|e| self.error(&e))
    }

    fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Vec<Value>>, Error> {
        let owned = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        let rows = self.tx.query(sql, &refs).map_err(|e| self.error(&e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let value = match *column.type_() {
                    Type::INT8 => row.try_get::<_, Option<i64>>(i).ok().flatten().map(Value::Int),
                    Type::INT4 => row.try_get::<_, Option<i32>>(i).ok().flatten().map(|n| Value::Int(n.into())),
                    Type::VOID => None,
                    _ => row.try_get::<_, Option<String>>(i).ok().flatten().map(Value::Text),
                };
                values.push(value.unwrap_or(Value::Null));
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl Backend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn id_column(&self) -> &'static str {
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    }

    fn migration_lock(&self) -> Option<&'static str> {
        // Held until the migration's transaction ends; the number is kubepci's own.
        Some("SELECT pg_advisory_xact_lock(7170705)")
    }

    fn transaction(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), Error>) -> Result<(), Error> {
        match self.attempt(work) {
            // The server went away (restart, failover, idle cut): once more on a new connection.
            Err(Error::Postgres { .. }) if self.client.as_ref().is_none_or(Client::is_closed) => {
                self.client = None;
                self.attempt(work)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_hides_credentials() {
        assert_eq!(endpoint("postgres://kubepci:s3cret@db.example:5432/kubepci?sslmode=disable"), "db.example:5432/kubepci");
        assert_eq!(endpoint("postgresql://h/db"), "h/db");
    }
}
