//! The `crossings` binary: see `crossings --help`.

/// mimalloc rather than glibc's allocator: answers of tens of thousands of rows free many
/// small blocks and then ask for a large one, and glibc consolidates its free lists on every
/// such request (measured: an eighth of a year-long statistics answer; see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    crossings::cli::main()
}
