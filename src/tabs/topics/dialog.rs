//! The create-topic and delete-topic forms. Their content survives Esc and failed
//! requests, so nothing the user typed is lost.

use crate::kafka::RequestId;
use crate::kafka::model::{AdminError, NewTopicSpec};
use crate::widgets::text_input::TextInput;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FormStatus {
    #[default]
    Editing,
    /// Refused before sending, in words.
    Invalid(String),
    Sending(RequestId),
    /// Refused by the broker.
    Refused(AdminError),
}

/// Fields of the create form, in Tab order.
pub const CREATE_FIELDS: [&str; 4] = ["Name", "Partitions", "Replication", "Configs"];
pub const NAME: usize = 0;
pub const PARTITIONS: usize = 1;
pub const REPLICATION: usize = 2;
pub const CONFIGS: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateForm {
    pub fields: [TextInput; 4],
    pub focus: usize,
    pub status: FormStatus,
}

impl Default for CreateForm {
    fn default() -> Self {
        Self {
            fields: [
                TextInput::default(),
                TextInput::with_value("1"),
                TextInput::with_value("1"),
                TextInput::default(),
            ],
            focus: NAME,
            status: FormStatus::Editing,
        }
    }
}

impl CreateForm {
    pub fn focus_next(&mut self, forward: bool) {
        let n = self.fields.len();
        self.focus = if forward {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
    }

    pub fn focused_mut(&mut self) -> &mut TextInput {
        &mut self.fields[self.focus]
    }

    /// Checks every field and explains the first problem in words.
    pub fn validate(&self) -> Result<NewTopicSpec, String> {
        let name = self.fields[NAME].value().trim().to_string();
        validate_topic_name(&name)?;
        let partitions = parse_count(self.fields[PARTITIONS].value(), "Partitions")?;
        let replication = parse_count(self.fields[REPLICATION].value(), "Replication")?;
        let configs = parse_configs(self.fields[CONFIGS].value())?;
        Ok(NewTopicSpec {
            name,
            partitions,
            replication,
            configs,
        })
    }
}

fn parse_count(text: &str, field: &str) -> Result<i32, String> {
    match text.trim().parse::<i32>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err(format!("{field} must be at least 1.")),
        Err(_) => Err(format!(
            "{field} must be a whole number, not {:?}.",
            text.trim()
        )),
    }
}

/// Kafka's own rule: 1–249 of `a-z A-Z 0-9 . _ -`, and not `.` or `..`.
pub fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Name is empty: type the new topic's name.".into());
    }
    if name.len() > 249 {
        return Err(format!(
            "Name is {} characters long; Kafka allows at most 249.",
            name.len()
        ));
    }
    if name == "." || name == ".." {
        return Err("Name cannot be \".\" or \"..\".".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "Name contains {bad:?}; Kafka topic names use only a-z A-Z 0-9 . _ -"
        ));
    }
    Ok(())
}

/// `key=value` pairs separated by commas (or spaces): `cleanup.policy=compact, retention.ms=1000`.
pub fn parse_configs(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => Err(format!(
                "Configs: {pair:?} is not key=value (e.g. cleanup.policy=compact)."
            )),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteForm {
    pub topic: String,
    pub confirm: TextInput,
    pub status: FormStatus,
}

impl DeleteForm {
    pub fn for_topic(topic: &str) -> Self {
        Self {
            topic: topic.to_string(),
            ..Self::default()
        }
    }

    pub fn confirmed(&self) -> bool {
        self.confirm.value() == self.topic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, partitions: &str, replication: &str, configs: &str) -> CreateForm {
        CreateForm {
            fields: [
                TextInput::with_value(name),
                TextInput::with_value(partitions),
                TextInput::with_value(replication),
                TextInput::with_value(configs),
            ],
            ..CreateForm::default()
        }
    }

    #[test]
    fn valid_form_becomes_a_spec() {
        let spec = form(
            "orders",
            "6",
            "3",
            "cleanup.policy=compact, retention.ms=1000",
        )
        .validate()
        .unwrap();
        assert_eq!(spec.partitions, 6);
        assert_eq!(spec.replication, 3);
        assert_eq!(
            spec.configs,
            vec![
                ("cleanup.policy".into(), "compact".into()),
                ("retention.ms".into(), "1000".into())
            ]
        );
    }

    #[test]
    fn explains_each_problem_in_words() {
        assert!(
            form("", "1", "1", "")
                .validate()
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            form("a b", "1", "1", "")
                .validate()
                .unwrap_err()
                .contains("' '")
        );
        assert!(
            form("ok", "zero", "1", "")
                .validate()
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            form("ok", "0", "1", "")
                .validate()
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(
            form("ok", "1", "1", "compact")
                .validate()
                .unwrap_err()
                .contains("key=value")
        );
        assert!(form("..", "1", "1", "").validate().is_err());
    }
}
