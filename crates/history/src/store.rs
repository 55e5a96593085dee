//! Recording runs and reading them back, written once over the [`Tx`] seam.

use kubepci_findings::{Severity, Status};
use kubepci_report::compare::{FindingRecord, NamespaceClass, RequirementStatus, RunContent, RunSummary, ScopeRecord};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Backend, Error, Tx, Value, schema};

/// Findings inserted per statement (9 parameters each; SQLite allows 32766 per statement).
const ROWS_PER_INSERT: usize = 200;

/// The history of one database.
pub struct History {
    backend: Box<dyn Backend>,
    /// The schema version found when opening (0: a new database).
    pub migrated_from: i64,
    /// The run this process recorded last: compared with the next content without hashing,
    /// and the base the next run is stored against (as its changes).
    last: Option<LastRun>,
}

/// A run recorded by this process.
struct LastRun {
    cluster: String,
    id: i64,
    /// Its content when recorded whole ([`History::record`]); [`History::record_change`]
    /// keeps none, its caller gives the changes.
    content: Option<RunContent>,
    /// The sum of its findings' digests and their number (the next run's digest is this
    /// one's updated by the changes).
    sum: FindingsSum,
    findings: usize,
    /// How many runs stored as changes lead to it from a run stored whole.
    depth: u32,
}

/// How a run's findings differ from those of the run recorded before it by the same
/// [`History`]: positions in the old findings that are gone, with those findings (ascending),
/// and positions in the new findings that were inserted (ascending). The old findings without
/// `removed`, with the new findings at `added` inserted in order, are the new findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingsChange {
    pub removed: Vec<(usize, FindingRecord)>,
    pub added: Vec<usize>,
}

/// The wrapping sum, lane by lane, of the SHA-256 digests of a run's findings (each as its
/// JSON): independent of their order, and updated by a change in the time of the changed
/// findings alone, so a run's content digest does not serialise every finding again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct FindingsSum([u64; 4]);

impl FindingsSum {
    fn over(findings: &[FindingRecord]) -> FindingsSum {
        let mut sum = FindingsSum::default();
        findings.iter().for_each(|f| sum.add(f));
        sum
    }

    fn lanes(f: &FindingRecord) -> [u64; 4] {
        let digest = Sha256::digest(serde_json::to_vec(f).unwrap_or_default());
        std::array::from_fn(|i| u64::from_le_bytes(digest[i * 8..i * 8 + 8].try_into().expect("8 bytes")))
    }

    fn add(&mut self, f: &FindingRecord) {
        for (s, l) in self.0.iter_mut().zip(Self::lanes(f)) {
            *s = s.wrapping_add(l);
        }
    }

    fn sub(&mut self, f: &FindingRecord) {
        for (s, l) in self.0.iter_mut().zip(Self::lanes(f)) {
            *s = s.wrapping_sub(l);
        }
    }
}

/// Runs stored as changes between two stored whole: reading one back reads at most this many.
const MAX_CHAIN: u32 = 32;

/// The changes that turn `old` findings into `new`: positions in `old` to remove, then
/// positions in `new` to insert (ascending). `None` when they would not rebuild `new` exactly
/// or are not much smaller than `new`.
fn findings_delta(old: &[FindingRecord], new: &[FindingRecord]) -> Option<(Vec<usize>, Vec<usize>)> {
    type Key<'a> = (&'a str, Status, Severity, &'a Option<String>, &'a Option<String>, &'a str, &'a [String]);
    let mut unused: std::collections::BTreeMap<Key, std::collections::VecDeque<usize>> = std::collections::BTreeMap::new();
    for (i, f) in old.iter().enumerate() {
        unused.entry((f.check.as_str(), f.status, f.severity, &f.object, &f.scope, f.message.as_str(), f.requirements.as_slice())).or_default().push_back(i);
    }
    let mut kept = vec![false; old.len()];
    let mut added = Vec::new();
    for (i, f) in new.iter().enumerate() {
        match unused.get_mut(&(f.check.as_str(), f.status, f.severity, &f.object, &f.scope, f.message.as_str(), f.requirements.as_slice())).and_then(|q| q.pop_front()) {
            Some(at) => kept[at] = true,
            None => added.push(i),
        }
    }
    let removed: Vec<usize> = kept.iter().enumerate().filter(|(_, k)| !**k).map(|(i, _)| i).collect();
    if (removed.len() + added.len()) * 2 > new.len() {
        return None;
    }
    let rebuilt = apply_delta(old.to_vec(), &removed, added.iter().map(|&i| (i, new[i].clone())));
    (rebuilt == new).then_some((removed, added))
}

