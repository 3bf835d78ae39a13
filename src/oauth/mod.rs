//! OAuth 2.0 sign-in for POP3 and SMTP: where an account's bearer tokens
//! come from. `oauth_token_command` (oama, mutt_oauth2.py, a company's
//! tool) prints one; postie's own client keeps a refresh token in a 0600
//! file in the account's store and trades it for access tokens as they
//! expire (`tokens`), and signs in with the device authorization grant or
//! a browser on this machine (`signin`). Both answer
//! `pop3::sasl::TokenSource`, asked before every login.

pub mod command;

pub use command::CommandTokens;
