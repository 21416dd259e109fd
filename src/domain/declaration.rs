//! Customs declarations on a movement with a vehicle (Lesotho Revenue Authority).

use serde::Deserialize;

use super::codes;
use super::validation::ValidationErrors;

/// A declaration as LRA officers send it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationInput {
    /// The declaration's reference, e.g. `SAD500-2026-000123`.
    #[schema(pattern = "^[A-Za-z0-9./-]{1,64}$", example = "SAD500-2026-000123")]
    pub reference: String,
    /// What is declared.
    #[schema(schema_with = super::schemas::text_1_500, example = "Building materials: 40 bags of cement")]
    pub goods: String,
    /// Value as a decimal string, with at most the currency's minor units.
    #[schema(pattern = "^[0-9]{1,15}([.][0-9]+)?$", example = "12500.00")]
    pub value: String,
    /// ISO 4217 currency code.
    #[schema(value_type = super::schemas::CurrencyCode, example = "LSL")]
    pub currency: String,
}

/// A valid declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Reference, upper case.
    pub reference: String,
    /// Goods.
    pub goods: String,
    /// Value, written with exactly the currency's minor units (`12500.00`).
    pub value: String,
    /// Currency.
    pub currency: String,
}

impl Declaration {
    /// Checks every field.
    pub fn parse(input: DeclarationInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let reference = input.reference.trim().to_ascii_uppercase();
        if !(1..=64).contains(&reference.len())
            || !reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-/.".contains(&b))
        {
            e.push(
                "reference",
                "must be 1 to 64 letters, digits, '-', '/' or '.'",
            );
        }
        let goods = input.goods.split_whitespace().collect::<Vec<_>>().join(" ");
        if !(1..=500).contains(&goods.chars().count()) {
            e.push("goods", "must be 1 to 500 characters");
        }
        let currency = input.currency.trim().to_ascii_uppercase();
        let minor = if codes::is_iso4217_currency(&currency) {
            codes::currency_minor_units(&currency)
        } else {
            e.push(
                "currency",
                "must be an ISO 4217 currency code, e.g. LSL or ZAR",
            );
            None
        };
        let value = match normalise_amount(input.value.trim(), minor.unwrap_or(2)) {
            Ok(v) => v,
            Err(message) => {
                e.push("value", message);
                String::new()
            }
        };
        e.into_result(Self {
            reference,
            goods,
            value,
            currency,
        })
    }
}

/// A non-negative decimal amount written with exactly `minor` decimals; refuses exponents,
/// signs, separators and more decimals than the currency has.
fn normalise_amount(s: &str, minor: u8) -> Result<String, String> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (s.contains('.') && fraction.is_empty())
    {
        return Err("must be a decimal number such as 1250 or 1250.50".to_owned());
    }
    if whole.len() > 15 {
        return Err("is too large".to_owned());
    }
    if fraction.len() > usize::from(minor) {
        return Err(format!("has more than the currency's {minor} decimals"));
    }
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    if minor == 0 {
        return Ok(whole.to_owned());
    }
    Ok(format!(
        "{whole}.{fraction:0<width$}",
        width = usize::from(minor)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(value: &str, currency: &str) -> DeclarationInput {
        DeclarationInput {
            reference: "sad500-1".into(),
            goods: "  cement   bags ".into(),
            value: value.into(),
            currency: currency.into(),
        }
    }

    #[test]
    fn amounts_are_written_with_the_currencys_decimals() {
        let d = Declaration::parse(input("1250.5", "lsl")).unwrap();
        assert_eq!(
            (
                d.value.as_str(),
                d.currency.as_str(),
                d.reference.as_str(),
                d.goods.as_str()
            ),
            ("1250.50", "LSL", "SAD500-1", "cement bags")
        );
        assert_eq!(
            Declaration::parse(input("007", "ZAR")).unwrap().value,
            "7.00"
        );
        assert_eq!(
            Declaration::parse(input("1500", "JPY")).unwrap().value,
            "1500"
        );
        assert_eq!(
            Declaration::parse(input("1.234", "BHD")).unwrap().value,
            "1.234"
        );
    }

    #[test]
    fn bad_amounts_and_currencies_are_refused() {
        for (value, currency, field) in [
            ("-5", "LSL", "value"),
            ("1e5", "LSL", "value"),
            ("1,000", "LSL", "value"),
            ("12.345", "LSL", "value"),
            ("1.5", "JPY", "value"),
            ("10.", "LSL", "value"),
            ("", "LSL", "value"),
            ("10", "XYZ", "currency"),
            ("10", "", "currency"),
        ] {
            let e = Declaration::parse(input(value, currency)).unwrap_err();
            assert!(
                e.0.iter().any(|f| f.field == field),
                "{value} {currency}: {e}"
            );
        }
    }
}
