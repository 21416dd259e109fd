//! Reference code tables: ICAO Doc 9303 issuing-state / nationality codes and
//! ISO 4217 currency codes.
//!
//! Every table is a `const` slice sorted by code (byte order) and looked up
//! with `binary_search_by`, so lookups are `O(log n)` with no allocation and no
//! start-up cost. All lookups are case-sensitive: callers normalise input to
//! upper case before asking.

/// Where a state code in [`STATES`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StateSource {
    /// An officially assigned ISO 3166-1 alpha-3 code.
    Iso3166,
    /// A code that ICAO Doc 9303 Part 3 adds on top of ISO 3166-1
    /// (organisations, British nationality categories, stateless persons,
    /// refugees, Germany's `D`, Kosovo as used in practice).
    Icao9303,
}

use StateSource::{Icao9303, Iso3166};

/// Issuing-state / nationality codes valid in an MRZ (ICAO Doc 9303 Part 3),
/// each with a short English name, sorted by code.
///
/// Names are short display forms (no commas, so they can be used unquoted in
/// CSV headers) and are unique; Germany's one-letter ICAO code `D` is named
/// "Germany (D)" to keep it apart from the ISO code `DEU`.
const STATES: &[(&str, &str, StateSource)] = &[
    ("ABW", "Aruba", Iso3166),
    ("AFG", "Afghanistan", Iso3166),
    ("AGO", "Angola", Iso3166),
    ("AIA", "Anguilla", Iso3166),
    ("ALA", "Åland Islands", Iso3166),
    ("ALB", "Albania", Iso3166),
    ("AND", "Andorra", Iso3166),
    ("ARE", "United Arab Emirates", Iso3166),
    ("ARG", "Argentina", Iso3166),
    ("ARM", "Armenia", Iso3166),
    ("ASM", "American Samoa", Iso3166),
    ("ATA", "Antarctica", Iso3166),
    ("ATF", "French Southern Territories", Iso3166),
    ("ATG", "Antigua and Barbuda", Iso3166),
    ("AUS", "Australia", Iso3166),
    ("AUT", "Austria", Iso3166),
    ("AZE", "Azerbaijan", Iso3166),
    ("BDI", "Burundi", Iso3166),
    ("BEL", "Belgium", Iso3166),
    ("BEN", "Benin", Iso3166),
    ("BES", "Bonaire Sint Eustatius and Saba", Iso3166),
    ("BFA", "Burkina Faso", Iso3166),
    ("BGD", "Bangladesh", Iso3166),
    ("BGR", "Bulgaria", Iso3166),
    ("BHR", "Bahrain", Iso3166),
    ("BHS", "Bahamas", Iso3166),
    ("BIH", "Bosnia and Herzegovina", Iso3166),
    ("BLM", "Saint Barthélemy", Iso3166),
    ("BLR", "Belarus", Iso3166),
    ("BLZ", "Belize", Iso3166),
    ("BMU", "Bermuda", Iso3166),
    ("BOL", "Bolivia", Iso3166),
    ("BRA", "Brazil", Iso3166),
    ("BRB", "Barbados", Iso3166),
    ("BRN", "Brunei", Iso3166),
    ("BTN", "Bhutan", Iso3166),
    ("BVT", "Bouvet Island", Iso3166),
    ("BWA", "Botswana", Iso3166),
    ("CAF", "Central African Republic", Iso3166),
    ("CAN", "Canada", Iso3166),
    ("CCK", "Cocos (Keeling) Islands", Iso3166),
    ("CHE", "Switzerland", Iso3166),
    ("CHL", "Chile", Iso3166),
    ("CHN", "China", Iso3166),
    ("CIV", "Côte d'Ivoire", Iso3166),
    ("CMR", "Cameroon", Iso3166),
    ("COD", "Congo (Democratic Republic)", Iso3166),
    ("COG", "Congo", Iso3166),
    ("COK", "Cook Islands", Iso3166),
    ("COL", "Colombia", Iso3166),
    ("COM", "Comoros", Iso3166),
    ("CPV", "Cabo Verde", Iso3166),
    ("CRI", "Costa Rica", Iso3166),
    ("CUB", "Cuba", Iso3166),
    ("CUW", "Curaçao", Iso3166),
    ("CXR", "Christmas Island", Iso3166),
    ("CYM", "Cayman Islands", Iso3166),
    ("CYP", "Cyprus", Iso3166),
    ("CZE", "Czechia", Iso3166),
    ("D", "Germany (D)", Icao9303),
    ("DEU", "Germany", Iso3166),
    ("DJI", "Djibouti", Iso3166),
    ("DMA", "Dominica", Iso3166),
    ("DNK", "Denmark", Iso3166),
    ("DOM", "Dominican Republic", Iso3166),
    ("DZA", "Algeria", Iso3166),
    ("ECU", "Ecuador", Iso3166),
    ("EGY", "Egypt", Iso3166),
    ("ERI", "Eritrea", Iso3166),
    ("ESH", "Western Sahara", Iso3166),
    ("ESP", "Spain", Iso3166),
    ("EST", "Estonia", Iso3166),
    ("ETH", "Ethiopia", Iso3166),
    ("EUE", "European Union", Icao9303),
    ("FIN", "Finland", Iso3166),
    ("FJI", "Fiji", Iso3166),
    ("FLK", "Falkland Islands", Iso3166),
    ("FRA", "France", Iso3166),
    ("FRO", "Faroe Islands", Iso3166),
    ("FSM", "Micronesia", Iso3166),
    ("GAB", "Gabon", Iso3166),
    ("GBD", "British Overseas Territories Citizen", Icao9303),
    ("GBN", "British National (Overseas)", Icao9303),
    ("GBO", "British Overseas Citizen", Icao9303),
    ("GBP", "British Protected Person", Icao9303),
    ("GBR", "United Kingdom", Iso3166),
    ("GBS", "British Subject", Icao9303),
    ("GEO", "Georgia", Iso3166),
    ("GGY", "Guernsey", Iso3166),
    ("GHA", "Ghana", Iso3166),
    ("GIB", "Gibraltar", Iso3166),
    ("GIN", "Guinea", Iso3166),
    ("GLP", "Guadeloupe", Iso3166),
    ("GMB", "Gambia", Iso3166),
    ("GNB", "Guinea-Bissau", Iso3166),
    ("GNQ", "Equatorial Guinea", Iso3166),
    ("GRC", "Greece", Iso3166),
    ("GRD", "Grenada", Iso3166),
    ("GRL", "Greenland", Iso3166),
    ("GTM", "Guatemala", Iso3166),
    ("GUF", "French Guiana", Iso3166),
    ("GUM", "Guam", Iso3166),
    ("GUY", "Guyana", Iso3166),
    ("HKG", "Hong Kong", Iso3166),
    ("HMD", "Heard Island and McDonald Islands", Iso3166),
    ("HND", "Honduras", Iso3166),
    ("HRV", "Croatia", Iso3166),
    ("HTI", "Haiti", Iso3166),
    ("HUN", "Hungary", Iso3166),
    ("IDN", "Indonesia", Iso3166),
    ("IMN", "Isle of Man", Iso3166),
    ("IND", "India", Iso3166),
    ("IOT", "British Indian Ocean Territory", Iso3166),
    ("IRL", "Ireland", Iso3166),
    ("IRN", "Iran", Iso3166),
    ("IRQ", "Iraq", Iso3166),
    ("ISL", "Iceland", Iso3166),
    ("ISR", "Israel", Iso3166),
    ("ITA", "Italy", Iso3166),
    ("JAM", "Jamaica", Iso3166),
    ("JEY", "Jersey", Iso3166),
    ("JOR", "Jordan", Iso3166),
    ("JPN", "Japan", Iso3166),
    ("KAZ", "Kazakhstan", Iso3166),
    ("KEN", "Kenya", Iso3166),
    ("KGZ", "Kyrgyzstan", Iso3166),
    ("KHM", "Cambodia", Iso3166),
    ("KIR", "Kiribati", Iso3166),
    ("KNA", "Saint Kitts and Nevis", Iso3166),
    ("KOR", "South Korea", Iso3166),
    ("KWT", "Kuwait", Iso3166),
    ("LAO", "Laos", Iso3166),
    ("LBN", "Lebanon", Iso3166),
    ("LBR", "Liberia", Iso3166),
    ("LBY", "Libya", Iso3166),
    ("LCA", "Saint Lucia", Iso3166),
    ("LIE", "Liechtenstein", Iso3166),
    ("LKA", "Sri Lanka", Iso3166),
    ("LSO", "Lesotho", Iso3166),
    ("LTU", "Lithuania", Iso3166),
    ("LUX", "Luxembourg", Iso3166),
    ("LVA", "Latvia", Iso3166),
    ("MAC", "Macao", Iso3166),
    ("MAF", "Saint Martin (French part)", Iso3166),
    ("MAR", "Morocco", Iso3166),
    ("MCO", "Monaco", Iso3166),
    ("MDA", "Moldova", Iso3166),
    ("MDG", "Madagascar", Iso3166),
    ("MDV", "Maldives", Iso3166),
    ("MEX", "Mexico", Iso3166),
    ("MHL", "Marshall Islands", Iso3166),
    ("MKD", "North Macedonia", Iso3166),
    ("MLI", "Mali", Iso3166),
    ("MLT", "Malta", Iso3166),
    ("MMR", "Myanmar", Iso3166),
    ("MNE", "Montenegro", Iso3166),
    ("MNG", "Mongolia", Iso3166),
    ("MNP", "Northern Mariana Islands", Iso3166),
    ("MOZ", "Mozambique", Iso3166),
    ("MRT", "Mauritania", Iso3166),
    ("MSR", "Montserrat", Iso3166),
    ("MTQ", "Martinique", Iso3166),
    ("MUS", "Mauritius", Iso3166),
    ("MWI", "Malawi", Iso3166),
    ("MYS", "Malaysia", Iso3166),
    ("MYT", "Mayotte", Iso3166),
    ("NAM", "Namibia", Iso3166),
    ("NCL", "New Caledonia", Iso3166),
    ("NER", "Niger", Iso3166),
    ("NFK", "Norfolk Island", Iso3166),
    ("NGA", "Nigeria", Iso3166),
    ("NIC", "Nicaragua", Iso3166),
    ("NIU", "Niue", Iso3166),
    ("NLD", "Netherlands", Iso3166),
    ("NOR", "Norway", Iso3166),
    ("NPL", "Nepal", Iso3166),
    ("NRU", "Nauru", Iso3166),
    ("NZL", "New Zealand", Iso3166),
    ("OMN", "Oman", Iso3166),
    ("PAK", "Pakistan", Iso3166),
    ("PAN", "Panama", Iso3166),
    ("PCN", "Pitcairn", Iso3166),
    ("PER", "Peru", Iso3166),
    ("PHL", "Philippines", Iso3166),
    ("PLW", "Palau", Iso3166),
    ("PNG", "Papua New Guinea", Iso3166),
    ("POL", "Poland", Iso3166),
    ("PRI", "Puerto Rico", Iso3166),
    ("PRK", "North Korea", Iso3166),
    ("PRT", "Portugal", Iso3166),
    ("PRY", "Paraguay", Iso3166),
    ("PSE", "Palestine", Iso3166),
    ("PYF", "French Polynesia", Iso3166),
    ("QAT", "Qatar", Iso3166),
    ("REU", "Réunion", Iso3166),
    ("RKS", "Kosovo", Icao9303),
    ("ROU", "Romania", Iso3166),
    ("RUS", "Russia", Iso3166),
    ("RWA", "Rwanda", Iso3166),
    ("SAU", "Saudi Arabia", Iso3166),
    ("SDN", "Sudan", Iso3166),
    ("SEN", "Senegal", Iso3166),
    ("SGP", "Singapore", Iso3166),
    (
        "SGS",
        "South Georgia and the South Sandwich Islands",
        Iso3166,
    ),
    (
        "SHN",
        "Saint Helena Ascension and Tristan da Cunha",
        Iso3166,
    ),
    ("SJM", "Svalbard and Jan Mayen", Iso3166),
    ("SLB", "Solomon Islands", Iso3166),
    ("SLE", "Sierra Leone", Iso3166),
    ("SLV", "El Salvador", Iso3166),
    ("SMR", "San Marino", Iso3166),
    ("SOM", "Somalia", Iso3166),
    ("SPM", "Saint Pierre and Miquelon", Iso3166),
    ("SRB", "Serbia", Iso3166),
    ("SSD", "South Sudan", Iso3166),
    ("STP", "Sao Tome and Principe", Iso3166),
    ("SUR", "Suriname", Iso3166),
    ("SVK", "Slovakia", Iso3166),
    ("SVN", "Slovenia", Iso3166),
    ("SWE", "Sweden", Iso3166),
    ("SWZ", "Eswatini", Iso3166),
    ("SXM", "Sint Maarten (Dutch part)", Iso3166),
    ("SYC", "Seychelles", Iso3166),
    ("SYR", "Syria", Iso3166),
    ("TCA", "Turks and Caicos Islands", Iso3166),
    ("TCD", "Chad", Iso3166),
    ("TGO", "Togo", Iso3166),
    ("THA", "Thailand", Iso3166),
    ("TJK", "Tajikistan", Iso3166),
    ("TKL", "Tokelau", Iso3166),
    ("TKM", "Turkmenistan", Iso3166),
    ("TLS", "Timor-Leste", Iso3166),
    ("TON", "Tonga", Iso3166),
    ("TTO", "Trinidad and Tobago", Iso3166),
    ("TUN", "Tunisia", Iso3166),
    ("TUR", "Türkiye", Iso3166),
    ("TUV", "Tuvalu", Iso3166),
    ("TWN", "Taiwan", Iso3166),
    ("TZA", "Tanzania", Iso3166),
    ("UGA", "Uganda", Iso3166),
    ("UKR", "Ukraine", Iso3166),
    ("UMI", "United States Minor Outlying Islands", Iso3166),
    ("UNA", "UN Specialized Agency", Icao9303),
    ("UNK", "Kosovo (UNMIK)", Icao9303),
    ("UNO", "United Nations", Icao9303),
    ("URY", "Uruguay", Iso3166),
    ("USA", "United States", Iso3166),
    ("UZB", "Uzbekistan", Iso3166),
    ("VAT", "Holy See", Iso3166),
    ("VCT", "Saint Vincent and the Grenadines", Iso3166),
    ("VEN", "Venezuela", Iso3166),
    ("VGB", "British Virgin Islands", Iso3166),
    ("VIR", "U.S. Virgin Islands", Iso3166),
    ("VNM", "Viet Nam", Iso3166),
    ("VUT", "Vanuatu", Iso3166),
    ("WLF", "Wallis and Futuna", Iso3166),
    ("WSM", "Samoa", Iso3166),
    ("XBA", "African Development Bank", Icao9303),
    ("XCC", "Caribbean Community", Icao9303),
    ("XCE", "Council of Europe", Icao9303),
    (
        "XCO",
        "Common Market for Eastern and Southern Africa",
        Icao9303,
    ),
    ("XDC", "Southern African Development Community", Icao9303),
    ("XEC", "Economic Community of West African States", Icao9303),
    ("XES", "Organisation of Eastern Caribbean States", Icao9303),
    ("XIM", "African Export-Import Bank", Icao9303),
    (
        "XMP",
        "Parliamentary Assembly of the Mediterranean",
        Icao9303,
    ),
    ("XOM", "Sovereign Military Order of Malta", Icao9303),
    ("XPO", "INTERPOL", Icao9303),
    ("XXA", "Stateless Person", Icao9303),
    ("XXB", "Refugee (1951 Convention)", Icao9303),
    ("XXC", "Refugee (Other)", Icao9303),
    ("XXX", "Unspecified Nationality", Icao9303),
    ("YEM", "Yemen", Iso3166),
    ("ZAF", "South Africa", Iso3166),
    ("ZMB", "Zambia", Iso3166),
    ("ZWE", "Zimbabwe", Iso3166),
];

