//! Building the kube client the way kubectl resolves its configuration.

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::{CollectOptions, Error};

/// Resolve the configuration: `--kubeconfig FILE` if given, else `KUBECONFIG` /
/// `~/.kube/config`, else the in-cluster service account (only when no context was asked for).
pub async fn config(opts: &CollectOptions) -> Result<Config, Error> {
    let kube_opts = KubeConfigOptions { context: opts.context.clone(), ..Default::default() };
    let mut config = match (&opts.kubeconfig, &opts.context) {
        (Some(path), _) => {
            let file = Kubeconfig::read_from(path).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
            Config::from_custom_kubeconfig(file, &kube_opts).await.map_err(|e| Error::Config(format!("{}: {e}", path.display())))?
        }
        (None, Some(_)) => Config::from_kubeconfig(&kube_opts).await.map_err(|e| Error::Config(e.to_string()))?,
        (None, None) => Config::infer().await.map_err(|e| Error::Config(e.to_string()))?,
    };
    // Retries are ours (bounded, and aware of list restarts); so is the per-request time bound
    // (`request_timeout` around each whole request, see `list.rs`).
    config.default_retry = false;
    Ok(config)
}

/// A client for the configuration. Works with `https://` and plain `http://` server URLs.
pub fn client(config: Config) -> Result<Client, Error> {
    let endpoint = config.cluster_url.to_string();
    Client::try_from(config).map_err(|e| Error::Connect { endpoint, message: e.to_string() })
}
