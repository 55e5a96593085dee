//! The few helpers several kubepci crates need, kept once and without dependencies so that
//! any crate may use them (kubepci-pan included, which depends on no other kubepci crate).
//!
//! * [`time`]: the run's clock (`SOURCE_DATE_EPOCH` pins it) and RFC 3339 / date formats.
//! * [`walk`]: the sorted, symlink-safe directory walk of every input reader.
//! * [`text`]: hex and percent encoding, the singular/plural choice of messages, and the `*` glob.
//! * [`fs`]: files created readable by their owner only (they hold cluster data).
//! * [`real_part`]: the real programs (browser, database) tests drive, skipped or required.
//!
//! Everything is pure except [`time::now_epoch`], [`walk::files_under`] and
//! [`fs::create_private`], which touch the clock and the file system; callers read them at the edge and pass the results on.

#![forbid(unsafe_code)]

pub mod fs;
pub mod real_part;
pub mod text;
pub mod time;
pub mod walk;