/// ISO 4217 alphabetic codes with their minor units (`None` where the
/// standard says "N.A.", e.g. precious metals, SDR, testing and "no
/// currency" codes), sorted by code.
///
/// This is ISO 4217 List One (current currencies and funds) as published
/// 2026-01-01: it no longer holds `HRK` (Croatia adopted the euro), `ANG`
/// (replaced by `XCG`), `ZWL` (replaced by `ZWG`), `SLL` (redenominated as
/// `SLE`), `CUC` or `BGN` (Bulgaria adopted the euro), and it includes the
/// Arab Monetary Fund's accounting dinar `XAD`.
const CURRENCIES: &[(&str, Option<u8>)] = &[
    ("AED", Some(2)),
    ("AFN", Some(2)),
    ("ALL", Some(2)),
    ("AMD", Some(2)),
    ("AOA", Some(2)),
    ("ARS", Some(2)),
    ("AUD", Some(2)),
    ("AWG", Some(2)),
    ("AZN", Some(2)),
    ("BAM", Some(2)),
    ("BBD", Some(2)),
    ("BDT", Some(2)),
    ("BHD", Some(3)),
    ("BIF", Some(0)),
    ("BMD", Some(2)),
    ("BND", Some(2)),
    ("BOB", Some(2)),
    ("BOV", Some(2)),
    ("BRL", Some(2)),
    ("BSD", Some(2)),
    ("BTN", Some(2)),
    ("BWP", Some(2)),
    ("BYN", Some(2)),
    ("BZD", Some(2)),
    ("CAD", Some(2)),
    ("CDF", Some(2)),
    ("CHE", Some(2)),
    ("CHF", Some(2)),
    ("CHW", Some(2)),
    ("CLF", Some(4)),
    ("CLP", Some(0)),
    ("CNY", Some(2)),
    ("COP", Some(2)),
    ("COU", Some(2)),
    ("CRC", Some(2)),
    ("CUP", Some(2)),
    ("CVE", Some(2)),
    ("CZK", Some(2)),
    ("DJF", Some(0)),
    ("DKK", Some(2)),
    ("DOP", Some(2)),
    ("DZD", Some(2)),
    ("EGP", Some(2)),
    ("ERN", Some(2)),
    ("ETB", Some(2)),
    ("EUR", Some(2)),
    ("FJD", Some(2)),
    ("FKP", Some(2)),
    ("GBP", Some(2)),
    ("GEL", Some(2)),
    ("GHS", Some(2)),
    ("GIP", Some(2)),
    ("GMD", Some(2)),
    ("GNF", Some(0)),
    ("GTQ", Some(2)),
    ("GYD", Some(2)),
    ("HKD", Some(2)),
    ("HNL", Some(2)),
    ("HTG", Some(2)),
    ("HUF", Some(2)),
    ("IDR", Some(2)),
    ("ILS", Some(2)),
    ("INR", Some(2)),
    ("IQD", Some(3)),
    ("IRR", Some(2)),
    ("ISK", Some(0)),
    ("JMD", Some(2)),
    ("JOD", Some(3)),
    ("JPY", Some(0)),
    ("KES", Some(2)),
    ("KGS", Some(2)),
    ("KHR", Some(2)),
    ("KMF", Some(0)),
    ("KPW", Some(2)),
    ("KRW", Some(0)),
    ("KWD", Some(3)),
    ("KYD", Some(2)),
    ("KZT", Some(2)),
    ("LAK", Some(2)),
    ("LBP", Some(2)),
    ("LKR", Some(2)),
    ("LRD", Some(2)),
    ("LSL", Some(2)),
    ("LYD", Some(3)),
    ("MAD", Some(2)),
    ("MDL", Some(2)),
    ("MGA", Some(2)),
    ("MKD", Some(2)),
    ("MMK", Some(2)),
    ("MNT", Some(2)),
    ("MOP", Some(2)),
    ("MRU", Some(2)),
    ("MUR", Some(2)),
    ("MVR", Some(2)),
    ("MWK", Some(2)),
    ("MXN", Some(2)),
    ("MXV", Some(2)),
    ("MYR", Some(2)),
    ("MZN", Some(2)),
    ("NAD", Some(2)),
    ("NGN", Some(2)),
    ("NIO", Some(2)),
    ("NOK", Some(2)),
    ("NPR", Some(2)),
    ("NZD", Some(2)),
    ("OMR", Some(3)),
    ("PAB", Some(2)),
    ("PEN", Some(2)),
    ("PGK", Some(2)),
    ("PHP", Some(2)),
    ("PKR", Some(2)),
    ("PLN", Some(2)),
    ("PYG", Some(0)),
    ("QAR", Some(2)),
    ("RON", Some(2)),
    ("RSD", Some(2)),
    ("RUB", Some(2)),
    ("RWF", Some(0)),
    ("SAR", Some(2)),
    ("SBD", Some(2)),
    ("SCR", Some(2)),
    ("SDG", Some(2)),
    ("SEK", Some(2)),
    ("SGD", Some(2)),
    ("SHP", Some(2)),
    ("SLE", Some(2)),
    ("SOS", Some(2)),
    ("SRD", Some(2)),
    ("SSP", Some(2)),
    ("STN", Some(2)),
    ("SVC", Some(2)),
    ("SYP", Some(2)),
    ("SZL", Some(2)),
    ("THB", Some(2)),
    ("TJS", Some(2)),
    ("TMT", Some(2)),
    ("TND", Some(3)),
    ("TOP", Some(2)),
    ("TRY", Some(2)),
    ("TTD", Some(2)),
    ("TWD", Some(2)),
    ("TZS", Some(2)),
    ("UAH", Some(2)),
    ("UGX", Some(0)),
    ("USD", Some(2)),
    ("USN", Some(2)),
    ("UYI", Some(0)),
    ("UYU", Some(2)),
    ("UYW", Some(4)),
    ("UZS", Some(2)),
    ("VED", Some(2)),
    ("VES", Some(2)),
    ("VND", Some(0)),
    ("VUV", Some(0)),
    ("WST", Some(2)),
    ("XAD", Some(2)),
    ("XAF", Some(0)),
    ("XAG", None),
    ("XAU", None),
    ("XBA", None),
    ("XBB", None),
    ("XBC", None),
    ("XBD", None),
    ("XCD", Some(2)),
    ("XCG", Some(2)),
    ("XDR", None),
    ("XOF", Some(0)),
    ("XPD", None),
    ("XPF", Some(0)),
    ("XPT", None),
    ("XSU", None),
    ("XTS", None),
    ("XUA", None),
    ("XXX", None),
    ("YER", Some(2)),
    ("ZAR", Some(2)),
    ("ZMW", Some(2)),
    ("ZWG", Some(2)),
];

