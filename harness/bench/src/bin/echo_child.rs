//! The smallest nash-external/1 search method, for timing nash's side of the protocol: it
//! proposes ids from a xorshift generator seeded by the trial and ignores what it is told.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let (mut state, mut size) = (1u64, 1u64);
    for line in stdin.lock().lines() {
        let message: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let reply = match message["type"].as_str().unwrap() {
            "hello" => Some(json!({"type": "hello", "protocol": "nash-external/1"})),
            "start_trial" => {
                state = message["seed"].as_u64().unwrap() | 1;
                size = message["space"]["size"].as_u64().unwrap();
                Some(json!({"type": "started"}))
            }
            "ask" => {
                let n = message["n"].as_u64().unwrap();
                let archs: Vec<Value> = (0..n)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        json!({"id": state % size})
                    })
                    .collect();
                Some(json!({"type": "archs", "archs": archs}))
            }
            "end_trial" => Some(json!({"type": "trial_ended"})),
            _ => None,
        };
        if let Some(reply) = reply {
            serde_json::to_writer(&mut out, &reply).unwrap();
            out.write_all(b"\n").unwrap();
            out.flush().unwrap();
        }
    }
}
