//! Realistic synthetic traffic, for the demo and the benchmarks: Maseru Bridge and Maputsoe
//! Bridge busiest, morning and evening peaks, the festive-season and Easter surges, mostly
//! Basotho and South Africans, travellers who go out and come back.
//!
//! Deterministic for a seed. People are derived from their index (no table in memory), so a
//! population of millions costs one bit each (inside Lesotho or not).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Weekday};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use crate::domain::mrz;
use crate::domain::time::{local_time, utc_of_local};

/// Opening hours (local, `[from, to)`), or `None` for round the clock.
type Hours = Option<(u32, u32)>;

/// Relative share of traffic per POE, and its hours.
const POES: &[(&str, f64, Hours)] = &[
    ("MSU", 34.0, None),
    ("MPB", 24.0, None),
    ("CAL", 7.0, Some((6, 22))),
    ("VRG", 7.0, Some((6, 22))),
    ("QNK", 4.0, Some((7, 20))),
    ("PKB", 3.0, Some((8, 16))),
    ("MKB", 2.5, Some((8, 16))),
    ("TLB", 3.0, Some((8, 16))),
    ("SPG", 1.5, Some((8, 16))),
    ("RMG", 1.5, Some((8, 16))),
    ("OGN", 1.0, Some((8, 16))),
    ("SNP", 1.5, Some((8, 16))),
    ("MNP", 1.0, Some((8, 16))),
    ("NGG", 1.5, Some((8, 16))),
    ("MIA", 3.0, Some((6, 20))),
];

/// POEs whose gates and readers push events (they send MRZs).
const AUTOMATED: &[&str] = &["MSU", "MPB", "CAL", "VRG", "QNK", "PKB", "MIA"];

/// Weight of each local hour at a land post: morning and evening peaks.
const HOURS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.3, 1.0, 3.0, 5.0, 5.5, 4.0, 3.0, 2.8, 2.8, 2.8, 3.0, 3.5, 4.5, 5.0, 4.0,
    2.5, 1.5, 1.0, 0.6, 0.3,
];

/// Nationalities after LSO and ZAF, with weights.
const OTHERS: &[(&str, u32)] = &[
    ("MOZ", 20),
    ("ZWE", 20),
    ("SWZ", 10),
    ("BWA", 8),
    ("CHN", 10),
    ("IND", 6),
    ("NGA", 5),
    ("GBR", 5),
    ("USA", 4),
    ("DEU", 3),
    ("MWI", 6),
    ("PAK", 3),
];

const SESOTHO_SURNAMES: &[&str] = &[
    "MOKOENA",
    "MOLAPO",
    "NTSEKHE",
    "LETSIE",
    "THAMAE",
    "SEEISO",
    "MOHALE",
    "LEKHANYA",
    "RAMAISA",
    "MAKHETHA",
    "NKUEBE",
    "MOFOKENG",
    "TAU",
    "KHOALI",
    "MOKHEHLE",
    "MATLA",
    "SEKHESA",
    "NTHATHAKANE",
];
const SESOTHO_GIVEN: &[&str] = &[
    "THABO",
    "LERATO",
    "MPHO",
    "PALESA",
    "NTHABISENG",
    "TSEPO",
    "LIMPHO",
    "RETHABILE",
    "KATLEHO",
    "MAMELLO",
    "TEBOHO",
    "LINEO",
    "REFILOE",
    "MOSA",
    "NTATE",
    "POSHOLI",
];
const ZA_SURNAMES: &[&str] = &[
    "DLAMINI",
    "NKOSI",
    "NDLOVU",
    "KHUMALO",
    "MOKOENA",
    "VAN DER MERWE",
    "BOTHA",
    "NAIDOO",
    "PILLAY",
    "SMITH",
    "MAHLANGU",
    "MTHEMBU",
];
const ZA_GIVEN: &[&str] = &[
    "SIPHO", "THANDI", "JOHANNES", "MARIA", "ANNA", "PIETER", "NOMVULA", "BONGANI", "ZANELE",
    "PRIYA", "JAMES", "LINDIWE",
];
const OTHER_SURNAMES: &[&str] = &[
    "CHEN", "WANG", "SILVA", "MOYO", "SINGH", "OKAFOR", "BROWN", "MULLER",
];
const OTHER_GIVEN: &[&str] = &[
    "WEI", "LI", "JOAO", "TENDAI", "ARJUN", "CHIDI", "EMMA", "LUKAS",
];

/// One generated crossing.
#[derive(Debug, Clone)]
pub struct Event {
    /// Idempotency key.
    pub client_event_id: String,
    /// POE code.
    pub poe: &'static str,
    /// `entry` or `exit`.
    pub direction: &'static str,
    /// When (UTC).
    pub occurred_at: NaiveDateTime,
    /// Mode.
    pub mode: &'static str,
    /// Purpose.
    pub purpose: &'static str,
    /// Who: an index into the population.
    pub person: u32,
}

