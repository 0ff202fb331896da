//! Replays an NDJSON file of X v2 stream lines at a chosen rate: the Feed works offline,
//! and `--demo` plays the shipped `assets/tweets.ndjson` into `tweets`.

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;

use super::stop::Stop;
use super::twitter::{Line, parse_line};
use super::{FeedState, Post, SourceEvent, report};

/// The tweets `--demo` plays: made up, shipped with the binary.
pub const DEMO_TWEETS: &str = include_str!("../../assets/tweets.ndjson");

/// Parses the file's posts; lines that are not X v2 tweets are skipped (keep-alives too).
pub fn parse_posts(text: &str) -> Vec<Post> {
    text.lines()
        .filter_map(|line| match parse_line(line.as_bytes()) {
            Line::Post(post) => Some(Post {
                source: "replay".into(),
                ..*post
            }),
            _ => None,
        })
        .collect()
}

/// Plays a file `rounds` times (0: forever), then stops.
pub async fn run(
    path: &Path,
    per_second: f64,
    rounds: u32,
    events: mpsc::Sender<SourceEvent>,
    stop: Stop,
) {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(e) => {
            let reason = format!("cannot read {}: {e}", path.display());
            report(&events, FeedState::stopped(reason, true)).await;
            return;
        }
    };
    play(parse_posts(&text), per_second, rounds, events, stop).await;
}

/// Plays `posts` `rounds` times (0: forever) at `per_second`; ids get a round suffix after
/// the first round, so every record has its own key.
pub async fn play(
    posts: Vec<Post>,
    per_second: f64,
    rounds: u32,
    events: mpsc::Sender<SourceEvent>,
    mut stop: Stop,
) {
    if posts.is_empty() {
        let reason = "the replay file holds no X v2 tweets".to_string();
        report(&events, FeedState::stopped(reason, true)).await;
        return;
    }
    report(&events, FeedState::Streaming).await;
    let gap = Duration::from_secs_f64(1.0 / per_second.clamp(0.01, 100_000.0));
    let mut ticker = tokio::time::interval(gap);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round = 0u32;
    loop {
        for post in &posts {
            tokio::select! {
                _ = ticker.tick() => {}
                () = stop.stopped() => {
                    report(&events, FeedState::stopped("stopped", false)).await;
                    return;
                }
            }
            let mut post = post.clone();
            if round > 0 {
                post.id = format!("{}-{round}", post.id);
            }
            if events
                .send(SourceEvent::Post(Box::new(post)))
                .await
                .is_err()
            {
                return;
            }
        }
        round += 1;
        if rounds != 0 && round >= rounds {
            let reason = format!("end of the replay ({} posts)", posts.len() * round as usize);
            report(&events, FeedState::stopped(reason, false)).await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_is_valid_x_v2() {
        let posts = parse_posts(DEMO_TWEETS);
        assert!(posts.len() >= 20, "{}", posts.len());
        assert!(
            posts
                .iter()
                .all(|p| !p.author.username.is_empty() && p.source == "replay")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn plays_at_the_rate_and_stops_at_the_end() {
        let (tx, mut rx) = mpsc::channel(100);
        let (_handle, stop) = super::super::stop::pair();
        let posts = parse_posts(DEMO_TWEETS)[..3].to_vec();
        let started = tokio::time::Instant::now();
        tokio::spawn(play(posts, 2.0, 2, tx, stop));
        let mut ids = Vec::new();
        while let Some(event) = rx.recv().await {
            match event {
                SourceEvent::Post(p) => ids.push(p.id),
                SourceEvent::State(FeedState::Stopped { reason, fatal }) => {
                    assert!(!fatal);
                    assert!(reason.contains("6 posts"), "{reason}");
                    break;
                }
                SourceEvent::State(_) => {}
            }
        }
        assert_eq!(ids.len(), 6);
        assert!(
            ids[3].ends_with("-1"),
            "second round ids are distinct: {ids:?}"
        );
        // 6 posts at 2/s: the first at once, then every 0.5 s.
        assert_eq!(started.elapsed(), Duration::from_millis(2500));
    }
}
