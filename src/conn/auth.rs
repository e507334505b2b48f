//! Credentials sent in CONNECT: user and password, a token (fixed or from a handler), an NKEY
//! with the signature of the server's nonce, a user JWT.
//!
//! Where they come from follows nats.c: credentials in the server URL win over those of the
//! options (a URL `nats://token@host` carries a token); user/password and token of the options
//! may both be sent. Seeds and passwords live in `Zeroizing` buffers, and no secret is ever
//! put in an error text.
#![forbid(unsafe_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ed25519_dalek::Signer as _;
use zeroize::Zeroizing;

use crate::proto::url::ServerUrl;
use crate::status::{err, natsStatus, Error, Result};

/// Builds a token for each connect and reconnect. `None`: send no token.
pub type TokenHandler = Arc<dyn Fn() -> Option<Zeroizing<String>> + Send + Sync>;
/// Fetches the user JWT for each connect and reconnect.
pub type JwtHandler = Arc<dyn Fn() -> Result<String> + Send + Sync>;
/// Signs the server's nonce; returns the raw (64-byte ed25519) signature.
pub type SignatureHandler = Arc<dyn Fn(&str) -> Result<Zeroizing<Vec<u8>>> + Send + Sync>;

/// Where the user JWT comes from.
#[derive(Clone)]
pub enum JwtSource {
    Handler(JwtHandler),
    /// A `.creds` file (or a file holding only the JWT).
    File(PathBuf),
}

/// What signs the nonce.
#[derive(Clone)]
pub enum SignerSource {
    Handler(SignatureHandler),
    /// A seed file or a `.creds` file holding the user seed.
    File(PathBuf),
}

/// The credentials of a connection's options.
#[derive(Clone, Default)]
pub struct Credentials {
    pub user: Option<String>,
    pub password: Option<Zeroizing<String>>,
    pub token: Option<Zeroizing<String>>,
    pub token_handler: Option<TokenHandler>,
    /// NKEY public key (`SetNKey`, `SetNKeyFromSeed`).
    pub nkey: Option<String>,
    pub jwt: Option<JwtSource>,
    pub signer: Option<SignerSource>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Says what is configured, never the secrets.
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("token_handler", &self.token_handler.is_some())
            .field("nkey", &self.nkey)
            .field("jwt", &self.jwt.as_ref().map(|j| matches!(j, JwtSource::File(_))))
            .field("signer", &self.signer.as_ref().map(|s| matches!(s, SignerSource::File(_))))
            .finish()
    }
}

fn illegal(text: &str) -> Error {
    Error::new(natsStatus::NATS_ILLEGAL_STATE, text)
}

impl Credentials {
    /// `SetUserInfo`: used when the URL has no credentials of its own.
    pub fn set_user_info(&mut self, user: Option<&str>, password: Option<&str>) {
        self.user = user.map(str::to_string);
        self.password = password.map(|p| Zeroizing::new(p.to_string()));
    }

    /// `SetToken` (`None` clears). Refused while a token handler is set.
    pub fn set_token(&mut self, token: Option<&str>) -> Result<()> {
        if token.is_some() && self.token_handler.is_some() {
            return Err(illegal("Cannot set a token if a token handler has already been set"));
        }
        self.token = token.map(|t| Zeroizing::new(t.to_string()));
        Ok(())
    }

    /// `SetTokenHandler` (`None` clears). Refused while a token is set.
    pub fn set_token_handler(&mut self, handler: Option<TokenHandler>) -> Result<()> {
        if handler.is_some() && self.token.is_some() {
            return Err(illegal("Cannot set a token handler if a token has already been set"));
        }
        self.token_handler = handler;
        Ok(())
    }

    /// Removes the NKEY / JWT identity.
    fn clear_identity(&mut self) {
        self.nkey = None;
        self.jwt = None;
        self.signer = None;
    }

    /// `SetNKey`: the public key and a handler signing the nonce; replaces user credentials
    /// set with `SetUserCredentials*`. A `None` key removes the NKEY settings.
    pub fn set_nkey(&mut self, public_key: Option<&str>, signer: Option<SignatureHandler>) -> Result<()> {
        self.clear_identity();
        if let Some(pk) = public_key {
            let signer = signer
                .ok_or_else(|| Error::new(natsStatus::NATS_INVALID_ARG, "the signature callback must not be NULL"))?;
            self.nkey = Some(pk.to_string());
            self.signer = Some(SignerSource::Handler(signer));
        }
        Ok(())
    }

