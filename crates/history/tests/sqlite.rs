//! The SQLite history on real files: recording, deduplication, reading back, migrations, and
//! a writer killed with SIGKILL in the middle of its writes.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::content;
use kubepci_history::{Backend, Error, History, Recorded, SqliteBackend, open};

fn url(dir: &tempfile::TempDir) -> String {
    format!("sqlite:{}", dir.path().join("history.db").display())
}

#[test]
fn records_deduplicates_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&url(&dir)).expect("open");
    assert_eq!(h.migrated_from, 0);
    assert_eq!(h.backend_name(), "sqlite");

    let first = h.record("prod", "2026-12-07T10:00:00Z", &content(3)).unwrap();
    assert!(matches!(first, Recorded::Run(_)));
    // Nothing changed: a heartbeat on the same run.
    let again = h.record("prod", "2026-12-07T10:05:00Z", &content(3)).unwrap();
    assert_eq!(again, Recorded::Heartbeat(first.id()));
    let changed = h.record("prod", "2026-12-07T10:10:00Z", &content(0)).unwrap();
    assert!(matches!(changed, Recorded::Run(id) if id > first.id()));
    h.record("staging", "2026-12-07T10:11:00Z", &content(12)).unwrap();

    let runs = h.runs(Some("prod"), None).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, changed.id(), "newest first");
    assert_eq!(runs[1].heartbeats, 1);
    assert_eq!((runs[1].started_at.as_str(), runs[1].last_seen.as_str()), ("2026-12-07T10:00:00Z", "2026-12-07T10:05:00Z"));
    assert_eq!((runs[1].failed, runs[1].requirements_failing, runs[1].critical_failures), (3, 1, 1));
    assert!(runs[1].sha256.starts_with("sha256:"));
    assert_eq!(h.runs(None, None).unwrap().len(), 3);
    assert_eq!(h.runs(None, Some(1)).unwrap().len(), 1);

    assert_eq!(h.run_content(first.id()).unwrap().expect("stored"), content(3), "read back exactly");
    assert!(h.run_content(9999).unwrap().is_none());
    assert_eq!(h.run(first.id()).unwrap().expect("row").cluster, "prod");

    let fleet = h.fleet().unwrap();
    let rows: Vec<(&str, i64, i64, &str)> = fleet.iter().map(|f| (f.cluster.as_str(), f.requirements_failing, f.critical_failures, f.last_seen.as_str())).collect();
    assert_eq!(rows, [("prod", 0, 0, "2026-12-07T10:10:00Z"), ("staging", 1, 2, "2026-12-07T10:11:00Z")]);
    assert_eq!(fleet[0].runs, 2);
}

