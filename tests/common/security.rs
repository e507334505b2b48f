//! Security fixtures made at test time: a private temporary directory, certificates (rcgen)
//! and NKEYs / JWTs for an operator, an account and a user (nkeys), with the server
//! configuration trusting them. Nothing secret is kept in the repository.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use data_encoding::BASE64URL_NOPAD;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "rnats-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` and returns the path as a string.
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate and its key, as PEM, with their file paths.
pub struct CertFiles {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert: String,
    pub key: String,
}

/// A CA, a server certificate for localhost/127.0.0.1, one for nats.example only, a client
/// certificate, and a certificate from another, untrusted CA.
pub struct Certs {
    pub dir: TempDir,
    pub ca: CertFiles,
    pub server: CertFiles,
    pub other: CertFiles,
    pub client: CertFiles,
    pub rogue: CertFiles,
}

fn ca(dir: &TempDir, name: &str) -> (CertFiles, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).unwrap();
    let files = CertFiles {
        cert: dir.write(&format!("{name}.pem"), &cert.pem()),
        key: dir.write(&format!("{name}.key"), &key.serialize_pem()),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    };
    (files, Issuer::new(params, key))
}

fn leaf(dir: &TempDir, name: &str, sans: &[&str], issuer: &Issuer<'static, KeyPair>) -> CertFiles {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.signed_by(&key, issuer).unwrap();
    CertFiles {
        cert: dir.write(&format!("{name}.pem"), &cert.pem()),
        key: dir.write(&format!("{name}.key"), &key.serialize_pem()),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

impl Certs {
    pub fn new() -> Certs {
        let dir = TempDir::new("certs");
        let (ca_files, issuer) = ca(&dir, "ca");
        let server = leaf(&dir, "server", &["localhost", "127.0.0.1"], &issuer);
        let other = leaf(&dir, "other", &["nats.example"], &issuer);
        let client = leaf(&dir, "client", &["client.example"], &issuer);
        let (_, rogue_issuer) = ca(&dir, "rogue_ca");
        let rogue = leaf(&dir, "rogue", &["localhost", "127.0.0.1"], &rogue_issuer);
        Certs { dir, ca: ca_files, server, other, client, rogue }
    }

    /// A server configuration file: TLS with `cert`, plus `extra` lines.
    pub fn server_conf(&self, cert: &CertFiles, extra: &str) -> String {
        let text = format!("tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n{extra}}}\n", cert.cert, cert.key);
        static N: AtomicUsize = AtomicUsize::new(0);
        self.dir.write(&format!("server-{}.conf", N.fetch_add(1, Ordering::Relaxed)), &text)
    }
}

/// Encodes and signs JWT claims with the issuer's key.
pub fn encode_jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: serde_json::Value) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "ed25519-nkey"});
    let iat = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    static N: AtomicUsize = AtomicUsize::new(0);
    let claims = serde_json::json!({
        "jti": format!("TESTJTI{}X{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)),
        "iat": iat,
        "iss": issuer.public_key(),
        "name": name,
        "sub": subject,
        "nats": nats,
    });
    let signing_input = format!(
        "{}.{}",
        BASE64URL_NOPAD.encode(header.to_string().as_bytes()),
        BASE64URL_NOPAD.encode(claims.to_string().as_bytes())
    );
    let sig = issuer.sign(signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", BASE64URL_NOPAD.encode(&sig))
}

/// An operator, an account and a user, their JWTs, and the server configuration.
pub struct JwtSetup {
    pub dir: TempDir,
    pub user: nkeys::KeyPair,
    pub user_jwt: String,
    /// Server configuration file (operator mode, MEMORY resolver).
    pub conf: String,
}

impl JwtSetup {
    pub fn new() -> JwtSetup {
        let dir = TempDir::new("jwt");
        let op = nkeys::KeyPair::new_operator();
        let acc = nkeys::KeyPair::new_account();
        let user = nkeys::KeyPair::new_user();
        let op_jwt = encode_jwt(&op, &op.public_key(), "op", serde_json::json!({"type": "operator", "version": 2}));
        let acc_jwt = encode_jwt(
            &op,
            &acc.public_key(),
            "acc",
            serde_json::json!({
                "limits": {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                           "wildcards": true, "conn": -1, "leaf": -1},
                "default_permissions": {"pub": {}, "sub": {}},
                "type": "account", "version": 2
            }),
        );
        let user_jwt = encode_jwt(
            &acc,
            &user.public_key(),
            "user",
            serde_json::json!({"pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1,
                               "type": "user", "version": 2}),
        );
        let conf = dir.write(
            "server.conf",
            &format!("operator: {op_jwt}\nresolver: MEMORY\nresolver_preload: {{\n  {}: {acc_jwt}\n}}\n", acc.public_key()),
        );
        JwtSetup { dir, user, user_jwt, conf }
    }

    /// A `.creds` file for the user (or with another seed).
    pub fn creds(&self, name: &str, seed: &str) -> String {
        self.dir.write(
            name,
            &format!(
                "-----BEGIN NATS USER JWT-----\n{}\n------END NATS USER JWT------\n\n\
                 ************************* IMPORTANT *************************\n\
                 NKEY Seed printed below can be used to sign and prove identity.\n\
                 NKEYs are sensitive and should be treated as secrets.\n\n\
                 -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n",
                self.user_jwt
            ),
        )
    }
}
