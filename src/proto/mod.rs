//! The NATS wire protocol (pure: no I/O, no locks).
#![forbid(unsafe_code)]

pub mod encoder;
pub mod headers;
pub mod info;
pub mod parser;
pub mod subject;
pub mod url;

pub use encoder::{
    connect_frame, hpub_frame, hpub_frame_len, pub_frame, pub_frame_len, sub_frame, unsub_frame,
    PING, PONG,
};
pub use info::{parse_info, ConnectInfo, ServerInfo};
pub use parser::{MsgView, Parser, ProtoError, ProtoHandler};
pub use subject::{
    check_publish_subject, check_queue_name, check_reply_subject, check_subscribe_subject,
};
pub use url::{parse_url, parse_url_list, ServerUrl};