/// A person, derived from their index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Passport number.
    pub document_number: String,
    /// Issuing state and nationality.
    pub nationality: &'static str,
    /// Surname.
    pub surname: &'static str,
    /// Given names.
    pub given_names: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// `F`, `M` or `X`.
    pub sex: &'static str,
}

/// A well-mixed 64-bit hash of a number (SplitMix64), for deriving people from indexes.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn pick<'a>(list: &'a [&'a str], h: u64) -> &'a str {
    list.get((h % list.len() as u64) as usize)
        .copied()
        .unwrap_or("X")
}

impl Person {
    /// The person at `index` of a population (the same every time).
    pub fn at(index: u32) -> Self {
        let h = mix(u64::from(index));
        let share = h % 100;
        let nationality: &'static str = if share < 68 {
            "LSO"
        } else if share < 92 {
            "ZAF"
        } else {
            let total: u32 = OTHERS.iter().map(|(_, w)| w).sum();
            let mut r = ((h >> 8) % u64::from(total)) as u32;
            let mut chosen = "MOZ";
            for (code, w) in OTHERS {
                if r < *w {
                    chosen = code;
                    break;
                }
                r -= w;
            }
            chosen
        };
        let (surnames, given) = match nationality {
            "LSO" => (SESOTHO_SURNAMES, SESOTHO_GIVEN),
            "ZAF" => (ZA_SURNAMES, ZA_GIVEN),
            _ => (OTHER_SURNAMES, OTHER_GIVEN),
        };
        let h2 = mix(h);
        let given_names = if h2 % 3 == 0 {
            format!("{} {}", pick(given, h2 >> 4), pick(given, h2 >> 12))
        } else {
            pick(given, h2 >> 4).to_owned()
        };
        // Ages 0-85, most between 20 and 50.
        let age_days = {
            let a = (h2 >> 20) % 100;
            let years = if a < 12 {
                a
            } else if a < 80 {
                20 + (a - 12) * 30 / 68
            } else {
                50 + (a - 80) * 35 / 20
            };
            years * 365 + (h2 >> 40) % 365
        };
        let date_of_birth = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap_or(NaiveDate::MIN)
            .checked_sub_signed(Duration::days(age_days as i64))
            .unwrap_or(NaiveDate::MIN);
        let sex = match (h2 >> 50) % 1000 {
            0 => "X",
            n if n % 2 == 0 => "F",
            _ => "M",
        };
        let prefix = match nationality {
            "LSO" => "RA",
            "ZAF" => "A0",
            _ => "P",
        };
        Self {
            document_number: format!("{prefix}{index:07}"),
            nationality,
            surname: pick(surnames, h2 >> 8),
            given_names,
            date_of_birth,
            sex,
        }
    }
}

/// Makes traffic.
pub struct Generator {
    rng: StdRng,
    population: u32,
    inside: Vec<u64>,
    sequence: u64,
    tag: String,
}

impl Generator {
    /// A generator over `population` people; `tag` prefixes every idempotency key.
    pub fn new(seed: u64, population: u32, tag: &str) -> Self {
        let mut inside = vec![0u64; (population as usize).div_ceil(64)];
        // Where everyone is when the traffic starts: half inside Lesotho, half outside. Each
        // movement moves one person across, so this is the state the traffic keeps, and
        // entries and exits balance from the first day (citizens' net flow near zero).
        for i in 0..population {
            if mix(u64::from(i) ^ 0x5eed) % 2 == 0 {
                if let Some(word) = inside.get_mut((i / 64) as usize) {
                    *word |= 1 << (i % 64);
                }
            }
        }
        Self {
            rng: StdRng::seed_from_u64(seed),
            population,
            inside,
            sequence: 0,
            tag: tag.to_owned(),
        }
    }

    fn is_inside(&self, person: u32) -> bool {
        self.inside
            .get((person / 64) as usize)
            .is_some_and(|w| w & (1 << (person % 64)) != 0)
    }

    fn toggle(&mut self, person: u32) {
        if let Some(word) = self.inside.get_mut((person / 64) as usize) {
            *word ^= 1 << (person % 64);
        }
    }

    /// Relative traffic on a local date: weekends busier, the festive season and Easter far
    /// busier.
    pub fn day_weight(date: NaiveDate) -> f64 {
        let mut w = match date.weekday() {
            Weekday::Fri | Weekday::Sun => 1.2,
            Weekday::Sat => 1.05,
            _ => 1.0,
        };
        let (m, d) = (date.month(), date.day());
        if (m == 12 && d >= 15) || (m == 1 && d <= 10) {
            w *= 2.3;
        }
        let easter = easter_sunday(date.year());
        let from_easter = (date - easter).num_days();
        if (-3..=1).contains(&from_easter) {
            w *= 1.6;
        }
        w
    }