/// Finds the [`STATES`] entry for `code`, if any.
fn state_entry(code: &str) -> Option<&'static (&'static str, &'static str, StateSource)> {
    STATES
        .binary_search_by(|(c, _, _)| (*c).cmp(code))
        .ok()
        .and_then(|i| STATES.get(i))
}

/// Finds the [`CURRENCIES`] entry for `code`, if any.
fn currency_entry(code: &str) -> Option<&'static (&'static str, Option<u8>)> {
    CURRENCIES
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .and_then(|i| CURRENCIES.get(i))
}

/// Returns `true` if `code` is a valid issuing-state or nationality code under
/// ICAO Doc 9303 Part 3.
///
/// Accepted are all 249 officially assigned ISO 3166-1 alpha-3 codes plus the
/// codes ICAO adds: `D` (Germany), `GBD`, `GBN`, `GBO`, `GBP`, `GBS` (British
/// nationality categories), `UNO`, `UNA`, `UNK` (United Nations, its
/// specialized agencies, UNMIK Kosovo), `XBA`, `XIM`, `XCC`, `XCE`, `XCO`,
/// `XEC`, `XPO`, `XES`, `XMP`, `XOM`, `XDC` (other organisations), `XXA`
/// (stateless), `XXB`, `XXC` (refugees), `XXX` (unspecified), `EUE`
/// (European Union) and `RKS` (Kosovo as used in practice).
///
/// The comparison is case-sensitive (only upper case is valid) and `code` must
/// already be trimmed: an MRZ's `D<<` is passed as `"D"`.
pub fn is_icao_state_code(code: &str) -> bool {
    state_entry(code).is_some()
}