#[test]
fn a_changed_run_is_stored_as_its_changes_and_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&url(&dir)).expect("open");
    let mut contents = vec![content(100)];
    let mut next = content(100);
    next.findings[5].message = "changed".into();
    next.findings.remove(40);
    next.findings.push(content(101).findings[100].clone());
    contents.push(next.clone());
    next.findings.insert(0, content(1).findings[0].clone());
    next.findings.truncate(90);
    contents.push(next);
    contents.push(content(3)); // mostly removed: stored whole
    let mut ids = Vec::new();
    for (i, c) in contents.iter().enumerate() {
        let recorded = h.record("prod", &format!("2026-12-07T10:0{i}:00Z"), c).unwrap();
        assert!(matches!(recorded, Recorded::Run(_)), "{recorded:?}");
        ids.push(recorded.id());
        // The same content again: a heartbeat, without a new run.
        assert_eq!(h.record("prod", &format!("2026-12-07T10:0{i}:30Z"), c).unwrap(), Recorded::Heartbeat(recorded.id()));
    }
    for (id, c) in ids.iter().zip(&contents) {
        assert_eq!(&h.run_content(*id).unwrap().expect("stored"), c, "run {id} read back exactly");
    }
    drop(h);
    let mut raw = SqliteBackend::open(&dir.path().join("history.db")).unwrap();
    let mut stored = Vec::new();
    raw.transaction(&mut |tx| {
        for id in &ids {
            let rows = tx.query("SELECT COUNT(*) FROM run_findings WHERE run_id = $1", &[(*id).into()])?;
            stored.push(rows[0][0].int());
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(stored, [100, 2, 1, 3], "changes only, then whole when most findings changed");
    drop(raw);
    // After a restart, an unchanged content is still a heartbeat, and the next change is
    // stored whole (no run of this process to start from).
    let mut h = open(&url(&dir)).expect("reopen");
    assert_eq!(h.record("prod", "2026-12-07T11:00:00Z", &contents[3]).unwrap(), Recorded::Heartbeat(ids[3]));
    let after = h.record("prod", "2026-12-07T11:01:00Z", &content(4)).unwrap();
    assert_eq!(h.run_content(after.id()).unwrap().expect("stored"), content(4));
}

#[test]
fn migrations_run_once_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    open(&url(&dir)).unwrap().record("a", "2026-12-07T10:00:00Z", &content(1)).unwrap();
    let h = open(&url(&dir)).unwrap();
    assert_eq!(h.migrated_from, kubepci_history::SCHEMA_VERSION, "already migrated");
    drop(h);
    // A later kubepci migrated it further.
    let mut raw = SqliteBackend::open(&dir.path().join("history.db")).unwrap();
    raw.transaction(&mut |tx| tx.batch("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')")).unwrap();
    drop(raw);
    match open(&url(&dir)) {
        Err(Error::SchemaTooNew { found: 99, .. }) => {}
        other => panic!("expected SchemaTooNew, got {:?}", other.map(|h| h.migrated_from)),
    }
}

#[test]
fn bad_urls_are_errors() {
    assert!(matches!(open("mysql://x/y"), Err(Error::Url(_))));
    let err = open("sqlite:/nonexistent-dir/kubepci.db").err().expect("cannot create");
    assert!(err.to_string().starts_with("sqlite /nonexistent-dir/kubepci.db: "), "{err}");
}

/// The writer of [`sigkill_mid_write_loses_nothing_committed`]: runs only in the child
/// process that test starts (the environment variable names its database).
#[test]
fn child_writer() {
    let Ok(path) = std::env::var("KUBEPCI_HISTORY_CHILD_DB") else { return };
    let mut h = open(&format!("sqlite:{path}")).unwrap();
    for i in 0.. {
        // Every run differs (no heartbeat) and is large, so the kill lands inside a write.
        h.record("prod", &format!("2026-12-07T10:{:02}:{:02}Z", (i / 60) % 60, i % 60), &content(2000 + i)).unwrap();
        println!("committed {i}");
    }
}

#[test]
fn sigkill_mid_write_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env("KUBEPCI_HISTORY_CHILD_DB", &path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("child");
    // Wait for a few committed runs, as a second process reading the database sees them.
    let started = Instant::now();
    let committed = loop {
        std::thread::sleep(Duration::from_millis(50));
        let seen = match open(&format!("sqlite:{}", path.display())) {
            Ok(mut h) => h.runs(None, None).map(|r| r.len()).unwrap_or(0),
            Err(_) => 0,
        };
        if seen >= 5 {
            break seen;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the writer committed only {seen} runs in 60 s");
    };
    // Let it get into its next write, then SIGKILL (what `Child::kill` sends on Unix).
    std::thread::sleep(Duration::from_millis(30));
    child.kill().expect("kill");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "killed, not finished");

    let backend = SqliteBackend::open(&path).expect("reopen");
    assert_eq!(backend.integrity_check().unwrap(), "ok");
    let mut h = History::new(Box::new(backend)).expect("migrated");
    let runs = h.runs(None, None).unwrap();
    assert!(runs.len() >= committed, "{} runs after the kill, {committed} seen committed before", runs.len());
    // Every stored run is whole: its findings are all there.
    for run in &runs {
        let stored = h.run_content(run.id).unwrap().expect("content");
        assert_eq!(stored.findings.len() as i64, run.failed, "run {}", run.id);
    }
    // And the database takes new writes.
    assert!(matches!(h.record("prod", "2026-12-07T11:00:00Z", &content(1)).unwrap(), Recorded::Run(_)));
}