/// `base` without the findings at `removed`, with `added` inserted at their positions.
fn apply_delta(base: Vec<FindingRecord>, removed: &[usize], added: impl IntoIterator<Item = (usize, FindingRecord)>) -> Vec<FindingRecord> {
    let mut out: Vec<FindingRecord> = base.into_iter().enumerate().filter(|(i, _)| removed.binary_search(i).is_err()).map(|(_, f)| f).collect();
    for (at, f) in added {
        out.insert(at.min(out.len()), f);
    }
    out
}

/// What [`History::record`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// A new run with this id.
    Run(i64),
    /// The content equals the cluster's last run (this id): only its `last_seen` moved.
    Heartbeat(i64),
}

impl Recorded {
    pub fn id(self) -> i64 {
        match self {
            Recorded::Run(id) | Recorded::Heartbeat(id) => id,
        }
    }
}

/// One run as `history` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    pub id: i64,
    pub cluster: String,
    /// When this content was first seen (RFC 3339 UTC).
    pub started_at: String,
    /// When it was last confirmed unchanged.
    pub last_seen: String,
    /// Evaluations after the first that found the same content.
    pub heartbeats: i64,
    pub failed: i64,
    pub excepted: i64,
    pub not_assessed: i64,
    pub passed: i64,
    pub requirements_failing: i64,
    pub critical_failures: i64,
    /// `sha256:…` over the run's content.
    pub sha256: String,
}

/// One cluster as `fleet` lists it: its latest run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetRow {
    pub cluster: String,
    pub requirements_failing: i64,
    pub critical_failures: i64,
    pub failed: i64,
    pub last_seen: String,
    pub last_run: i64,
    pub runs: i64,
}

const RUN_COLUMNS: &str = "r.id, c.name, r.started_at, r.last_seen, r.heartbeats, r.failed, r.excepted, r.not_assessed, r.passed, r.requirements_failing, r.critical_failures, r.sha256";

fn run_row(v: &[Value]) -> RunRow {
    let text = |i: usize| v.get(i).and_then(Value::text).unwrap_or_default().to_string();
    let int = |i: usize| v.get(i).map_or(0, Value::int);
    RunRow {
        id: int(0),
        cluster: text(1),
        started_at: text(2),
        last_seen: text(3),
        heartbeats: int(4),
        failed: int(5),
        excepted: int(6),
        not_assessed: int(7),
        passed: int(8),
        requirements_failing: int(9),
        critical_failures: int(10),
        sha256: text(11),
    }
}

/// `sha256:…` over the summary, requirement statuses and scope (as JSON) and the findings'
/// number and [`FindingsSum`]: the findings are always in the report's stable order, so their
/// multiset identifies them.
fn content_sha(content: &RunContent, sum: FindingsSum) -> String {
    let mut hasher = Sha256::new();
    for part in [serde_json::to_vec(&content.summary), serde_json::to_vec(&content.requirements), serde_json::to_vec(&content.scope)] {
        hasher.update(part.unwrap_or_default());
        hasher.update(b"\n");
    }
    hasher.update((content.findings.len() as u64).to_le_bytes());
    sum.0.iter().for_each(|lane| hasher.update(lane.to_le_bytes()));
    format!("sha256:{}", kubepci_base::text::hex(&hasher.finalize()))
}