    /// `SetNKeyFromSeed`: the public key and the file holding its seed (read at each
    /// connect). A `None` key removes the NKEY settings.
    pub fn set_nkey_from_seed(&mut self, public_key: Option<&str>, seed_file: &str) -> Result<()> {
        self.clear_identity();
        if let Some(pk) = public_key {
            self.nkey = Some(pk.to_string());
            self.signer = Some(SignerSource::File(PathBuf::from(seed_file)));
        }
        Ok(())
    }

    /// `SetUserCredentialsCallbacks`; a `None` JWT handler removes the user credentials.
    pub fn set_user_credentials_callbacks(&mut self, jwt: Option<JwtHandler>, signer: Option<SignatureHandler>) -> Result<()> {
        let Some(jwt) = jwt else {
            self.clear_identity();
            return Ok(());
        };
        let signer = signer
            .ok_or_else(|| Error::new(natsStatus::NATS_INVALID_ARG, "the signature callback must not be NULL"))?;
        self.clear_identity();
        self.jwt = Some(JwtSource::Handler(jwt));
        self.signer = Some(SignerSource::Handler(signer));
        Ok(())
    }

    /// `SetUserCredentialsFromFiles`; files are read at each connect. `None` removes the user
    /// credentials.
    pub fn set_user_credentials_files(&mut self, user_or_chained: Option<&str>, seed_file: Option<&str>) {
        self.clear_identity();
        if let Some(user) = user_or_chained {
            self.jwt = Some(JwtSource::File(PathBuf::from(user)));
            self.signer = Some(SignerSource::File(PathBuf::from(seed_file.unwrap_or(user))));
        }
    }
}

/// The authentication fields of one CONNECT.
#[derive(Default, PartialEq, Eq)]
pub struct ConnectAuth {
    pub user: Option<String>,
    pub pass: Option<String>,
    pub auth_token: Option<String>,
    pub jwt: Option<String>,
    pub nkey: Option<String>,
    pub sig: Option<String>,
}

impl fmt::Debug for ConnectAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectAuth")
            .field("user", &self.user)
            .field("pass", &self.pass.as_ref().map(|_| "<set>"))
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<set>"))
            .field("jwt", &self.jwt.is_some())
            .field("nkey", &self.nkey)
            .field("sig", &self.sig.is_some())
            .finish()
    }
}

/// Computes the authentication fields for a CONNECT to `url`, signing `nonce` when the
/// options carry an NKEY or user credentials. Runs the user's handlers (token, JWT,
/// signature) on the calling thread.
pub fn connect_auth(creds: &Credentials, url: &ServerUrl, nonce: Option<&str>) -> Result<ConnectAuth> {
    let mut a = ConnectAuth::default();
    match (&url.user, &url.password) {
        (Some(u), Some(p)) => {
            a.user = Some(u.clone());
            a.pass = Some(p.clone());
        }
        (Some(t), None) => a.auth_token = Some(t.clone()),
        (None, Some(p)) => a.pass = Some(p.clone()),
        (None, None) => {
            a.user = creds.user.clone();
            a.pass = creds.password.as_ref().map(|p| p.to_string());
            a.auth_token = match (&creds.token, &creds.token_handler) {
                (Some(t), _) => Some(t.to_string()),
                (None, Some(h)) => h().map(|t| t.to_string()),
                (None, None) => None,
            };
        }
    }
    if let Some(src) = &creds.jwt {
        a.jwt = Some(match src {
            JwtSource::Handler(h) => h()?,
            JwtSource::File(path) => read_jwt_file(path)?,
        });
    } else {
        a.nkey = creds.nkey.clone();
    }
    if let (Some(signer), Some(nonce)) = (&creds.signer, nonce) {
        let sig = match signer {
            SignerSource::Handler(h) => h(nonce)?,
            SignerSource::File(path) => {
                let seed = read_seed_file(path)?;
                Zeroizing::new(sign(&seed, nonce.as_bytes())?.to_vec())
            }
        };
        a.sig = Some(data_encoding::BASE64URL_NOPAD.encode(&sig));
    }
    Ok(a)
}

