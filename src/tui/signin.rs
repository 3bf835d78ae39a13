//! Signing in again from the reader (OAuth: the grant was revoked or has
//! expired): the device flow in a task of its own, its code shown in a
//! pop-up; the other accounts go on meanwhile. A provider without a device
//! flow for mail (Google) is sent to `postie setup` instead.

use rust_i18n::t;

use super::edge::Edge;
use crate::app::{Msg, SignInStep};

pub(super) fn start(edge: &Edge) {
    let ui = edge.ui.clone();
    let Some((name, account)) = edge.account.clone() else {
        return;
    };
    tokio::spawn(async move {
        let failed = |why: String| {
            Msg::SignIn(SignInStep::Failed(
                crate::text::sanitize::sanitize_line(&why).into_owned(),
            ))
        };
        let Some(o) = account.oauth.as_ref() else {
            return;
        };
        let endpoints = match crate::accounts::tokens::oauth_endpoints(o, None) {
            Ok(e) => e,
            Err(why) => return ui.send(failed(why)),
        };
        if endpoints.device_url.is_none() {
            return ui.send(failed(t!("popup.signin.use_setup").into_owned()));
        }
        let file = crate::accounts::tokens::token_file(&name);
        let shown = ui.clone();
        let done = crate::oauth::signin::device(&endpoints, &file, move |c| {
            shown.send(Msg::SignIn(SignInStep::Code {
                url: c.verification_uri.clone(),
                code: c.user_code.clone(),
            }))
        })
        .await;
        ui.send(match done {
            Ok(()) => Msg::SignIn(SignInStep::Done),
            Err(e) => failed(e.to_string()),
        });
    });
}