impl History {
    /// Migrate the database and wrap it.
    pub fn new(mut backend: Box<dyn Backend>) -> Result<History, Error> {
        let migrated_from = schema::migrate(backend.as_mut())?;
        Ok(History { backend, migrated_from, last: None })
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Record an evaluation of `cluster` at `at` (RFC 3339 UTC): a new run, or a heartbeat on
    /// the cluster's last run when nothing changed.
    pub fn record(&mut self, cluster: &str, at: &str, content: &RunContent) -> Result<Recorded, Error> {
        // The run this process recorded last for this cluster: equal content needs no hash,
        // and a new run is stored as its changes from it.
        let last = self.last.take().filter(|l| l.cluster == cluster);
        let unchanged = last.as_ref().is_some_and(|l| l.content.as_ref() == Some(content));
        let sum = match &last {
            Some(l) if unchanged => l.sum,
            _ => FindingsSum::over(&content.findings),
        };
        let delta = match &last {
            Some(l) if !unchanged => l.content.as_ref().and_then(|old| findings_delta(&old.findings, &content.findings)),
            _ => Some((Vec::new(), Vec::new())),
        };
        let kept = match last.as_ref().map(|l| (&l.content, unchanged)) {
            Some((Some(old), true)) => old.clone(),
            _ => content.clone(),
        };
        let (outcome, _) = self.write(cluster, at, content, sum, last, delta)?;
        if let Some(l) = &mut self.last {
            l.content = Some(kept);
        }
        Ok(outcome)
    }

    /// Record an evaluation as [`History::record`] does, given how its findings differ from
    /// those of the content this history recorded last (`None`: unknown, e.g. after a whole
    /// re-evaluation). With the changes, the content is neither compared nor hashed whole:
    /// the cost is that of the changed findings, and a heartbeat when there are none.
    pub fn record_change(&mut self, cluster: &str, at: &str, content: &RunContent, change: Option<&FindingsChange>) -> Result<Recorded, Error> {
        let last = self.last.take().filter(|l| l.cluster == cluster);
        let (sum, delta) = match (&last, change) {
            (Some(l), Some(c)) if l.findings + c.added.len() == content.findings.len() + c.removed.len() && c.added.iter().all(|&i| i < content.findings.len()) => {
                let mut sum = l.sum;
                c.removed.iter().for_each(|(_, f)| sum.sub(f));
                c.added.iter().for_each(|&i| sum.add(&content.findings[i]));
                let small = (c.removed.len() + c.added.len()) * 2 <= content.findings.len();
                (sum, small.then(|| (c.removed.iter().map(|(i, _)| *i).collect(), c.added.clone())))
            }
            _ => (FindingsSum::over(&content.findings), None),
        };
        Ok(self.write(cluster, at, content, sum, last, delta)?.0)
    }

    /// Write a run (or a heartbeat when its digest is the cluster's last run's) and keep it
    /// as the last run, without content. `delta`: the findings as changes from `last`
    /// (positions removed from its findings, positions added in `content`'s).
    fn write(&mut self, cluster: &str, at: &str, content: &RunContent, sum: FindingsSum, last: Option<LastRun>, delta: Option<(Vec<usize>, Vec<usize>)>) -> Result<(Recorded, u32), Error> {
        let sha = content_sha(content, sum);
        let summary = serde_json::to_string(&content.summary).unwrap_or_default();
        let mut outcome = Recorded::Run(0);
        let mut depth = 0;
        let result = self.backend.transaction(&mut |tx: &mut dyn Tx| {
            let rows = tx.query(
                "INSERT INTO clusters (name, first_seen, last_seen) VALUES ($1, $2, $2) \
                 ON CONFLICT (name) DO UPDATE SET last_seen = EXCLUDED.last_seen RETURNING id",
                &[cluster.into(), at.into()],
            )?;
            let cluster_id = rows.first().and_then(|r| r.first()).map_or(0, Value::int);
            let latest = tx.query("SELECT id, sha256 FROM runs WHERE cluster_id = $1 ORDER BY id DESC LIMIT 1", &[cluster_id.into()])?;
            let latest_id = latest.first().map(|row| row[0].int());
            if let Some(row) = latest.first()
                && row.get(1).and_then(Value::text) == Some(sha.as_str())
            {
                let id = row[0].int();
                tx.execute("UPDATE runs SET last_seen = $1, heartbeats = heartbeats + 1 WHERE id = $2", &[at.into(), id.into()])?;
                outcome = Recorded::Heartbeat(id);
                depth = last.as_ref().filter(|l| l.id == id).map_or(0, |l| l.depth);
                return Ok(());
            }
            // Stored as changes from the last run when this process recorded it (another
            // writer may have added one since) and the chain is short.
            let base = last.as_ref().filter(|l| Some(l.id) == latest_id && l.depth < MAX_CHAIN).and_then(|l| Some((l, delta.clone()?)));
            // A NULL parameter is typed as text (PostgreSQL refuses it for a BIGINT column):
            // no base is written as the literal.
            let base_id = if base.is_some() { "$11" } else { "NULL" };
            let mut params: Vec<Value> = vec![
                    cluster_id.into(),
                    at.into(),
                    sha.as_str().into(),
                    content.summary.failed.into(),
                    content.summary.excepted.into(),
                    content.summary.not_assessed.into(),
                    content.summary.passed.into(),
                    content.requirements_failing().into(),
                    content.critical_failures().into(),
                    summary.as_str().into(),
                ];
            params.extend(base.as_ref().map(|(l, _)| Value::Int(l.id)));
            let rows = tx.query(
                &format!(
                    "INSERT INTO runs (cluster_id, started_at, last_seen, heartbeats, sha256, failed, excepted, not_assessed, passed, requirements_failing, critical_failures, summary, base_run_id) \
                     VALUES ($1, $2, $2, 0, $3, $4, $5, $6, $7, $8, $9, $10, {base_id}) RETURNING id"
                ),
                &params,
            )?;
            let run_id = rows.first().and_then(|r| r.first()).map_or(0, Value::int);
            insert_rows(tx, "run_requirements (run_id, requirement, status)", 3, content.requirements.iter().map(|r| vec![run_id.into(), r.id.as_str().into(), r.status.as_str().into()]))?;
            insert_rows(tx, "run_scope (run_id, namespace, scope)", 3, content.scope.namespaces.iter().map(|n| vec![run_id.into(), n.name.as_str().into(), n.scope.as_str().into()]))?;
            let own: Vec<usize> = match &base {
                Some((l, (removed, added))) => {
                    depth = l.depth + 1;
                    insert_rows(tx, "run_findings_removed (run_id, seq)", 2, removed.iter().map(|&seq| vec![run_id.into(), seq.into()]))?;
                    added.clone()
                }
                None => {
                    depth = 0;
                    (0..content.findings.len()).collect()
                }
            };
            insert_rows(
                tx,
                "run_findings (run_id, seq, check_id, status, severity, object, scope, requirements, message)",
                9,
                own.into_iter().map(|seq| {
                    let f = &content.findings[seq];
                    vec![
                        run_id.into(),
                        seq.into(),
                        f.check.as_str().into(),
                        f.status.as_str().into(),
                        f.severity.as_str().into(),
                        f.object.as_deref().into(),
                        f.scope.as_deref().into(),
                        f.requirements.join(",").into(),
                        f.message.as_str().into(),
                    ]
                }),
            )?;
            outcome = Recorded::Run(run_id);
            Ok(())
        });
        result?;
        self.last = Some(LastRun { cluster: cluster.to_string(), id: outcome.id(), content: None, sum, findings: content.findings.len(), depth });
        Ok((outcome, depth))
    }

    /// Runs, newest first; of one cluster when given.
    pub fn runs(&mut self, cluster: Option<&str>, limit: Option<usize>) -> Result<Vec<RunRow>, Error> {
        let mut out = Vec::new();
        let limit = limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        self.backend.transaction(&mut |tx: &mut dyn Tx| {
            let rows = match cluster {
                Some(name) => tx.query(&format!("SELECT {RUN_COLUMNS} FROM runs r JOIN clusters c ON c.id = r.cluster_id WHERE c.name = $1 ORDER BY r.id DESC LIMIT $2"), &[name.into(), limit.into()])?,
                None => tx.query(&format!("SELECT {RUN_COLUMNS} FROM runs r JOIN clusters c ON c.id = r.cluster_id ORDER BY r.id DESC LIMIT $1"), &[limit.into()])?,
            };
            out = rows.iter().map(|r| run_row(r)).collect();
            Ok(())
        })?;
        Ok(out)
    }

    /// One run's row.
    pub fn run(&mut self, id: i64) -> Result<Option<RunRow>, Error> {
        let mut out = None;
        self.backend.transaction(&mut |tx: &mut dyn Tx| {
            let rows = tx.query(&format!("SELECT {RUN_COLUMNS} FROM runs r JOIN clusters c ON c.id = r.cluster_id WHERE r.id = $1"), &[id.into()])?;
            out = rows.first().map(|r| run_row(r));
            Ok(())
        })?;
        Ok(out)
    }

    /// One run's content (for `diff` and `/api/v1/runs/ID`).
    pub fn run_content(&mut self, id: i64) -> Result<Option<RunContent>, Error> {
        let mut out = None;
        self.backend.transaction(&mut |tx: &mut dyn Tx| {
            let Some(head) = tx.query("SELECT summary FROM runs WHERE id = $1", &[id.into()])?.into_iter().next() else {
                return Ok(());
            };
            let summary: RunSummary = serde_json::from_str(head.first().and_then(Value::text).unwrap_or("{}")).map_err(|e| Error::Corrupt(id, e.to_string()))?;
            let requirements = tx
                .query("SELECT requirement, status FROM run_requirements WHERE run_id = $1", &[id.into()])?
                .iter()
                .map(|r| RequirementStatus { id: text(r, 0), status: text(r, 1) })
                .collect::<Vec<_>>();
            let mut requirements = requirements;
            requirements.sort_by_key(|r| order(&r.id));
            let namespaces = tx
                .query("SELECT namespace, scope FROM run_scope WHERE run_id = $1 ORDER BY namespace", &[id.into()])?
                .iter()
                .map(|r| NamespaceClass { name: text(r, 0), scope: text(r, 1) })
                .collect();
            let findings = findings_of(tx, id, MAX_CHAIN + 1)?;
            out = Some(RunContent { summary, requirements, findings, scope: ScopeRecord { namespaces } });
            Ok(())
        })?;
        Ok(out)
    }

    /// One row per cluster: its latest run.
    pub fn fleet(&mut self) -> Result<Vec<FleetRow>, Error> {
        let mut out = Vec::new();
        self.backend.transaction(&mut |tx: &mut dyn Tx| {
            let rows = tx.query(
                "SELECT c.name, r.requirements_failing, r.critical_failures, r.failed, c.last_seen, r.id, \
                        (SELECT COUNT(*) FROM runs x WHERE x.cluster_id = c.id) \
                 FROM clusters c JOIN runs r ON r.id = (SELECT MAX(id) FROM runs y WHERE y.cluster_id = c.id) \
                 ORDER BY c.name",
                &[],
            )?;
            out = rows
                .iter()
                .map(|v| FleetRow {
                    cluster: text(v, 0),
                    requirements_failing: v[1].int(),
                    critical_failures: v[2].int(),
                    failed: v[3].int(),
                    last_seen: text(v, 4),
                    last_run: v[5].int(),
                    runs: v[6].int(),
                })
                .collect();
            Ok(())
        })?;
        Ok(out)
    }
}

/// The findings of run `id`, rebuilt through the runs it is stored against (at most `hops`).
fn findings_of(tx: &mut dyn Tx, id: i64, hops: u32) -> Result<Vec<FindingRecord>, Error> {
    let base = tx.query("SELECT base_run_id FROM runs WHERE id = $1", &[id.into()])?.first().and_then(|r| r.first()).filter(|v| !matches!(v, Value::Null)).map(Value::int);
    let mut own = Vec::new();
    for r in tx.query("SELECT seq, check_id, status, severity, object, scope, requirements, message FROM run_findings WHERE run_id = $1 ORDER BY seq", &[id.into()])? {
        let status: Status = serde_json::from_value(serde_json::Value::String(text(&r, 2))).map_err(|e| Error::Corrupt(id, e.to_string()))?;
        let severity: Severity = text(&r, 3).parse().map_err(|e: String| Error::Corrupt(id, e))?;
        let reqs = text(&r, 6);
        let seq = usize::try_from(r[0].int()).map_err(|e| Error::Corrupt(id, e.to_string()))?;
        own.push((
            seq,
            FindingRecord {
                check: text(&r, 1),
                status,
                severity,
                requirements: if reqs.is_empty() { Vec::new() } else { reqs.split(',').map(str::to_string).collect() },
                object: r.get(4).and_then(Value::text).map(str::to_string),
                scope: r.get(5).and_then(Value::text).map(str::to_string),
                message: text(&r, 7),
            },
        ));
    }
    let Some(base) = base else { return Ok(own.into_iter().map(|(_, f)| f).collect()) };
    if hops == 0 || base >= id {
        return Err(Error::Corrupt(id, format!("stored against run {base}, beyond the longest chain of changes")));
    }
    let removed: Vec<usize> = tx.query("SELECT seq FROM run_findings_removed WHERE run_id = $1 ORDER BY seq", &[id.into()])?.iter().filter_map(|r| usize::try_from(r[0].int()).ok()).collect();
    Ok(apply_delta(findings_of(tx, base, hops - 1)?, &removed, own))
}

fn text(row: &[Value], i: usize) -> String {
    row.get(i).and_then(Value::text).unwrap_or_default().to_string()
}

/// `1.2.10` after `1.2.9`.
fn order(id: &str) -> Vec<u64> {
    id.split('.').map(|p| p.parse().unwrap_or(u64::MAX)).collect()
}

/// Multi-row inserts: one statement per [`ROWS_PER_INSERT`] rows.
fn insert_rows(tx: &mut dyn Tx, table: &str, width: usize, rows: impl Iterator<Item = Vec<Value>>) -> Result<(), Error> {
    let rows: Vec<Vec<Value>> = rows.collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = format!("INSERT INTO {table} VALUES ");
        let mut params = Vec::with_capacity(chunk.len() * width);
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for j in 0..width {
                if j > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i * width + j + 1));
            }
            sql.push(')');
            params.extend(row.iter().cloned());
        }
        tx.execute(&sql, &params)?;
    }
    Ok(())
}
