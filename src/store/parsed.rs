//! Reading domain types from text columns. A column of an enumeration or a code is read through
//! the domain type's own parser (`TryFrom<String>`, see `domain::validation::stored_as_text`),
//! so a value the domain does not allow is an error when read, never a silent default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::sql_types::Text;

/// A value read from a text column and parsed by its domain type; rows name it in
/// `#[diesel(deserialize_as = Parsed<T>)]`.
#[derive(Debug, Clone, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct Parsed<T>(pub T);

impl<T, DB> FromSql<Text, DB> for Parsed<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
    T: TryFrom<String>,
    T::Error: std::error::Error + Send + Sync + 'static,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
        Ok(Self(T::try_from(text)?))
    }
}

/// `From<Parsed<T>> for T`, for each domain type rows read this way.
macro_rules! parsed_into {
    ($($t:ty),+ $(,)?) => {
        $(impl From<Parsed<$t>> for $t {
            fn from(p: Parsed<$t>) -> Self {
                p.0
            }
        })+
    };
}

parsed_into!(
    crate::domain::poe::PoeCode,
    crate::domain::movement::Direction,
    crate::domain::movement::Mode,
    crate::domain::movement::Purpose,
    crate::domain::traveller::DocumentType,
    crate::domain::traveller::StateCode,
    crate::domain::traveller::Sex,
    crate::domain::watchlist::Action,
    crate::domain::watchlist::Category,
    crate::domain::watchlist::MatchedBy,
    crate::domain::watchlist::Outcome,
);

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sqlite::SqliteConnection;

    use super::*;
    use crate::domain::movement::Direction;

    #[derive(Debug, QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text, deserialize_as = Parsed<Direction>)]
        direction: Direction,
    }

    fn read(value: &str) -> QueryResult<Vec<Row>> {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::sql_query("SELECT ? AS direction")
            .bind::<Text, _>(value)
            .load::<Row>(&mut conn)
    }

    #[test]
    fn a_stored_value_the_domain_allows_is_read_as_its_type() {
        assert_eq!(read("exit").unwrap()[0].direction, Direction::Exit);
    }

    #[test]
    fn a_stored_value_the_domain_does_not_allow_is_an_error_not_a_default() {
        let e = read("sideways").unwrap_err();
        assert!(e.to_string().contains("not a valid Direction"), "{e}");
    }
}
