//! Keyset cursors: opaque to clients, a position `(instant, id)` to the service.

use base64::Engine;
use chrono::{DateTime, NaiveDateTime};

use crate::domain::validation::ValidationErrors;

/// The cursor of a position.
pub fn encode(at: NaiveDateTime, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{}|{id}", at.and_utc().timestamp_micros()))
}

/// The position of a cursor this service gave out; anything else is a 422 on `cursor`.
pub fn decode(s: &str) -> Result<(NaiveDateTime, String), ValidationErrors> {
    let bad = || ValidationErrors::one("cursor", "is not a cursor this service gave out");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (micros, id) = text.split_once('|').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros)
        .ok_or_else(bad)?
        .naive_utc();
    Ok((at, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_767_225_600_123_456)
            .unwrap()
            .naive_utc();
        assert_eq!(
            decode(&encode(at, "0193-x")).unwrap(),
            (at, "0193-x".to_owned())
        );
        for bad in ["", "garbage", "MTIz", "!!!"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
