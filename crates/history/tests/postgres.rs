//! The PostgreSQL history against a real server on loopback: two clusters writing into one
//! database at once, and the server stopped and started again under a live store.

mod common;

use common::content;
use kubepci_history::testing::TestPostgres;
use kubepci_history::{Recorded, open};

#[test]
fn fleet_of_two_clusters_and_a_server_restart() {
    let Some(server) = TestPostgres::start() else { return };
    let url = server.url();

    // Two instances (two connections) migrate and write at the same time.
    let writers: Vec<_> = ["eu-prod", "us-prod"]
        .into_iter()
        .enumerate()
        .map(|(n, cluster)| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut h = open(&url).expect("open");
                for i in 0..5 {
                    h.record(cluster, &format!("2026-12-07T10:0{i}:00Z"), &content(n * 10 + i % 2)).expect("record");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }

    let mut h = open(&url).expect("open");
    assert_eq!(h.backend_name(), "postgres");
    assert_eq!(h.migrated_from, kubepci_history::SCHEMA_VERSION);
    let fleet = h.fleet().unwrap();
    let rows: Vec<(&str, i64, i64, &str)> = fleet.iter().map(|f| (f.cluster.as_str(), f.requirements_failing, f.critical_failures, f.last_seen.as_str())).collect();
    assert_eq!(rows, [("eu-prod", 0, 0, "2026-12-07T10:04:00Z"), ("us-prod", 1, 1, "2026-12-07T10:04:00Z")]);
    assert_eq!(h.runs(Some("eu-prod"), None).unwrap().len(), 5, "alternating contents: five runs");
    let latest = h.runs(Some("us-prod"), Some(1)).unwrap().remove(0);
    assert_eq!(h.run_content(latest.id).unwrap().expect("stored"), content(10));
    assert_eq!(h.record("us-prod", "2026-12-07T10:05:00Z", &content(10)).unwrap(), Recorded::Heartbeat(latest.id));

    // The server goes away: an error, not a crash; back: the store reconnects by itself.
    server.stop();
    let err = h.record("eu-prod", "2026-12-07T10:06:00Z", &content(3)).expect_err("server down");
    assert!(err.to_string().starts_with(&format!("postgres 127.0.0.1:{}/postgres: ", server.port)), "{err}");
    server.ctl_start();
    let again = h.record("eu-prod", "2026-12-07T10:07:00Z", &content(3)).expect("reconnected");
    assert!(matches!(again, Recorded::Run(_)));
    assert_eq!(h.fleet().unwrap().len(), 2);
}