/// Returns the short English name of an issuing-state or nationality code
/// accepted by [`is_icao_state_code`], or `None` for any other input.
///
/// Names are meant for statistics CSV headers and the dashboard: they contain
/// no commas and no two codes share a name.
pub fn state_name(code: &str) -> Option<&'static str> {
    state_entry(code).map(|(_, name, _)| *name)
}

/// Every code [`is_icao_state_code`] accepts, in byte order (the OpenAPI document lists them).
pub fn icao_state_codes() -> impl Iterator<Item = &'static str> {
    STATES.iter().map(|(code, _, _)| *code)
}

/// Every code [`is_iso4217_currency`] accepts, in byte order.
pub fn iso4217_currencies() -> impl Iterator<Item = &'static str> {
    CURRENCIES.iter().map(|(code, _)| *code)
}

/// Returns `true` if `code` is a current ISO 4217 alphabetic code (List One:
/// currencies, funds and the special `X..` codes such as `XAU`, `XDR`, `XTS`,
/// `XXX`).
///
/// The comparison is case-sensitive (only upper case is valid). Withdrawn
/// codes such as `HRK`, `ANG`, `ZWL`, `SLL`, `CUC` and `BGN` are rejected.
pub fn is_iso4217_currency(code: &str) -> bool {
    currency_entry(code).is_some()
}