    fn hour(&mut self, open: Hours) -> u32 {
        let (lo, hi) = open.unwrap_or((0, 24));
        let total: f64 = HOURS[lo as usize..hi as usize].iter().sum();
        let mut r = self.rng.random_range(0.0..total);
        for h in lo..hi {
            let w = HOURS[h as usize];
            if r < w {
                return h;
            }
            r -= w;
        }
        hi.saturating_sub(1)
    }

    fn event(&mut self, poe: &'static str, open: Hours, date: NaiveDate) -> Event {
        let hour = self.hour(open);
        let local = date
            .and_hms_opt(
                hour,
                self.rng.random_range(0..60),
                self.rng.random_range(0..60),
            )
            .unwrap_or_default();
        let person = self.rng.random_range(0..self.population);
        let who = Person::at(person);
        let direction = if self.is_inside(person) {
            "exit"
        } else {
            "entry"
        };
        self.toggle(person);
        let mode = if poe == "MIA" {
            "air"
        } else {
            match self.rng.random_range(0..100) {
                0..45 => "pedestrian",
                45..75 => "public_transport",
                75..95 => "private_vehicle",
                _ => "truck",
            }
        };
        let r = self.rng.random_range(0..100);
        let purpose = match (who.nationality, direction) {
            ("LSO", "entry") if r < 45 => "returning_resident",
            ("LSO", _) if r < 70 => "work",
            ("LSO", _) if r < 85 => "visit",
            ("LSO", _) => ["business", "study", "other"][(r % 3) as usize],
            ("ZAF", _) if r < 40 => "visit",
            ("ZAF", _) if r < 65 => "business",
            ("ZAF", _) if r < 85 => "tourism",
            ("ZAF", _) => "work",
            _ if r < 35 => "business",
            _ if r < 60 => "tourism",
            _ if r < 80 => "work",
            _ => ["transit", "study", "visit"][(r % 3) as usize],
        };
        self.sequence += 1;
        Event {
            client_event_id: format!("{}-{:010}", self.tag, self.sequence),
            poe,
            direction,
            occurred_at: utc_of_local(local),
            mode,
            purpose,
            person,
        }
    }

    /// `per_day` movements a day (scaled by the day's weight) at one POE for `days` local days
    /// from `first`, in time order: the backlog of a post that was offline.
    pub fn backlog(&mut self, poe: &str, first: NaiveDate, days: u32, per_day: u32) -> Vec<Event> {
        let (code, _, open) = POES
            .iter()
            .find(|(c, _, _)| *c == poe)
            .copied()
            .unwrap_or(POES[0]);
        let mut out = Vec::with_capacity((days * per_day) as usize);
        for d in 0..days {
            let date = first + Duration::days(i64::from(d));
            for _ in 0..per_day {
                out.push(self.event(code, open, date));
            }
        }
        out.sort_by_key(|e| e.occurred_at);
        out
    }

    /// National traffic for one local date: about `per_day` movements (times the day's
    /// weight) shared among the POEs.
    pub fn day(&mut self, date: NaiveDate, per_day: u32) -> Vec<Event> {
        let total_weight: f64 = POES.iter().map(|(_, w, _)| w).sum();
        let n = (f64::from(per_day) * Self::day_weight(date)).round() as u32;
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let mut r = self.rng.random_range(0.0..total_weight);
            let mut chosen = POES[0];
            for p in POES {
                if r < p.1 {
                    chosen = *p;
                    break;
                }
                r -= p.1;
            }
            out.push(self.event(chosen.0, chosen.2, date));
        }
        out.sort_by_key(|e| e.occurred_at);
        out
    }

    /// The JSON an official's terminal or a POE system would send for `e`. Automated posts
    /// send the MRZ of the passport.
    pub fn to_json(e: &Event) -> Value {
        let p = Person::at(e.person);
        let mut v = json!({
            "client_event_id": e.client_event_id,
            "poe": e.poe,
            "direction": e.direction,
            "occurred_at": format!("{}Z", e.occurred_at.format("%Y-%m-%dT%H:%M:%S")),
            "mode": e.mode,
            "purpose": e.purpose,
            "traveller": {
                "document_type": "passport",
                "document_number": p.document_number,
                "issuing_state": p.nationality,
                "nationality": p.nationality,
                "surname": p.surname,
                "given_names": p.given_names,
                "date_of_birth": p.date_of_birth.format("%Y-%m-%d").to_string(),
                "sex": p.sex,
            }
        });
        if AUTOMATED.contains(&e.poe) && e.person % 2 == 0 {
            let lines = mrz::encode(&mrz::MrzFields {
                format: mrz::MrzFormat::Td3,
                document_code: "P".to_owned(),
                issuing_state: p.nationality.to_owned(),
                document_number: p.document_number.clone(),
                nationality: p.nationality.to_owned(),
                date_of_birth: p.date_of_birth,
                sex: match p.sex {
                    "F" => mrz::MrzSex::F,
                    "M" => mrz::MrzSex::M,
                    _ => mrz::MrzSex::Unspecified,
                },
                date_of_expiry: NaiveDate::from_ymd_opt(2031, 6, 30).unwrap_or(NaiveDate::MAX),
                surname: p.surname.to_owned(),
                given_names: p.given_names.clone(),
                optional_data: String::new(),
            });
            if let Ok(lines) = lines {
                v["mrz"] = json!(lines);
            }
        }
        if matches!(e.mode, "private_vehicle" | "truck") {
            v["vehicle"] = json!({
                "registration": format!("{}{:05}", if p.nationality == "LSO" { "A" } else { "GP" }, e.person % 100_000),
                "country": if p.nationality == "LSO" { "LSO" } else { "ZAF" },
                "category": if e.mode == "truck" { "truck" } else { "car" },
            });
        }
        if e.direction == "entry" && p.nationality != "LSO" && e.person % 5 == 0 {
            let until = local_time(e.occurred_at).date() + Duration::days(30);
            v["permitted_until"] = json!(until.format("%Y-%m-%d").to_string());
        }
        v
    }
}