/// Signs `msg` with an encoded NKEY seed (ed25519). The decoded key is wiped when done.
pub fn sign(seed: &str, msg: &[u8]) -> Result<[u8; 64]> {
    let (_, raw) = nkeys::decode_seed(seed.trim()).map_err(|_| Error::new(natsStatus::NATS_ERR, "invalid NKEY seed"))?;
    let raw = Zeroizing::new(raw);
    let key = ed25519_dalek::SigningKey::from_bytes(&raw);
    Ok(key.sign(msg).to_bytes())
}

fn read_secret_file(path: &Path) -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
        Error::new(natsStatus::NATS_ERR, format!("error opening file '{}': {e}", path.display()))
    })?);
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(Zeroizing::new(s.to_string())),
        Err(_) => err(natsStatus::NATS_ERR, format!("file '{}' is not text", path.display())),
    }
}

/// The lines of the block after a `-----BEGIN ...<kind>...-----` marker line, up to the next
/// marker line.
fn decorated_block<'a>(text: &'a str, kind: &str) -> Option<impl Iterator<Item = &'a str>> {
    let mut lines = text.lines();
    loop {
        let l = lines.next()?.trim();
        if l.starts_with("---") && l.contains("BEGIN") && l.contains(kind) {
            break;
        }
    }
    Some(lines.map(str::trim).take_while(|l| !l.starts_with("---")).filter(|l| !l.is_empty()))
}

/// The user JWT of a `.creds` file, or of a file holding just the JWT.
pub fn parse_jwt(text: &str) -> Option<String> {
    if let Some(mut block) = decorated_block(text, "JWT") {
        return block.next().map(str::to_string);
    }
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("eyJ") && l.split('.').count() == 3)
        .map(str::to_string)
}

/// The seed of a `.creds` or seed file: the content of its seed block, or the first line that
/// is an encoded seed.
pub fn parse_seed(text: &str) -> Option<Zeroizing<String>> {
    let is_seed = |l: &str| l.len() == 58 && l.starts_with('S') && nkeys::decode_seed(l).is_ok();
    if let Some(mut block) = decorated_block(text, "SEED") {
        if let Some(l) = block.find(|l| is_seed(l)) {
            return Some(Zeroizing::new(l.to_string()));
        }
    }
    text.lines().map(str::trim).find(|l| is_seed(l)).map(|l| Zeroizing::new(l.to_string()))
}

fn read_jwt_file(path: &Path) -> Result<String> {
    let text = read_secret_file(path)?;
    parse_jwt(&text).ok_or_else(|| Error::new(natsStatus::NATS_ERR, format!("no user JWT found in '{}'", path.display())))
}

fn read_seed_file(path: &Path) -> Result<Zeroizing<String>> {
    let text = read_secret_file(path)?;
    parse_seed(&text)
        .ok_or_else(|| Error::new(natsStatus::NATS_ERR, format!("no nkey user seed found in '{}'", path.display())))
}

