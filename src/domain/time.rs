//! Time as the border keeps it: instants stored in UTC to the microsecond, days and hours in
//! Lesotho time, and the one parser of each kind of date or instant a client may send.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Timelike};

use super::validation::ValidationErrors;

/// Lesotho's offset from UTC. Africa/Maseru has kept UTC+2 without daylight saving since 1944,
/// so a fixed offset is exact for every date this service records.
pub const LESOTHO_OFFSET_SECS: i32 = 2 * 3600;
/// The name of Lesotho's time zone, as statistics report it.
pub const LESOTHO_TZ: &str = "Africa/Maseru";

/// Lesotho's offset as a chrono value (checked when compiling).
pub const LESOTHO: FixedOffset = match FixedOffset::east_opt(LESOTHO_OFFSET_SECS) {
    Some(offset) => offset,
    None => panic!("UTC+2 is a valid offset"),
};

const _: () = assert!(LESOTHO_OFFSET_SECS == 7200, "format_local writes +02:00");

/// Local (Lesotho) wall-clock time of a UTC instant.
pub fn local_time(utc: NaiveDateTime) -> NaiveDateTime {
    utc + Duration::seconds(i64::from(LESOTHO_OFFSET_SECS))
}

/// UTC instant of a Lesotho wall-clock time.
pub fn utc_of_local(local: NaiveDateTime) -> NaiveDateTime {
    local - Duration::seconds(i64::from(LESOTHO_OFFSET_SECS))
}

/// The UTC instant at which a Lesotho calendar day starts.
pub fn start_of_local_day(day: NaiveDate) -> NaiveDateTime {
    utc_of_local(day.and_time(chrono::NaiveTime::MIN))
}

/// Today's date in Lesotho.
pub fn local_today() -> NaiveDate {
    local_time(chrono::Utc::now().naive_utc()).date()
}

/// A local wall-clock time as RFC 3339 with Lesotho's (fixed) offset.
pub fn format_local(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%dT%H:%M:%S+02:00").to_string()
}

/// Truncates to whole microseconds (PostgreSQL's precision).
pub fn truncate_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1000).unwrap_or(t)
}

/// The current time as stored: UTC, truncated to microseconds, so that what is written reads
/// back identically from either database.
pub fn now() -> NaiveDateTime {
    truncate_micros(chrono::Utc::now().naive_utc())
}

/// A calendar date, `YYYY-MM-DD`. The error names `field`.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, ValidationErrors> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ValidationErrors::one(field, "must be a real calendar date, YYYY-MM-DD"))
}

/// An RFC 3339 instant with its offset, as UTC to the microsecond. The error names `field`.
pub fn parse_instant(field: &str, s: &str) -> Result<NaiveDateTime, ValidationErrors> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| truncate_micros(t.naive_utc()))
        .map_err(|_| {
            ValidationErrors::one(
                field,
                "must be an RFC 3339 instant with a real date and an offset, e.g. 2026-11-28T07:45:00+02:00",
            )
        })
}

/// A bound of a range: a local date (its midnight in Lesotho) or an RFC 3339 instant, as UTC.
pub fn parse_bound(field: &str, s: &str) -> Result<NaiveDateTime, ValidationErrors> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(start_of_local_day(d));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| truncate_micros(t.naive_utc()))
        .map_err(|_| {
            ValidationErrors::one(
                field,
                "must be a local date (YYYY-MM-DD) or an RFC 3339 instant",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ValidationErrors) -> String {
        e.0[0].field.clone()
    }

    #[test]
    fn lesotho_days_start_at_22_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        assert_eq!(
            start_of_local_day(d).to_string(),
            "2026-01-01 22:00:00",
            "Lesotho is UTC+2"
        );
        assert_eq!(local_time(start_of_local_day(d)).date(), d);
    }

    #[test]
    fn bounds_take_a_local_date_or_an_instant() {
        assert_eq!(
            parse_bound("from", "2026-03-01").unwrap().to_string(),
            "2026-02-28 22:00:00"
        );
        assert_eq!(
            parse_bound("from", "2026-03-01T10:00:00+02:00")
                .unwrap()
                .to_string(),
            "2026-03-01 08:00:00"
        );
        assert_eq!(field_of(parse_bound("to", "2026-02-30").unwrap_err()), "to");
        assert_eq!(field_of(parse_bound("to", "yesterday").unwrap_err()), "to");
    }

    #[test]
    fn instants_need_an_offset_and_keep_microseconds() {
        assert!(parse_instant("at", "2026-03-01T10:00:00").is_err());
        let t = parse_instant("at", "2026-03-01T10:00:00.123456789Z").unwrap();
        assert_eq!(t.nanosecond(), 123_456_000);
        assert_eq!(
            field_of(parse_date("date_of_birth", "1990-13-01").unwrap_err()),
            "date_of_birth"
        );
    }

    #[test]
    fn local_times_are_written_with_lesothos_offset() {
        let t = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(format_local(t), "2026-01-02T00:00:00+02:00");
    }
}
