//! OpenAPI schemas of the values the domain parses by hand (codes, dates, non-blank text),
//! built from the same tables and constants the parsers use, so that the document states
//! every rule the service enforces on input. DTO fields point at them with
//! `#[schema(value_type = …)]`, `#[schema(schema_with = …)]` or `#[param(…)]`.

use std::borrow::Cow;

use utoipa::openapi::schema::{
    AnyOfBuilder, Array, ArrayBuilder, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::codes;
use crate::domain::poe::PoeCode;
use crate::domain::stats::{AGE_BANDS, Dimension};
use crate::domain::traveller::StateCode;
use crate::domain::user::Role;

/// The pattern of a POE code: three upper-case letters.
pub const POE_CODE_PATTERN: &str = "^[A-Z]{3}$";

/// The name of the schema of a code in the POE registry. The document served at
/// `/api/v1/openapi.json` lists the registry's codes in it (see `docs::openapi`).
pub const REGISTERED_POE: &str = "RegisteredPoe";

/// What Rust's `str::trim` removes (Unicode `White_Space`), written for a regular expression.
/// A value that must not be blank is one with a character outside this class.
const NOT_WHITE_SPACE: &str =
    "[^\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

impl PartialSchema for PoeCode {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("A POE code: three upper-case letters."))
            .pattern(Some(POE_CODE_PATTERN))
            .examples(["MSU"])
            .into()
    }
}

impl ToSchema for PoeCode {}

/// A POE code that the registry holds (`GET /poes`); any other is refused with 422. The served
/// document lists the codes as an `enum`.
pub struct RegisteredPoe;

impl PartialSchema for RegisteredPoe {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some(
                "A POE of the registry (`GET /poes`), by its code; an unknown code is a 422.",
            ))
            .pattern(Some(POE_CODE_PATTERN))
            .examples(["MSU"])
            .into()
    }
}

impl ToSchema for RegisteredPoe {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(REGISTERED_POE)
    }
}

impl PartialSchema for StateCode {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some(
                "An ICAO 9303 code of a state or organisation (`LSO`, `ZAF`, `D`, `XXA`, …).",
            ))
            .enum_values(Some(codes::icao_state_codes()))
            .examples(["LSO"])
            .into()
    }
}

impl ToSchema for StateCode {}

/// An ISO 4217 currency code (List One, current codes only).
pub struct CurrencyCode;

impl PartialSchema for CurrencyCode {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("An ISO 4217 currency code, e.g. `LSL` or `ZAR`."))
            .enum_values(Some(codes::iso4217_currencies()))
            .examples(["LSL"])
            .into()
    }
}

impl ToSchema for CurrencyCode {}

/// A role an account can hold (`poe_system` belongs to POE systems, never to accounts).
pub struct UserRole;

impl PartialSchema for UserRole {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("A role of an account."))
            .enum_values(Some(Role::USER_ROLES.map(Role::as_str)))
            .examples(["immigration"])
            .into()
    }
}

impl ToSchema for UserRole {}

/// The roles of an account: at least one.
pub fn user_roles() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(Ref::from_schema_name(UserRole::name()))
        .min_items(Some(1))
}

/// Postings: `["*"]` (every POE) or codes of the registry (possibly none).
pub struct Postings;

impl PartialSchema for Postings {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .description(Some(
                "The POEs an account is posted at: codes of the registry, or `[\"*\"]` for all.",
            ))
            .item(
                ArrayBuilder::new()
                    .items(string().enum_values(Some(["*"])))
                    .min_items(Some(1))
                    .max_items(Some(1)),
            )
            .item(ArrayBuilder::new().items(Ref::from_schema_name(REGISTERED_POE)))
            .examples([serde_json::json!(["MSU"])])
            .into()
    }
}

impl ToSchema for Postings {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((REGISTERED_POE.to_owned(), RegisteredPoe::schema()));
    }
}

impl PartialSchema for Dimension {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some(
                "A dimension of statistics; never a personal field (names, numbers, birth dates).",
            ))
            .enum_values(Some(Dimension::ALL.map(Dimension::as_str)))
            .into()
    }
}

impl ToSchema for Dimension {}

/// An age band at the time of crossing.
pub struct AgeBand;

impl PartialSchema for AgeBand {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("An age band at the time of crossing."))
            .enum_values(Some(AGE_BANDS))
            .into()
    }
}

impl ToSchema for AgeBand {}

/// A bucket size of statistics.
pub struct Interval;

impl PartialSchema for Interval {
    fn schema() -> RefOr<Schema> {
        use crate::domain::stats::Interval as I;
        string()
            .description(Some(
                "Bucket size: weeks start on Monday; all in Lesotho time.",
            ))
            .enum_values(Some([I::Hour, I::Day, I::Week, I::Month].map(I::as_str)))
            .into()
    }
}

impl ToSchema for Interval {}

