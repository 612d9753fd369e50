use clap::Parser;

// A build allocates from many threads at once; glibc's per-thread arenas grow their heaps with an
// `mprotect` call at a time (18,000 of them in a 10,000-page build), mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = zeitgeist::cli::Cli::parse();
    if let Err(err) = zeitgeist::cli::main(cli) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
