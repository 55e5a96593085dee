//! `kubepci vulns`: the table an engineer works from. One row per workload container (or per
//! image with `--by image`): its scope, the scan report it was matched to (and how), its
//! vulnerability counts, and the fixable vulnerabilities of the patch severities whose fix is
//! older than `vulnerabilities.patchWithinDays`; sorted by PCI urgency: CDE first, then the
//! oldest overdue fix, then critical counts.
//!
//! Input as every command's, plus `--vulns PATH`. Exit codes: 0 written; 2 usage error or
//! incomplete input (a document or report file that could not be read, reported on stderr).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kubepci::input::InputArgs;
use kubepci::output::{self, Format};
use kubepci_checks::analyses::vulns::VulnView;
use kubepci_checks::Context;
use kubepci_inventory::{Inventory, Scope};
use kubepci_vulns::eol::{Support, days_between, os_support};
use kubepci_vulns::Severity;
use serde::Serialize;

const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Csv];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// One row per workload container, or per image (with every workload running it).
    #[arg(long, value_enum, default_value = "workload")]
    pub by: By,
    /// Output format.
    #[arg(short, long, default_value = "text", value_parser = output::accepting(FORMATS))]
    pub format: Format,
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the result to a file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    Workload,
    Image,
}

/// One overdue fix.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OverdueFix {
    pub id: String,
    pub severity: Severity,
    pub package: String,
    pub installed: String,
    pub fixed: String,
    pub age_days: i64,
    /// `fix date` or `published date`.
    pub age_from: &'static str,
}

/// One row of the table.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub scope: Scope,
    /// `Deployment/payments/api` (per image: every workload running it).
    pub workloads: Vec<String>,
    /// Container names (per image: every container running it).
    pub containers: Vec<String>,
    pub image: String,
    /// The matched report's source, or none.
    pub report: Option<String>,
    pub matched_by: Option<&'static str>,
    pub scanned: Option<String>,
    pub report_age_days: Option<i64>,
    pub os: Option<String>,
    /// `ended YYYY-MM-DD`, `until YYYY-MM-DD`, `scanner: end of life`, or none when unknown.
    pub os_support: Option<String>,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    /// Findings a VEX statement (or the report's analysis) marks not applicable.
    pub suppressed: usize,
    /// Patch-severity vulnerabilities with a fix older than the limit, oldest first.
    pub overdue: Vec<OverdueFix>,
}

impl Row {
    fn oldest_overdue(&self) -> i64 {
        self.overdue.first().map_or(-1, |o| o.age_days)
    }
}

fn scope_rank(s: Scope) -> u8 {
    match s {
        Scope::Cde => 0,
        Scope::Connected => 1,
        Scope::Security => 2,
        Scope::Unclassified => 3,
        Scope::Out => 4,
    }
}

/// PCI urgency: CDE first, then the oldest overdue fix, then uncovered images (no report),
/// then critical and high counts.
fn urgency(a: &Row, b: &Row) -> std::cmp::Ordering {
    scope_rank(a.scope)
        .cmp(&scope_rank(b.scope))
        .then(b.oldest_overdue().cmp(&a.oldest_overdue()))
        .then(a.report.is_some().cmp(&b.report.is_some()))
        .then(b.critical.cmp(&a.critical))
        .then(b.high.cmp(&a.high))
        .then_with(|| a.workloads.cmp(&b.workloads))
        .then_with(|| a.image.cmp(&b.image))
}

/// The per-container rows of a view, sorted by urgency.
pub fn rows(inv: &Inventory, view: &VulnView, now: i64) -> Vec<Row> {
    let config = &inv.config.vulnerabilities;
    let severities: Vec<Severity> = config.patch_severities.iter().map(|s| Severity::parse(s)).collect();
    let limit = i64::from(config.patch_within_days);
    let mut rows: Vec<Row> = view
        .containers
        .iter()
        .map(|c| {
            let w = &inv.workloads()[c.workload];
            let mut row = Row {
                scope: w.scope.scope,
                workloads: vec![inv.objects[w.object].object_ref().to_string()],
                containers: vec![c.container.clone()],
                image: c.image_ref.display(),
                report: None,
                matched_by: None,
                scanned: None,
                report_age_days: None,
                os: None,
                os_support: None,
                critical: 0,
                high: 0,
                medium: 0,
                low: 0,
                suppressed: 0,
                overdue: Vec::new(),
            };
            if let Some((r, by)) = view.report_of(c) {
                row.report = Some(r.source.clone());
                row.matched_by = Some(by.as_str());
                row.scanned = r.scanned_at.map(kubepci_base::time::date);
                row.report_age_days = r.scanned_at.map(|t| days_between(t, now));
                if let Some(os) = &r.os {
                    row.os = Some(format!("{} {}", os.family, os.name));
                    row.os_support = match (os_support(&os.family, &os.name, now), os.eosl) {
                        (Support::Ended(d), _) => Some(format!("ended {d}")),
                        (_, Some(true)) => Some("scanner: end of life".into()),
                        (Support::Until(d), _) => Some(format!("until {d}")),
                        (Support::Unknown, _) => None,
                    };
                }
                for v in &r.vulnerabilities {
                    if v.suppressed.is_some() {
                        row.suppressed += 1;
                        continue;
                    }
                    match v.severity {
                        Severity::Critical => row.critical += 1,
                        Severity::High => row.high += 1,
                        Severity::Medium => row.medium += 1,
                        Severity::Low => row.low += 1,
                        _ => {}
                    }
                    if severities.contains(&v.severity)
                        && v.has_fix()
                        && let Some((since, basis)) = v.fix_available_since()
                        && days_between(since, now) > limit
                    {
                        row.overdue.push(OverdueFix {
                            id: v.id.clone(),
                            severity: v.severity,
                            package: v.package.clone(),
                            installed: v.installed.clone(),
                            fixed: v.fixed.clone().unwrap_or_default(),
                            age_days: days_between(since, now),
                            age_from: basis.as_str(),
                        });
                    }
                }
                row.overdue.sort_by(|a, b| b.age_days.cmp(&a.age_days).then_with(|| a.id.cmp(&b.id)).then_with(|| a.package.cmp(&b.package)));
            }
            row
        })
        .collect();
    rows.sort_by(urgency);
    rows
}

