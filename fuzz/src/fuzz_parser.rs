//! Mutation fuzzer for the protocol parser, on stable Rust and without dependencies.
//!
//! Inputs are built by mutating a seed corpus of valid server frames. Each input is fed
//! to fresh parsers whole, split in two at a random offset, and cut into random pieces;
//! the parser must never panic, and every way of feeding must give the same operations
//! and the same outcome.
//!
//! Usage: fuzz_parser [--seconds N] [--seed S]

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nats::proto::parser::{MsgView, Parser, ProtoError, ProtoHandler};

/// xorshift64* generator.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // Scramble so that small seeds differ a lot; the state must not be zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough value in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let frames: &[&[u8]] = &[
        b"INFO {\"server_id\":\"NABC\",\"version\":\"2.10.0\",\"headers\":true,\"max_payload\":1048576}\r\n",
        b"INFO {\"connect_urls\":[\"10.0.0.1:4222\",\"[::1]:4223\"],\"ldm\":true}\r\n",
        b"MSG foo 1 5\r\nhello\r\n",
        b"MSG foo.bar 22 _INBOX.abc.1 3\r\nxyz\r\n",
        b"MSG empty 3 0\r\n\r\n",
        b"MSG bin 4 6\r\n\r\n\0\xff\r\n\r\n",
        b"msg\tlower  9 \t 2\r\nok\r\n",
        b"MSG lf 5 1\nx\n",
        b"HMSG h 3 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
        b"HMSG h 4 reply.to 22 22\r\nNATS/1.0 503\r\nA: B\r\n\r\n\r\n",
        b"HMSG z 5 0 2\r\nab\r\n",
        b"PING\r\n",
        b"PONG\r\n",
        b"+OK\r\n",
        b"ping\n",
        b"-ERR 'Unknown Subject'\r\n",
        b"-ERR 'Permissions Violation for Subscription to \"x.>\"'\r\n",
        b"-ERR\r\n",
    ];
    let mut out: Vec<Vec<u8>> = frames.iter().map(|f| f.to_vec()).collect();
    // A few streams of several frames.
    let all: Vec<u8> = frames.concat();
    out.push(all);
    out.push([frames[2], frames[11], frames[8], frames[3], frames[12]].concat());
    out.push(
        [
            frames[0], frames[13], frames[11], frames[4], frames[5], frames[15],
        ]
        .concat(),
    );
    out
}

const INTERESTING: &[u8] = b"\r\n \t0123456789+-'\"{}.*>\0\xffMSGHPINOKER";
const LINE_ENDS: &[&[u8]] = &[b"\r\n", b"\n", b"\r", b"\r\n\r\n"];
const BLANKS: &[&[u8]] = &[b" ", b"  ", b"\t", b" \t "];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "10",
    "12",
    "14",
    "255",
    "4096",
    "65536",
    "1048576",
    "67108864",
    "67108865",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "-1",
];