/// Western Easter Sunday (anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

/// The hour of a UTC instant in Lesotho (for tests of the profile).
pub fn local_hour(utc: NaiveDateTime) -> u32 {
    local_time(utc).hour()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::movement::{MovementInput, NewMovement, Rules};

    #[test]
    fn easter_dates_are_right() {
        assert_eq!(
            easter_sunday(2026),
            NaiveDate::from_ymd_opt(2026, 4, 5).unwrap()
        );
        assert_eq!(
            easter_sunday(2027),
            NaiveDate::from_ymd_opt(2027, 3, 28).unwrap()
        );
        assert_eq!(
            easter_sunday(2024),
            NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()
        );
    }

    #[test]
    fn people_are_the_same_every_time_and_mostly_basotho_and_south_africans() {
        assert_eq!(Person::at(42), Person::at(42));
        let lso_or_zaf = (0..10_000)
            .filter(|i| matches!(Person::at(*i).nationality, "LSO" | "ZAF"))
            .count();
        assert!(lso_or_zaf > 8_500, "{lso_or_zaf}");
    }

    #[test]
    fn every_generated_movement_passes_validation() {
        let registry =
            crate::config::load_poe_registry(std::path::Path::new("/nonexistent")).unwrap();
        let rules = Rules {
            now: chrono::Utc::now(),
            future_tolerance: Duration::minutes(5),
            registry: &registry,
            home_state: "LSO",
        };
        let mut g = Generator::new(7, 5_000, "t");
        let events = g.day(NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(), 3_000);
        assert!(events.len() > 2_500);
        for e in &events {
            let input: MovementInput = serde_json::from_value(Generator::to_json(e)).unwrap();
            if let Err(errors) = NewMovement::parse(input, &rules) {
                panic!("{e:?}: {errors}");
            }
        }
    }

    #[test]
    fn maseru_bridge_is_busiest_and_mornings_beat_nights() {
        let mut g = Generator::new(1, 10_000, "t");
        let events = g.day(NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(), 20_000);
        let at = |poe: &str| events.iter().filter(|e| e.poe == poe).count();
        assert!(at("MSU") > at("MPB") && at("MPB") > at("CAL"));
        let hour = |h: u32| {
            events
                .iter()
                .filter(|e| local_hour(e.occurred_at) == h)
                .count()
        };
        assert!(hour(8) > 5 * hour(2));
    }

    #[test]
    fn the_festive_season_is_busier() {
        let ordinary = Generator::day_weight(NaiveDate::from_ymd_opt(2026, 3, 3).unwrap());
        let festive = Generator::day_weight(NaiveDate::from_ymd_opt(2026, 12, 22).unwrap());
        assert!(festive > 2.0 * ordinary);
    }

    #[test]
    fn entries_and_exits_balance_over_a_week() {
        let mut g = Generator::new(3, 300_000, "t");
        let first = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let (mut entries, mut exits) = (0i64, 0i64);
        for d in 0..7 {
            for e in g.day(first + Duration::days(d), 10_000) {
                if e.direction == "entry" {
                    entries += 1;
                } else {
                    exits += 1;
                }
            }
        }
        let total = entries + exits;
        assert!(total > 60_000, "{total}");
        assert!(
            (entries - exits).abs() * 50 < total,
            "{entries} in, {exits} out"
        );
    }
}
