//! `kubepci init`: write a commented starter `kubepci.yaml` proposed from the input (see
//! `kubepci::init` for what decides what). Reads the input like every command; never
//! overwrites a file without `--force`; `-o -` writes stdout. Exit codes: 0 written; 2 usage
//! or input error, or the file exists.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use kubepci::init::{Proposal, propose, render};
use kubepci::input::{InputArgs, load_config};
use kubepci_findings::noun;
use kubepci_inventory::Scope;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    /// Where to write the configuration (`-` for stdout). Unlike other commands, init reads no
    /// ./kubepci.yaml; a configuration given with -c is read for its defaultNamespace only.
    #[arg(short, long, value_name = "FILE", default_value = "kubepci.yaml")]
    pub output: PathBuf,

    /// Overwrite the output file when it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout && !args.force && args.output.exists() {
        anyhow::bail!("{} exists: give --force to overwrite it, or -o FILE to write another file", args.output.display());
    }
    // Only a configuration named with -c is read (for its defaultNamespace): ./kubepci.yaml is
    // the file being replaced, and may be what needs replacing.
    let default_namespace = match &args.input.config {
        Some(path) => load_config(Some(path))?.0.default_namespace,
        None => None,
    };
    let input = args.input.load_objects("init")?;
    input.print_errors();
    let mut notes = Vec::new();
    if input.unreadable() > 0 {
        let n = input.unreadable();
        notes.push(format!("{n} input {} (listed on stderr); {} objects are not in this proposal.", noun(n, "document could not be read", "documents could not be read"), noun(n, "its", "their")));
    }
    if input.lacks_any(&["Secret"]) {
        notes.push("Secrets were not read (--include-secrets): card numbers in Secrets were not looked for.".to_string());
    }
    let sources = input.sources.join(" ");
    let proposal = propose(input.objects, default_namespace, input.kind, input.unlisted);
    let text = render(&proposal, &sources, &notes);
    if to_stdout {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    } else {
        write_new(&args.output, &text, args.force)?;
        eprintln!("{}", summary(&proposal, &args.output));
    }
    Ok(ExitCode::SUCCESS)
}

/// Write `text` to `path`; without `force`, only if no file is there (checked when opening,
/// so that a file created meanwhile is not overwritten either).
fn write_new(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    let mut file = kubepci_base::fs::create_private(path, force).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => anyhow::anyhow!("{} exists: give --force to overwrite it, or -o FILE to write another file", path.display()),
        _ => anyhow::anyhow!("cannot write {}: {e}", path.display()),
    })?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}

/// One line for stderr: what was written and what to do next.
fn summary(p: &Proposal, path: &Path) -> String {
    let count = |scope: Scope| p.namespaces.iter().filter(|n| n.scope == scope).count();
    format!(
        "wrote {}: {} namespaces cde, {} connected, {} security, {} out, {} unclassified; {} approved registries; {} boundary flows to confirm. Review it, then run `kubepci scan -c {} …`",
        path.display(),
        count(Scope::Cde),
        count(Scope::Connected),
        count(Scope::Security),
        count(Scope::Out),
        count(Scope::Unclassified),
        p.config.approved_registries.len(),
        p.flows.len(),
        path.display()
    )
}
