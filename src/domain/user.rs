//! Users: roles, postings, usernames and the password policy.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::poe::PoeCode;
use super::validation::ValidationErrors;

/// What a principal may do. Users hold one or more; `PoeSystem` belongs to machine clients only.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users, POE systems and POEs; reads the audit log. No movement data.
    Admin,
    /// Records, reads and voids movements at their posts; histories; stays.
    Immigration,
    /// The watchlist and alert hits; histories with a stated reason.
    Police,
    /// Lesotho Revenue Authority: movements with vehicles, customs declarations.
    Lra,
    /// HOBA statistics only.
    Analyst,
    /// An automated POE system pushing movements for its own post.
    PoeSystem,
}

impl Role {
    /// All roles, in a stable order.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Immigration,
        Role::Police,
        Role::Lra,
        Role::Analyst,
        Role::PoeSystem,
    ];

    /// Roles a user account may hold.
    pub const USER_ROLES: [Role; 5] = [
        Role::Admin,
        Role::Immigration,
        Role::Police,
        Role::Lra,
        Role::Analyst,
    ];

    /// The name used in the API, tokens and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Immigration => "immigration",
            Self::Police => "police",
            Self::Lra => "lra",
            Self::Analyst => "analyst",
            Self::PoeSystem => "poe_system",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of roles.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleSet(BTreeSet<Role>);

impl RoleSet {
    /// Roles of a user account: at least one, and never `poe_system`.
    pub fn for_user(roles: &[String]) -> Result<Self, ValidationErrors> {
        let mut set = BTreeSet::new();
        for r in roles {
            match Role::parse(r.trim()) {
                Some(role) if role != Role::PoeSystem => {
                    set.insert(role);
                }
                _ => {
                    return Err(ValidationErrors::one(
                        "",
                        format!(
                            "unknown role {r:?}; roles are admin, immigration, police, lra, analyst"
                        ),
                    ));
                }
            }
        }
        if set.is_empty() {
            return Err(ValidationErrors::one("", "at least one role is required"));
        }
        Ok(Self(set))
    }

    /// The set holding only `role`.
    pub fn only(role: Role) -> Self {
        Self(BTreeSet::from([role]))
    }

    /// Whether `role` is in the set.
    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    /// Whether any of `roles` is in the set.
    pub fn any_of(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// The roles in order.
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    /// Stored form: names joined by commas.
    pub fn to_storage(&self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }

    /// Reads the stored form, skipping nothing: an unknown name is an error.
    pub fn from_storage(s: &str) -> Option<Self> {
        let mut set = BTreeSet::new();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            set.insert(Role::parse(part)?);
        }
        Some(Self(set))
    }

    /// Names, for the API and tokens.
    pub fn names(&self) -> Vec<String> {
        self.iter().map(|r| r.as_str().to_owned()).collect()
    }
}

/// Where a principal is posted: every POE, or a list of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Postings {
    /// Posted everywhere (`["*"]`).
    All,
    /// Posted to these POEs.
    Only(BTreeSet<PoeCode>),
}

impl Postings {
    /// Parses `["*"]` or a list of codes (possibly empty: a user posted nowhere sees no post's
    /// data, which suits admins and analysts).
    pub fn parse(poes: &[String]) -> Result<Self, ValidationErrors> {
        if poes.iter().any(|p| p.trim() == "*") {
            if poes.len() > 1 {
                return Err(ValidationErrors::one(
                    "",
                    "\"*\" (all POEs) cannot be combined with codes",
                ));
            }
            return Ok(Self::All);
        }
        let mut set = BTreeSet::new();
        let mut errors = ValidationErrors::default();
        for (i, p) in poes.iter().enumerate() {
            match PoeCode::parse(p) {
                Ok(code) => {
                    set.insert(code);
                }
                Err(e) => errors.extend_prefixed(&format!("[{i}]"), e),
            }
        }
        errors.into_result(Self::Only(set))
    }

    /// Whether the principal is posted at `poe`.
    pub fn covers(&self, poe: &PoeCode) -> bool {
        match self {
            Self::All => true,
            Self::Only(set) => set.contains(poe),
        }
    }

    /// The codes, or `["*"]`.
    pub fn names(&self) -> Vec<String> {
        match self {
            Self::All => vec!["*".to_owned()],
            Self::Only(set) => set.iter().map(|p| p.as_str().to_owned()).collect(),
        }
    }

    /// Stored form: `*` or codes joined by commas.
    pub fn to_storage(&self) -> String {
        self.names().join(",")
    }

    /// Reads the stored form.
    pub fn from_storage(s: &str) -> Option<Self> {
        let parts: Vec<String> = s
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        Self::parse(&parts).ok()
    }

    /// The POEs covered, when a list; `None` means all.
    pub fn codes(&self) -> Option<Vec<String>> {
        match self {
            Self::All => None,
            Self::Only(set) => Some(set.iter().map(|p| p.as_str().to_owned()).collect()),
        }
    }
}

