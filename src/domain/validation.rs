//! Field-level validation errors, shared by every domain type that parses input.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One thing wrong with one field of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `traveller.date_of_birth` or `mrz.composite`.
    pub field: String,
    /// What is wrong, in words an official can act on.
    pub message: String,
}

/// Everything wrong with one input; never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// A single error.
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// Adds an error.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Adds every error of `other`, with `prefix.` in front of its field names.
    pub fn extend_prefixed(&mut self, prefix: &str, other: ValidationErrors) {
        for e in other.0 {
            let field = if prefix.is_empty() {
                e.field
            } else if e.field.is_empty() {
                prefix.to_owned()
            } else if e.field.starts_with('[') {
                format!("{prefix}{}", e.field)
            } else {
                format!("{prefix}.{}", e.field)
            };
            self.0.push(FieldError {
                field,
                message: e.message,
            });
        }
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing is wrong.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Collects the error of a field parse, returning the value when it parsed.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, ValidationErrors>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.extend_prefixed(field, e);
                None
            }
        }
    }
}

/// Deserialises a JSON value (a body, or one item of a batch) into `T`; a value of the wrong
/// shape is a field error naming its path.
pub fn from_json_value<T: DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ValidationErrors> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        shape_error(&path, &inner)
    })
}

/// A field error from a serde data error: the path, completed with the name of a missing
/// field, and serde's message without its position suffix.
pub fn shape_error(path: &str, e: &impl std::fmt::Display) -> ValidationErrors {
    let message = e.to_string();
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    let mut field = if path == "." {
        String::new()
    } else {
        path.to_owned()
    };
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        field = if field.is_empty() {
            missing.to_owned()
        } else {
            format!("{field}.{missing}")
        };
    }
    if field.is_empty() {
        field = "body".to_owned();
    }
    ValidationErrors::one(field, message)
}

/// A stored value that is not one the domain allows: the database was written by something
/// other than this service, or by a version that allowed what this one does not. Reading it
/// is an error, never a silent default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored value {value:?} is not a valid {kind}")]
pub struct InvalidStoredValue {
    /// The type it was read as.
    pub kind: &'static str,
    /// The value, cut to 64 characters.
    pub value: String,
}

/// Makes a domain type storable as text: `TryFrom<String>` through its `parse` (an
/// [`InvalidStoredValue`] when it does not parse) and `From<T> for String` through its
/// `as_str`. The store reads and writes the type through these, so it needs no rules of its
/// own.
macro_rules! stored_as_text {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = $crate::domain::validation::InvalidStoredValue;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$t>::parse(&s).map_err(|_| $crate::domain::validation::InvalidStoredValue {
                    kind: stringify!($t),
                    value: s.chars().take(64).collect(),
                })
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.as_str().to_owned()
            }
        }
    };
}
pub(crate) use stored_as_text;
