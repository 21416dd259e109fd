//! The application's state as the HTTP layer holds it: the use cases' [`Context`], built once
//! at start by `startup`.

use crate::config::Settings;
use crate::service::Context;

/// What every handler can reach.
pub struct AppState {
    /// The context every use case runs in.
    pub ctx: Context,
}

impl AppState {
    /// Configuration.
    pub fn settings(&self) -> &Settings {
        &self.ctx.settings
    }
}
