//! Access per object: which of the things kept at posts a caller may see. The role check per
//! endpoint is `http::access`; here is the POE dimension, written once.

use crate::auth::Principal;
use crate::domain::poe::PoeCode;
use crate::domain::user::Role;
use crate::error::{Error, Result};

/// Something kept at one post.
pub trait AtPost {
    /// Its post.
    fn poe(&self) -> &PoeCode;
}

/// The object found, when it is at one of the caller's posts; else "not found", so that an
/// object of another post reveals nothing (not even that it exists). `what` names it.
pub fn at_callers_posts<T: AtPost>(
    found: Option<T>,
    principal: &Principal,
    what: &str,
) -> Result<T> {
    found
        .filter(|o| principal.is_posted_at(o.poe()))
        .ok_or_else(|| not_found(what))
}

/// The answer for an object the caller may not know of.
pub fn not_found(what: &str) -> Error {
    Error::NotFound(format!("no such {what} at your posts"))
}

/// The posts a list covers: the one asked for, which must be one of the caller's postings
/// (else 403), or every post the caller is posted at (`None`: all of them).
pub fn list_scope(principal: &Principal, asked: Option<PoeCode>) -> Result<Option<Vec<String>>> {
    match asked {
        Some(p) if !principal.is_posted_at(&p) => {
            Err(Error::Forbidden(format!("you are not posted at {p}")))
        }
        Some(p) => Ok(Some(vec![p.to_string()])),
        None => Ok(principal.postings.codes()),
    }
}

/// Whether the caller may read a movement at one of its posts: immigration always, LRA only
/// one with a vehicle (to declare on it).
pub fn may_read_movement(principal: &Principal, has_vehicle: bool) -> bool {
    principal.has_role(Role::Immigration) || (principal.has_role(Role::Lra) && has_vehicle)
}

/// Whether the caller may know that a movement matched the watchlist (and what the post was
/// asked to do): those who record, and the police. Never LRA alone (need to know).
pub fn may_see_alerts(principal: &Principal) -> bool {
    principal.has_role(Role::Immigration)
        || principal.has_role(Role::Police)
        || principal.has_role(Role::PoeSystem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Identity;
    use crate::domain::user::{Postings, RoleSet};

    #[derive(Debug)]
    struct Thing(PoeCode);
    impl AtPost for Thing {
        fn poe(&self) -> &PoeCode {
            &self.0
        }
    }

    fn officer(role: Role, poes: &[&str]) -> Principal {
        Principal {
            identity: Identity::User {
                id: "u".into(),
                username: "thabo".into(),
                session_id: "s".into(),
            },
            roles: RoleSet::only(role),
            postings: Postings::Only(poes.iter().map(|p| PoeCode::parse(p).unwrap()).collect()),
        }
    }

    fn code(s: &str) -> PoeCode {
        PoeCode::parse(s).unwrap()
    }

    #[test]
    fn an_object_of_another_post_is_not_found() {
        let msu = officer(Role::Immigration, &["MSU"]);
        assert!(at_callers_posts(Some(Thing(code("MSU"))), &msu, "movement").is_ok());
        let e = at_callers_posts(Some(Thing(code("MPT"))), &msu, "movement").unwrap_err();
        assert!(matches!(e, Error::NotFound(ref m) if m == "no such movement at your posts"));
        assert!(matches!(
            at_callers_posts::<Thing>(None, &msu, "hit"),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn a_list_of_another_post_is_forbidden_and_none_means_every_posting() {
        let msu = officer(Role::Immigration, &["MSU"]);
        assert_eq!(
            list_scope(&msu, Some(code("MSU"))).unwrap(),
            Some(vec!["MSU".to_owned()])
        );
        assert!(matches!(
            list_scope(&msu, Some(code("MPT"))),
            Err(Error::Forbidden(_))
        ));
        assert_eq!(
            list_scope(&msu, None).unwrap(),
            Some(vec!["MSU".to_owned()])
        );
    }

    #[test]
    fn lra_reads_only_movements_with_a_vehicle() {
        assert!(may_read_movement(
            &officer(Role::Immigration, &["MSU"]),
            false
        ));
        assert!(may_read_movement(&officer(Role::Lra, &["MSU"]), true));
        assert!(!may_read_movement(&officer(Role::Lra, &["MSU"]), false));
        assert!(!may_read_movement(&officer(Role::Police, &["MSU"]), true));
    }

    #[test]
    fn lra_never_sees_alerts() {
        assert!(!may_see_alerts(&officer(Role::Lra, &["MSU"])));
        assert!(may_see_alerts(&officer(Role::Immigration, &["MSU"])));
        assert!(may_see_alerts(&officer(Role::Police, &["MSU"])));
    }
}
