//! `cargo run --release -p kubepci-source --example loadtime PATHS…`: parse-only time (the
//! floor a scan is measured against).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let t = std::time::Instant::now();
    let l = kubepci_source::load_paths(&paths);
    eprintln!("{} objects, {} errors, parsed in {:.3}s", l.objects.len(), l.errors.len(), t.elapsed().as_secs_f64());
}
