//! `kubepci pss`: placeholder until its owner fills it in.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`kubepci pss` is not implemented yet")
}
