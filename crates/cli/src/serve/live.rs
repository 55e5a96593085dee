//! The evaluation `serve` keeps between changes: the input as an [`Incremental`] (inventory,
//! each check's results, shared analyses), re-assessed per batch of watch changes by
//! re-running only what they affect, and whole when the date changes and at least hourly
//! (checks judging ages and dates read the clock of the last whole evaluation).

use std::sync::Arc;

use kubepci_checks::{Applied, Change, Incremental, RunOptions, Setting};
use kubepci_inventory::Config;
use kubepci_model::Object;
use kubepci_report::compare::RunContent;
use kubepci_report::{AssembleOptions, ConfigSource, InputError, InputFacts, Report};

use crate::input::Input;

/// How often everything is re-evaluated even without a date change (ages move on).
pub const WHOLE_EVERY_SECONDS: i64 = 3600;

/// One evaluation's products (the JSON report is rendered when asked for).
pub struct Evaluated {
    pub report: Arc<Report>,
    /// What the history records.
    pub content: RunContent,
    pub generated_at: String,
    /// What an incremental update re-ran (`None`: a whole evaluation).
    pub applied: Option<Applied>,
}

/// The kept evaluation.
pub struct Live {
    inc: Incremental,
    facts: Facts,
    /// Epoch of the last whole evaluation.
    whole_at: i64,
}

/// What the report says about the input besides its objects.
struct Facts {
    kind: kubepci_checks::InputKind,
    sources: Vec<String>,
    errors: Vec<InputError>,
    config_source: ConfigSource,
}

fn run_options(epoch: i64) -> RunOptions {
    RunOptions { today: Some(kubepci_base::time::date(epoch)), ..RunOptions::default() }
}

impl Live {
    /// Evaluate `input` whole at `epoch` and keep it.
    pub fn new(input: Input, config: Config, epoch: i64) -> (Live, Evaluated) {
        let facts = Facts {
            kind: input.kind,
            sources: input.sources.clone(),
            errors: input.errors.iter().map(|e| InputError::at(&e.loc, e.message.clone())).collect(),
            config_source: input.config_source.clone(),
        };
        let setting = Setting { input: input.kind, unlisted: input.unlisted, vulns: input.vulns, now: epoch, run: run_options(epoch) };
        let inc = Incremental::new(input.objects, config, setting);
        let mut live = Live { inc, facts, whole_at: epoch };
        let evaluated = live.report(epoch, None);
        (live, evaluated)
    }

    /// Apply a batch of changes at `epoch`: only what they affect is re-run, unless the date
    /// changed or the last whole evaluation is an hour old.
    pub fn update(&mut self, changes: Vec<Change>, epoch: i64) -> Evaluated {
        let applied = self.inc.apply(changes);
        let today = kubepci_base::time::date(epoch);
        if self.inc.setting().run.today.as_deref() != Some(today.as_str()) || epoch - self.whole_at >= WHOLE_EVERY_SECONDS {
            self.inc.reevaluate(epoch, run_options(epoch));
            self.whole_at = epoch;
            return self.report(epoch, None);
        }
        self.report(epoch, Some(applied))
    }

    /// The objects as the kept inventory holds them.
    pub fn objects(&self) -> &[Object] {
        &self.inc.inventory().objects
    }

    fn report(&mut self, epoch: i64, applied: Option<Applied>) -> Evaluated {
        let generated_at = kubepci_base::time::rfc3339(epoch);
        let assessment = self.inc.assessment();
        let facts = InputFacts {
            kind: self.facts.kind,
            sources: self.facts.sources.clone(),
            files: 0,
            documents: self.inc.inventory().objects.len(),
            errors: self.facts.errors.clone(),
            snapshot: None,
        };
        let options = AssembleOptions { generated_at: generated_at.clone(), include_passed: false, config_source: self.facts.config_source.clone(), run: self.inc.setting().run.clone() };
        let report = self.inc.with_context(|cx| Report::assemble(cx, facts, assessment, &options));
        let content = RunContent::of(&report);
        Evaluated { report: Arc::new(report), content, generated_at, applied }
    }
}