/// Applies one random mutation to `input`.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = input.len();
    let at = |rng: &mut Rng| rng.below(len + 1);
    match rng.below(12) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        // Overwrite a byte with something protocol-relevant or random.
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = if rng.chance(2) {
                *rng.pick(INTERESTING)
            } else {
                rng.next() as u8
            };
        }
        // Insert a line ending.
        2 => {
            let i = at(rng);
            let what = rng.pick(LINE_ENDS);
            input.splice(i..i, what.iter().copied());
        }
        // Insert blanks.
        3 => {
            let i = at(rng);
            let what = rng.pick(BLANKS);
            input.splice(i..i, what.iter().copied());
        }
        // Insert a number.
        4 => {
            let i = at(rng);
            let n = rng.pick(NUMBERS).as_bytes();
            input.splice(i..i, n.iter().copied());
        }
        // Replace a run of digits by another number: hits size mismatches.
        5 => {
            let digits: Vec<usize> = (0..len).filter(|&i| input[i].is_ascii_digit()).collect();
            if let Some(&start) = digits.get(rng.below(digits.len().max(1))) {
                let mut end = start;
                while end < len && input[end].is_ascii_digit() {
                    end += 1;
                }
                let n: Vec<u8> = if rng.chance(2) {
                    rng.pick(NUMBERS).as_bytes().to_vec()
                } else {
                    // Nudge the value up or down by a little.
                    let v: u64 = std::str::from_utf8(&input[start..end])
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    let d = rng.below(3) as u64;
                    let v = if rng.chance(2) {
                        v.saturating_add(d)
                    } else {
                        v.saturating_sub(d)
                    };
                    v.to_string().into_bytes()
                };
                input.splice(start..end, n);
            }
        }
        // Truncate.
        6 => {
            let i = at(rng);
            input.truncate(i);
        }
        // Splice: our prefix, another input's suffix.
        7 => {
            let other = rng.pick(corpus);
            let i = at(rng);
            let j = rng.below(other.len() + 1);
            input.truncate(i);
            input.extend_from_slice(&other[j..]);
        }
        // Insert a whole other input.
        8 => {
            let other = rng.pick(corpus).clone();
            let i = at(rng);
            input.splice(i..i, other);
        }
        // Delete a range.
        9 if len > 0 => {
            let i = rng.below(len);
            let j = (i + 1 + rng.below(8)).min(len);
            input.drain(i..j);
        }
        // Duplicate a range.
        10 if len > 0 => {
            let i = rng.below(len);
            let j = (i + 1 + rng.below(16)).min(len);
            let piece = input[i..j].to_vec();
            input.splice(j..j, piece);
        }
        // Flip the case of a letter (op names are case-insensitive).
        _ if len > 0 => {
            let i = rng.below(len);
            if input[i].is_ascii_alphabetic() {
                input[i] ^= 0x20;
            }
        }
        _ => input.extend_from_slice(b"\r\n"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Info(String),
    Msg {
        subject: Vec<u8>,
        sid: u64,
        reply: Option<Vec<u8>>,
        header: Option<Vec<u8>>,
        payload: Vec<u8>,
    },
    Ping,
    Pong,
    Ok,
    Err(String),
}

#[derive(Default)]
struct Recorder(Vec<Op>);

impl ProtoHandler for Recorder {
    fn on_info(&mut self, json: &str) {
        self.0.push(Op::Info(json.to_string()));
    }
    fn on_msg(&mut self, m: MsgView<'_>) {
        self.0.push(Op::Msg {
            subject: m.subject.to_vec(),
            sid: m.sid,
            reply: m.reply.map(<[u8]>::to_vec),
            header: m.header.map(<[u8]>::to_vec),
            payload: m.payload.to_vec(),
        });
    }
    fn on_ping(&mut self) {
        self.0.push(Op::Ping);
    }
    fn on_pong(&mut self) {
        self.0.push(Op::Pong);
    }
    fn on_ok(&mut self) {
        self.0.push(Op::Ok);
    }
    fn on_err(&mut self, text: &str) {
        self.0.push(Op::Err(text.to_string()));
    }
}

/// Parser limits for one input (the same for every way of feeding it).
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_line: Option<usize>,
    max_payload: Option<usize>,
}

type Outcome = (Vec<Op>, Result<(), ProtoError>);

/// Feeds `input` cut at the given increasing offsets to a fresh parser.
fn run(input: &[u8], cuts: &[usize], limits: Limits) -> Outcome {
    let mut p = Parser::new();
    if let Some(n) = limits.max_line {
        p.set_max_control_line(n);
    }
    if let Some(n) = limits.max_payload {
        p.set_max_payload(n);
    }
    let mut rec = Recorder::default();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        if let Err(e) = p.parse(&input[start..end], &mut rec) {
            return (rec.0, Err(e));
        }
        start = end;
    }
    (rec.0, Ok(()))
}

