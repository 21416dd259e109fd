//! CSV answers: content negotiation and cells safe to open in a spreadsheet.

use actix_web::{HttpRequest, HttpResponse};

use crate::domain::validation::ValidationErrors;

/// Whether the caller asked for CSV: `format=csv`, or `Accept: text/csv` without a `format`.
pub fn wants_csv(req: &HttpRequest, format: Option<&str>) -> Result<bool, ValidationErrors> {
    match format.map(str::trim) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ValidationErrors::one("", "must be json or csv")),
        None => Ok(req
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"))),
    }
}

/// One cell: quoted when needed, and a leading `=`, `+`, `-` or `@` neutralised so that a
/// spreadsheet never runs it as a formula. Plain numbers (including negative ones) are left
/// alone.
pub fn cell(value: &str) -> String {
    let numeric = value.parse::<f64>().is_ok();
    let risky = !numeric && value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let value = if risky {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A CSV answer with a header row.
pub fn response(
    filename: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> HttpResponse {
    let mut body = String::new();
    body.push_str(&header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(","));
    body.push_str("\r\n");
    for row in rows {
        body.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        body.push_str("\r\n");
    }
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("+27"), "+27");
        assert_eq!(cell("-5"), "-5");
        assert_eq!(cell("-cmd"), "'-cmd");
        assert_eq!(cell("MSU"), "MSU");
        assert_eq!(cell("a,b"), "\"a,b\"");
    }
}