/// A login name: 3–64 characters of lower-case letters, digits, `.`, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Parses and lower-cases a username.
    pub fn parse(s: &str) -> Result<Self, ValidationErrors> {
        let s = s.trim().to_ascii_lowercase();
        let ok = (3..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(Self(s))
        } else {
            Err(ValidationErrors::one(
                "",
                "must be 3 to 64 characters: letters, digits, '.', '_' or '-'",
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The common passwords refused as new passwords, lower-cased, one a line: built into the
/// binary (`tools/common_passwords.py` says where they come from).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Whether `lower` (already lower-cased) is in the built-in list of common passwords.
pub fn is_common_password(lower: &str) -> bool {
    use std::collections::HashSet;
    use std::sync::OnceLock;
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().filter(|l| !l.is_empty()).collect())
        .contains(lower)
}

/// A new password that meets the policy: at least 12 characters, at most 1,024 bytes, and not
/// the username.
pub struct NewPassword(secrecy::SecretString);

impl NewPassword {
    /// Checks the policy: at least 12 characters, at most 1024 bytes, not containing the
    /// username, not one of the common passwords built into the binary.
    pub fn parse(password: &str, username: &Username) -> Result<Self, ValidationErrors> {
        let checked = Self::parse_configured(password, username)?;
        let lower = password.to_lowercase();
        if lower.contains(username.as_str()) {
            return Err(ValidationErrors::one("", "must not contain the username"));
        }
        if is_common_password(&lower) {
            return Err(ValidationErrors::one(
                "",
                "is a commonly used password; choose another",
            ));
        }
        Ok(checked)
    }

    /// The length rules only, for a password the operator configured
    /// (`CROSSINGS_BOOTSTRAP_ADMIN_PASSWORD`), which is theirs to choose.
    pub fn parse_configured(password: &str, username: &Username) -> Result<Self, ValidationErrors> {
        if password.chars().count() < 12 {
            return Err(ValidationErrors::one(
                "",
                "must be at least 12 characters long",
            ));
        }
        if password.len() > 1024 {
            return Err(ValidationErrors::one("", "must be at most 1024 bytes long"));
        }
        if password.trim().eq_ignore_ascii_case(username.as_str()) {
            return Err(ValidationErrors::one("", "must not be the username"));
        }
        Ok(Self(password.to_owned().into()))
    }

    /// The secret.
    pub fn secret(&self) -> &secrecy::SecretString {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_user_needs_at_least_one_known_role_and_never_poe_system() {
        assert!(RoleSet::for_user(&strings(&["immigration", "police"])).is_ok());
        assert!(RoleSet::for_user(&strings(&[])).is_err());
        assert!(RoleSet::for_user(&strings(&["poe_system"])).is_err());
        assert!(RoleSet::for_user(&strings(&["root"])).is_err());
    }

    #[test]
    fn roles_round_trip_through_storage() {
        let set = RoleSet::for_user(&strings(&["lra", "immigration"])).unwrap();
        assert_eq!(set.to_storage(), "immigration,lra");
        assert_eq!(RoleSet::from_storage("immigration,lra"), Some(set));
    }

    #[test]
    fn postings_are_all_or_a_list() {
        let all = Postings::parse(&strings(&["*"])).unwrap();
        let msu = PoeCode::parse("MSU").unwrap();
        assert!(all.covers(&msu));
        let some = Postings::parse(&strings(&["MSU", "MPB"])).unwrap();
        assert!(some.covers(&msu));
        assert!(!some.covers(&PoeCode::parse("QNK").unwrap()));
        assert!(Postings::parse(&strings(&["*", "MSU"])).is_err());
        assert!(Postings::parse(&strings(&["msu"])).is_err());
        assert_eq!(Postings::from_storage("MPB,MSU"), Some(some));
    }

    #[test]
    fn password_policy() {
        let user = Username::parse("mokhethi").unwrap();
        assert!(NewPassword::parse("short", &user).is_err());
        assert!(NewPassword::parse("mokhethi", &user).is_err());
        assert!(NewPassword::parse("MOKHETHI", &Username::parse("MOKHETHI").unwrap()).is_err());
        assert!(NewPassword::parse("correct horse battery", &user).is_ok());
        assert!(
            NewPassword::parse("mokhethi-the-great", &user).is_err(),
            "contains the username"
        );
        for common in [
            "password1234",
            "123456789012",
            "PASSWORD1234",
            "qwertyuiop123",
        ] {
            assert!(NewPassword::parse(common, &user).is_err(), "{common}");
        }
        let long_username = Username::parse("a-very-long-username").unwrap();
        assert!(NewPassword::parse("a-very-long-username", &long_username).is_err());
    }

    #[test]
    fn the_common_password_list_is_built_in_and_large() {
        assert!(COMMON_PASSWORDS.lines().count() >= 10_000);
        assert!(is_common_password("password1234"));
        assert!(is_common_password("123456789012"));
        assert!(!is_common_password("lesotho maloti sky 42"));
    }

    #[test]
    fn usernames_are_lower_cased_and_restricted() {
        assert_eq!(Username::parse(" Thabo.M ").unwrap().as_str(), "thabo.m");
        for bad in ["ab", "has space", "émile", ""] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }
}