fn hex(input: &[u8]) -> String {
    input.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks one input; `Err` describes a mismatch.
fn check(rng: &mut Rng, input: &[u8], limits: Limits) -> Result<Outcome, String> {
    let whole = run(input, &[], limits);
    let split_at = rng.below(input.len() + 1);
    let split = run(input, &[split_at], limits);
    if split != whole {
        return Err(format!(
            "split at {split_at}:\n  whole: {whole:?}\n  split: {split:?}"
        ));
    }
    let mut cuts: Vec<usize> = (0..rng.below(6))
        .map(|_| rng.below(input.len() + 1))
        .collect();
    cuts.sort_unstable();
    let pieces = run(input, &cuts, limits);
    if pieces != whole {
        return Err(format!(
            "cut at {cuts:?}:\n  whole: {whole:?}\n  cut:   {pieces:?}"
        ));
    }
    if input.len() <= 256 && rng.chance(16) {
        let bytes: Vec<usize> = (1..input.len()).collect();
        let one_by_one = run(input, &bytes, limits);
        if one_by_one != whole {
            return Err(format!(
                "byte by byte:\n  whole: {whole:?}\n  bytes: {one_by_one:?}"
            ));
        }
    }
    Ok(whole)
}

fn usage() -> ExitCode {
    eprintln!("usage: fuzz_parser [--seconds N] [--seed S]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut seconds: u64 = 10;
    let mut seed: Option<u64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (a.as_str(), value) {
            ("--seconds", Some(v)) => seconds = v,
            ("--seed", Some(v)) => seed = Some(v),
            _ => return usage(),
        }
    }
    let seed = seed.unwrap_or_else(|| {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        t.as_secs() ^ (u64::from(t.subsec_nanos()) << 20) ^ u64::from(std::process::id())
    });
    println!("fuzz_parser: seed {seed}, {seconds} s");

    let mut rng = Rng::new(seed);
    let mut corpus = seeds();
    let base = corpus.len();
    const MAX_CORPUS: usize = 512;
    const MAX_INPUT: usize = 4096;

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut inputs: u64 = 0;
    let mut failures: u64 = 0;
    let mut errors: u64 = 0;
    loop {
        if inputs & 255 == 0 && Instant::now() >= deadline {
            break;
        }
        let mut input = rng.pick(&corpus).clone();
        // Mostly one mutation, sometimes a few: keeps many inputs close to valid.
        let mut n = 1;
        while n < 4 && rng.chance(2) {
            n += 1;
        }
        for _ in 0..n {
            mutate(&mut rng, &mut input, &corpus);
        }
        input.truncate(MAX_INPUT);
        let limits = Limits {
            max_line: rng.chance(8).then(|| rng.below(64)),
            max_payload: rng.chance(8).then(|| rng.below(32)),
        };
        inputs += 1;

        let result = panic::catch_unwind(AssertUnwindSafe(|| check(&mut rng, &input, limits)));
        match result {
            Err(_) => {
                println!("fuzz_parser: PANIC (seed {seed}, input #{inputs}, limits {limits:?})");
                println!("input hex: {}", hex(&input));
                println!("fuzz_parser: {inputs} inputs, {} failures", failures + 1);
                return ExitCode::from(1);
            }
            Ok(Err(why)) => {
                failures += 1;
                if failures <= 10 {
                    println!("fuzz_parser: MISMATCH (seed {seed}, input #{inputs}, limits {limits:?}) {why}");
                    println!("input hex: {}", hex(&input));
                }
            }
            Ok(Ok((ops, res))) => {
                if res.is_err() {
                    errors += 1;
                }
                // Keep inputs that still parse to something as material for later mutations.
                if !ops.is_empty() && limits.max_line.is_none() && limits.max_payload.is_none() {
                    if corpus.len() < MAX_CORPUS {
                        corpus.push(input);
                    } else {
                        let i = base + rng.below(MAX_CORPUS - base);
                        corpus[i] = input;
                    }
                }
            }
        }
    }
    println!(
        "fuzz_parser: corpus of {} inputs, {errors} inputs rejected by the parser",
        corpus.len()
    );
    println!("fuzz_parser: {inputs} inputs, {failures} failures");
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
