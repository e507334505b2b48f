//! The JSON of INFO (server to client) and CONNECT (client to server).
#![forbid(unsafe_code)]

use serde::{Deserialize, Deserializer, Serialize};

use crate::status::{natsStatus, Error, Result};

/// Reads a field that may also be `null`, which then takes the default value.
fn or_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// What the server says about itself in INFO. Missing (or null) fields take their
/// default value; unknown fields are ignored.
#[derive(Deserialize, Default, Clone, Debug, PartialEq, Eq)]
#[serde(default)]
pub struct ServerInfo {
    #[serde(deserialize_with = "or_default")]
    pub server_id: String,
    #[serde(deserialize_with = "or_default")]
    pub server_name: String,
    #[serde(deserialize_with = "or_default")]
    pub version: String,
    #[serde(deserialize_with = "or_default")]
    pub go: String,
    #[serde(deserialize_with = "or_default")]
    pub host: String,
    #[serde(deserialize_with = "or_default")]
    pub port: u16,
    #[serde(deserialize_with = "or_default")]
    pub headers: bool,
    #[serde(deserialize_with = "or_default")]
    pub auth_required: bool,
    #[serde(deserialize_with = "or_default")]
    pub tls_required: bool,
    #[serde(deserialize_with = "or_default")]
    pub tls_available: bool,
    #[serde(deserialize_with = "or_default")]
    pub max_payload: i64,
    #[serde(deserialize_with = "or_default")]
    pub proto: i32,
    #[serde(deserialize_with = "or_default")]
    pub client_id: u64,
    #[serde(deserialize_with = "or_default")]
    pub client_ip: String,
    pub nonce: Option<String>,
    pub cluster: Option<String>,
    #[serde(deserialize_with = "or_default")]
    pub connect_urls: Vec<String>,
    /// Lame duck mode: the server is about to shut down.
    #[serde(deserialize_with = "or_default")]
    pub ldm: bool,
    #[serde(deserialize_with = "or_default")]
    pub jetstream: bool,
}

/// Parses the JSON argument of INFO.
pub fn parse_info(json: &str) -> Result<ServerInfo> {
    // serde would also build the struct from a JSON array; only an object is valid.
    if !json.trim_start().starts_with('{') {
        return Err(Error::new(
            natsStatus::NATS_PROTOCOL_ERROR,
            "invalid INFO from server: not a JSON object",
        ));
    }
    serde_json::from_str(json).map_err(|e| {
        Error::new(
            natsStatus::NATS_PROTOCOL_ERROR,
            format!("invalid INFO from server: {e}"),
        )
    })
}

/// The JSON argument of CONNECT. Optional fields are left out when `None`.
#[derive(Serialize, Default, Clone, Debug, PartialEq, Eq)]
pub struct ConnectInfo {
    pub verbose: bool,
    pub pedantic: bool,
    pub tls_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub lang: String,
    pub version: String,
    pub protocol: i32,
    pub echo: bool,
    pub headers: bool,
    pub no_responders: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nkey: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = r#"{"server_id":"NCXQ7LWBZ3V6SAXD4Q3PFX6O5TXDG3RNDQWUYLX4KJLQ5VXJHSGT4YPA","server_name":"n1","version":"2.10.22","proto":1,"git_commit":"240e9a4","go":"go1.22.8","host":"0.0.0.0","port":4222,"headers":true,"auth_required":true,"max_payload":1048576,"jetstream":true,"client_id":17,"client_ip":"127.0.0.1","nonce":"pEbhVY1hTOuqn9Y","cluster":"c1","connect_urls":["10.0.0.1:4222","[::1]:4223"],"ldm":false,"xkey":"XAB","some_future_object":{"a":[1,2,{"b":null}]}}"#;

