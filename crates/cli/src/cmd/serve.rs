//! `kubepci serve`: watch a live cluster, keep its assessment current, serve metrics, the
//! report and the run history over HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use kubepci::input::ClusterArgs;
use kubepci::serve::ServeOptions;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// HTTP address of /metrics, /healthz, /readyz and /api/v1/… .
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// HTTPS address of the admission webhook (/validate). Without it, monitoring only.
    #[arg(long, value_name = "ADDR:PORT", requires_all = ["tls_cert", "tls_key"])]
    pub webhook_listen: Option<SocketAddr>,

    /// The webhook's certificate chain (PEM); reloaded when the file changes.
    #[arg(long, value_name = "FILE", requires = "webhook_listen")]
    pub tls_cert: Option<PathBuf>,

    /// The webhook's private key (PEM); reloaded when the file changes.
    #[arg(long, value_name = "FILE", requires = "webhook_listen")]
    pub tls_key: Option<PathBuf>,

    /// The history database: `sqlite:PATH` or `postgres://user@host:port/db`.
    #[arg(long, value_name = "URL", default_value = kubepci_history::DEFAULT_DATABASE)]
    pub database: String,

    /// Read the database URL from this file instead (a mounted Secret: the URL's password
    /// stays out of the command line and the environment). Surrounding whitespace is ignored.
    #[arg(long, value_name = "FILE", conflicts_with = "database")]
    pub database_file: Option<PathBuf>,

    /// The name this cluster's runs are recorded under (the fleet key).
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub cluster_name: String,

    /// The kubepci.yaml configuration (default: ./kubepci.yaml when it exists).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// When a requirement goes from pass or partial to fail, create a Kubernetes Event
    /// (events.k8s.io/v1) on each object whose new failures caused it. Needs `create` on
    /// events (the opt-in role in deploy/drift-events.yaml); off by default: serve then never
    /// writes to the cluster.
    #[arg(long)]
    pub drift_events: bool,

    /// Milliseconds of quiet after a change before re-evaluating.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub debounce_ms: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let database = match &args.database_file {
        Some(file) => database_url_from(file)?,
        None => args.database,
    };
    kubepci::serve::run(ServeOptions {
        cluster: args.cluster,
        config: args.config,
        listen: args.listen,
        database,
        cluster_name: args.cluster_name,
        debounce: Duration::from_millis(args.debounce_ms),
        webhook: args.webhook_listen.zip(args.tls_cert).zip(args.tls_key).map(|((a, c), k)| (a, c, k)),
        drift_events: args.drift_events,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The URL in `file`; errors name the file, never its content (it holds a password).
fn database_url_from(file: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("--database-file {}: {e}", file.display()))?;
    let url = text.trim();
    if url.is_empty() || url.contains(char::is_whitespace) {
        anyhow::bail!("--database-file {}: expected one database URL (sqlite:PATH or postgres://…)", file.display());
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::database_url_from;

    #[test]
    fn database_url_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("url");
        std::fs::write(&file, "postgres://kubepci:s3cret@db:5432/kubepci\n").unwrap();
        assert_eq!(database_url_from(&file).unwrap(), "postgres://kubepci:s3cret@db:5432/kubepci");
        std::fs::write(&file, "postgres://kubepci:s3cret@db/x\nsecond line").unwrap();
        let err = database_url_from(&file).unwrap_err().to_string();
        assert!(err.contains("expected one database URL") && !err.contains("s3cret"), "{err}");
        let err = database_url_from(&dir.path().join("missing")).unwrap_err().to_string();
        assert!(err.starts_with("--database-file "), "{err}");
    }
}
