//! `App` builders and key helpers shared by the layer-1 tests (no terminal, no broker).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ktui::app::{App, ClusterLabel};
use ktui::event::Event;
use ktui::kafka::model::{BrokerInfo, ClusterSnapshot, Connection, PartitionInfo, TopicInfo};
use ktui::kafka::{Command, KafkaEvent};
use ktui::keymap::Keymap;

pub fn app() -> App {
    let mut app = App::new(ktui::app::AppSettings::new(
        ClusterLabel {
            address: "localhost:9092".into(),
            demo_address: None,
        },
        Keymap::default(),
    ));
    app.size = (100, 30);
    app
}

pub fn topic(name: &str, partitions: i32) -> TopicInfo {
    TopicInfo {
        name: name.into(),
        partitions: (0..partitions)
            .map(|id| PartitionInfo {
                id,
                leader: 1,
                replicas: vec![1],
                isr: vec![1],
                low: Some(0),
                high: Some(10),
                error: None,
            })
            .collect(),
        error: None,
    }
}

pub fn snapshot(names: &[&str]) -> ClusterSnapshot {
    ClusterSnapshot {
        brokers: vec![BrokerInfo {
            id: 1,
            host: "localhost".into(),
            port: 9092,
        }],
        cluster_id: Some("c1".into()),
        topics: names.iter().map(|n| topic(n, 1)).collect(),
    }
}

pub fn loaded(names: &[&str]) -> App {
    let mut app = app();
    app.handle(Event::Kafka(KafkaEvent::Connection(
        Connection::Connected {
            address: "localhost:9092".into(),
            brokers: 1,
            cluster_id: Some("c1".into()),
            unreachable: Vec::new(),
        },
    )));
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Ok(snapshot(names)),
    }));
    app
}

pub fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ctrl(app: &mut App, c: char) -> Vec<Command> {
    app.handle(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

pub fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}