/// Rows merged per image: the most urgent scope, every workload and container running it.
pub fn by_image(rows: Vec<Row>) -> Vec<Row> {
    let mut merged: BTreeMap<String, Row> = BTreeMap::new();
    for r in rows {
        match merged.get_mut(&r.image) {
            None => {
                merged.insert(r.image.clone(), r);
            }
            Some(m) => {
                if scope_rank(r.scope) < scope_rank(m.scope) {
                    m.scope = r.scope;
                }
                for w in r.workloads {
                    if !m.workloads.contains(&w) {
                        m.workloads.push(w);
                    }
                }
                for c in r.containers {
                    if !m.containers.contains(&c) {
                        m.containers.push(c);
                    }
                }
            }
        }
    }
    let mut rows: Vec<Row> = merged.into_values().collect();
    rows.sort_by(urgency);
    rows
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (input, config) = args.input.load("vulns")?;
    input.print_errors();
    let incomplete = input.unreadable() > 0 || input.lacks_any(kubepci_checks::analyses::vulns::REPORT_KINDS);
    let inventory = Inventory::build(input.objects, config);
    let cx = Context::new(&inventory, input.kind).with_vulns(input.vulns);
    let view = cx.vulns();
    let mut table = rows(&inventory, view, cx.now);
    if args.by == By::Image {
        table = by_image(table);
    }
    let reports = view.report_count();
    output::emit(args.output.as_deref(), |out| match args.format {
        Format::Json => output::write_json(out, &table),
        Format::Csv => write_csv(out, &table),
        _ => write_text(out, &table, reports),
    })?;
    Ok(if incomplete { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn write_text(out: &mut dyn Write, rows: &[Row], reports: usize) -> io::Result<()> {
    for r in rows {
        let report = match (&r.report, r.matched_by) {
            (Some(src), Some(by)) => format!("{src} (matched by {by}; scanned {})", r.scanned.as_deref().unwrap_or("on an unknown date")),
            _ => "NO SCAN REPORT".into(),
        };
        writeln!(out, "{:<12} {}  [{}]  {}", r.scope.as_str().to_uppercase(), r.workloads.join(", "), r.containers.join(", "), r.image)?;
        writeln!(out, "    report: {report}")?;
        if r.report.is_some() {
            let os = match (&r.os, &r.os_support) {
                (Some(os), Some(s)) => format!("{os} (support {s})"),
                (Some(os), None) => format!("{os} (support unknown)"),
                _ => "unknown".into(),
            };
            writeln!(out, "    os: {os} · critical {} high {} medium {} low {} · {} suppressed by VEX", r.critical, r.high, r.medium, r.low, r.suppressed)?;
        }
        for o in r.overdue.iter().take(10) {
            writeln!(out, "    OVERDUE {} {} {} {} → {} ({} days since the {})", o.severity, o.id, o.package, o.installed, o.fixed, o.age_days, o.age_from)?;
        }
        if r.overdue.len() > 10 {
            writeln!(out, "    … and {} more overdue (-f json lists all)", r.overdue.len() - 10)?;
        }
    }
    let uncovered = rows.iter().filter(|r| r.report.is_none()).count();
    let overdue = rows.iter().filter(|r| !r.overdue.is_empty()).count();
    writeln!(out, "{} rows from {reports} scan reports: {uncovered} without a report, {overdue} with overdue fixes", rows.len())
}

fn csv_field(s: &str) -> String {
    // Quote always; defuse spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub const CSV_HEADER: &str = "scope,workloads,containers,image,report,matched_by,scanned,report_age_days,os,os_support,critical,high,medium,low,suppressed,overdue_count,oldest_overdue_days,overdue";

fn write_csv(out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for r in rows {
        let overdue: Vec<String> = r.overdue.iter().map(|o| format!("{} {} {}→{} {}d ({})", o.id, o.package, o.installed, o.fixed, o.age_days, o.age_from)).collect();
        let fields = [
            r.scope.as_str().to_string(),
            r.workloads.join(" "),
            r.containers.join(" "),
            r.image.clone(),
            r.report.clone().unwrap_or_default(),
            r.matched_by.unwrap_or("").to_string(),
            r.scanned.clone().unwrap_or_default(),
            r.report_age_days.map(|d| d.to_string()).unwrap_or_default(),
            r.os.clone().unwrap_or_default(),
            r.os_support.clone().unwrap_or_default(),
            r.critical.to_string(),
            r.high.to_string(),
            r.medium.to_string(),
            r.low.to_string(),
            r.suppressed.to_string(),
            r.overdue.len().to_string(),
            r.overdue.first().map(|o| o.age_days.to_string()).unwrap_or_default(),
            overdue.join("; "),
        ];
        writeln!(out, "{}", fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","))?;
    }
    Ok(())
}
