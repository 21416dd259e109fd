//! Pages of lists: one size rule for every list the API answers.

use super::validation::ValidationErrors;

/// Items in a page when the client does not say.
pub const DEFAULT_PAGE_SIZE: i64 = 100;

/// A page size the client asked for, within `1..=max` (`max` from the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(i64);

impl PageSize {
    /// The size asked for, or the default (never above `max`). The error names `limit`.
    pub fn parse(asked: Option<i64>, max: i64) -> Result<Self, ValidationErrors> {
        let size = asked.unwrap_or(DEFAULT_PAGE_SIZE.min(max));
        if (1..=max).contains(&size) {
            Ok(Self(size))
        } else {
            Err(ValidationErrors::one(
                "limit",
                format!("must be between 1 and {max}"),
            ))
        }
    }

    /// The size.
    pub fn get(self) -> i64 {
        self.0
    }

    /// One more than the size: a store reads this many to learn whether a next page exists.
    pub fn probe(self) -> i64 {
        self.0 + 1
    }

    /// Cuts `items` (read with [`PageSize::probe`]) to the page; answers whether more follow.
    pub fn cut<T>(self, items: &mut Vec<T>) -> bool {
        let size = usize::try_from(self.0).unwrap_or(usize::MAX);
        let more = items.len() > size;
        items.truncate(size);
        more
    }
}

/// A page of a list, and whether more follow it.
#[derive(Debug)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Whether another page follows the last item.
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_one_to_the_configured_most() {
        assert_eq!(PageSize::parse(None, 500).unwrap().get(), 100);
        assert_eq!(PageSize::parse(None, 50).unwrap().get(), 50);
        assert_eq!(PageSize::parse(Some(500), 500).unwrap().get(), 500);
        for bad in [0, -1, 501] {
            let e = PageSize::parse(Some(bad), 500).unwrap_err();
            assert_eq!(e.0[0].field, "limit", "{bad}");
        }
    }

    #[test]
    fn a_page_read_with_the_probe_says_whether_more_follow() {
        let size = PageSize::parse(Some(2), 500).unwrap();
        let mut read = vec![1, 2, 3];
        assert!(size.cut(&mut read));
        assert_eq!(read, [1, 2]);
        let mut last = vec![1, 2];
        assert!(!size.cut(&mut last));
    }
}