/// Returns the number of minor-unit digits of an ISO 4217 currency (for
/// example 2 for `LSL`, `ZAR` and `USD`, 0 for `JPY` and `KRW`, 3 for `BHD`,
/// `KWD`, `OMR`, `TND`, `JOD`, `IQD` and `LYD`).
///
/// Returns `None` if `code` is not accepted by [`is_iso4217_currency`], and
/// also for codes the standard gives no minor unit ("N.A."): `XAG`, `XAU`,
/// `XBA`, `XBB`, `XBC`, `XBD`, `XDR`, `XPD`, `XPT`, `XSU`, `XTS`, `XUA`, `XXX`.
pub fn currency_minor_units(code: &str) -> Option<u8> {
    currency_entry(code).and_then(|(_, units)| *units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_table_is_strictly_sorted_without_duplicates() {
        for pair in STATES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} !< {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn state_table_counts() {
        let iso = STATES.iter().filter(|e| e.2 == Iso3166).count();
        let icao = STATES.iter().filter(|e| e.2 == Icao9303).count();
        assert_eq!(iso, 249);
        assert_eq!(icao, 26);
        assert_eq!(STATES.len(), 275);
    }

    #[test]
    fn state_codes_are_well_formed() {
        for (code, name, source) in STATES {
            assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
            match source {
                Iso3166 => assert_eq!(code.len(), 3, "{code}"),
                Icao9303 => assert!(code.len() == 3 || *code == "D", "{code}"),
            }
            assert!(!name.is_empty(), "{code}");
            assert_eq!(name.trim(), *name, "{code}");
            assert!(!name.contains([',', '"', ';', '\n']), "{code}: {name}");
        }
    }

    #[test]
    fn state_names_are_unique() {
        let mut names: Vec<&str> = STATES.iter().map(|e| e.1).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
    }

    #[test]
    fn icao_extra_codes_are_exactly_the_doc_9303_list() {
        let mut expected = [
            "D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "XBA", "XIM", "XCC",
            "XCE", "XCO", "XEC", "XPO", "XES", "XMP", "XOM", "XDC", "XXA", "XXB", "XXC", "XXX",
            "EUE", "RKS",
        ];
        expected.sort_unstable();
        let actual: Vec<&str> = STATES
            .iter()
            .filter(|e| e.2 == Icao9303)
            .map(|e| e.0)
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn accepts_state_codes() {
        for code in [
            "LSO", "ZAF", "BWA", "SWZ", "MOZ", "ZWE", "NAM", "ZMB", "MWI", "GBR", "USA", "CHN",
            "DEU", "FRA", "IND", "NGA", "KEN", "COD", "COG", "PRK", "KOR", "SSD", "SXM", "CUW",
            "BES", "ALA", "ATA", "UMI", "TWN", "PSE", "ESH", "MKD", "TUR", "CZE", "ABW", "ZWE",
        ] {
            assert!(is_icao_state_code(code), "{code}");
        }
        for code in [
            "D", "XXX", "UNK", "GBD", "EUE", "RKS", "UNO", "UNA", "XXA", "XXB", "XXC", "XPO",
            "XOM", "XDC", "GBN", "GBO", "GBP", "GBS",
        ] {
            assert!(is_icao_state_code(code), "{code}");
        }
    }

    #[test]
    fn rejects_non_state_codes() {
        for code in [
            "XYZ", "ABC", "lso", "Lso", "", "LS", "D<<", "D<", "DE", " LSO", "LSO ", "LSOO", "d",
            "XKX", "XKK", "ANT", "SCG", "YUG", "CSK", "SUN", "ZAR", "EUR", "UK", "GB", "EU", "UN",
            "XX", "ZZZ", "AAA",
        ] {
            assert!(!is_icao_state_code(code), "{code:?}");
        }
    }

    #[test]
    fn state_names() {
        assert_eq!(state_name("LSO"), Some("Lesotho"));
        assert_eq!(state_name("ZAF"), Some("South Africa"));
        assert_eq!(state_name("SWZ"), Some("Eswatini"));
        assert_eq!(state_name("GBR"), Some("United Kingdom"));
        assert_eq!(state_name("USA"), Some("United States"));
        assert_eq!(state_name("DEU"), Some("Germany"));
        assert_eq!(state_name("D"), Some("Germany (D)"));
        assert_eq!(state_name("COD"), Some("Congo (Democratic Republic)"));
        assert_eq!(state_name("KOR"), Some("South Korea"));
        assert_eq!(state_name("RKS"), Some("Kosovo"));
        assert_eq!(state_name("UNK"), Some("Kosovo (UNMIK)"));
        assert_eq!(state_name("XXA"), Some("Stateless Person"));
        assert_eq!(state_name("XXX"), Some("Unspecified Nationality"));
        assert_eq!(state_name("EUE"), Some("European Union"));
        assert_eq!(state_name("lso"), None);
        assert_eq!(state_name(""), None);
        assert_eq!(state_name("XYZ"), None);
    }

    #[test]
    fn every_state_code_has_a_name() {
        for (code, name, _) in STATES {
            assert!(is_icao_state_code(code));
            assert_eq!(state_name(code), Some(*name));
        }
    }

    #[test]
    fn currency_table_is_strictly_sorted_without_duplicates() {
        for pair in CURRENCIES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} !< {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn currency_table_count_and_shape() {
        assert_eq!(CURRENCIES.len(), 178);
        for (code, units) in CURRENCIES {
            assert_eq!(code.len(), 3, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
            assert!(units.is_none_or(|u| u <= 4), "{code}");
            assert!(is_iso4217_currency(code));
            assert_eq!(currency_minor_units(code), *units);
        }
    }

    #[test]
    fn accepts_currencies() {
        for code in [
            "LSL", "ZAR", "USD", "EUR", "GBP", "BWP", "SZL", "NAD", "MZN", "ZMW", "MWK", "ZWG",
            "AOA", "CHF", "CNY", "JPY", "KRW", "INR", "XOF", "XAF", "XCD", "XCG", "SLE", "VED",
            "VES", "STN", "MRU", "BYN", "XAU", "XDR", "XTS", "XXX", "XAD", "USN", "CLF", "UYW",
        ] {
            assert!(is_iso4217_currency(code), "{code}");
        }
    }

    #[test]
    fn rejects_non_currencies() {
        for code in [
            "XYZ", "ABC", "lsl", "Lsl", "", "LS", "LSLL", " LSL", "LSO", "ZAF", "HRK", "ANG",
            "ZWL", "SLL", "CUC", "BGN", "DEM", "FRF", "ZMK", "MRO", "STD", "VEF", "BYR", "LTL",
            "LVL", "EEK", "USS", "XEU", "XFU", "RMB", "GBX",
        ] {
            assert!(!is_iso4217_currency(code), "{code:?}");
            assert_eq!(currency_minor_units(code), None, "{code:?}");
        }
    }

    #[test]
    fn minor_units() {
        for code in [
            "LSL", "ZAR", "USD", "EUR", "GBP", "BWP", "SZL", "NAD", "MZN", "ZWG",
        ] {
            assert_eq!(currency_minor_units(code), Some(2), "{code}");
        }
        for code in [
            "JPY", "KRW", "VND", "XOF", "XAF", "XPF", "ISK", "UGX", "CLP", "PYG",
        ] {
            assert_eq!(currency_minor_units(code), Some(0), "{code}");
        }
        for code in ["BHD", "KWD", "OMR", "TND", "JOD", "IQD", "LYD"] {
            assert_eq!(currency_minor_units(code), Some(3), "{code}");
        }
        for code in ["CLF", "UYW"] {
            assert_eq!(currency_minor_units(code), Some(4), "{code}");
        }
        for code in [
            "XAU", "XAG", "XPT", "XPD", "XDR", "XTS", "XXX", "XBA", "XSU", "XUA",
        ] {
            assert!(is_iso4217_currency(code), "{code}");
            assert_eq!(currency_minor_units(code), None, "{code}");
        }
        let three: Vec<&str> = CURRENCIES
            .iter()
            .filter(|e| e.1 == Some(3))
            .map(|e| e.0)
            .collect();
        assert_eq!(three, ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);
    }
}
