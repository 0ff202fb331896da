//! History search: the loaded topic scanned from its beginning to its end with a jq
//! predicate, `ktui consume -e --filter` beside `kcat -C -e | jq -c`, same broker, same
//! data, alternating runs; both find the same records.

use std::path::Path;
use std::process::{Command, Stdio};

use super::Row;
use super::mock::{amount, level};
use super::tools::{pair_row, timed, which};

/// The predicate both tools run (the issue's example).
pub(crate) const PREDICATE: &str = r#"select(.level == "error" and .amount > 500)"#;

/// The records `predicate` selects from data written by `write_data`.
pub(crate) fn expected_matches(records: usize) -> usize {
    (0..records)
        .filter(|i| level(*i) == "error" && amount(*i) > 500)
        .count()
}

/// Timed runs of both, then one untimed run of each whose output is compared.
/// Returns the row and the match counts (ktui's, the peer's).
pub(crate) fn search_row(
    ktui: &Path,
    kcat: Option<&Path>,
    bootstrap: &str,
    topic: &str,
    records: usize,
    repeat: usize,
) -> (Row, usize, Option<usize>) {
    let jq = which("jq");
    let ktui_args = [
        "consume",
        "-b",
        bootstrap,
        topic,
        "-o",
        "beginning",
        "-e",
        "--filter",
        PREDICATE,
    ];
    let pipeline = |kcat: &Path, jq: &Path| {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            &format!(
                "{} -C -b {bootstrap} -t {topic} -o beginning -e -q | {} -c '{PREDICATE}'",
                kcat.display(),
                jq.display()
            ),
        ]);
        command
    };
    let peer = kcat.zip(jq.as_deref());
    let mut ktui_times = Vec::new();
    let mut peer_times = Vec::new();
    for _ in 0..repeat {
        ktui_times.push(timed(Command::new(ktui).args(ktui_args), None));
        if let Some((kcat, jq)) = peer {
            peer_times.push(timed(&mut pipeline(kcat, jq), None));
        }
    }
    let lines = |command: &mut Command| -> Vec<Vec<u8>> {
        let output = command
            .stderr(Stdio::null())
            .output()
            .expect("run the search");
        let mut lines: Vec<Vec<u8>> = output
            .stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        lines.sort();
        lines
    };
    let found = lines(Command::new(ktui).args(ktui_args));
    let peer_found = peer.map(|(kcat, jq)| lines(&mut pipeline(kcat, jq)));
    if let Some(peer_found) = &peer_found {
        assert!(
            found == *peer_found,
            "ktui found {} records, kcat | jq {}: not the same records",
            found.len(),
            peer_found.len()
        );
    }
    let mut row = pair_row(
        format!(
            "search {records} JSON records, jq {PREDICATE} (ktui consume -e --filter / kcat -C -e | jq -c)"
        ),
        records,
        &ktui_times,
        peer.map(|_| peer_times.as_slice()),
    );
    if kcat.is_some() && jq.is_none() {
        row.peer = "jq not installed".into();
    }
    row.ktui = format!("{} ({} matches)", row.ktui, found.len());
    (row, found.len(), peer_found.map(|f| f.len()))
}
