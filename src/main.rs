//! The `crossings` binary: see `crossings --help`.

fn main() -> std::process::ExitCode {
    crossings::cli::main()
}