/// Declares a schema of a closed list of words that a handler matches by hand.
macro_rules! word_list {
    ($(#[$meta:meta])* $name:ident: $description:literal [$($word:literal),+ $(,)?]) => {
        $(#[$meta])*
        pub struct $name;

        impl $name {
            /// The words, as the handler matches them.
            pub const WORDS: &'static [&'static str] = &[$($word),+];
        }

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string()
                    .description(Some($description))
                    .enum_values(Some(Self::WORDS.iter().copied()))
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

word_list! {
    /// Which stays `GET /stays` lists.
    StayStatus: "Open stays, overstayed ones (open past their end, or closed after it), or closed ones."
        ["open", "overstayed", "closed"]
}

word_list! {
    /// Visits of non-citizens or trips of citizens.
    StayKind: "`visit`: a non-citizen in Lesotho; `trip`: a citizen abroad."
        ["visit", "trip"]
}

word_list! {
    /// Which alerts `GET /watchlist` lists.
    WatchlistShow: "`live` alerts only, or `all` (removed and lapsed ones too)."
        ["live", "all"]
}

word_list! {
    /// The format of a statistics answer.
    AnswerFormat: "`json` or `csv` (`Accept: text/csv` also gives CSV when no format is named)."
        ["json", "csv"]
}

/// A local (Lesotho) calendar date, `YYYY-MM-DD`.
pub struct LocalDate;

impl PartialSchema for LocalDate {
    fn schema() -> RefOr<Schema> {
        date()
            .description(Some(
                "A calendar date, `YYYY-MM-DD` (Lesotho's, where it matters).",
            ))
            .examples(["1990-05-17"])
            .into()
    }
}

impl ToSchema for LocalDate {}

fn date() -> ObjectBuilder {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
}

fn instant() -> ObjectBuilder {
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
}

/// A bound of a statistics range: a local date (its midnight in Lesotho) or an RFC 3339
/// instant.
pub struct DateOrInstant;

impl PartialSchema for DateOrInstant {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .description(Some(
                "A local date (`2026-01-01`: its midnight in Lesotho) or an RFC 3339 instant.",
            ))
            .item(date())
            .item(instant())
            .examples(["2026-11-01"])
            .into()
    }
}

impl ToSchema for DateOrInstant {}

/// [`user_roles`], or null.
pub fn user_roles_or_null() -> Array {
    user_roles()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .build()
}

/// [`text`] of 1 to 100 characters, or null.
pub fn text_1_100_or_null() -> Object {
    let mut o = text(1, 100);
    o.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    o
}

/// [`text`] of 3 to 500 characters (a void's reason).
pub fn text_3_500() -> Object {
    text(3, 500)
}

/// [`text`] of 3 to 1,000 characters (an alert's reason).
pub fn text_3_1000() -> Object {
    text(3, 1000)
}

/// [`text`] of 5 to 500 characters (a hold's reason).
pub fn text_5_500() -> Object {
    text(5, 500)
}

/// [`text`] of 1 to 500 characters (goods declared).
pub fn text_1_500() -> Object {
    text(1, 500)
}

/// [`surname`], or null.
pub fn surname_or_null() -> Object {
    let mut o = surname();
    o.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    o
}

/// The raw lines of an MRZ: TD1 (3 lines of 30), TD2 (2 of 36) or TD3 (2 of 44) of `A-Z`,
/// `0-9` and `<`; or null.
pub fn mrz() -> Array {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(string().pattern(Some("^([A-Z0-9<]{30}|[A-Z0-9<]{36}|[A-Z0-9<]{44})$")))
        .min_items(Some(2))
        .max_items(Some(3))
        .build()
}

/// A surname: not blank.
pub fn surname() -> Object {
    string()
        .description(Some(
            "Surname: letters, spaces, hyphens, apostrophes and full stops, at most 100 \
             characters once spaces are collapsed; not blank.",
        ))
        .pattern(Some(NOT_WHITE_SPACE))
        .examples(["NKOSI"])
        .build()
}

/// Text that is not blank once trimmed and holds `min` to `max` characters (the service
/// counts them after trimming).
pub fn text(min: usize, max: usize) -> Object {
    // `maxLength` bounds the whole value; the pattern asks for a first and a last non-blank
    // character at least `min` characters apart, which is the trimmed length.
    let pattern = match min {
        0 => None,
        1 => Some(NOT_WHITE_SPACE.to_owned()),
        n => Some(format!(
            "{NOT_WHITE_SPACE}[\\s\\S]{{{},}}{NOT_WHITE_SPACE}",
            n - 2
        )),
    };
    string()
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(pattern)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_patterns_follow_trimming() {
        let re = |min| text(min, 500).pattern.unwrap();
        assert_eq!(re(1), NOT_WHITE_SPACE);
        assert!(
            re(3).ends_with(&format!("[\\s\\S]{{1,}}{NOT_WHITE_SPACE}")),
            "{}",
            re(3)
        );
        assert!(text(0, 200).pattern.is_none());
    }

    #[test]
    fn stay_kinds_are_the_domain_s() {
        use crate::domain::stays::StayKind as K;
        assert_eq!(StayKind::WORDS, [K::Visit, K::Trip].map(K::as_str));
    }

    #[test]
    fn every_listed_interval_parses() {
        let RefOr::T(Schema::Object(o)) = Interval::schema() else {
            panic!("an object schema")
        };
        for v in o.enum_values.unwrap() {
            crate::domain::stats::Interval::parse(v.as_str().unwrap()).unwrap();
        }
    }

    #[test]
    fn every_listed_state_and_currency_is_accepted() {
        assert!(codes::icao_state_codes().all(codes::is_icao_state_code));
        assert!(codes::iso4217_currencies().all(codes::is_iso4217_currency));
        assert!(codes::icao_state_codes().any(|c| c == "LSO"));
    }
}