/// `natsConnection_Sign`: signs with the seed of the connection's credentials file (or seed
/// file). Credentials given through callbacks cannot sign arbitrary messages.
pub fn connection_sign(conn: &super::Connection, msg: &[u8]) -> Result<[u8; 64]> {
    match &conn.shared.opts.credentials.signer {
        Some(SignerSource::File(path)) => {
            let seed = read_seed_file(path)?;
            sign(&seed, msg)
        }
        _ => err(
            natsStatus::NATS_ERR,
            "unable to sign: the connection was not created with user credentials or seed files",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::url::parse_url;

    fn url(s: &str) -> ServerUrl {
        parse_url(s).unwrap()
    }

    #[test]
    fn url_credentials_win() {
        let mut c = Credentials::default();
        c.set_user_info(Some("ou"), Some("op"));
        c.set_token(Some("otok")).unwrap();
        let a = connect_auth(&c, &url("nats://uu:pp@h:1"), None).unwrap();
        assert_eq!((a.user.as_deref(), a.pass.as_deref(), a.auth_token.as_deref()), (Some("uu"), Some("pp"), None));
        let a = connect_auth(&c, &url("nats://tt@h:1"), None).unwrap();
        assert_eq!((a.user.as_deref(), a.pass.as_deref(), a.auth_token.as_deref()), (None, None, Some("tt")));
        let a = connect_auth(&c, &url("nats://h:1"), None).unwrap();
        assert_eq!((a.user.as_deref(), a.pass.as_deref(), a.auth_token.as_deref()), (Some("ou"), Some("op"), Some("otok")));
    }

    #[test]
    fn token_and_handler_exclusive() {
        let mut c = Credentials::default();
        c.set_token(Some("t")).unwrap();
        let h: TokenHandler = Arc::new(|| Some(Zeroizing::new("h".to_string())));
        assert_eq!(c.set_token_handler(Some(h.clone())).unwrap_err().status, natsStatus::NATS_ILLEGAL_STATE);
        c.set_token(None).unwrap();
        c.set_token_handler(Some(h)).unwrap();
        assert_eq!(c.set_token(Some("t")).unwrap_err().status, natsStatus::NATS_ILLEGAL_STATE);
        let a = connect_auth(&c, &url("nats://h:1"), None).unwrap();
        assert_eq!(a.auth_token.as_deref(), Some("h"));
    }

    #[test]
    fn nkey_signature_of_nonce() {
        let kp = nkeys::KeyPair::new_user();
        let seed = kp.seed().unwrap();
        let dir = std::env::temp_dir().join(format!("rnats-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("seed");
        std::fs::write(&file, format!("-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n")).unwrap();
        let mut c = Credentials::default();
        c.set_nkey_from_seed(Some(&kp.public_key()), file.to_str().unwrap()).unwrap();
        let a = connect_auth(&c, &url("nats://h:1"), Some("nonce-123")).unwrap();
        assert_eq!(a.nkey.as_deref(), Some(kp.public_key().as_str()));
        let sig = data_encoding::BASE64URL_NOPAD.decode(a.sig.unwrap().as_bytes()).unwrap();
        kp.verify(b"nonce-123", &sig).unwrap();
        // No nonce: the key is sent, nothing is signed.
        let a = connect_auth(&c, &url("nats://h:1"), None).unwrap();
        assert!(a.nkey.is_some() && a.sig.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sign_matches_nkeys() {
        let kp = nkeys::KeyPair::new_account();
        let sig = sign(&kp.seed().unwrap(), b"hello").unwrap();
        kp.verify(b"hello", &sig).unwrap();
        assert_eq!(sign("SUBAD", b"x").unwrap_err().status, natsStatus::NATS_ERR);
        assert_eq!(sign(&kp.public_key(), b"x").unwrap_err().status, natsStatus::NATS_ERR);
    }

    #[test]
    fn creds_file_parsing() {
        let kp = nkeys::KeyPair::new_user();
        let seed = kp.seed().unwrap();
        let creds = format!(
            "-----BEGIN NATS USER JWT-----\neyJhbGc.eyJzdWIi.c2ln\n------END NATS USER JWT------\n\n\
             ************************* IMPORTANT *************************\n\
             NKEY Seed printed below can be used to sign and prove identity.\n\n\
             -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
        );
        assert_eq!(parse_jwt(&creds).as_deref(), Some("eyJhbGc.eyJzdWIi.c2ln"));
        assert_eq!(parse_seed(&creds).as_deref().map(|s| s.as_str()), Some(seed.as_str()));
        assert_eq!(parse_jwt("eyJa.eyJb.sig\n").as_deref(), Some("eyJa.eyJb.sig"));
        assert_eq!(parse_seed(&format!("\n  {seed}  \n")).as_deref().map(|s| s.as_str()), Some(seed.as_str()));
        assert!(parse_jwt("nothing here").is_none());
        assert!(parse_seed("SUNOTASEED").is_none());
    }

    #[test]
    fn debug_hides_secrets() {
        let mut c = Credentials::default();
        c.set_user_info(Some("u"), Some("hunter2"));
        c.set_token(Some("tok-secret")).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("hunter2") && !d.contains("tok-secret"), "{d}");
    }
}
