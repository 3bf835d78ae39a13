//! OAuth 2.0 for the tests' own servers: HS256 tokens minted here (no JWT
//! library: HMAC-SHA256 over base64url JSON, as RFC 7519 spells it), and the
//! Dovecot settings that make it a resource server validating them locally
//! (`passdb oauth2`, `introspection_mode = local`, the key in a dict; see
//! ../shared/notes/dovecot-oauth2.md).

use std::path::Path;

use base64::Engine as _;
use hmac::Mac as _;

pub const ISSUER: &str = "https://login.example.invalid/v2.0";
pub const AUDIENCE: &str = "https://mail.example.invalid";
pub const SCOPE: &str = "mail.pop";
/// The shared HS256 key (random enough for a test; never a real one).
pub const KEY: &[u8] = b"postie-test-hs256-key-0123456789abcdef";

/// What a token says; `Claims::valid(user)` is one Dovecot accepts.
#[derive(Clone)]
pub struct Claims {
    pub email: String,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub scope: String,
    /// Extra bytes to make the token long (the two-step AUTH form).
    pub padding: usize,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

impl Claims {
    pub fn valid(user: &str) -> Claims {
        Claims {
            email: user.into(),
            exp: now() + 3600,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            scope: format!("openid {SCOPE}"),
            padding: 0,
        }
    }

    pub fn mint(&self) -> String {
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "sub": format!("sub-{}", self.email),
            "email": self.email,
            "exp": self.exp,
            "iat": now() - 10,
            "iss": self.iss,
            "aud": self.aud,
            "scope": self.scope,
            "pad": "x".repeat(self.padding),
        });
        let body = b64(claims.to_string().as_bytes());
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY).unwrap();
        mac.update(format!("{header}.{body}").as_bytes());
        let sig = b64(&mac.finalize().into_bytes());
        format!("{header}.{body}.{sig}")
    }
}

/// Dovecot config lines (for `Dovecot::start_with`) that accept the
/// tokens above for XOAUTH2 and OAUTHBEARER, besides the passwords; the
/// key and the oauth2 settings written under `dir`.
pub fn dovecot_extra(dir: &Path) -> String {
    let keys = dir.join("keys/default/HS256");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::write(
        keys.join("default"),
        base64::engine::general_purpose::STANDARD.encode(KEY),
    )
    .unwrap();
    let conf = dir.join("dovecot-oauth2.conf.ext");
    std::fs::write(
        &conf,
        format!(
            "introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix={}/keys/\nissuers = {ISSUER}\naudience = {AUDIENCE}\nscope = {SCOPE}\nusername_attribute = email\n",
            dir.display()
        ),
    )
    .unwrap();
    // Readable by Dovecot's auth process.
    std::process::Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(dir)
        .status()
        .unwrap();
    format!(
        "auth_mechanisms = plain apop xoauth2 oauthbearer\nauth_failure_delay = 0\npassdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {}\n}}\nservice anvil {{\n  unix_listener anvil-auth-penalty {{\n    mode = 0\n  }}\n}}\n",
        conf.display()
    )
}

/// The mock authorization server (tests/common/oauth_server.py) on 127.0.0.1.
pub struct MockAuth {
    pub port: u16,
    pub log: std::path::PathBuf,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl MockAuth {
    /// Started for `email`'s tokens; `deny`: the device sign-in is declined.
    pub fn start(email: &str, deny: bool) -> MockAuth {
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let log = dir.path().join("requests.log");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/oauth_server.py");
        let mut cmd = std::process::Command::new("/usr/bin/python3");
        cmd.arg(script)
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(&log)
            .args([
                "--key",
                &base64::engine::general_purpose::STANDARD.encode(KEY),
            ])
            .args(["--issuer", ISSUER, "--audience", AUDIENCE, "--scope", SCOPE])
            .args(["--email", email]);
        if deny {
            cmd.arg("--deny");
        }
        let child = cmd.spawn().expect("python3 runs the mock server");
        let start = std::time::Instant::now();
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                break p.trim().parse().unwrap();
            }
            assert!(
                start.elapsed().as_secs() < 10,
                "the mock server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        MockAuth {
            port,
            log,
            child,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The requests so far: (time, path, grant, status, error).
    pub fn requests(&self) -> Vec<(f64, String, String, u64, String)> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["t"].as_f64().unwrap(),
                    v["path"].as_str().unwrap().to_string(),
                    v["grant"].as_str().unwrap().to_string(),
                    v["status"].as_u64().unwrap(),
                    v["error"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// The `[accounts.NAME.oauth]` table pointing at this server.
    pub fn toml(&self) -> String {
        format!(
            "[accounts.test.oauth]\nclient_id = \"postie-test\"\nauthorization_url = \"{}\"\ntoken_url = \"{}\"\ndevice_url = \"{}\"\nscopes = [\"{SCOPE}\", \"offline_access\"]\n",
            self.url("/authorize"),
            self.url("/token"),
            self.url("/devicecode")
        )
    }

    pub fn endpoints(&self) -> postie::oauth::Endpoints {
        postie::oauth::Endpoints {
            client_id: "postie-test".into(),
            client_secret: None,
            authorization_url: Some(self.url("/authorize")),
            token_url: self.url("/token"),
            device_url: Some(self.url("/devicecode")),
            scopes: vec![SCOPE.into(), "offline_access".into()],
        }
    }
}

impl Drop for MockAuth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
