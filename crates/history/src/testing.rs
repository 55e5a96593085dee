//! A real PostgreSQL server for tests: `initdb` and `pg_ctl` in a temporary directory, on a
//! loopback port, stopped when dropped. The server refuses to run as root, so as root (CI) it
//! runs as the `postgres` user through `runuser`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running test server.
pub struct TestPostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    as_postgres: bool,
    /// Extra server options (`-c ssl=on …`).
    options: String,
}

impl TestPostgres {
    /// Start a server, or `None` when PostgreSQL is not installed (the test then skips, or
    /// fails under `KUBEPCI_REQUIRE_REAL_PARTS=1`).
    pub fn start() -> Option<TestPostgres> {
        Self::start_with(None)
    }

    /// A server with `ssl=on`, serving the certificate chain and key (PEM files, copied into
    /// its directory with the owner and mode PostgreSQL insists on). Plain connections are
    /// still accepted (initdb's `host … trust` lines match both).
    pub fn start_with_tls(cert: &Path, key: &Path) -> Option<TestPostgres> {
        Self::start_with(Some((cert, key)))
    }

    fn start_with(tls: Option<(&Path, &Path)>) -> Option<TestPostgres> {
        // Debian installs the server outside PATH, under its major version.
        let mut candidates = vec!["initdb".to_string(), "/usr/lib/postgresql/15/bin/initdb".to_string()];
        if let Ok(versions) = std::fs::read_dir("/usr/lib/postgresql") {
            let mut found: Vec<String> = versions.flatten().map(|v| v.path().join("bin/initdb").display().to_string()).collect();
            found.sort();
            candidates.extend(found.into_iter().rev());
        }
        let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
        let initdb = kubepci_base::real_part::require("initdb", &candidates)?;
        let bin = initdb.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = tempfile::tempdir().expect("tempdir");
        let as_postgres = is_root();
        let mut options = String::new();
        if let Some((cert, key)) = tls {
            let (server_cert, server_key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
            std::fs::copy(cert, &server_cert).expect("copy the certificate");
            std::fs::copy(key, &server_key).expect("copy the key");
            run(Command::new("chmod").arg("0600").arg(&server_key));
            options = format!(" -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}", server_cert.display(), server_key.display());
        }
        if as_postgres {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()));
        }
        let port = free_port();
        let server = TestPostgres { bin, dir, port, as_postgres, options };
        let data = server.data();
        server.run_pg("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        server.ctl_start();
        Some(server)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stop the server (fast shutdown: open connections are cut).
    pub fn stop(&self) {
        self.run_pg("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Start it again on the same port and data.
    pub fn ctl_start(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off{}", self.port, self.dir.path().display(), self.options);
        let log = self.dir.path().join("server.log").display().to_string();
        self.run_pg("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "60", "start"]);
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run_pg(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        cmd.args(args).current_dir(self.dir.path());
        run(&mut cmd);
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl");
        let data = self.data();
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let _ = cmd.args(["-D", &data, "-m", "immediate", "-w", "stop"]).current_dir(self.dir.path()).output();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
