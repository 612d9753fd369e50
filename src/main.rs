use clap::Parser;

fn main() {
    let cli = zeitgeist::cli::Cli::parse();
    if let Err(err) = zeitgeist::cli::main(cli) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