    #[test]
    fn parse_real_info() {
        let i = parse_info(INFO).unwrap();
        assert_eq!(
            i.server_id,
            "NCXQ7LWBZ3V6SAXD4Q3PFX6O5TXDG3RNDQWUYLX4KJLQ5VXJHSGT4YPA"
        );
        assert_eq!(i.server_name, "n1");
        assert_eq!(i.version, "2.10.22");
        assert_eq!(i.go, "go1.22.8");
        assert_eq!((i.host.as_str(), i.port), ("0.0.0.0", 4222));
        assert!(i.headers && i.auth_required && i.jetstream);
        assert!(!i.tls_required && !i.tls_available && !i.ldm);
        assert_eq!(i.max_payload, 1_048_576);
        assert_eq!(i.proto, 1);
        assert_eq!(i.client_id, 17);
        assert_eq!(i.client_ip, "127.0.0.1");
        assert_eq!(i.nonce.as_deref(), Some("pEbhVY1hTOuqn9Y"));
        assert_eq!(i.cluster.as_deref(), Some("c1"));
        assert_eq!(i.connect_urls, vec!["10.0.0.1:4222", "[::1]:4223"]);
    }

    #[test]
    fn missing_and_null_fields_default() {
        let i = parse_info("{}").unwrap();
        assert_eq!(i, ServerInfo::default());
        let i = parse_info(r#"{"connect_urls":null,"server_id":null,"nonce":null,"ldm":true}"#)
            .unwrap();
        assert!(i.connect_urls.is_empty() && i.server_id.is_empty() && i.nonce.is_none() && i.ldm);
    }

    #[test]
    fn bad_info() {
        for bad in [
            "",
            "{",
            "not json",
            "[]",
            r#"{"port":"x"}"#,
            r#"{"port":70000}"#,
            r#"{"headers":1}"#,
        ] {
            let e = parse_info(bad).unwrap_err();
            assert_eq!(e.status, natsStatus::NATS_PROTOCOL_ERROR, "{bad}");
            assert!(e.text.starts_with("invalid INFO"), "{}", e.text);
        }
    }

    #[test]
    fn connect_json() {
        let c = ConnectInfo {
            tls_required: true,
            lang: "C".into(),
            version: "3.4.1".into(),
            protocol: 1,
            user: Some("derek".into()),
            pass: Some("p\"a\\s/s\n\u{1}".into()),
            ..Default::default()
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"verbose":false,"pedantic":false,"tls_required":true,"lang":"C","version":"3.4.1","protocol":1,"echo":false,"headers":false,"no_responders":false,"user":"derek","pass":"p\"a\\s/s\n\u0001"}"#
        );
        // Round trip of the escaped password.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["pass"], "p\"a\\s/s\n\u{1}");
    }

    #[test]
    fn connect_optional_fields() {
        let none = serde_json::to_value(ConnectInfo::default()).unwrap();
        let obj = none.as_object().unwrap();
        for skipped in ["name", "user", "pass", "auth_token", "jwt", "nkey", "sig"] {
            assert!(!obj.contains_key(skipped), "{skipped}");
        }
        for kept in [
            "verbose",
            "pedantic",
            "tls_required",
            "lang",
            "version",
            "protocol",
            "echo",
            "headers",
            "no_responders",
        ] {
            assert!(obj.contains_key(kept), "{kept}");
        }
        let all = ConnectInfo {
            name: Some("n".into()),
            auth_token: Some("t".into()),
            jwt: Some("j".into()),
            nkey: Some("k".into()),
            sig: Some("s".into()),
            ..Default::default()
        };
        let v = serde_json::to_value(all).unwrap();
        assert_eq!(
            (
                &v["name"],
                &v["auth_token"],
                &v["jwt"],
                &v["nkey"],
                &v["sig"]
            ),
            (
                &serde_json::json!("n"),
                &serde_json::json!("t"),
                &serde_json::json!("j"),
                &serde_json::json!("k"),
                &serde_json::json!("s")
            )
        );
    }
}
