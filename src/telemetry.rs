//! Logging: `tracing` with an `EnvFilter`, text for people or JSON for collectors.
//!
//! Every request runs inside a span that carries its request id (see `http::request_id`), so
//! every line logged while serving it names the request. Personal data (names, document
//! numbers, dates of birth) is never logged above `debug`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogFormat, TelemetrySettings};

/// Installs the global subscriber. `RUST_LOG` wins over the configured level. Calling it twice
/// is harmless (the second call is ignored), which tests rely on.
pub fn init(settings: &TelemetrySettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Text => builder.with_target(true).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// Most characters of a client-controlled value that reach the log.
pub const CLIP_CHARS: usize = 64;

/// A value the client controls, made safe for the log: at most [`CLIP_CHARS`] characters
/// (longer ones end in `…`), control characters escaped (`\n`, `\u{1b}`), so that no
/// value can forge a line or flood the log.
pub fn clip(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == CLIP_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_values_are_clipped_and_escaped() {
        assert_eq!(clip("thabo"), "thabo");
        assert_eq!(clip("a\nINFO forged line"), "a\\nINFO forged line");
        assert_eq!(clip("x\u{1b}[31m"), "x\\u{1b}[31m");
        let long = "y".repeat(1_000_000);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), CLIP_CHARS + 1);
        assert!(clipped.ends_with('…'));
    }
}
